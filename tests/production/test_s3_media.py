"""Media in an S3-compatible bucket: moto's server mode on a loopback port stands in for the
object store, so django-storages and boto3 speak real HTTP to it.

Nothing may reach the local media folder while S3 is configured: every test asserts it stays
empty, which is what lets several web and worker machines share one library.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pages import services, staging
from pages.media import process_image
from pages.models import MediaImage, PostDocument, Rendition
from tests.pages.conftest import image_bytes, make_image, make_post, make_user, publish_post
from vietfront.media_storage import media_storage

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"AWS_ACCESS_KEY_ID": "moto-test-key", "AWS_SECRET_ACCESS_KEY": "moto-test-secret"}  # noqa: S105


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3-compatible server on a free loopback port, stopped by its pid."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"moto server exited: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("moto server did not listen within 30 s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def _environ(endpoint: str, bucket: str, **extra: str) -> dict[str, str]:
    return {
        "VIETFRONT_MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1", "AWS_S3_ADDRESSING_STYLE": "path", **KEYS, **extra,
    }


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path, monkeypatch):
    """A fresh bucket, made the default storage exactly as the environment would choose it."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    name = f"vf-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_boto_keys())
    client.create_bucket(Bucket=name)
    # Public media: readers fetch objects anonymously, as a bucket policy allows in production.
    client.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*",
    }]}))
    chosen = media_storage(_environ(s3_endpoint, name, AWS_QUERYSTRING_AUTH="0"))
    settings.MEDIA_ROOT = tmp_path / "local-media"
    settings.MEDIA_URL = chosen.media_url
    settings.STORAGES = {**settings.STORAGES, "default": chosen.storage}
    yield Bucket(name=name, client=client, endpoint=s3_endpoint)
    assert not (tmp_path / "local-media").exists(), "S3 media must never touch the local folder"


def _boto_keys() -> dict[str, str]:
    return {"aws_access_key_id": KEYS["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": KEYS["AWS_SECRET_ACCESS_KEY"]}


class Bucket:
    def __init__(self, *, name: str, client, endpoint: str) -> None:
        self.name, self.client, self.endpoint = name, client, endpoint

    def object_keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {obj["Key"] for page in pages for obj in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def url(self, key: str) -> str:
        return f"{self.endpoint}/{self.name}/{key}"


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 50.0, 3.0)})
    out = io.BytesIO()
    Image.new("RGB", (1400, 700), (10, 120, 200)).save(out, format="JPEG", exif=exif, comment=b"0912345678")
    return out.getvalue()


# --- choosing the storage from the environment ---------------------------------------------------


