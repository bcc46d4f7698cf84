"""Backup and restore through the management commands: content with images and a document is
backed up from the test database, restored by ``manage.py restore`` in another process into an
empty database and an empty media folder, and compared. On SQLite always; on PostgreSQL when
DATABASE_URL is set (then the target is a fresh database next to the test database).
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from pages import services
from pages.models import MediaImage, Post, PostDocument, Rendition
from tests.pages.conftest import make_image, make_post, publish_post

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def content(tree):
    """A live post with a cover (and its eight renditions), a draft, and a document."""
    page = services.page_create(unit=tree.vanmieu, by=None, activate=True)
    cover = make_image(tree.vanmieu, alt="Người dân phường Văn Miếu", size=(1400, 700))
    post = publish_post(make_post(page, "Phường Văn Miếu trao quà cho hộ nghèo", cover=cover,
                                  photo_credit="Ảnh: H.Nguyệt"))
    services.post_document_attach(
        document=PostDocument(post=post, title="Kế hoạch", file=SimpleUploadedFile("ke-hoach.pdf", PDF)), by=None,
    )
    make_post(page, "Bản nháp chưa duyệt")
    assert Rendition.objects.count() == 8
    return post


class Target:
    """An empty database and media folder for ``manage.py restore`` in a child process."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.media = tmp_path / f"media-{name}"
        self.env = {**os.environ, "MEDIA_ROOT": str(self.media), "VIETFRONT_MEDIA_STORAGE": "local",
                    "LOG_LEVEL": "WARNING"}
        self.env.pop("REDIS_URL", None)
        if connection.vendor == "postgresql":
            self.db_name = f"{connection.settings_dict['NAME']}_{name}"
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}"', f'CREATE DATABASE "{self.db_name}"')
            s = connection.settings_dict
            self.env["DATABASE_URL"] = (
                f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{self.db_name}"
            )
        else:
            self.sqlite = tmp_path / f"{name}.sqlite3"
            self.env.pop("DATABASE_URL", None)
            self.env["SQLITE_PATH"] = str(self.sqlite)

    def _admin(self, *statements: str) -> None:
        s = connection.settings_dict
        admin = psycopg2.connect(dbname="postgres", user=s["USER"], password=s["PASSWORD"] or None,
                                 host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            admin.close()

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}"')

    def restore(self, archive: Path) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "restore", str(archive)], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=300, check=False,
        )

    def count(self, table: str) -> int | None:
        """Rows in ``table`` of the target, None when the table does not exist."""
        if connection.vendor == "postgresql":
            s = connection.settings_dict
            db = psycopg2.connect(dbname=self.db_name, user=s["USER"], password=s["PASSWORD"] or None,
                                  host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
            try:
                with db.cursor() as cursor:
                    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
                    if not cursor.fetchone()[0]:
                        return None
                    cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a fixed test name
                    return cursor.fetchone()[0]
            finally:
                db.close()
        if not self.sqlite.exists():
            return None
        db = sqlite3.connect(self.sqlite)
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone():
                return None
            return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        finally:
            db.close()


@pytest.fixture
def target(tmp_path):
    made = []

    def make(name: str = "restored") -> Target:
        made.append(Target(tmp_path, name))
        return made[-1]

    yield make
    for t in made:
        t.drop()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    out = io.StringIO()
    call_command("backup", output_dir=tmp_path / "backups", stdout=out)
    archive = Path(re.search(r"Backup written: (\S+)", out.getvalue()).group(1))
    with tarfile.open(archive) as tar:
        return archive, json.loads(tar.extractfile("manifest.json").read())


def test_backup_then_restore_into_an_empty_database_and_folder(content, settings, tmp_path, target):
    archive, manifest = _backup(tmp_path)
    assert re.fullmatch(r"vietfront-backup-\d{8}T\d{6}Z\.tar", archive.name)
    assert manifest["vendor"] == connection.vendor
    tables = manifest["database"]["tables"]
    assert tables["pages_post"]["rows"] == Post.objects.count() == 2
    assert tables["pages_mediaimage"]["rows"] == MediaImage.objects.count() == 1
    assert tables["pages_rendition"]["rows"] == 8
    assert tables["pages_postdocument"]["rows"] == 1
    source_files = _files(Path(settings.MEDIA_ROOT))
    assert len(source_files) == 1 + 8 + 1
    assert set(manifest["media"]["files"]) == set(source_files)

    into = target()
    done = into.restore(archive)
    assert done.returncode == 0, done.stderr
    assert "Restored and verified" in done.stdout
    assert re.search(r"\| pages_rendition \| 8 \| 8 \| yes \|", done.stdout)
    assert f"| content checksum | {manifest['checksum'][:16]} | {manifest['checksum'][:16]} | yes |" in done.stdout
    assert _files(into.media) == source_files
    assert into.count("pages_post") == 2 and into.count("orgunits_orgunit") == 10

    # A second restore into the same (now full) target is refused and changes nothing.
    again = into.restore(archive)
    assert again.returncode == 1
    assert "the target database is not empty" in again.stderr
    assert into.count("pages_post") == 2 and _files(into.media) == source_files


def test_figures_of_the_live_installation_equal_the_manifest(content, tmp_path):
    archive, manifest = _backup(tmp_path)
    out = io.StringIO()
    call_command("backup", figures=True, stdout=out)
    live = json.loads(out.getvalue())
    assert live["checksum"] == manifest["checksum"]
    assert live["database"]["tables"] == manifest["database"]["tables"]
    # Any change moves the checksum of its table and the content checksum.
    Post.objects.filter(pk=content.pk).update(title="Đã sửa sau khi sao lưu")
    out = io.StringIO()
    call_command("backup", figures=True, stdout=out)
    changed = json.loads(out.getvalue())
    assert changed["checksum"] != manifest["checksum"]
    assert changed["database"]["tables"]["pages_post"]["rows"] == 2
    assert changed["database"]["tables"]["pages_post"]["sha256"] != manifest["database"]["tables"]["pages_post"]["sha256"]
    assert changed["database"]["tables"]["pages_rendition"] == manifest["database"]["tables"]["pages_rendition"]


def _tampered(archive: Path, tmp_path: Path) -> Path:
    """The same archive with one byte of one rendition changed."""
    bad = tmp_path / "tampered.tar"
    with tarfile.open(archive) as src, tarfile.open(bad, "w") as dst:
        changed = False
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if not changed and member.name.startswith("media/renditions/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
                changed = True
            dst.addfile(member, io.BytesIO(data))
    assert changed
    return bad


def test_a_damaged_archive_is_refused_before_anything_is_written(content, tmp_path, target):
    archive, _ = _backup(tmp_path)
    into = target("damaged")
    done = into.restore(_tampered(archive, tmp_path))
    assert done.returncode == 1
    assert "archive damaged: media file renditions/" in done.stderr
    assert into.count("pages_post") is None and into.count("django_migrations") is None
    assert not into.media.exists()


def test_what_is_not_a_backup_is_refused(content, tmp_path):
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        tar.addfile(tarfile.TarInfo("hello.txt"), io.BytesIO(b""))
    with pytest.raises(CommandError, match="not a vietfront backup"):
        call_command("restore", str(plain))
    with pytest.raises(CommandError, match="no such archive"):
        call_command("restore", str(tmp_path / "missing.tar"))
    assert Post.objects.count() == 2
