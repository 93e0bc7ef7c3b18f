"""Observations and targets out to CSV or XLSX in the import layout (CONTRACT.md), so that an
export imports back with every row unchanged.

Numbers print as a person reads them: counts without trailing zeros (1588), values to the
indicator's decimal places (94.40; 19.0 for one decimal) or more when the stored figure has
more (a published 63.285 stays 63.285, or importing it back would change it), withheld values
as their marker. Text that a spreadsheet would run as a formula (beginning with = + - @, a
tab or a carriage return) is neutralised: in CSV with a leading apostrophe (which the
importer removes again), in XLSX by writing a string cell marked with Excel's quote prefix.
Figures are numbers, never text, so none is guarded.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Protocol

from django.db.models import Case, Q, QuerySet, Value, When

from indicators.importing import COLUMNS, needs_formula_guard
from indicators.models import (
    Authority,
    Comparator,
    ComparatorKind,
    Indicator,
    Observation,
    Target,
)

BATCH = 2000
FORMATS = (".csv", ".xlsx")
# Characters XML 1.0 cannot hold: control characters other than tab, newline and carriage
# return, lone surrogates, and U+FFFE and U+FFFF (openpyxl's own pattern misses the last
# two, and a note holding one made a workbook Excel and openpyxl cannot open).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Figure:
    """A number and the decimal places it is printed with."""

    amount: Decimal
    places: int

    def __str__(self) -> str:
        return format(self.amount, f".{self.places}f")


Cell = str | Figure
Row = list[Cell]


class TextOut(Protocol):
    def write(self, text: str, /) -> object: ...


# --- What is exported, in which order --------------------------------------------------------


def relevant_comparators(authority: Authority) -> QuerySet[Comparator]:
    """The comparators an authority is measured against: its nation's average, its region's,
    and those of its statistical-neighbour groups."""
    wanted = Q(kind=ComparatorKind.NATIONAL, nation=authority.nation) | Q(
        neighbour_group__authority=authority
    )
    if authority.region_id:
        wanted |= Q(region_id=authority.region_id)
    return Comparator.objects.filter(wanted)


def export_rows(
    *, authority: Authority | None = None, indicator: Indicator | None = None
) -> Iterator[Row]:
    """Rows in the import layout: each authority's observations then its targets, then the
    comparators' observations; within each by indicator and period end date.

    With `authority`, that authority and the comparators relevant to it; otherwise all.
    Queried per authority and comparator so that a national export streams in small pieces.
    """
    authorities = [authority] if authority else Authority.objects.order_by("name")
    comparators = (
        relevant_comparators(authority) if authority else Comparator.objects.all()
    ).order_by(_KIND_ORDER, "name")
    for subject in authorities:
        yield from (_observation_row(obs) for obs in _observations(Q(authority=subject), indicator))
        yield from (_target_row(target) for target in _targets(subject, indicator))
    for comparator in comparators:
        yield from (
            _observation_row(obs) for obs in _observations(Q(comparator=comparator), indicator)
        )


# National, regional, statistical neighbours, others: the order a paper lists comparators in.
_KIND_ORDER = Case(
    *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(ComparatorKind.values)),
    default=Value(len(ComparatorKind.values)),
)
# As Period orders itself: by end date, a quarter before the year that ends with it.
_ORDER = ("indicator__normalised_code", "period__end_date", "-period__start_date", "period__code")


def _observations(subject: Q, indicator: Indicator | None) -> Iterator[Observation]:
    queryset = Observation.objects.filter(subject)
    if indicator:
        queryset = queryset.filter(indicator=indicator)
    queryset = queryset.select_related("authority", "comparator", "indicator", "period")
    return queryset.order_by(*_ORDER).iterator(chunk_size=BATCH)


def _targets(authority: Authority, indicator: Indicator | None) -> Iterator[Target]:
    queryset = Target.objects.filter(authority=authority)
    if indicator:
        queryset = queryset.filter(indicator=indicator)
    queryset = queryset.select_related("authority", "indicator", "period")
    return queryset.order_by(*_ORDER).iterator(chunk_size=BATCH)


def _observation_row(obs: Observation) -> Row:
    indicator = obs.indicator
    if obs.withheld:
        value: Cell = obs.withheld
    elif obs.value is None:
        value = ""
    else:
        value = _value(obs.value, indicator.decimals)
    return [
        obs.subject.name,
        indicator.code,
        obs.period.code,
        _count(obs.numerator),
        _count(obs.denominator),
        value,
        indicator.unit,
        "yes" if obs.comparator_id else "",
        obs.note,
        obs.source,
    ]


def _target_row(target: Target) -> Row:
    indicator = target.indicator
    return [
        target.authority.name,
        indicator.code,
        target.period.code,
        "",
        "",
        _value(target.value, indicator.decimals),
        indicator.unit,
        "target",
        target.note,
        target.source,
    ]


def _places(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _count(amount: Decimal | None) -> Cell:
    if amount is None:
        return ""
    return Figure(amount, _places(amount))


def _value(amount: Decimal, decimals: int) -> Figure:
    return Figure(amount, max(decimals, _places(amount)))


# --- Writing ---------------------------------------------------------------------------------


def write_csv(rows: Iterable[Row], out: TextOut, *, header: Sequence[str] = COLUMNS) -> int:
    """Write the header and rows as CSV; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
        count += 1
    return count


def _csv_text(cell: Cell) -> str:
    if isinstance(cell, Figure):
        return str(cell)
    return "'" + cell if needs_formula_guard(cell) else cell


def write_xlsx(
    rows: Iterable[Row],
    path: Path | BinaryIO,
    *,
    header: Sequence[str] = COLUMNS,
    sheet_name: str = "observations",
) -> int:
    """Write the header and rows to the first sheet of a new workbook; returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.freeze_panes = "A2"

    def cell(value: Cell) -> WriteOnlyCell:
        if isinstance(value, Figure):
            written = WriteOnlyCell(sheet, value=value.amount)
            written.number_format = "0." + "0" * value.places if value.places else "0"
            return written
        # Characters XML cannot hold would make the workbook unreadable.
        text = _NOT_XML.sub("", value)
        written = WriteOnlyCell(sheet, value=text)
        # A string, never a formula, whatever the text begins with.
        written.data_type = "s"
        if needs_formula_guard(text):
            # What Excel stores for a cell typed as '=1+2: the text stays text even when
            # someone edits the cell (a plain string cell would become a formula then).
            written.quotePrefix = True
        return written

    sheet.append([cell(name) for name in header])
    count = 0
    for row in rows:
        sheet.append([cell(value) for value in row])
        count += 1
    workbook.save(path)
    return count


def export_to_file(
    path: Path, *, authority: Authority | None = None, indicator: Indicator | None = None
) -> int:
    """Export to a .csv or .xlsx file, replacing it only once the export is complete."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path.name}: the output must end in .csv or .xlsx")
    rows = export_rows(authority=authority, indicator=indicator)
    handle, temporary = tempfile.mkstemp(suffix=suffix, dir=path.parent or ".")
    try:
        if suffix == ".csv":
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                count = write_csv(rows, out)
        else:
            os.close(handle)
            count = write_xlsx(rows, Path(temporary))
        # mkstemp makes the file private; an export is shared like any file the user writes.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
