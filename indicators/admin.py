from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators import models


class AliasInline(admin.TabularInline):
    model = models.AuthorityAlias
    extra = 0
    fields = ["name"]


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "nation"]
    list_filter = ["nation"]
    search_fields = ["name", "gss_code"]


@admin.register(models.Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "old_la_code", "nation", "region", "active"]
    list_filter = ["nation", "region", "active"]
    search_fields = ["name", "gss_code", "old_la_code", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AliasInline]


class MembershipInline(admin.TabularInline):
    model = models.NeighbourMembership
    fk_name = "group"
    extra = 0
    autocomplete_fields = ["neighbour"]


@admin.register(models.NeighbourGroup)
class NeighbourGroupAdmin(admin.ModelAdmin):
    list_display = ["authority", "method", "source"]
    list_filter = ["method"]
    search_fields = ["authority__name", "method"]
    autocomplete_fields = ["authority"]
    inlines = [MembershipInline]


@admin.register(models.Comparator)
class ComparatorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "statistic", "nation", "source"]
    list_filter = ["kind", "statistic", "nation"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["neighbour_group"]


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "start_date", "end_date", "financial_year", "quarter"]
    list_filter = ["kind", "financial_year"]
    search_fields = ["code"]


@admin.register(models.Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "unit", "decimals", "polarity", "measure", "framework"]
    list_filter = ["framework", "theme", "unit", "polarity", "measure"]
    search_fields = ["code", "normalised_code", "title", "definition"]


@admin.register(models.Observation)
class ObservationAdmin(SimpleHistoryAdmin):
    list_display = [
        "indicator",
        "authority",
        "comparator",
        "period",
        "numerator",
        "denominator",
        "value",
        "withheld",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "withheld", "indicator__framework", "period__kind", "comparator"]
    search_fields = [
        "indicator__code",
        "indicator__normalised_code",
        "authority__name",
        "comparator__name",
        "period__code",
        "source",
    ]
    list_select_related = ["indicator", "authority", "comparator", "period"]
    autocomplete_fields = ["authority", "comparator", "indicator", "period"]
    readonly_fields = ["created_at", "updated_at", "updated_by"]
    date_hierarchy = "updated_at"


@admin.register(models.Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["authority", "indicator", "period", "value", "tolerance", "updated_at"]
    list_filter = ["indicator__framework", "period__financial_year"]
    search_fields = ["authority__name", "indicator__code", "period__code"]
    list_select_related = ["authority", "indicator", "period"]
    autocomplete_fields = ["authority", "indicator", "period"]


@admin.register(models.ImportLog)
class ImportLogAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "command",
        "filename",
        "run_by",
        "rows",
        "created",
        "updated",
        "unchanged",
        "warnings",
    ]
    list_filter = ["command"]
    search_fields = ["filename", "run_by"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.QuarterlyReturn)
class QuarterlyReturnAdmin(SimpleHistoryAdmin):
    """Returns are entered and approved through their pages, where the rules and the
    version check apply; the admin shows them and their history read-only."""

    list_display = ["authority", "kind", "period", "status", "version", "updated_by", "updated_at"]
    list_filter = ["kind", "status", "period__financial_year", "authority"]
    search_fields = ["authority__name", "period__code"]
    list_select_related = ["authority", "period", "updated_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.YearLock)
class YearLockAdmin(admin.ModelAdmin):
    list_display = ["authority", "financial_year", "locked_by", "locked_at", "reason"]
    list_filter = ["financial_year"]
    search_fields = ["authority__name", "reason"]
    autocomplete_fields = ["authority"]
    readonly_fields = ["locked_by", "locked_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.locked_by = request.user
        super().save_model(request, obj, form, change)
