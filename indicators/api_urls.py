from django.urls import path

from indicators import api

app_name = "api"
urlpatterns = [
    path("observations/", api.ObservationList.as_view(), name="observations"),
]