def test_the_environment_chooses_the_storage():
    assert media_storage({}).storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    signed = media_storage({"VIETFRONT_MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "media"})
    assert signed.storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert signed.storage["OPTIONS"]["querystring_auth"] is True
    assert signed.storage["OPTIONS"]["file_overwrite"] is False
    assert signed.media_url is None
    public = media_storage({
        "VIETFRONT_MEDIA_STORAGE": "S3", "AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_CUSTOM_DOMAIN": "anh.mattran.vn",
        "AWS_LOCATION": "trang/",
    })
    assert public.storage["OPTIONS"]["querystring_auth"] is False
    assert public.media_url == "https://anh.mattran.vn/trang/"
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        media_storage({"VIETFRONT_MEDIA_STORAGE": "s3"})
    with pytest.raises(ImproperlyConfigured, match="'local' or 's3'"):
        media_storage({"VIETFRONT_MEDIA_STORAGE": "ftp"})


def test_settings_read_the_storage_from_the_environment():
    env = {**os.environ, "VIETFRONT_MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "trang-media",
           "AWS_S3_CUSTOM_DOMAIN": "anh.mattran.vn"}
    code = "from django.conf import settings; d = settings.STORAGES['default']; " \
           "print(d['BACKEND'], d['OPTIONS']['bucket_name'], settings.MEDIA_URL)"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()
    assert out == ["storages.backends.s3.S3Storage", "trang-media", "https://anh.mattran.vn/"]


# --- uploads, renditions, documents on the bucket --------------------------------------------------


def test_admin_upload_lands_in_the_bucket_stripped_with_its_renditions(
    client, tree, bucket, django_capture_on_commit_callbacks
):
    editor = make_user("bt_dongda", ("edit_content", tree.dongda))
    client.force_login(editor)
    upload = SimpleUploadedFile("Hội nghị.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:pages_mediaimage_add"), {
            "unit": tree.dongda.pk, "upload": upload, "alt_text": "Hội nghị", "credit": "Ảnh: H.Nguyệt", "caption": "",
        })
    assert response.status_code == 302
    image = MediaImage.objects.get()
    assert image.file.name.startswith(f"images/{tree.dongda.pk}/hoi-nghi")
    keys = bucket.object_keys()
    assert image.file.name in keys
    with Image.open(io.BytesIO(bucket.read(image.file.name))) as stored:
        assert stored.size == (1400, 700)
        assert len(stored.getexif()) == 0 and "comment" not in stored.info  # GPS and comment gone
    renditions = list(Rendition.objects.filter(image=image))
    assert sorted((r.format, r.width) for r in renditions) == sorted(
        (fmt, w) for fmt in ("jpeg", "webp") for w in (320, 640, 960, 1280)
    )
    for rendition in renditions:
        assert rendition.file.name.startswith(f"renditions/{tree.dongda.pk}/{image.pk}/")
        with Image.open(io.BytesIO(bucket.read(rendition.file.name))) as im:
            assert im.size == (rendition.width, rendition.height)
    assert keys == {image.file.name, *(r.file.name for r in renditions)}


def test_two_uploads_with_the_same_name_do_not_overwrite_each_other(tree, bucket):
    first = make_image(tree.dongda, alt="Một", size=(100, 50))
    second = make_image(tree.dongda, alt="Hai", size=(60, 40))
    assert first.file.name != second.file.name
    assert {first.file.name, second.file.name} <= bucket.object_keys()
    with Image.open(io.BytesIO(bucket.read(first.file.name))) as im:
        assert im.size == (100, 50)


def test_public_post_page_links_to_the_bucket(client, tree, bucket, django_capture_on_commit_callbacks):
    page = services.page_create(unit=tree.vanmieu, by=None, activate=True)
    with django_capture_on_commit_callbacks(execute=True):
        cover = services.media_image_create(
            unit=tree.vanmieu, image=process_image(io.BytesIO(image_bytes(size=(1000, 500)))),
            alt_text="Người dân phường Văn Miếu", credit="Ảnh: H.Nguyệt", by=None,
        )
    post = publish_post(make_post(page, "Phường Văn Miếu trao quà", cover=cover, photo_credit="Ảnh: H.Nguyệt"))
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    largest = Rendition.objects.get(image=cover, format="jpeg", width=1000)
    assert f'<img src="{bucket.url(largest.file.name)}"' in html
    webp_320 = Rendition.objects.get(image=cover, format="webp", width=320)
    assert f"{bucket.url(webp_320.file.name)} 320w" in html
    # Link previews get the 1200×630 crop, stored in the bucket too.
    from pages.og_image import og_image_name

    assert f'<meta property="og:image" content="{bucket.url(og_image_name(cover))}">' in html
    with Image.open(io.BytesIO(bucket.read(og_image_name(cover)))) as im:
        assert im.size == (1200, 630)
    assert "/media/" not in html
    # The link a reader's browser follows answers with the image itself.
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    with urllib.request.urlopen(src, timeout=10) as answer:  # noqa: S310 - loopback moto server
        assert answer.status == 200
        assert answer.read() == bucket.read(largest.file.name)


def test_document_is_stored_in_the_bucket_and_downloaded_through_the_site(client, tree, bucket):
    page = services.page_create(unit=tree.dongda, by=None, activate=True)
    post = make_post(page, "Kế hoạch tổ chức Ngày hội")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = services.post_document_attach(
        document=PostDocument(post=post, title="Kế hoạch", file=SimpleUploadedFile("Kế hoạch.exe", pdf)), by=None,
    )
    assert document.file.name == f"documents/{tree.dongda.pk}/{post.pk}/ke-hoach.pdf"
    assert bucket.read(document.file.name) == pdf
    url = reverse("public:document", args=[document.pk])
    assert client.get(url).status_code == 404  # not public before the post goes live
    publish_post(post)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert response["Content-Length"] == str(len(pdf))
    assert response["Content-Type"] == "application/pdf"


def test_staged_uploads_survive_on_the_bucket_and_are_purged(tree, bucket):
    editor = make_user("bt_dongda", ("edit_content", tree.dongda))
    processed = process_image(io.BytesIO(image_bytes(size=(200, 100))))
    token = staging.stage_image(image=processed, user_id=editor.pk, original_name="anh.jpg")
    staged = {k for k in bucket.object_keys() if k.startswith("staging/")}
    assert len(staged) == 1
    loaded, name = staging.load_staged(token=token, user_id=editor.pk)
    assert (loaded.content, name) == (processed.content, "anh.jpg")
    assert staging.purge_staged_uploads(older_than=datetime.timedelta(days=1)) == 0
    assert staging.purge_staged_uploads(older_than=datetime.timedelta(seconds=-60)) == 1
    assert bucket.object_keys() == set()
    assert staging.load_staged(token=token, user_id=editor.pk) is None


def test_signed_urls_when_the_bucket_is_private(s3_endpoint, settings, tmp_path, monkeypatch, tree):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    name = f"vf-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_boto_keys()).create_bucket(Bucket=name)
    chosen = media_storage(_environ(s3_endpoint, name))
    assert chosen.media_url is None
    settings.STORAGES = {**settings.STORAGES, "default": chosen.storage}
    image = make_image(tree.dongda, size=(100, 50))
    url = default_storage.url(image.file.name)
    assert url.startswith(f"{s3_endpoint}/{name}/images/") and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback moto server
        assert answer.status == 200
    unsigned = url.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310
    assert refused.value.code == 403
