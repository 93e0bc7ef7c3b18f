from django.apps import AppConfig


class CouncilReportsConfig(AppConfig):
    name = "council_reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from council_reports.middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="council_reports.session_clock")
