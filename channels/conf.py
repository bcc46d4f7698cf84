"""Channel settings: a Django setting when one is defined (tests override them), else the
environment variable of the same name, else the default. Nothing here is a secret but the
key, which ``crypto`` reads the same way."""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str, default: str | int | float) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    return str(value) if value != "" else str(default)
