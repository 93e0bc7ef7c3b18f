"""Who may do what. Views call these; templates only hide what the server already refuses."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from council_reports.models import Role
from indicators.models import Authority

STAFF_ROLES = {Role.OFFICER, Role.APPROVER, Role.AUTHOR, Role.ADMIN}


def is_admin(user) -> bool:
    return bool(user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser))


def acts_for(user, authority) -> bool:
    """Linked to this council (administrators act for every council)."""
    if not user.is_authenticated:
        return False
    return is_admin(user) or user.authorities.filter(pk=authority.pk).exists()


def enters_returns(user) -> bool:
    """A role that enters returns (for the councils it acts for)."""
    return is_admin(user) or user.role in (Role.OFFICER, Role.APPROVER)


def can_enter_returns(user, authority) -> bool:
    """Officers (and approvers, who often enter too) of that council; administrators."""
    return enters_returns(user) and acts_for(user, authority)


def can_approve(user, authority) -> bool:
    return acts_for(user, authority) and (is_admin(user) or user.role == Role.APPROVER)


def can_view_returns(user, authority) -> bool:
    """The council's officers and approvers see its returns in any state, and authors (who
    write the papers the figures go into) and administrators see every council's. Members
    see published figures on the dashboards, not draft returns."""
    if not user.is_authenticated:
        return False
    return can_enter_returns(user, authority) or user.role == Role.AUTHOR


def can_restore(user) -> bool:
    return is_admin(user)


def can_view_staff_records(user, authority) -> bool:
    """Workforce snapshots: the council's officers and approvers, administrators, and
    authors (who write the papers these records go into) may read them. Members never do.
    Case audits are stricter: see can_read_audit_text."""
    if not user.is_authenticated:
        return False
    return can_enter_returns(user, authority) or user.role == Role.AUTHOR


def can_read_audit_text(user, authority) -> bool:
    """Case audits' free text (summaries, findings, meetings examined, recommendations and
    their progress notes) is sensitive: only signed-in staff *of that council* (officers,
    approvers and authors linked to it) and administrators read it. An author of another
    council, or of none, does not; neither does a member. Every page that shows the text
    records the view (audits.access)."""
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    return user.role in STAFF_ROLES and acts_for(user, authority)


def council_for(user, slug: str, *, edit: bool, audit_text: bool = False):
    """The council a URL names, or 404; PermissionDenied (403) when this user may not read
    its staff records (with `audit_text`, its case audits' free text), or (with `edit`) may
    not change them. Those who may change records may read their audits' text."""
    authority = get_object_or_404(Authority, slug=slug)
    if edit:
        allowed = can_enter_returns
    else:
        allowed = can_read_audit_text if audit_text else can_view_staff_records
    if not allowed(user, authority):
        raise PermissionDenied
    return authority


def can_author(user) -> bool:
    """Authors compose, export and publish committee papers for any council (they write
    for the committees of every council the service reports on); administrators too."""
    return bool(user.is_authenticated and (is_admin(user) or user.role == Role.AUTHOR))


def can_read_report(user, report) -> bool:
    """A published paper is a public committee document: everyone signed in reads it. A
    draft is the authors' working copy."""
    if not user.is_authenticated:
        return False
    return report.is_published or can_author(user)
