"""import_dfe against the real DfE files in ../shared/data/dfe (never copied into the repo).

The whole folder is imported once for the module, inside a transaction rolled back at the
end; each test runs in its own savepoint within it.
"""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from indicators.derive import round_half_up
from indicators.models import (
    Authority,
    AuthorityAlias,
    Comparator,
    ImportLog,
    Indicator,
    Nation,
    NeighbourGroup,
    NeighbourMembership,
    Observation,
    Period,
    Region,
    Withheld,
)
from indicators.neighbours import comparator_values, neighbour_figures

DFE_DIR = Path(
    os.environ.get("DFE_DATA_DIR") or Path(settings.BASE_DIR).parent / "shared" / "data" / "dfe"
)
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
_skip_without_files = pytest.mark.skipif(
    not (DFE_DIR / C1).exists(),
    reason=f"the DfE files are not in {DFE_DIR} (set DFE_DATA_DIR to their folder)",
)


def needs_dfe(test):
    """Reads the national files: skipped without them, and marked slow."""
    return pytest.mark.slow(_skip_without_files(test))


def figure(indicator: str, period: str, *, authority: str = "", comparator: str = ""):
    filters = {"indicator__code": indicator, "period__code": period}
    if authority:
        filters["authority__name"] = authority
    else:
        filters["comparator__slug"] = comparator
    return Observation.objects.get(**filters)


