"""Tokens at rest: Fernet with keys from the environment, never from the database.

``VIETFRONT_CHANNEL_KEY`` holds one or more comma-separated Fernet keys, newest first:
MultiFernet encrypts with the first and decrypts with any, so a key is rotated by putting the
new one in front, running ``rotate_channel_tokens``, then dropping the old one. Every failure
is a ``ChannelKeyError`` with a Vietnamese message; nothing here logs a token.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _

ENV_NAME = "VIETFRONT_CHANNEL_KEY"


class ChannelKeyError(Exception):
    """The key is missing, malformed, or no longer opens a stored token. Safe to show."""


def _keys() -> list[str]:
    raw = getattr(settings, "VIETFRONT_CHANNEL_KEY", None)
    if raw is None:
        raw = os.environ.get(ENV_NAME, "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def _fernet() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise ChannelKeyError(
            _("Chưa cấu hình khóa mã hóa %(name)s: không thể lưu hay đọc mã truy cập của kênh.") % {"name": ENV_NAME}
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ChannelKeyError(
            _("Khóa mã hóa %(name)s không hợp lệ (cần khóa Fernet 32 byte, base64).") % {"name": ENV_NAME}
        ) from exc


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise ChannelKeyError(
            _("Không giải mã được mã truy cập: khóa mã hóa đã đổi. Hãy kết nối lại kênh này.")
        ) from exc


def rotate(stored: str) -> str:
    """The token re-encrypted with the newest key (raises when no key opens it)."""
    if not stored:
        return ""
    try:
        return _fernet().rotate(stored.encode()).decode()
    except InvalidToken as exc:
        raise ChannelKeyError(_("Không giải mã được mã truy cập: khóa mã hóa đã đổi.")) from exc


def masked(plain: str) -> str:
    """What staff see of a token: its last four characters at most."""
    if not plain:
        return ""
    return "••••" + (plain[-4:] if len(plain) >= 12 else "")
