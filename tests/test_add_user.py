import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

User = get_user_model()


def test_add_user_creates_an_officer_linked_to_their_council(council_a, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a long enough passphrase 7")
    call_command("add_user", "jsmith", "--role", "officer", "--authority", "rhondda cynon taf")
    user = User.objects.get(username="jsmith")
    assert user.role == "officer"
    assert list(user.authorities.values_list("name", flat=True)) == ["Rhondda Cynon Taf"]
    assert user.check_password("a long enough passphrase 7")
    assert not user.is_staff


def test_add_user_twice_updates_rather_than_duplicates(council_a, council_b, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a long enough passphrase 7")
    call_command("add_user", "jsmith", "--role", "officer", "--authority", "W06000016")
    monkeypatch.delenv("NEW_USER_PASSWORD")
    call_command("add_user", "jsmith", "--role", "approver", "--authority", "Caerphilly")
    user = User.objects.get(username="jsmith")
    assert (user.role, [a.name for a in user.authorities.all()]) == ("approver", ["Caerphilly"])
    assert user.check_password("a long enough passphrase 7")  # kept when none is given


def test_admin_role_reaches_the_django_admin(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a long enough passphrase 7")
    call_command("add_user", "boss", "--role", "admin")
    user = User.objects.get(username="boss")
    assert user.is_staff and user.is_superuser


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "officer"], "needs at least one --authority"),
        (["--role", "officer", "--authority", "Atlantis"], "unknown authority"),
    ],
)
def test_add_user_refuses_bad_input_and_creates_nobody(council_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_user", "ghost", *args)
    assert not User.objects.filter(username="ghost").exists()


def test_a_weak_password_is_refused(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "password")
    with pytest.raises(CommandError, match="NEW_USER_PASSWORD"):
        call_command("add_user", "weak", "--role", "member")
    assert not User.objects.filter(username="weak").exists()


def test_an_author_without_a_council_is_told_they_read_no_audit_findings(db, council_a):
    out = io.StringIO()
    call_command("add_user", "writer", "--role", "author", stdout=out)
    assert "reads no council's case audit findings" in out.getvalue()
    out = io.StringIO()
    call_command("add_user", "writer", "--role", "author", "--authority", "W06000016", stdout=out)
    assert "audit findings" not in out.getvalue()
    user = User.objects.get(username="writer")
    assert [a.name for a in user.authorities.all()] == ["Rhondda Cynon Taf"]
