from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from workforce import models


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "authority"]
    list_filter = ["authority"]
    search_fields = ["name", "authority__name"]


@admin.register(models.Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "qualified", "agency"]
    list_filter = ["qualified", "agency"]
    search_fields = ["name", "short_name"]


@admin.register(models.WorkforceSnapshot)
class WorkforceSnapshotAdmin(SimpleHistoryAdmin):
    list_display = [
        "authority",
        "team",
        "role",
        "as_at",
        "establishment_fte",
        "filled_fte",
        "headcount",
        "vacancies_fte",
        "agency_fte",
        "average_caseload",
    ]
    list_filter = ["authority", "role", "as_at"]
    search_fields = ["authority__name", "team__name", "role__name"]
    list_select_related = ["authority", "team", "role"]
    date_hierarchy = "as_at"


@admin.register(models.PostCost)
class PostCostAdmin(SimpleHistoryAdmin):
    list_display = [
        "authority",
        "post_title",
        "grade",
        "financial_year",
        "salary",
        "employer_ni",
        "superannuation",
    ]
    list_filter = ["authority", "financial_year"]
    search_fields = ["post_title", "grade", "authority__name"]
