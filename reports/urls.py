"""Committee papers: the list, the builder, previews, exports, publishing and versions."""

from django.urls import path

from reports import views

app_name = "reports"

paper = "<slug:slug>/v<int:version>/"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path(paper, views.paper_page, name="paper"),
    path(paper + "details/", views.save_details, name="details"),
    path(paper + "sections/add/", views.add_section, name="add_section"),
    path(paper + "sections/<int:section>/", views.save_section, name="section"),
    path(paper + "sections/<int:section>/move/", views.move_section, name="move_section"),
    path(paper + "sections/<int:section>/remove/", views.remove_section, name="remove_section"),
    path(paper + "sections/<int:section>/blocks/add/", views.add_block, name="add_block"),
    path(paper + "blocks/<int:block>/", views.save_block, name="block"),
    path(paper + "blocks/<int:block>/move/", views.move_block, name="move_block"),
    path(paper + "blocks/<int:block>/remove/", views.remove_block, name="remove_block"),
    path(paper + "preview/", views.preview, name="preview"),
    path(paper + "export.html", views.export_html, name="export_html"),
    path(paper + "export.pdf", views.export_pdf, name="export_pdf"),
    path(paper + "publish/", views.publish, name="publish"),
    path(paper + "new-version/", views.new_version, name="new_version"),
    path(paper + "changes/", views.changes, name="changes"),
]
