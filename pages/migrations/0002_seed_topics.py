"""Seed the topics of the information regulation. Admins may add more later."""

from django.db import migrations

TOPICS = [
    ("Chính trị", "chinh-tri"),
    ("Kinh tế", "kinh-te"),
    ("Văn hóa", "van-hoa"),
    ("Xã hội", "xa-hoi"),
    ("Quốc phòng", "quoc-phong"),
    ("An ninh", "an-ninh"),
    ("Đối ngoại", "doi-ngoai"),
    ("Hoạt động Mặt trận", "hoat-dong-mat-tran"),
]


def seed(apps, schema_editor):
    Topic = apps.get_model("pages", "Topic")
    for order, (name, slug) in enumerate(TOPICS, start=1):
        Topic.objects.update_or_create(slug=slug, defaults={"name": name, "order": order * 10})


def unseed(apps, schema_editor):
    Topic = apps.get_model("pages", "Topic")
    Topic.objects.filter(slug__in=[slug for _, slug in TOPICS], posts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
