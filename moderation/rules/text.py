"""Text plumbing for the rules: the visible text of rich-text HTML with offsets back into the
HTML, and Vietnamese phrase matching.

Phrase matching (banned terms, press-outlet wording) works as follows; it is what the central
staff asked for, and ``BannedTerm.term``'s help text repeats it to the admins who edit lists:

1. **Whole words only.** Text and phrase are compared case- and mark-insensitively
   (``vietfront.text.search_key`` folding: "Đ" is "d") at word boundaries, so a phrase never
   hits inside a longer word: "đĩ" does not hit "đĩa", "ma" does not hit "măng" or "mai".
   A phrase of several words matches them in order with any whitespace between.
2. **A phrase written without marks matches every marked variant**: "dong" hits "Đồng",
   "đông", "dòng". Admins write a phrase this way when every spelling is meant.
3. **A phrase written with marks matches the same marks, or none**: each word of the passage
   must carry exactly the phrase's marks (case, Unicode composition and the old/new tone
   placement "tòa"/"toà" do not matter), or be typed without any mark at all — the usual way
   to dodge a filter, and how many people type on phones. So "phản động" hits "PHẢN ĐỘNG",
   "phan dong" and "Phản dong", but not "phán đông"; "lừa" hits "lua" but not "lửa"; "đĩ"
   does not hit "đi". Unmarked text is ambiguous by nature: "di" is hit by "đĩ" too; a term
   that makes that too noisy should be a warning rather than a block.

Not handled on purpose: letters spaced or dotted out ("p.h.ả.n"), look-alike characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

from vietfront.text import nfc, strip_marks

# --- text with offsets ------------------------------------------------------------------------


@dataclass(frozen=True)
class TextSource:
    """A piece of public text the rules read.

    ``spans`` maps each character of ``text`` to its (start, end) in the field's raw value;
    ``None`` means ``text`` is the raw value itself.
    """

    field: str
    label: str
    text: str
    spans: tuple[tuple[int, int], ...] | None = None

    @classmethod
    def plain(cls, field: str, label: str, text: str) -> TextSource:
        return cls(field, label, text or "")

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        if self.spans is None or start >= end:
            return start, end
        return self.spans[start][0], self.spans[end - 1][1]


@dataclass(frozen=True)
class Link:
    """A URL in the HTML: ``start``/``end`` locate the whole tag that carries it."""

    url: str
    tag: str
    attr: str
    start: int
    end: int


@dataclass(frozen=True)
class HtmlText:
    text: str
    spans: tuple[tuple[int, int], ...]
    links: tuple[Link, ...]


# Tags whose boundaries separate words: "<p>Hà</p><p>Nội</p>" must not read as "HàNội".
_BREAKING_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"),
        *("figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li"),
        *("main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th"),
        *("thead", "tr", "ul"),
    }
)
_INVISIBLE_TAGS = frozenset({"script", "style", "template"})
_URL_ATTRS = {
    "a": ("href",),
    "area": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
}


class _Extractor(HTMLParser):
    def __init__(self, html: str) -> None:
        # Character references are handled by hand so every visible character keeps the
        # offset of the raw text it came from.
        super().__init__(convert_charrefs=False)
        self._html = html
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.chars: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.links: list[Link] = []
        self._hidden = 0

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _emit(self, text: str, start: int, end: int) -> None:
        for ch in text:
            self.chars.append(ch)
            self.spans.append((start, end))

    def _break(self, start: int, end: int) -> None:
        if self.chars and self.chars[-1] != "\n":
            self._emit("\n", start, end)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        if tag in _INVISIBLE_TAGS:
            self._hidden += 1
        if tag in _BREAKING_TAGS:
            self._break(start, end)
        wanted = _URL_ATTRS.get(tag, ())
        for name, value in attrs:
            if name in wanted and value:
                urls = (
                    [c.strip().split()[0] for c in value.split(",") if c.strip()]
                    if name == "srcset"
                    else [value]
                )
                self.links.extend(Link(url, tag, name, start, end) for url in urls)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden = max(0, self._hidden - 1)
        if tag in _BREAKING_TAGS:
            start = self._offset()
            self._break(start, start + len(tag) + 3)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        start = self._offset()
        for i, ch in enumerate(data):
            self.chars.append(ch)
            self.spans.append((start + i, start + i + 1))

    def _reference(self, body: str) -> None:
        if self._hidden:
            return
        start = self._offset()
        end = start + 1 + len(body)
        if self._html[end : end + 1] == ";":
            end += 1
        self._emit(unescape(self._html[start:end]), start, end)

    def handle_entityref(self, name: str) -> None:
        self._reference(name)

    def handle_charref(self, name: str) -> None:
        self._reference("#" + name)


def extract_html(html: str) -> HtmlText:
    """Visible text of sanitised rich text, each character mapped back to the raw HTML."""
    parser = _Extractor(html)
    parser.feed(html)
    parser.close()
    return HtmlText("".join(parser.chars), tuple(parser.spans), tuple(parser.links))


# --- Vietnamese phrase matching ----------------------------------------------------------------

# Tone marks may sit on either vowel ("tòa"/"toà"); vowel marks (circumflex, breve, horn) and
# the stroke of "đ" change the letter itself.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return strip_marks(ch).casefold()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Case- and mark-folded ``text``, and for each folded character its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def _signature(word: str) -> tuple[str, str]:
    """A word's letters with their vowel marks, and its tone mark wherever it was placed."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tones = "".join(sorted(c for c in decomposed if c in _TONE_MARKS))
    letters = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return letters, tones


def _unmarked(word: str) -> bool:
    return strip_marks(word) == word


def normalize_phrase(phrase: str) -> str:
    """The stored form of a phrase: NFC, lowercase, single-spaced."""
    return " ".join(nfc(phrase).casefold().split())


class Phrase:
    """A word or phrase to look for in Vietnamese text (semantics in the module docstring)."""

    def __init__(self, phrase: str) -> None:
        self.phrase = normalize_phrase(phrase)
        words = self.phrase.split(" ")
        self._signatures = [_signature(w) for w in words]
        self._marked = not _unmarked(self.phrase)
        folded = [_fold_char_string(w) for w in words]
        body = r"\s+".join(re.escape(w) for w in folded)
        self._regex = re.compile(rf"(?<!\w){body}(?!\w)") if self.phrase else None

    def __repr__(self) -> str:
        return f"Phrase({self.phrase!r})"

    def find(self, text: str, folded: tuple[str, list[int]] | None = None) -> Iterator[tuple[int, int]]:
        """(start, end) in ``text`` of each match; pass ``fold_with_map(text)`` to share it."""
        if self._regex is None or not text:
            return
        folded_text, index = folded or fold_with_map(text)
        for m in self._regex.finditer(folded_text):
            start = index[m.start()]
            end = index[m.end() - 1] + 1
            # Decomposed input keeps its marks as separate characters after the last letter.
            while end < len(text) and unicodedata.category(text[end]) == "Mn":
                end += 1
            if self._marked and not self._marks_agree(text[start:end]):
                continue
            yield start, end

    def _marks_agree(self, passage: str) -> bool:
        words = passage.split()
        if len(words) != len(self._signatures):
            return True  # folding changed the word count: report rather than miss
        return all(
            _unmarked(w) or _signature(w) == sig for w, sig in zip(words, self._signatures, strict=True)
        )


def _fold_char_string(text: str) -> str:
    return "".join(_fold_char(ch) for ch in text)
