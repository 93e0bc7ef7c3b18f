"""The audits in the Django admin: administrators only, whatever else the site allows, and
every page about an audit, case or recommendation recorded as a view of its free text
(audits.access). The records themselves are listed read-only: nobody adds, changes or
deletes one here."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from audits import access, models
from council_reports.permissions import is_admin


class AdministratorsOnly:
    """Refuses everyone but administrators, even someone given the model permissions or
    the staff flag by mistake."""

    def has_module_permission(self, request):
        return is_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user) and super().has_delete_permission(request, obj)


class CaseInline(AdministratorsOnly, admin.StackedInline):
    model = models.AuditedCase
    extra = 0


class RecommendationInline(AdministratorsOnly, admin.TabularInline):
    model = models.Recommendation
    extra = 0


class AuditTextAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """Records one access for each page served: a list, a record (with its inlines), its
    history or an old version, a delete confirmation."""

    # What `obj` is to audits.access.record: the audit itself, or one of its cases or
    # recommendations (recorded with its audit).
    shown_as = "audit"

    def accessed(self, obj) -> dict:
        """The audit (and case or recommendation) a page about `obj` shows."""
        if self.shown_as == "audit":
            return {"audit": obj}
        return {"audit": obj.audit, self.shown_as: obj}

    def _record(self, request, response, page: str, obj=None):
        if isinstance(response, TemplateResponse) and response.status_code == 200:
            access.record(request, page, **(self.accessed(obj) if obj is not None else {}))
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        return self._record(request, response, access.Page.ADMIN_LIST)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original") if object_id else None
        if original is None:  # adding: no text yet
            return response
        return self._record(request, response, access.Page.ADMIN_CHANGE, original)

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        obj = getattr(response, "context_data", {}).get("object")
        return self._record(request, response, access.Page.ADMIN_DELETE, obj)

    def render_history_view(self, request, template, context, **kwargs):
        # Both the history (with each change's old and new values) and an old version.
        obj = context.get("original") or context.get("object")
        access.record(request, access.Page.ADMIN_HISTORY, **self.accessed(obj))
        return super().render_history_view(request, template, context, **kwargs)


@admin.register(models.CaseAudit)
class CaseAuditAdmin(AuditTextAdmin):
    list_display = ["title", "authority", "period", "auditor", "audit_date"]
    list_filter = ["authority", "audit_date"]
    search_fields = ["title", "scope", "auditor", "authority__name"]
    inlines = [CaseInline, RecommendationInline]


@admin.register(models.AuditedCase)
class AuditedCaseAdmin(AuditTextAdmin):
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
    list_select_related = ["audit", "worker_role"]
    shown_as = "case"


@admin.register(models.Recommendation)
class RecommendationAdmin(AuditTextAdmin):
    list_display = ["audit", "number", "action", "owner", "due_date", "status"]
    list_filter = ["status", "due_date"]
    search_fields = ["action", "owner", "audit__title"]
    list_select_related = ["audit"]
    shown_as = "recommendation"


@admin.register(models.AuditTextAccess)
class AuditTextAccessAdmin(admin.ModelAdmin):
    """Who was shown which audit's text, for administrators to review: read only."""

    list_display = [
        "at",
        "username",
        "role",
        "authority",
        "audit_title",
        "case",
        "recommendation",
        "page",
        "path",
        "ip_address",
    ]
    list_filter = ["page", "role", "authority"]
    search_fields = ["username", "audit_title", "path", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["authority", "case", "recommendation"]
    actions = None

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
