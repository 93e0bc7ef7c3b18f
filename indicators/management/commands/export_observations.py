"""Export observations and targets in the import layout (CONTRACT.md), CSV or XLSX.

    python manage.py export_observations --out all.xlsx
    python manage.py export_observations --authority "Rhondda Cynon Taf" --out rct.csv
    python manage.py export_observations --authority W06000016 --indicator SCC/013aii --out -

--authority exports that council's figures, its targets (comparator = target) and the figures
of the comparators it is measured against (its nation's average, its region's and its
statistical neighbours'). `--out -` writes CSV to standard output. The file imports back with
`import_observations` with every row unchanged.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators import codes, exporting
from indicators.models import Authority, Indicator


class Command(BaseCommand):
    help = "Export observations to CSV or XLSX in the import_observations layout."

    def add_arguments(self, parser):
        parser.add_argument("--authority", help="a council's name, slug or GSS code")
        parser.add_argument("--indicator", help="an indicator code, e.g. SCC/013aii")
        parser.add_argument(
            "--out", required=True, help="FILE.csv or FILE.xlsx, or - for CSV on stdout"
        )

    def handle(self, *args, **options):
        authority = _authority(options["authority"]) if options["authority"] else None
        indicator = _indicator(options["indicator"]) if options["indicator"] else None
        out = options["out"]
        if out == "-":
            rows = exporting.export_rows(authority=authority, indicator=indicator)
            count = exporting.write_csv(rows, _Raw(self.stdout))
            self.stderr.write(f"exported {count} rows")
            return
        path = Path(out)
        if path.suffix.lower() not in exporting.FORMATS:
            raise CommandError(f"--out {out}: the file must end in .csv or .xlsx (or be -)")
        if not path.parent.is_dir():
            raise CommandError(f"--out {out}: folder {path.parent} does not exist")
        count = exporting.export_to_file(path, authority=authority, indicator=indicator)
        self.stdout.write(f"exported {count} rows to {path}")


def _authority(name: str) -> Authority:
    authority = Authority.objects.matching(name)
    if authority is None:
        raise CommandError(f"--authority: no authority called {name!r}")
    return authority


def _indicator(code: str) -> Indicator:
    indicator = Indicator.objects.filter(
        normalised_code=codes.normalise_indicator_code(code)
    ).first()
    if indicator is None:
        raise CommandError(f"--indicator: no indicator with code {code!r}")
    return indicator


class _Raw:
    """Django's output wrapper adds a newline to each write; the CSV writer brings its own."""

    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")
