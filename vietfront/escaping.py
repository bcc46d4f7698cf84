"""Text on its way out: one function per kind of channel, so each writer says what its field is.

What people type (titles, summaries, names, reasons) is plain text everywhere it is stored.
Each output channel reads text in its own way, and each function here makes plain text safe
for one of them while keeping it readable: escaped, never stripped of what was typed, except
the control characters that the channel cannot carry at all.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.utils.safestring import SafeData, SafeString, mark_safe

# C0 controls other than tab, line feed and carriage return, and DEL: XML 1.0 refuses them
# (Django's feed writer raises on them, so one in a title took the whole feed down), openpyxl
# refuses them, and in a mail header they have no business.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# What makes a spreadsheet read a text cell as a formula (OWASP's list): =, +, -, @, and a tab
# or carriage return before any of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A text that is a plain number ("-5", "-1,5", "+84") is not a formula: left as typed.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")

_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def strip_controls(text: str) -> str:
    """``text`` without the control characters no text channel can carry."""
    return _CONTROLS.sub("", str(text))


def one_line(text: str) -> str:
    """Plain text for a one-line field (a feed title or category, a mail subject): controls
    removed and every run of white space, line breaks included (CR, LF, U+2028...), one space.
    A line break in a mail subject would otherwise start a header of its own."""
    return " ".join(strip_controls(text).split())


def text_as_html(text: str) -> str:
    """Plain text for a field its readers render as HTML (an RSS description, an Atom
    ``type="html"`` summary): escaped, so ``<img onerror=…>`` reads as those characters.
    Not marked safe: it is data for an XML writer, which escapes it once more."""
    return html.escape(strip_controls(text), quote=True)


def escaped(value: object) -> str:
    """What ``format_html`` does to an argument, without its lazy-string wrappers (a third of a
    card's time): ``html.escape``, as Django's ``escape`` is, unless already safe. For markup
    built in Python in long lists (cards, unit lists, the approvers' queue)."""
    return str(value) if isinstance(value, SafeData) else html.escape(str(value))


def json_for_script(data: Any) -> SafeString:
    """``data`` as JSON to put inside a ``<script>`` element (JSON-LD), escaped as Django's
    ``json_script`` escapes: no ``<``, ``>`` or ``&``, so ``</script>`` or ``<!--`` in a title
    cannot end the element or open a comment. JSON parsers read the escapes back as text."""
    encoded = json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(encoded)  # noqa: S308 - every character that could end the element is escaped


def is_formula_like(text: str) -> bool:
    """True for a text that a spreadsheet would evaluate when the file is opened."""
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def spreadsheet_text(text: str) -> str:
    """A text cell for CSV: controls removed, and an apostrophe before a formula-looking
    start so that Excel and LibreOffice show the text instead of evaluating it. Numbers are
    not texts: the callers write them as numbers and never pass them here."""
    clean = strip_controls(text)
    return "'" + clean if is_formula_like(clean) else clean