def table_counts() -> dict[str, int]:
    models = (Authority, AuthorityAlias, Region, Comparator, Indicator, Observation)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["history"] = Observation.history.count()
    counts["logs"] = ImportLog.objects.count()
    counts["neighbours"] = NeighbourMembership.objects.count()
    return counts


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    """The demo's English councils as load_demo makes them, then the whole DfE folder."""
    if not (DFE_DIR / C1).exists():
        pytest.skip(f"the DfE files are not in {DFE_DIR} (set DFE_DATA_DIR to their folder)")
    with django_db_blocker.unblock(), transaction.atomic():
        west_midlands = Region.objects.create(
            name="West Midlands", gss_code="E12000005", nation=Nation.ENGLAND
        )
        Authority.objects.create(
            name="Halton", gss_code="E06000006", old_la_code="876", nation=Nation.ENGLAND
        )
        # Named only: found by name, and given its codes by the import.
        Authority.objects.create(name="Walsall", nation=Nation.ENGLAND, region=west_midlands)
        herefordshire = Authority.objects.create(
            name="Herefordshire",
            gss_code="E06000019",
            old_la_code="884",
            nation=Nation.ENGLAND,
            region=west_midlands,
        )
        AuthorityAlias.objects.create(authority=herefordshire, name="Herefordshire, County of")
        # The files call it "Bristol, City of": matched by GSS code, alias added.
        Authority.objects.create(name="Bristol", gss_code="E06000023", nation=Nation.ENGLAND)
        out = io.StringIO()
        call_command("import_dfe", str(DFE_DIR), stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@needs_dfe
def test_all_seven_files_load(national, db):
    logs = ImportLog.objects.filter(command="import_dfe")
    assert sorted(Path(name).name for name in logs.values_list("filename", flat=True)) == sorted(
        p.name for p in DFE_DIR.glob("*.csv")
    )
    assert len(set(logs.values_list("filename", flat=True))) == 7
    for code in ("cin_referrals", "cin_at_31_march", "cp_plans_started", "cla_at_31_march"):
        assert Observation.objects.filter(indicator__code=code).count() > 800
    assert Observation.objects.filter(indicator__code="child_population").exists()
    assert Observation.objects.filter(indicator__code="csww_caseload_average").exists()
    assert "total: " in national and "0 updated" in national


@needs_dfe
def test_halton_and_england_rereferral_percentages_for_2024_25(national, db):
    halton = figure("cin_rereferral_percent", "2024-25", authority="Halton")
    assert halton.value == Decimal("19")
    assert (halton.numerator, halton.denominator) == (Decimal(327), Decimal(1717))
    assert figure("cin_rereferral_percent", "2024-25", comparator="england").value == Decimal(
        "22.6"
    )
    north_west = figure("cin_rereferral_percent", "2024-25", comparator="north-west")
    assert north_west.comparator.region.gss_code == "E12000002"
    assert north_west.value == Decimal("21.7")


@needs_dfe
def test_suppressed_cell_is_withheld_with_its_reason_and_no_value(national, db):
    # c1 row for City of London, 2024 (2023-24): rereferral_count and _percent are "c".
    city = figure("cin_rereferral_percent", "2023-24", authority="City of London")
    assert city.withheld == Withheld.SUPPRESSED
    assert city.value is None
    assert city.numerator is None
    assert city.denominator is not None  # the referral count itself is published
    # And "z" (not applicable): Cumbria's looked-after rows after it was abolished.
    cumbria = figure("cla_at_31_march", "2024-25", authority="Cumbria")
    assert (cumbria.withheld, cumbria.value) == (Withheld.NOT_APPLICABLE, None)
    assert not Observation.objects.filter(withheld="").filter(value__isnull=True).exists()


@needs_dfe
def test_periods_follow_each_collections_rule(national, db):
    assert figure("csww_social_worker_fte", "2025-09-30", authority="Halton").value > 0
    assert figure("child_population", "2024-06-30", comparator="england").value == Decimal(12183016)
    assert figure("cla_at_31_march", "2024-25", comparator="england").value == Decimal(81770)
    assert Period.objects.get(code="2025-09-30").financial_year == 2025


@needs_dfe
def test_second_run_changes_nothing(national, db):
    before = table_counts()
    out = io.StringIO()
    call_command("import_dfe", str(DFE_DIR), stdout=out)
    total = next(line for line in out.getvalue().splitlines() if line.startswith("total:"))
    assert " 0 created, 0 updated, " in total
    assert "neighbour groups: 0 created, 0 updated, 153 unchanged" in out.getvalue()
    after = table_counts()
    assert after.pop("logs") == before.pop("logs") + 7
    assert after == before


@needs_dfe
def test_demo_councils_are_reused_and_herefordshire_is_one_authority(national, db):
    herefordshire = Authority.objects.filter(old_la_code="884").get()
    assert herefordshire.name == "Herefordshire"
    assert Authority.objects.filter(name__icontains="herefordshire").count() == 1
    assert list(herefordshire.aliases.values_list("name", flat=True)) == [
        "Herefordshire, County of"
    ]
    assert Authority.objects.matching("Herefordshire, County of") == herefordshire
    walsall = Authority.objects.get(name="Walsall")
    assert (walsall.old_la_code, walsall.gss_code) == ("335", "E08000030")
    assert Authority.objects.filter(name__icontains="walsall").count() == 1
    bristol = Authority.objects.get(gss_code="E06000023")
    assert bristol.name == "Bristol"
    assert list(bristol.aliases.values_list("name", flat=True)) == ["Bristol, City of"]


@needs_dfe
def test_reorganised_councils_are_kept_and_retired_ones_inactive(national, db):
    retired = set(Authority.objects.filter(active=False).values_list("old_la_code", flat=True))
    assert retired == {"909", "928", "835", "836", "837"}  # Cumbria, Northants, Dorset CC ...
    assert Authority.objects.get(old_la_code="942").name == "Cumberland"
    assert Authority.objects.get(old_la_code="943").active
    # Two councils called Dorset: the retired county keeps its own row and code.
    assert Authority.objects.get(old_la_code="838").name == "Dorset"
    assert Authority.objects.get(old_la_code="835").name == "Dorset (E10000009)"
    # Same LA code, new GSS code after reorganisation: one council, the newest code.
    assert Authority.objects.get(old_la_code="815").gss_code == "E06000065"
    assert (
        Authority.objects.get(old_la_code="815")
        .observations.filter(period__code="2013-14")
        .exists()
    )
    # London boroughs are in London; Inner and Outer London are comparators too.
    assert Authority.objects.get(name="Camden").region.name == "London"
    assert Comparator.objects.filter(slug="inner-london", kind="regional").exists()


@needs_dfe
def test_halton_has_ten_ranked_statistical_neighbours(national, db):
    group = NeighbourGroup.objects.get(
        authority__name="Halton", method="DfE statistical neighbours 2025"
    )
    members = list(group.members.select_related("neighbour"))
    assert [m.rank for m in members] == list(range(1, 11))
    assert members[0].neighbour.old_la_code == "342"  # St Helens
    assert members[0].closeness == "Very close"
    assert members[4].closeness == "Close"  # the file says "Close "
    slugs = set(group.comparators.values_list("slug", "statistic"))
    assert slugs == {("halton-sn-mean", "mean"), ("halton-sn-median", "median")}
    assert NeighbourGroup.objects.count() == 153


@needs_dfe
def test_neighbour_mean_of_halton_comes_from_members_figures(national, db):
    mean = Comparator.objects.get(slug="halton-sn-mean")
    rereferrals = Indicator.objects.get(code="cin_rereferral_percent")
    values = comparator_values(mean, indicators=[rereferrals], periods=["2024-25"])
    members = mean.neighbour_group.members.values_list("neighbour_id", flat=True)
    own = list(
        Observation.objects.filter(
            authority_id__in=members, indicator=rereferrals, period__code="2024-25"
        ).values_list("value", flat=True)
    )
    assert len(own) == 10
    expected = round_half_up(sum(own) / 10, 1)
    assert values[(rereferrals.pk, "2024-25")] == expected
    assert not mean.observations.exists()  # derived, never stored


@needs_dfe
def test_an_error_in_a_file_writes_nothing_and_names_the_row(national, db, tmp_path):
    source = DFE_DIR / C1
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    broken = tmp_path / C1
    header = rows[0]
    rows[3][header.index("referral_count")] = ":"  # row 4 as a spreadsheet numbers it
    rows[5][header.index("rereferral_percent")] = "-3"
    with broken.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[:12])
    before = table_counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_dfe", str(broken), str(DFE_DIR / "sn_model_2025_wide.csv"), stderr=err)
    assert raised.value.returncode == 1
    messages = err.getvalue()
    assert f"{C1}:row 4: column referral_count: ':' is neither a number" in messages
    assert f"{C1}:row 6: cin_rereferral_percent: value -3 is negative" in messages
    assert table_counts() == before


