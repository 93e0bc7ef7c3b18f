from django.apps import AppConfig


class CouncilReportsConfig(AppConfig):
    name = "council_reports"
    default_auto_field = "django.db.models.BigAutoField"
