"""The reviewed councils, regions and comparators in fixtures/authorities.toml."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from indicators.authorities import load_authorities
from indicators.models import Authority, Comparator, Indicator

AUTHORITIES = Path(settings.BASE_DIR) / "fixtures" / "authorities.toml"
DFE = Path(settings.BASE_DIR).parent / "shared" / "data" / "dfe"


def test_all_22_welsh_councils_with_their_gss_codes(db):
    load_authorities(AUTHORITIES)
    welsh = Authority.objects.filter(nation="wales")
    assert welsh.count() == 22
    assert all(a.gss_code.startswith("W06") and a.region is None for a in welsh)
    assert Authority.objects.get(gss_code="W06000016").slug == "rhondda-cynon-taf"
    assert Authority.objects.get(gss_code="W06000018").name == "Caerphilly"
    assert Authority.objects.get(gss_code="W06000001").name == "Isle of Anglesey"
    assert Authority.objects.get(gss_code="W06000024").name == "Merthyr Tydfil"


def test_councils_are_found_by_the_names_publications_use(db):
    load_authorities(AUTHORITIES)
    assert Authority.objects.matching("Herefordshire, County of").name == "Herefordshire"
    assert Authority.objects.matching("Rhondda Cynon Taff").name == "Rhondda Cynon Taf"
    assert Authority.objects.matching("Caerffili").name == "Caerphilly"


@pytest.mark.skipif(not DFE.exists(), reason="the shared DfE files are not present")
def test_english_codes_and_regions_match_the_dfe_files(db):
    load_authorities(AUTHORITIES)
    with (DFE / "b1_children_in_need_2013_to_2025.csv").open(encoding="utf-8-sig") as handle:
        published = {
            row["old_la_code"]: (row["new_la_code"], row["region_code"], row["region_name"])
            for row in csv.DictReader(handle)
            if row["geographic_level"] == "Local authority"
        }
    for authority in Authority.objects.filter(nation="england"):
        assert published[authority.old_la_code] == (
            authority.gss_code,
            authority.region.gss_code,
            authority.region.name,
        ), authority.name


def test_comparators_have_the_slugs_pages_use(db):
    load_authorities(AUTHORITIES)
    slugs = dict(Comparator.objects.values_list("name", "slug"))
    assert slugs == {
        "Wales average": "wales-average",
        "England": "england",
        "West Midlands": "west-midlands",
    }
    assert Comparator.objects.get(slug="west-midlands").region.gss_code == "E12000005"


def test_loading_twice_changes_nothing(db):
    load_authorities(AUTHORITIES)
    again = load_authorities(AUTHORITIES)
    assert not again.changed
    assert again.authorities.unchanged == 25


def test_load_indicators_twice_records_no_new_history(db):
    call_command("load_indicators", stdout=io.StringIO())
    history = Indicator.history.count()
    call_command("load_indicators", stdout=io.StringIO())
    assert Indicator.history.count() == history
    scc = Indicator.objects.get(normalised_code="SCC013AII")
    assert (scc.unit, scc.decimals, scc.polarity, scc.measure) == ("percent", 2, "higher", "stock")
    assert Indicator.objects.get(code="SCC/007a").decimals == 0
