from django.urls import path

from indicators import indicator_views

app_name = "indicators"
urlpatterns = [
    path("<slug:indicator>/", indicator_views.indicator_page, name="indicator"),
]
