"""Included under councils/<council>/workforce/."""

from django.urls import path

from workforce import views

app_name = "workforce"

urlpatterns = [
    path("", views.snapshot_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("new/", views.edit_snapshot, name="new"),
    path("<int:pk>/edit/", views.edit_snapshot, name="edit"),
]
