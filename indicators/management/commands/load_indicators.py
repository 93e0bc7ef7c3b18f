"""Load the reviewed indicator definitions in fixtures/indicators/*.toml.

    python manage.py load_indicators
    python manage.py load_indicators --path other/definitions/

Files are read in name order and each is upserted by indicators.definitions.load_definitions:
an unchanged definition is left alone, so running the command twice changes nothing. All
files load in one transaction: one bad file and nothing is written, with every problem named.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from indicators.definitions import DefinitionCounts, DefinitionError, load_definitions

DEFAULT_PATH = Path(settings.BASE_DIR) / "fixtures" / "indicators"


def definition_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.toml"))
    if not files:
        raise CommandError(f"no *.toml indicator definitions in {path}")
    return files


def load_indicator_files(path: Path = DEFAULT_PATH) -> dict[str, DefinitionCounts]:
    """Load every definitions file under `path` in one transaction; counts per file name."""
    counts: dict[str, DefinitionCounts] = {}
    with transaction.atomic():
        for file in definition_files(path):
            counts[file.name] = load_definitions(file)
    return counts


class Command(BaseCommand):
    help = "Create or update indicators from the TOML definitions in fixtures/indicators/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            type=Path,
            default=DEFAULT_PATH,
            help="A definitions file or a folder of *.toml files (default: fixtures/indicators).",
        )

    def handle(self, *args, **options):
        try:
            counts = load_indicator_files(options["path"])
        except DefinitionError as exc:
            raise CommandError("indicator definitions not loaded:\n" + str(exc)) from exc
        for name, result in counts.items():
            self.stdout.write(f"{name}: {result}")
