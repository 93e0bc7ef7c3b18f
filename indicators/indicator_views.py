"""An indicator page: a council's trend against its chosen comparators, as a chart and the
same figures as a table, downloadable as CSV or XLSX (CONTRACT.md, "Pages").

The comparators come from the URL, else the user's last choice (indicators.choosing). The
page always links to itself with the choice in the URL, so a link shows the same view.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from council_reports import permissions
from indicators import caching, charts, frames
from indicators.choosing import choose
from indicators.exporting import write_csv, write_xlsx
from indicators.models import Authority, Indicator, Observation, PeriodKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def indicator_page(request: HttpRequest, council: str, indicator: str) -> HttpResponse:
    authority = get_object_or_404(Authority, slug=council)
    measure = get_object_or_404(Indicator, slug=indicator)
    # Members read final figures; the council's staff (and authors) also provisional ones.
    staff = permissions.can_view_returns(request.user, authority)

    options = frames.comparator_options(authority, measure)
    choice = choose(request, authority, options)
    chosen = choice.slugs

    kinds = frames.period_kinds(authority, measure, include_provisional=staff)
    period_kind = request.GET.get("period", "")
    if period_kind not in kinds:
        period_kind = PeriodKind.YEAR if PeriodKind.YEAR in kinds or not kinds else kinds[0]

    query = {"comparators": ",".join(chosen)}
    if period_kind != PeriodKind.YEAR:
        query["period"] = period_kind

    download = request.GET.get("format", "")
    if download in ("csv", "xlsx"):
        frame = frames.indicator_frame(
            authority, measure, chosen, include_provisional=staff, period_kind=period_kind
        )
        return _download(frame, authority, measure, download, period_kind)

    def draw() -> dict:
        frame = frames.indicator_frame(
            authority, measure, chosen, include_provisional=staff, period_kind=period_kind
        )
        title = _("%(indicator)s: %(council)s") % {
            "indicator": measure.title,
            "council": authority.name,
        }
        return {
            "table": charts.trend_table(frame, charts.Scale.of(measure), title),
            "figure": charts.trend_figure(frame, charts.Scale.of(measure), title)
            if not frame.empty
            else None,
            "styles": charts.series_styles(frame),
            "has_provisional": bool((frame["status"] == Observation.Status.PROVISIONAL).any())
            if not frame.empty
            else False,
            "last_updated": _last_updated(authority, measure, staff),
            **_councils(authority, measure, frame, options),
        }

    # The chart, the tables and the ranking depend on the council, the indicator, the
    # comparators and kind of period chosen and whether provisional figures are shown.
    drawn = caching.cached("indicator", (authority.pk, measure.pk, urlencode(query), staff), draw)
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
            "errors": choice.errors,
            "period_kind": period_kind,
            "period_kinds": [(kind, PeriodKind(kind).label) for kind in kinds],
            **drawn,
            "query": urlencode(query),
            "csv_query": urlencode({**query, "format": "csv"}),
            "xlsx_query": urlencode({**query, "format": "xlsx"}),
        },
    )


def _councils(authority: Authority, indicator: Indicator, frame, options) -> dict:
    """The council's rank among its nation's councils in its latest period, and every
    council's figure for the chart and table that show where it stands."""
    found = frames.standing(authority, indicator, frame)
    if found is None:
        return {}
    period, councils = found.period, found.councils
    scale = charts.Scale.of(indicator)
    nation = authority.get_nation_display()
    title = _("%(indicator)s: councils in %(nation)s, %(period)s") % {
        "indicator": indicator.title,
        "nation": nation,
        "period": period.label,
    }
    national = next(
        (o for o in options if o.slug == frames.NATIONAL_SLUGS.get(authority.nation)), None
    )
    reference = None
    if national is not None:
        value = (
            Observation.objects.published()
            .filter(comparator=national.comparator, indicator=indicator, period=period)
            .values_list("value", flat=True)
            .first()
        )
        if value is not None:
            reference = (national.label, float(value))
    return {
        "rank": found.rank,
        "ranked": found.ranked,
        "rank_period": period.label,
        "nation": nation,
        "councils_table": charts.councils_table(councils, scale, title, authority.slug),
        "councils_figure": charts.councils_figure(councils, scale, title, authority.slug, reference)
        if councils["value"].notna().sum() > 1
        else None,
    }


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
