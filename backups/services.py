"""Backups: the database and the media library in one dated archive with a manifest, and the
restore that checks it against what it restored.

Archive (plain tar: the dump is already compressed, images are):
    database/postgresql.dump | database/sqlite3.db
    media/<storage name>...
    manifest.json   rows and sha256 per table, sha256 per media file, the content checksum

Media are read through the default storage, so a library on the local disk or in an S3 bucket
is backed up, and restored, alike.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import django
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from . import database
from .database import DUMP_NAMES, BackupError
from .figures import DatabaseFigures, MediaFigures, content_checksum, file_figures, storage_names

FORMAT = "vietfront-backup/1"
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"

__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup_create", "backup_restore", "current_figures"]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    restored: dict  # the same figures, taken from the restored database and storage
    seconds: float


def _summary(db: DatabaseFigures, media: MediaFigures) -> dict:
    return {
        "database": {"tables": db.tables, "rows": db.rows, "checksum": db.checksum},
        "media": {"files": media.files, "count": len(media.files), "bytes": media.bytes, "checksum": media.checksum},
        "checksum": content_checksum(db, media),
    }


def _media_figures(storage: Storage) -> MediaFigures:
    media = MediaFigures()
    for name in storage_names(storage):
        with storage.open(name, "rb") as fh:
            media.files[name] = file_figures(fh.read())
    return media


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    archive.addfile(info, io.BytesIO(data))


def _free_name(folder: Path, stamp: str) -> Path:
    path, n = folder / f"vietfront-backup-{stamp}.tar", 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = folder / f"vietfront-backup-{stamp}-{n}.tar"
    return path


def backup_create(*, folder: Path, using: str = "default", storage: Storage | None = None) -> BackupResult:
    """Write ``vietfront-backup-<UTC time>.tar`` into ``folder``. The archive appears under its
    name only when complete (it is written as ``.partial`` and renamed)."""
    storage = storage or default_storage
    started = time.monotonic()
    kind = database.vendor(using)
    now = timezone.now().astimezone(datetime.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    path = _free_name(folder, now.strftime("%Y%m%dT%H%M%SZ"))
    partial = path.with_name(path.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="vf-backup-") as scratch:
            dump_file = Path(scratch) / "dump"
            db = database.dump(target=dump_file, using=using)
            dump_sha = hashlib.sha256(dump_file.read_bytes()).hexdigest()
            media = MediaFigures()
            with tarfile.open(partial, "w") as archive:
                archive.add(dump_file, arcname=DUMP_NAMES[kind])
                # Media are copied after the database snapshot: files only ever get new names,
                # so the copy holds every file the dump refers to (plus newer uploads).
                for name in storage_names(storage):
                    with storage.open(name, "rb") as fh:
                        data = fh.read()
                    media.files[name] = file_figures(data)
                    _add_bytes(archive, MEDIA_PREFIX + name, data, now.timestamp())
                manifest = {
                    "format": FORMAT,
                    "created_at": now.isoformat(),
                    "django": django.get_version(),
                    "vendor": kind,
                    "dump": {"file": DUMP_NAMES[kind], "bytes": dump_file.stat().st_size, "sha256": dump_sha},
                    **_summary(db, media),
                }
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode(),
                           now.timestamp())
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, manifest=manifest, seconds=time.monotonic() - started)


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise BackupError("not a vietfront backup: the archive has no manifest.json") from None
    manifest = json.loads(archive.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


def _check_archive(archive: tarfile.TarFile, manifest: dict) -> None:
    """Every file the manifest lists is in the archive with its checksum, and nothing else:
    a damaged archive is refused before anything is written."""
    members = {m.name: m for m in archive.getmembers() if m.isfile()}
    dump = manifest["dump"]
    if dump["file"] not in members:
        raise BackupError(f"archive damaged: {dump['file']} is missing")
    if hashlib.sha256(archive.extractfile(members[dump["file"]]).read()).hexdigest() != dump["sha256"]:
        raise BackupError(f"archive damaged: {dump['file']} does not match its checksum")
    listed = set(manifest["media"]["files"])
    present = {name[len(MEDIA_PREFIX):] for name in members if name.startswith(MEDIA_PREFIX)}
    if listed != present:
        raise BackupError(f"archive damaged: media files differ from the manifest ({sorted(listed ^ present)[:5]})")
    for name, expected in manifest["media"]["files"].items():
        if file_figures(archive.extractfile(members[MEDIA_PREFIX + name]).read()) != expected:
            raise BackupError(f"archive damaged: media file {name} does not match its checksum")


def _differences(expected: dict, actual: dict) -> list[str]:
    problems = []
    tables = set(expected["database"]["tables"]) | set(actual["database"]["tables"])
    for name in sorted(tables):
        want, got = expected["database"]["tables"].get(name), actual["database"]["tables"].get(name)
        if want != got:
            problems.append(f"table {name}: {want and want['rows']} rows expected, {got and got['rows']} restored"
                            + (" (same count, different content)" if want and got and want["rows"] == got["rows"] else ""))
    if expected["media"]["checksum"] != actual["media"]["checksum"]:
        problems.append(f"media: {expected['media']['count']} files expected, {actual['media']['count']} restored"
                        + (" (same count, different content)" if expected["media"]["count"] == actual["media"]["count"] else ""))
    if expected["checksum"] != actual["checksum"] and not problems:
        problems.append("content checksum differs")
    return problems


def current_figures(*, using: str = "default", storage: Storage | None = None) -> dict:
    """The figures a backup taken now would record (for drills comparing two installations)."""
    with tempfile.TemporaryDirectory(prefix="vf-figures-") as scratch:
        db = database.figures(using=using, scratch=Path(scratch))
    return _summary(db, _media_figures(storage or default_storage))


def backup_restore(*, archive_path: Path, using: str = "default", storage: Storage | None = None) -> RestoreResult:
    """Restore an archive into an EMPTY database and an EMPTY media storage, then take the
    figures again from what was restored and compare them with the manifest.

    Refuses (``BackupError``, nothing written) a damaged archive, another database vendor, a
    database with tables or a storage with files. Raises ``BackupError`` if the restored
    content differs from the manifest."""
    storage = storage or default_storage
    started = time.monotonic()
    with tarfile.open(archive_path, "r") as archive:
        manifest = read_manifest(archive)
        kind = database.vendor(using)
        if manifest["vendor"] != kind:
            raise BackupError(f"the backup is of a {manifest['vendor']} database; the target is {kind}")
        _check_archive(archive, manifest)
        if not database.is_empty(using):
            raise BackupError("the target database is not empty: restore only into a new, empty database")
        if next(storage_names(storage), None) is not None:
            raise BackupError("the target media storage is not empty: restore only into an empty folder or bucket")
        with tempfile.TemporaryDirectory(prefix="vf-restore-") as scratch:
            dump_file = Path(scratch) / "dump"
            with archive.extractfile(manifest["dump"]["file"]) as src, dump_file.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            database.load(source=dump_file, using=using)
        for name in sorted(manifest["media"]["files"]):
            data = archive.extractfile(MEDIA_PREFIX + name).read()
            saved = storage.save(name, ContentFile(data))
            if saved != name:
                raise BackupError(f"media file {name} was stored as {saved}")
    restored = current_figures(using=using, storage=storage)
    if problems := _differences(manifest, restored):
        raise BackupError("restored content differs from the backup: " + "; ".join(problems))
    return RestoreResult(manifest=manifest, restored=restored, seconds=time.monotonic() - started)
