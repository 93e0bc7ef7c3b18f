"""Report packs: a saved paper drawn for several councils at once, built in the background."""

from django.urls import path

from reports import pack_views

app_name = "packs"

urlpatterns = [
    path("", pack_views.pack_list, name="list"),
    path("new/", pack_views.new_pack, name="new"),
    path("<int:pk>/", pack_views.pack_page, name="pack"),
    path("<int:pk>/status/", pack_views.pack_status, name="status"),
    path("<int:pk>/download/", pack_views.pack_download, name="download"),
]
