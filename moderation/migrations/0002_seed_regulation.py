"""Seed the domains the regulation allows from day one, and one settings row per rule so
central staff see every rule in the admin."""

from django.db import migrations

DOMAINS = [
    ("gov.vn", "Cổng thông tin của cơ quan nhà nước"),
    ("mattran.org.vn", "Cổng thông tin Ủy ban Trung ương MTTQ Việt Nam"),
    ("dangcongsan.vn", "Báo điện tử Đảng Cộng sản Việt Nam"),
    ("daidoanket.vn", "Báo Đại Đoàn Kết, cơ quan của Ủy ban Trung ương MTTQ Việt Nam"),
]

# Frozen here: later rules get no row and run with their defaults until an admin adds one.
RULE_CODES = [
    "required_fields",
    "images",
    "title.length",
    "title.all_caps",
    "banned_terms",
    "press_wording",
    "links.domains",
    "links.source_url",
    "personal_data.phone",
    "personal_data.national_id",
    "personal_data.email",
    "duplicate",
]


def seed(apps, schema_editor):
    AllowedDomain = apps.get_model("moderation", "AllowedDomain")
    RuleSetting = apps.get_model("moderation", "RuleSetting")
    for domain, note in DOMAINS:
        AllowedDomain.objects.get_or_create(domain=domain, defaults={"note": note})
    for code in RULE_CODES:
        RuleSetting.objects.get_or_create(code=code)


def unseed(apps, schema_editor):
    apps.get_model("moderation", "AllowedDomain").objects.filter(domain__in=[d for d, _ in DOMAINS]).delete()
    apps.get_model("moderation", "RuleSetting").objects.filter(code__in=RULE_CODES, severity="", is_enabled=True).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
