from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDefaultConfig


class OrgUnitsConfig(AppConfig):
    name = "orgunits"
    verbose_name = _("Đơn vị Mặt trận")
    default_auto_field = "django.db.models.BigAutoField"


# Vietnamese headings for third-party apps in the admin: their AppConfigs name them in English.
class AxesVietnameseConfig(AxesAppConfig):
    verbose_name = _("Chống dò mật khẩu")


class TOTPVietnameseConfig(TOTPDefaultConfig):
    verbose_name = _("Xác thực hai lớp")
