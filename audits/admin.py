from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audits import models


class CaseInline(admin.StackedInline):
    model = models.AuditedCase
    extra = 0


class RecommendationInline(admin.TabularInline):
    model = models.Recommendation
    extra = 0


@admin.register(models.CaseAudit)
class CaseAuditAdmin(SimpleHistoryAdmin):
    list_display = ["title", "authority", "period", "auditor", "audit_date"]
    list_filter = ["authority", "audit_date"]
    search_fields = ["title", "scope", "auditor", "authority__name"]
    inlines = [CaseInline, RecommendationInline]


@admin.register(models.AuditedCase)
class AuditedCaseAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference",
        "audit",
        "children",
        "category",
        "worker_role",
        "grade",
        "compliant",
    ]
    list_filter = ["category", "grade", "compliant", "worker_role"]
    search_fields = ["reference", "audit__title"]


@admin.register(models.Recommendation)
class RecommendationAdmin(SimpleHistoryAdmin):
    list_display = ["audit", "number", "action", "owner", "due_date", "status"]
    list_filter = ["status", "due_date"]
    search_fields = ["action", "owner", "audit__title"]
