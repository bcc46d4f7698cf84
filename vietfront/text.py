"""Vietnamese text helpers shared by every app: transliteration, slugs, search keys."""

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def strip_marks(text: str) -> str:
    """Remove every tone and vowel mark; đ/Đ become d/D (NFD does not decompose them)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def search_key(text: str) -> str:
    """Lowercase, mark-free, single-spaced: the form used to compare Vietnamese text."""
    return " ".join(strip_marks(text).casefold().split())


def vi_slugify(text: str, *, max_length: int = 200) -> str:
    """ASCII slug of Vietnamese text: "Phường Đống Đa" -> "phuong-dong-da".

    Django's ``slugify`` drops "đ" entirely ("ong-a"); this transliterates it.
    """
    slug = _NON_SLUG.sub("-", strip_marks(text).lower()).strip("-")
    return slug[:max_length].rstrip("-")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
