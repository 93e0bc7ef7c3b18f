"""Included under councils/<council>/audits/."""

from django.urls import path

from audits import views

app_name = "audits"

urlpatterns = [
    path("", views.audit_list, name="list"),
    path("new/", views.edit_audit, name="new"),
    path("dashboard/", views.audit_dashboard, name="dashboard"),
    path("<int:pk>/", views.audit_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_audit, name="edit"),
    path("<int:pk>/cases/new/", views.edit_case, name="new_case"),
    path("<int:pk>/cases/<int:case_pk>/edit/", views.edit_case, name="edit_case"),
    path("<int:pk>/recommendations/new/", views.edit_recommendation, name="new_recommendation"),
    path(
        "<int:pk>/recommendations/<int:rec_pk>/edit/",
        views.edit_recommendation,
        name="edit_recommendation",
    ),
    path(
        "<int:pk>/recommendations/<int:rec_pk>/status/",
        views.update_status,
        name="update_status",
    ),
]
