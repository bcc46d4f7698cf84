"""Seed the smoke test's database: a small tree of real names, an active page, a published post
with a photo, a post approved to go live a few seconds from now (the real worker and beat must
publish it) and a staff account. Prints shell assignments for .ci/smoke."""

from __future__ import annotations

import datetime
import io
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vietfront.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from guardian.shortcuts import assign_perm  # noqa: E402
from PIL import Image  # noqa: E402

from moderation import services as moderation  # noqa: E402
from orgunits.models import UnitKind  # noqa: E402
from orgunits.services import unit_create  # noqa: E402
from pages import services as pages  # noqa: E402
from pages.media import process_image  # noqa: E402
from pages.models import Post, Topic  # noqa: E402

DUE_IN_SECONDS = int(os.environ.get("SMOKE_DUE_IN_SECONDS", "4"))


def photo() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (140, 16, 22)).save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer


def content(**fields) -> dict:
    values = {
        "summary": "Mặt trận quận phát động các khu dân cư tổ chức Ngày hội Đại đoàn kết năm nay.",
        "body": "<p>Sáng 12/11, Ủy ban MTTQ quận tổ chức lễ ra quân tại nhà văn hóa khu dân cư.</p>",
        "topic": Topic.objects.order_by("order").first(),
        "source_kind": "own",
        "source_name": "Ủy ban MTTQ quận Đống Đa",
        "author_line": "Minh Anh",
    }
    values.update(fields)
    return values


def main() -> None:
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    hanoi = unit_create(name="Thành phố Hà Nội", short_name="Hà Nội", kind=UnitKind.PROVINCE, parent=central, code="01")
    dongda = unit_create(name="Quận Đống Đa", kind=UnitKind.DISTRICT, parent=hanoi, code="006")
    unit_create(name="Phường Văn Miếu Quốc Tử Giám", kind=UnitKind.COMMUNE, parent=dongda, code="00181")
    for unit in (central, hanoi, dongda):
        pages.page_create(unit=unit, by=None, activate=True, about=f"Trang cộng đồng của {unit.name}.")
    page = dongda.page

    User = get_user_model()
    editor = User.objects.create_user("smoke.bientap", email="bientap@mattran.example.vn", password=None, is_staff=True)
    assign_perm("orgunits.edit_content", editor, dongda)
    password = os.environ["SMOKE_ADMIN_PASSWORD"]
    User.objects.create_superuser("smoke.quantri", "quantri@mattran.example.vn", password)
    approver = User.objects.get(username="smoke.quantri")

    image = pages.media_image_create(unit=dongda, image=process_image(photo()), alt_text="Lễ ra quân tại Đống Đa",
                                     credit="Ảnh: H.Nguyệt", by=None)
    live = pages.post_save(post=Post(page=page, **content(title="Đống Đa ra quân Ngày hội Đại đoàn kết", cover=image,
                                                         photo_credit="Ảnh: H.Nguyệt")), by=None)
    moderation.post_publish_imported(post=live, by=None, published_at=timezone.now(), reason="smoke")

    scheduled = pages.post_save(post=Post(page=page, **content(title="Bài hẹn giờ đăng của kiểm thử khói")), by=editor)
    moderation.post_submit(post=scheduled, by=editor)
    moderation.post_approve(post=scheduled, by=approver,
                            publish_at=timezone.now() + datetime.timedelta(seconds=DUE_IN_SECONDS))

    live = Post.objects.get(pk=live.pk)
    scheduled = Post.objects.get(pk=scheduled.pk)
    for name, value in {
        "POST_URL": live.get_absolute_url(),
        "POST_ID": str(live.pk),
        "POST_TITLE": live.title,
        "IMAGE_URL": image.file.url,
        "SCHEDULED_ID": str(scheduled.pk),
        "SCHEDULED_URL": scheduled.get_absolute_url(),
        "SCHEDULED_STATUS": scheduled.status,
        "UNIT_URL": dongda.get_absolute_url(),
    }.items():
        print(f"{name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
