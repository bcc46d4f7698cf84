"""The vocabulary of the information regulation engine: what is checked, what a rule reports,
the rule base class and the one registry every rule is added to.

The engine never sees a ``pages.Post``: the workflow copies a post into a plain
``ContentForReview`` so the rules can run on a submission, on a pinned revision or on a form
that has not been saved yet, and so the rules can be tested without the pages app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .text import HtmlText, TextSource, extract_html

if TYPE_CHECKING:
    from .context import RegulationContext


class Severity(models.TextChoices):
    BLOCK = "block", _("Chặn gửi duyệt")
    WARN = "warn", _("Cảnh báo người duyệt")


class SourceKind(models.TextChoices):
    OWN = "own", _("Tin của đơn vị")
    EXTERNAL = "external", _("Tin dẫn từ nguồn khác")


@dataclass(frozen=True)
class Finding:
    """One breach of the regulation, located precisely enough for the editor to fix it.

    ``field`` is a stable key (``"title"``, ``"body_html"``, ``"images[0].alt"``...);
    ``start``/``end`` are offsets into that field's value as the workflow passed it (for
    ``body_html``, into the raw HTML), or ``None`` when the finding is about the field as a
    whole. ``passage`` is the offending text as a reader sees it.
    """

    code: str
    severity: Severity
    field: str
    message: str
    start: int | None = None
    end: int | None = None
    passage: str = ""

    @property
    def is_blocking(self) -> bool:
        return self.severity == Severity.BLOCK

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the audit log and the review screen."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "field": self.field,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "passage": self.passage,
        }


class ImageRef(NamedTuple):
    alt: str
    credit: str
    caption: str = ""
    src: str = ""


class DocumentRef(NamedTuple):
    title: str
    url: str = ""


@dataclass
class ContentForReview:
    """Everything of a post that the public will see, as plain values.

    ``images`` and ``documents`` accept plain tuples (``(alt, credit, caption)``) too.
    ``photo_credit`` is the post's photo line ("Ảnh: H.Nguyệt"); it credits every image that
    has no credit of its own, as Vietnamese news pages do.
    """

    title: str = ""
    summary: str = ""
    body_html: str = ""
    topic_id: int | None = None
    topic_name: str = ""
    source_kind: str = SourceKind.OWN
    source_name: str = ""
    source_url: str = ""
    author_line: str = ""
    photo_credit: str = ""
    images: Sequence[ImageRef] = ()
    documents: Sequence[DocumentRef] = ()
    unit_id: int | None = None
    post_id: int | None = None

    def __post_init__(self) -> None:
        self.images = tuple(i if isinstance(i, ImageRef) else ImageRef(*i) for i in self.images)
        self.documents = tuple(
            d if isinstance(d, DocumentRef) else DocumentRef(*((d,) if isinstance(d, str) else d))
            for d in self.documents
        )

    @property
    def is_external(self) -> bool:
        return self.source_kind == SourceKind.EXTERNAL

    @cached_property
    def body(self) -> HtmlText:
        """The body parsed once per review: its visible text and its links."""
        return extract_html(self.body_html or "")

    def public_texts(self, *, include_source: bool = True) -> list[TextSource]:
        """Every piece of text the public reads, with its field key and Vietnamese label."""
        texts = [
            TextSource.plain("title", gettext("Tiêu đề"), self.title),
            TextSource.plain("summary", gettext("Tóm tắt"), self.summary),
            TextSource("body_html", gettext("Nội dung"), self.body.text, self.body.spans),
            TextSource.plain("author_line", gettext("Tác giả"), self.author_line),
            TextSource.plain("photo_credit", gettext("Nguồn ảnh"), self.photo_credit),
        ]
        if include_source:
            texts.append(TextSource.plain("source_name", gettext("Nguồn tin"), self.source_name))
        for n, image in enumerate(self.images):
            label = gettext("Ảnh %(n)d") % {"n": n + 1}
            texts += [
                TextSource.plain(
                    f"images[{n}].alt", gettext("%(image)s – mô tả ảnh") % {"image": label}, image.alt
                ),
                TextSource.plain(
                    f"images[{n}].caption", gettext("%(image)s – chú thích") % {"image": label}, image.caption
                ),
                TextSource.plain(
                    f"images[{n}].credit", gettext("%(image)s – nguồn ảnh") % {"image": label}, image.credit
                ),
            ]
        for n, document in enumerate(self.documents):
            texts.append(
                TextSource.plain(
                    f"documents[{n}].title", gettext("Tài liệu %(n)d") % {"n": n + 1}, document.title
                )
            )
        return [t for t in texts if t.text.strip()]


@dataclass(frozen=True)
class ReviewResult:
    """Every finding of one run, in rule order; blocking ones stop the submission."""

    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.BLOCK]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARN]

    @property
    def passed(self) -> bool:
        """True when nothing blocks; warnings still travel to the approver."""
        return not self.blocking

    def as_dicts(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.findings]


class Rule:
    """One requirement of the regulation.

    Subclasses set ``code`` (stable: admins' settings and stored findings refer to it),
    ``label`` (Vietnamese, shown in the admin) and ``default_severity``, and implement
    ``check``. Rules are stateless; one instance serves every run.
    """

    code: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    default_severity: ClassVar[Severity] = Severity.BLOCK

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        raise NotImplementedError

    def finding(
        self,
        *,
        field: str,
        message: str,
        start: int | None = None,
        end: int | None = None,
        passage: str = "",
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.default_severity,
            field=field,
            message=message,
            start=start,
            end=end,
            passage=passage,
        )

    def text_finding(
        self,
        source: TextSource,
        start: int,
        end: int,
        message: str,
        *,
        severity: Severity | None = None,
        **params: Any,
    ) -> Finding:
        """A finding on a passage of ``source``; ``message`` may use %(field)s, %(passage)s
        and any of ``params``."""
        passage = source.text[start:end]
        raw_start, raw_end = source.raw_span(start, end)
        return self.finding(
            field=source.field,
            message=message % {**params, "field": source.label, "passage": passage},
            start=raw_start,
            end=raw_end,
            passage=passage,
            severity=severity,
        )


_REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the regulation. Codes are unique."""
    if not cls.code:
        raise ValueError(f"{cls.__name__} has no code")
    if cls.code in _REGISTRY and type(_REGISTRY[cls.code]) is not cls:
        raise ValueError(f"rule code {cls.code!r} is already taken by {type(_REGISTRY[cls.code]).__name__}")
    _REGISTRY[cls.code] = cls()
    return cls


def registered_rules() -> list[Rule]:
    """Every rule, in registration order (the order findings are reported in)."""
    return list(_REGISTRY.values())


def rule_choices() -> list[tuple[str, str]]:
    return [(rule.code, f"{rule.code} – {rule.label}") for rule in registered_rules()]


DuplicateFinder = Callable[[ContentForReview], Iterable[tuple[str, str]]]
