from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CouncilReportsConfig(AppConfig):
    name = "council_reports"
    default_auto_field = "django.db.models.BigAutoField"
    default = True  # the app's own config; AdminConfig below is named in INSTALLED_APPS

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from council_reports.middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="council_reports.session_clock")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with council_reports.sites.CouncilAdminSite, administrators only:
    listed in INSTALLED_APPS in place of "django.contrib.admin"."""

    default = False
    default_site = "council_reports.sites.CouncilAdminSite"
