import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_signs_in_and_sees_their_council(sign_in, users):
    page = sign_in("officer.a")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your councils")
    expect(page.get_by_role("cell", name="Rhondda Cynon Taf")).to_be_visible()


def test_a_wrong_password_shows_the_error_summary(sign_in, users):
    page = sign_in("officer.a", "wrong password")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    assert "/accounts/login/" in page.url
