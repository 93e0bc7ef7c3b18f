"""The Django admin, for administrators only.

Django's own site lets in anyone marked `is_staff`; here that flag alone is not enough, so a
box ticked by mistake on an officer (or a permission granted to one) never opens the admin.
Installed as the default site by council_reports.apps.AdminConfig.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from council_reports.permissions import is_admin


class CouncilAdminSite(admin.AdminSite):
    site_header = _("council_reports administration")
    site_title = _("council_reports")

    def has_permission(self, request) -> bool:
        """Administrators only: the admin role, or a superuser (council_reports.permissions)."""
        return bool(request.user.is_active and is_admin(request.user))
