from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical decision support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinical import credentials  # noqa: F401  (revokes API credentials on save)
