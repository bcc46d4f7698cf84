"""Staged uploads: a verified image survives a form that fails on another field.

When a form with an image upload is posted with an error elsewhere, browsers do not re-send
the file. So the image is verified and re-encoded at once, written under ``staging/`` and the
form carries a signed token naming it (bound to the user, valid a day). The next POST without
a new file picks it up. ``purge_staged_uploads`` removes what was abandoned.
"""

from __future__ import annotations

import datetime
import uuid

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from .media import FORMATS, ProcessedImage

STAGING_DIR = "staging"
MAX_AGE = datetime.timedelta(days=1)
_SALT = "pages.staged-upload"


def stage_image(*, image: ProcessedImage, user_id: int, original_name: str) -> str:
    name = default_storage.save(f"{STAGING_DIR}/{uuid.uuid4().hex}.{image.extension}", ContentFile(image.content))
    return signing.dumps(
        {"n": name, "u": user_id, "f": image.format, "w": image.width, "h": image.height, "o": original_name[:200]},
        salt=_SALT,
        compress=True,
    )


def _staged_name(data: dict) -> str:
    """The storage name a token names, if it lies inside the staging folder, else ""."""
    name = data.get("n", "")
    return name if name.startswith(f"{STAGING_DIR}/") and ".." not in name else ""


def load_staged(*, token: str, user_id: int) -> tuple[ProcessedImage, str] | None:
    """The staged image and its original name, or None if the token is bad, stale or not
    this user's (a token is never trusted to name an arbitrary file)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("u") != user_id or data.get("f") not in FORMATS:
        return None
    name = _staged_name(data)
    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as fh:
        content = fh.read()
    return ProcessedImage(content=content, format=data["f"], width=data["w"], height=data["h"]), data["o"]


def discard_staged(token: str) -> None:
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return
    if name := _staged_name(data):
        default_storage.delete(name)


def purge_staged_uploads(*, older_than: datetime.timedelta = MAX_AGE) -> int:
    """Delete staged files older than ``older_than``; returns how many."""
    # Not exists(STAGING_DIR) first: an object store has no folders, so that is False there
    # even with files under the prefix.
    try:
        names = default_storage.listdir(STAGING_DIR)[1]
    except FileNotFoundError:  # the local disk before anything was ever staged
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    for name in names:
        path = f"{STAGING_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
