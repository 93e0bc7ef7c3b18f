"""Recording who read an audit's free text (issue 7, item 7).

Every page that shows a case audit's summary, its cases' findings or meetings, or its
recommendations' actions and progress notes calls `record` once, before it is drawn: one
insert, made from what the view already holds (no query), and a line on the
`council_reports.audit_access` logger for the server's log. If the record cannot be written
the page fails rather than showing the text unrecorded.

What a council's information governance officer asks of the record: who (the user, with the
name and role they had), which council, audit, case or recommendation, which page (and its
address), when, and from which address (council_reports.network: behind a proxy, the
client's, as far as the DJANGO_PROXY_COUNT proxies in front vouch for it). The records are never changed or deleted
(AuditTextAccess refuses; the admin lists them read-only for administrators).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest

from audits.models import AuditedCase, AuditTextAccess, CaseAudit, Recommendation
from council_reports.network import client_ip
from indicators.models import Authority

logger = logging.getLogger("council_reports.audit_access")

Page = AuditTextAccess.Page


def record(
    request: HttpRequest,
    page: str,
    *,
    authority: Authority | None = None,
    audit: CaseAudit | None = None,
    case: AuditedCase | None = None,
    recommendation: Recommendation | None = None,
) -> AuditTextAccess:
    """Record that `request.user` is being shown audit text on `page`."""
    user = request.user
    authority_id = authority.pk if authority else (audit.authority_id if audit else None)
    access = AuditTextAccess.objects.create(
        user=user,
        username=user.get_username(),
        role=getattr(user, "role", ""),
        authority_id=authority_id,
        audit=audit,
        audit_title=audit.title if audit else "",
        case=case,
        recommendation=recommendation,
        page=page,
        path=request.get_full_path()[:500],
        ip_address=client_ip(request),
    )
    logger.info(
        "audit text shown: user=%s role=%s council=%s audit=%s case=%s recommendation=%s "
        "page=%s path=%s ip=%s",
        access.username,
        access.role,
        authority.slug if authority else (authority_id or "-"),
        audit.pk if audit else "-",
        case.pk if case else "-",
        recommendation.pk if recommendation else "-",
        page,
        access.path,
        access.ip_address or "-",
    )
    return access
