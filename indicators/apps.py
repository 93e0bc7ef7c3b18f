from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from indicators import caching

        caching.connect_signals()
