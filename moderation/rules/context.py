"""The configurable part of the regulation, read once per review.

Admins edit banned terms, allowed domains and rule settings in the admin; a change applies to
the next submission without a deploy. Loading costs three queries whatever the size of the
lists, or none where a shared cache lets each process keep a copy (``config_cache``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from .base import DuplicateFinder, Severity
from .config_cache import cached
from .text import Phrase


@dataclass(frozen=True)
class TermSpec:
    phrase: Phrase
    category: str
    category_label: str
    severity: Severity


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool = True
    severity: Severity | None = None


@dataclass(frozen=True)
class UrlVerdict:
    """``ok`` links may be published; otherwise ``host`` is set when the domain is the problem
    and empty when the URL itself is malformed or of a refused scheme."""

    ok: bool
    host: str = ""


_OK = UrlVerdict(True)
_INVALID = UrlVerdict(False)
# Browsers drop these anywhere in a URL ("java\tscript:"), so they are dropped before parsing.
_URL_NOISE = str.maketrans("", "", "\t\n\r")


def normalize_domain(value: str) -> str:
    """ "https://WWW.Gov.VN/path" -> "www.gov.vn"; "*.gov.vn" -> "gov.vn"; IDNA-encoded."""
    value = (value or "").strip().lower()
    if "//" in value:
        value = urlsplit(value).hostname or ""
    value = value.split("/", 1)[0].removeprefix("*.").strip(".")
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return value


@dataclass(frozen=True)
class RegulationContext:
    """Configuration the rules read; build it with ``load_context`` (or directly in tests)."""

    banned_terms: tuple[TermSpec, ...] = ()
    allowed_domains: frozenset[str] = frozenset()
    rule_configs: Mapping[str, RuleConfig] = field(default_factory=dict)
    find_duplicates: DuplicateFinder | None = None

    def is_enabled(self, code: str) -> bool:
        return self.rule_configs.get(code, RuleConfig()).enabled

    def severity_override(self, code: str) -> Severity | None:
        return self.rule_configs.get(code, RuleConfig()).severity

    def domain_allowed(self, host: str) -> bool:
        """Exact domain or any subdomain of it: "gov.vn" allows "www.chinhphu.gov.vn" but
        not "evilgov.vn" nor "gov.vn.evil.com"."""
        host = normalize_domain(host)
        labels = host.split(".")
        return any(".".join(labels[i:]) in self.allowed_domains for i in range(len(labels)))

    def check_url(self, url: str) -> UrlVerdict:
        """May this URL appear as a link or embedded resource in public content?

        Relative links stay on the site and pass; ``mailto:``/``tel:`` pass here and are left
        to the personal-data rules. Anything a browser could read differently from Python's
        URL parser (backslashes, "https:host" without slashes) is refused outright.
        """
        url = (url or "").translate(_URL_NOISE).strip()
        if not url or url.startswith("#"):
            return _OK
        if "\\" in url or any(ord(c) < 32 for c in url):
            return _INVALID
        try:
            parts: SplitResult = urlsplit(url)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            return _INVALID
        scheme = parts.scheme.lower()
        if scheme in {"mailto", "tel"}:
            return _OK
        if scheme not in {"", "http", "https"}:
            return _INVALID
        if not parts.netloc:
            return _INVALID if scheme else _OK
        host = (parts.hostname or "").rstrip(".")
        if not host:
            return _INVALID
        return _OK if self.domain_allowed(host) else UrlVerdict(False, host)


def _site_domains() -> set[str]:
    """The site's own host names count as allowed: absolute links to our own pages are fine."""
    hosts = set()
    for host in getattr(settings, "ALLOWED_HOSTS", []):
        if host and host != "*" and not host.startswith("["):
            hosts.add(normalize_domain(host))
    return hosts


def _read_configuration() -> tuple[tuple[TermSpec, ...], frozenset[str], dict[str, RuleConfig]]:
    from moderation.models import AllowedDomain, BannedTerm, RuleSetting

    terms = tuple(
        TermSpec(
            phrase=Phrase(term.term),
            category=term.category,
            category_label=str(term.get_category_display()),
            severity=Severity(term.severity),
        )
        for term in BannedTerm.objects.filter(is_active=True).only("term", "category", "severity")
    )
    domains = AllowedDomain.objects.filter(is_active=True).values_list("domain", flat=True)
    configs = {
        code: RuleConfig(enabled=enabled, severity=Severity(severity) if severity else None)
        for code, enabled, severity in RuleSetting.objects.values_list("code", "is_enabled", "severity")
    }
    return terms, frozenset(normalize_domain(d) for d in domains), configs


def load_context(*, find_duplicates: DuplicateFinder | None = None) -> RegulationContext:
    """The admins' configuration: three queries, whatever the number of terms or domains, or
    none while this process's copy is current (``config_cache``)."""
    terms, domains, configs = cached("regulation", _read_configuration)
    return RegulationContext(
        banned_terms=terms,
        allowed_domains=domains | _site_domains(),
        rule_configs=configs,
        find_duplicates=find_duplicates,
    )


def context_for(
    *,
    terms: Iterable[tuple[str, Severity]] = (),
    domains: Iterable[str] = (),
    rule_configs: Mapping[str, RuleConfig] | None = None,
    find_duplicates: DuplicateFinder | None = None,
) -> RegulationContext:
    """A context built from plain values, for previews and tests that need no database."""
    return RegulationContext(
        banned_terms=tuple(TermSpec(Phrase(t), "other", "", Severity(s)) for t, s in terms),
        allowed_domains=frozenset(normalize_domain(d) for d in domains),
        rule_configs=dict(rule_configs or {}),
        find_duplicates=find_duplicates,
    )
