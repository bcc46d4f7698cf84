from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpreadingConfig(AppConfig):
    name = "spreading"
    verbose_name = _("Lan tỏa")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()
