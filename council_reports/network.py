"""The address a request came from, as far as the proxies in front can be trusted.

Each proxy appends the address it was reached from to X-Forwarded-For, so with PROXY_COUNT
proxies in front (settings, DJANGO_PROXY_COUNT) the client is the PROXY_COUNT-th entry from
the right; anything to the left of it was written by the client and proves nothing. With no
proxies the connection's own address is the client's. Sign-in throttling (django-axes, via
AXES_CLIENT_IP_CALLABLE) and the audit-text access records both use this.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not hops or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < hops:
        return remote  # fewer proxies than configured: only the connection is known
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
