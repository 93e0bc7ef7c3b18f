from django.urls import path

from indicators import council_views

app_name = "councils"
urlpatterns = [
    path("<slug:council>/", council_views.overview, name="overview"),
]
