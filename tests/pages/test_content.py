"""Pages, posts, topics: status history, slugs, search keys, NFC, sanitising, tree queries."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pages import services
from pages.models import CommunityPage, PageStatus, PageStatusChange, Post, PostStatus, Tag, Topic
from pages.sanitize import sanitize_html

from .conftest import make_post, make_user, publish_post

pytestmark = pytest.mark.django_db


def test_topics_are_seeded_in_order():
    assert list(Topic.objects.values_list("name", flat=True)) == [
        "Chính trị", "Kinh tế", "Văn hóa", "Xã hội", "Quốc phòng", "An ninh", "Đối ngoại", "Hoạt động Mặt trận",
    ]
    assert Topic.objects.get(name="Đối ngoại").slug == "doi-ngoai"


def test_page_defaults_and_one_per_unit(tree):
    page = services.page_create(unit=tree.dongda, by=None)
    assert page.name == "Mặt trận Quận Đống Đa"
    assert page.status == PageStatus.ACTIVE
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        services.page_create(unit=tree.dongda, by=None)


def test_page_status_history_and_suspension_reason(tree):
    page = services.page_create(unit=tree.vanmieu, by=None, activate=False)
    assert page.status == PageStatus.NOT_SET_UP
    services.page_set_status(page=page, status=PageStatus.ACTIVE, by=None)
    with pytest.raises(ValidationError):
        services.page_set_status(page=page, status=PageStatus.SUSPENDED, by=None)
    services.page_set_status(page=page, status=PageStatus.SUSPENDED, by=None, reason="Đăng tin chưa được duyệt")
    page.refresh_from_db()
    assert page.status == PageStatus.SUSPENDED and page.suspension_reason == "Đăng tin chưa được duyệt"
    assert page.status_changed_at is not None
    services.page_set_status(page=page, status=PageStatus.SUSPENDED, by=None, reason="lặp lại")  # no-op
    services.page_set_status(page=page, status=PageStatus.ACTIVE, by=None)
    page.refresh_from_db()
    assert page.suspension_reason == ""
    moves = list(PageStatusChange.objects.filter(page=page).order_by("at", "id").values_list("from_status", "to_status"))
    assert moves == [("not_set_up", "active"), ("active", "suspended"), ("suspended", "active")]
    with pytest.raises(ValidationError):
        services.page_set_status(page=page, status=PageStatus.NOT_SET_UP, by=None)


@pytest.mark.parametrize(
    ("current", "new", "reason", "refused"),
    [
        (PageStatus.NOT_SET_UP, PageStatus.ACTIVE, "", set()),
        (PageStatus.NOT_SET_UP, PageStatus.CLOSED, "", set()),
        (PageStatus.NOT_SET_UP, PageStatus.SUSPENDED, "lý do", {"status"}),
        (PageStatus.ACTIVE, PageStatus.SUSPENDED, "lý do", set()),
        (PageStatus.ACTIVE, PageStatus.SUSPENDED, " ", {"reason"}),
        (PageStatus.ACTIVE, PageStatus.NOT_SET_UP, "", {"status"}),
        (PageStatus.SUSPENDED, PageStatus.ACTIVE, "", set()),
        (PageStatus.SUSPENDED, PageStatus.SUSPENDED, "", {"reason"}),
        (PageStatus.CLOSED, PageStatus.ACTIVE, "", set()),
        (PageStatus.CLOSED, PageStatus.SUSPENDED, "", {"status", "reason"}),
        (PageStatus.ACTIVE, PageStatus.ACTIVE, "", set()),
        (PageStatus.ACTIVE, "deleted", "", {"status"}),
    ],
)
def test_page_status_moves_allowed_and_refused(current, new, reason, refused):
    if not refused:
        services.page_status_check(current=current, status=new, reason=reason)
        return
    with pytest.raises(ValidationError) as exc:
        services.page_status_check(current=current, status=new, reason=reason)
    assert set(exc.value.message_dict) == refused


def test_page_status_needs_unit_admin_role(tree):
    page = services.page_create(unit=tree.dongda, by=None)
    editor = make_user("bt", ("edit_content", tree.dongda))
    with pytest.raises(PermissionDenied):
        services.page_set_status(page=page, status=PageStatus.CLOSED, by=editor)
    province_admin = make_user("qt", ("admin_unit", tree.hanoi))
    services.page_set_status(page=page, status=PageStatus.CLOSED, by=province_admin)
    assert CommunityPage.objects.get(pk=page.pk).status == PageStatus.CLOSED


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("zalo_url", "https://zalo.me/123456789", True),
        ("zalo_url", "https://evil.example/zalo.me", False),
        ("zalo_url", "http://zalo.me/1", False),
        ("facebook_url", "https://www.facebook.com/mttq.hanoi", True),
        ("facebook_url", "https://facebook.com.evil.example/x", False),
    ],
)
def test_social_links_are_validated(tree, field, value, ok):
    page = CommunityPage(unit=tree.dongda, **{field: value})
    if ok:
        page.full_clean(exclude=["avatar", "cover"])
    else:
        with pytest.raises(ValidationError) as exc:
            page.full_clean(exclude=["avatar", "cover"])
        assert field in exc.value.message_dict


def test_post_defaults_slug_unit_and_search_text(pages):
    post = make_post(pages["dongda"], title="Đống Đa trao quà “Vì người nghèo”", summary="Tết ấm")
    assert post.status == PostStatus.DRAFT and post.published_at is None
    assert post.unit_id == pages["dongda"].unit_id
    assert post.slug == "dong-da-trao-qua-vi-nguoi-ngheo"
    second = make_post(pages["dongda"], title="Đống Đa trao quà “Vì người nghèo”")
    third = make_post(pages["dongda"], title="Đống Đa trao quà Vì người nghèo")
    assert (second.slug, third.slug) == ("dong-da-trao-qua-vi-nguoi-ngheo-2", "dong-da-trao-qua-vi-nguoi-ngheo-3")
    elsewhere = make_post(pages["badinh"], title="Đống Đa trao quà “Vì người nghèo”")
    assert elsewhere.slug == "dong-da-trao-qua-vi-nguoi-ngheo"
    assert "dong da trao qua" in post.search_text and "tet am" in post.search_text
    assert Post.objects.filter(search_text__contains="vi nguoi ngheo").count() == 4


def test_post_save_retries_a_slug_taken_by_a_concurrent_writer(pages):
    make_post(pages["dongda"], title="Hội nghị giám sát")
    # As if another editor saved the same title between our slug read and our insert.
    racing = services.post_save(post=Post(page=pages["dongda"], title="Hội nghị giám sát", slug="hoi-nghi-giam-sat"), by=None)
    assert racing.pk is not None and racing.slug == "hoi-nghi-giam-sat-2"


def test_vocabulary_names_are_nfc_and_slugged():
    tag = Tag.objects.create(name=unicodedata.normalize("NFD", " Đại đoàn kết "))
    assert (tag.name, tag.slug) == ("Đại đoàn kết", "dai-doan-ket")
    assert Tag.objects.create(name="!!!").slug == "the"
    topic = Topic.objects.create(name=unicodedata.normalize("NFD", "Môi trường"), order=9)
    assert (topic.name, topic.slug, str(topic)) == ("Môi trường", "moi-truong", "Môi trường")


def test_post_queryset_published_and_in_subtree(pages, tree):
    from django.utils import timezone

    a = make_post(pages["vanmieu"], title="Văn Miếu")
    b = make_post(pages["phucxa"], title="Phúc Xá")
    make_post(pages["dongda"], title="Đống Đa")
    publish_post(a)
    publish_post(b)
    assert set(Post.objects.published().values_list("title", flat=True)) == {"Văn Miếu", "Phúc Xá"}
    assert set(Post.objects.in_subtree(tree.dongda).values_list("title", flat=True)) == {"Văn Miếu", "Đống Đa"}
    assert set(Post.objects.published().in_subtree(tree.hanoi).values_list("title", flat=True)) == {"Văn Miếu", "Phúc Xá"}
    future = make_post(pages["hanoi"], title="Sắp đăng")
    publish_post(future, at=timezone.now() + timezone.timedelta(hours=1))
    assert not Post.objects.published().filter(pk=future.pk).exists()


def test_vietnamese_text_is_stored_nfc_and_round_trips(pages):
    title = "Ngày hội Đại đoàn kết toàn dân tộc ở Phường Văn Miếu Quốc Tử Giám"
    decomposed = unicodedata.normalize("NFD", title)
    assert decomposed != title
    body_nfd = unicodedata.normalize("NFD", "<p>Quỹ “Vì người nghèo” – Ảnh: H.Nguyệt</p>")
    post = make_post(pages["vanmieu"], title=decomposed, summary=unicodedata.normalize("NFD", "Sắp tới"), body=body_nfd)
    post = Post.objects.get(pk=post.pk)
    assert post.title == title
    assert post.summary == "Sắp tới"
    assert post.body == "<p>Quỹ “Vì người nghèo” – Ảnh: H.Nguyệt</p>"
    # Saving again changes nothing: sanitising is idempotent.
    services.post_save(post=post, by=None)
    assert Post.objects.get(pk=post.pk).body == post.body


HOSTILE = [
    '<script>alert(1)</script><p>ok</p>',
    '<img src="/media/images/1/a.jpg" onerror="alert(1)">',
    '<a href="javascript:alert(1)">bấm</a>',
    '<a href="JaVaScRiPt:alert(1)">bấm</a>',
    '<a href="  javascript:alert(1)">bấm</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<style>body{display:none}</style>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="https://evil.example/track.gif">',
    '<svg onload="alert(1)"><circle/></svg>',
    '<object data="x.swf"></object><embed src="x">',
    '<p onclick="alert(1)" class="x" id="y">x</p>',
    '<form action="https://evil.example"><input name="a"></form>',
    '<!-- <script>alert(1)</script> -->',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


@pytest.mark.parametrize("markup", HOSTILE)
def test_hostile_html_comes_out_harmless(markup):
    cleaned = sanitize_html(markup).lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "style", "data:", "<svg",
                "<object", "<embed", "<form", "<input", "evil.example", "<!--", "<math"):
        assert bad not in cleaned, (markup, cleaned)


def test_allowed_html_is_kept_and_links_get_rel():
    markup = (
        '<h2>Tiêu đề</h2><p><strong>đậm</strong> <em>nghiêng</em> <u>gạch</u> <s>xóa</s><br></p>'
        '<ul><li>một</li></ul><ol><li>hai</li></ol><blockquote>trích</blockquote>'
        '<figure><img src="/media/images/3/anh.jpg" alt="Ảnh" width="640" height="480"><figcaption>Ảnh: H.Nguyệt</figcaption></figure>'
        '<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table><hr>'
        '<p><a href="https://mattran.org.vn/" title="MTTQ">liên kết</a> <a href="mailto:a@b.vn">thư</a></p>'
    )
    cleaned = sanitize_html(markup)
    for kept in ("<h2>", "<strong>", "<em>", "<u>", "<s>", "<br>", "<ul>", "<ol>", "<blockquote>", "<figure>",
                 'src="/media/images/3/anh.jpg"', 'width="640"', "<figcaption>", "<table>", "<th>", "<td>", "<hr>",
                 'href="https://mattran.org.vn/"', 'title="MTTQ"', 'href="mailto:a@b.vn"'):
        assert kept in cleaned, kept
    assert cleaned.count('rel="noopener noreferrer"') == 2


def test_trix_markup_becomes_allowed_tags():
    assert sanitize_html("<div>Đoạn một<br>dòng hai</div><h1>Mục</h1><del>bỏ</del>") == (
        "<p>Đoạn một<br>dòng hai</p><h2>Mục</h2><s>bỏ</s>"
    )


def test_public_post_page_shows_only_published_posts(client, pages):

    post = make_post(pages["vanmieu"], title="Ra mắt trang cộng đồng", body="<p>Nội dung</p>")
    assert post.get_absolute_url() == f"/{post.unit.path}/bai-viet/ra-mat-trang-cong-dong/"
    assert client.get(post.get_absolute_url()).status_code == 404
    publish_post(post)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200 and "Ra mắt trang cộng đồng" in response.content.decode()
    assert "Bản xem trước" not in response.content.decode()
    assert client.get(f"/{post.unit.path}/").status_code == 200  # the unit page still resolves
