from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = _("Triển khai trang cộng đồng")
    default_auto_field = "django.db.models.BigAutoField"