def test_neighbour_mean_and_median_from_a_small_hand_made_group(db):
    # Names unlike any real council's, so this holds with or without the national data.
    indicator = Indicator.objects.create(
        code="hand_made_percent",
        title="Re-referrals",
        unit="percent",
        decimals=1,
        polarity="lower",
        measure="flow",
        framework="england",
        theme="referrals",
    )
    year = Period.objects.for_code("2024-25")
    earlier = Period.objects.for_code("2023-24")
    home = Authority.objects.create(name="Home Council", nation=Nation.ENGLAND)
    group = NeighbourGroup.objects.create(authority=home, method="hand-made")
    figures = {"A": "10.0", "B": "20.0", "C": "40.0", "D": None, "E": "99.0"}
    for rank, (name, value) in enumerate(figures.items(), start=1):
        council = Authority.objects.create(name=f"Neighbour {name}", nation=Nation.ENGLAND)
        NeighbourMembership.objects.create(group=group, neighbour=council, rank=rank)
        Observation.objects.create(
            authority=council,
            indicator=indicator,
            period=year,
            value=Decimal(value) if value else None,
            withheld="" if value else Withheld.SUPPRESSED,
            # E's figure is provisional: left out unless asked for.
            status="provisional" if name == "E" else "final",
        )
        Observation.objects.create(
            authority=council, indicator=indicator, period=earlier, value=Decimal(rank)
        )
    # The home council's own figure is not its neighbours'.
    Observation.objects.create(authority=home, indicator=indicator, period=year, value=Decimal(1))

    result = neighbour_figures(group)
    latest = result[(indicator.pk, "2024-25")]
    assert (latest.mean, latest.median) == (Decimal("23.3"), Decimal("20.0"))
    assert (latest.reporting, latest.members) == (3, 5)
    assert result[(indicator.pk, "2023-24")].median == Decimal("3.0")
    with_provisional = neighbour_figures(group, periods=["2024-25"], include_provisional=True)
    assert with_provisional[(indicator.pk, "2024-25")].median == Decimal("30.0")
    assert list(with_provisional) == [(indicator.pk, "2024-25")]

    median = Comparator.objects.create(
        name="Home Council statistical neighbours (median)",
        kind="neighbours",
        neighbour_group=group,
        statistic="median",
    )
    assert comparator_values(median)[(indicator.pk, "2024-25")] == Decimal("20.0")
