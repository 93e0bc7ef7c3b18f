from django.urls import path

from indicators import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("done/<int:pk>/", import_views.result, name="result"),
    path("<str:token>/", import_views.preview, name="preview"),
    path("<str:token>/confirm/", import_views.confirm, name="confirm"),
    path("<str:token>/cancel/", import_views.cancel, name="cancel"),
]
