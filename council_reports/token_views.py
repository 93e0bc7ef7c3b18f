"""The signed-in user's API tokens: make one (its key shown once), list them, revoke one."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from council_reports import tokens

LIFETIMES = [(7, _("7 days")), (30, _("30 days")), (90, _("90 days")), (365, _("a year"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Nightly figures export”."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"), choices=LIFETIMES, coerce=int, initial=90
    )
    read_only = forms.BooleanField(
        label=_("Read only"),
        help_text=_("The token may only read (GET); anything else it asks is refused."),
        required=False,
        initial=True,
    )


@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the form for a new one. POST: make the token and show its
    key on this page, once; it is stored only as a digest, so it cannot be shown again."""
    new_key = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _token, new_key = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                read_only=form.cleaned_data["read_only"],
            )
            form = TokenForm()
    else:
        form = TokenForm()
    return render(
        request,
        "account/tokens.html",
        {"form": form, "tokens": tokens.tokens_of(request.user), "new_key": new_key},
    )


@require_POST
def revoke_token(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    if not tokens.revoke_token(request.user, uid):
        raise Http404(_("You have no such token."))
    messages.success(request, _("The token was revoked: it no longer works."))
    return redirect("account:tokens")
