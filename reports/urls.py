"""Committee papers: the list, the builder, previews, exports, publishing and versions."""

from django.urls import path

from reports import views

app_name = "reports"

paper = "<slug:slug>/v<int:version>/"

urlpatterns = [
    path("", views.report_list, name="list"),
]
