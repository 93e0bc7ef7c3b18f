"""An indicator page: a council's trend against its chosen comparators, as a chart and the
same figures as a table, downloadable as CSV or XLSX (CONTRACT.md, "Pages").

The comparators come from the URL (`comparators=sn-median,target`, or the parameter
repeated, as a form without JavaScript sends it); a bare URL uses the user's last choice,
kept in the session, and then the national average. The page always links to itself with
the choice in the URL, so a link shows the same view.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from council_reports import permissions
from indicators import charts, frames
from indicators.exporting import write_csv, write_xlsx
from indicators.models import Authority, Indicator, Observation, PeriodKind

SESSION_KEY = "indicator_comparators"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chosen_comparators(request: HttpRequest, authority: Authority) -> list[str]:
    """The slugs the URL names, remembered for next time; else the last choice; else the
    national average. An empty `comparators=` means none."""
    if "comparators" in request.GET:
        slugs = [
            slug.strip()
            for value in request.GET.getlist("comparators")
            for slug in value.split(",")
            if slug.strip()
        ]
        slugs = list(dict.fromkeys(slugs))
        request.session[SESSION_KEY] = [s for s in slugs if s in frames.SLUGS]
        return slugs
    remembered = request.session.get(SESSION_KEY)
    if isinstance(remembered, list):
        return [str(s) for s in remembered]
    return frames.default_comparators(authority)


def indicator_page(request: HttpRequest, council: str, indicator: str) -> HttpResponse:
    authority = get_object_or_404(Authority, slug=council)
    measure = get_object_or_404(Indicator, slug=indicator)
    # Members read final figures; the council's staff (and authors) also provisional ones.
    staff = permissions.can_view_returns(request.user, authority)

    options = frames.comparator_options(authority, measure)
    available = {option.slug for option in options}
    asked = chosen_comparators(request, authority)
    chosen = [slug for slug in asked if slug in available]
    ignored = [slug for slug in asked if slug not in available]

    kinds = frames.period_kinds(authority, measure, include_provisional=staff)
    period_kind = request.GET.get("period", "")
    if period_kind not in kinds:
        period_kind = PeriodKind.YEAR if PeriodKind.YEAR in kinds or not kinds else kinds[0]

    frame = frames.indicator_frame(
        authority, measure, chosen, include_provisional=staff, period_kind=period_kind
    )
    query = {"comparators": ",".join(chosen)}
    if period_kind != PeriodKind.YEAR:
        query["period"] = period_kind

    download = request.GET.get("format", "")
    if download in ("csv", "xlsx"):
        return _download(frame, authority, measure, download, period_kind)

    title = _("%(indicator)s: %(council)s") % {
        "indicator": measure.title,
        "council": authority.name,
    }
    errors = [
        (
            "comparators",
            _("“%(slug)s” is not a comparator for %(council)s, so it is not shown")
            % {"slug": slug, "council": authority.name},
        )
        for slug in ignored
    ]
    return render(
        request,
        "indicators/indicator_page.html",
        {
            "council": authority,
            "indicator": measure,
            "polarity": measure.get_polarity_display(),
            "staff": staff,
            "options": options,
            "chosen": chosen,
            "errors": errors,
            "period_kind": period_kind,
            "period_kinds": [(kind, PeriodKind(kind).label) for kind in kinds],
            "table": charts.trend_table(frame, charts.Scale.of(measure), title),
            "figure": charts.trend_figure(frame, charts.Scale.of(measure), title)
            if not frame.empty
            else None,
            "styles": charts.series_styles(frame),
            "has_provisional": bool((frame["status"] == Observation.Status.PROVISIONAL).any())
            if not frame.empty
            else False,
            "last_updated": _last_updated(authority, measure, staff),
            "query": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
            "xlsx_query": urlencode({**query, "format": "xlsx"}),
        },
    )


def _last_updated(authority: Authority, indicator: Indicator, staff: bool):
    observations = Observation.objects.filter(authority=authority, indicator=indicator)
    if not staff:
        observations = observations.published()
    latest = observations.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return latest


def _download(frame, authority: Authority, indicator: Indicator, fmt: str, period_kind: str):
    rows = charts.download_rows(frame, indicator, authority.name)
    name = f"{authority.slug}-{slugify(indicator.slug)}-{period_kind}"
    if fmt == "csv":
        text = io.StringIO()
        write_csv(rows, text, header=charts.DOWNLOAD_HEADER)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        data = io.BytesIO()
        write_xlsx(rows, data, header=charts.DOWNLOAD_HEADER, sheet_name=indicator.slug[:31])
        response = HttpResponse(data.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
