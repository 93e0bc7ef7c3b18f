"""Posting to a form page and judging the answer: accepted (a redirect), or refused with
each message on the field it is about and naming it."""

from __future__ import annotations

from django import forms
from django.test import Client
from django.utils.html import escape


def client_for(user) -> Client:
    """A signed-in client that answers a view's exception with a 500, as a server would,
    instead of raising it into the test."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def flat(data: dict) -> dict:
    """A post with list values sent as repeated keys (the test client does that already);
    None values dropped."""
    return {k: v for k, v in data.items() if v is not None}


def accepted(response) -> bool:
    return response.status_code in (301, 302, 303)


# Django's own messages, which say what is wrong but not with which box: an error summary
# lists them away from their fields, so each form must put its own words in their place
# (council_reports.form_messages does, or the form spells out its own messages).
UNNAMED = (
    "This field",
    "Select a valid choice",
    "Null characters are not allowed",
    "Enter a valid",
    "Enter a number",
    "Enter a whole number",
    "Ensure this value",
    "Ensure that there are no more",
    "Enter a list of values",
)


def refused_with_named_fields(response, form_key: str = "form") -> forms.BaseForm:
    """The page re-shown with errors: every error sits on a field of the form (or the
    form as a whole) and is shown, and none is one of Django's messages that do not say
    which field they are about."""
    assert response.status_code in (200, 400, 409), response.status_code
    form = response.context[form_key]
    assert form.errors, "refused without an error message"
    page = response.content.decode()
    for name, messages in form.errors.items():
        assert name == forms.forms.NON_FIELD_ERRORS or name in form.fields, name
        for message in messages:
            assert escape(message) in page, f"{name}: {message!r} not shown"
            assert not message.startswith(UNNAMED), f"{name}: {message!r} does not name it"
    return form
