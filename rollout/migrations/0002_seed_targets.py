"""The three targets the rollout was launched with (the source: the central committee's plan)."""

from django.db import migrations

TARGETS = [
    {"order": 10, "name": "Tỉnh, thành phố ban hành hướng dẫn cho cấp huyện", "unit_kind": "province",
     "condition": "published_guidance", "guidance_to_kind": "district", "target_percent": 100},
    {"order": 20, "name": "Cấp huyện có trang cộng đồng", "unit_kind": "district",
     "condition": "active_page", "guidance_to_kind": "", "target_percent": 100},
    {"order": 30, "name": "Cấp xã có trang cộng đồng", "unit_kind": "commune",
     "condition": "active_page", "guidance_to_kind": "", "target_percent": 80},
]


def seed(apps, schema_editor):
    RolloutTarget = apps.get_model("rollout", "RolloutTarget")
    for fields in TARGETS:
        RolloutTarget.objects.get_or_create(name=fields["name"], defaults=fields)


def unseed(apps, schema_editor):
    apps.get_model("rollout", "RolloutTarget").objects.filter(name__in=[t["name"] for t in TARGETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rollout", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
