"""The information regulation engine: every rule against Vietnamese text, table by table."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse

from moderation.models import AllowedDomain, BannedTerm, RuleSetting
from moderation.rules import (
    ContentForReview,
    ImageRef,
    Rule,
    RuleConfig,
    Severity,
    SourceKind,
    context_for,
    load_context,
    register,
    run_rules,
)

B, W = Severity.BLOCK, Severity.WARN
DOMAINS = ["gov.vn", "mattran.org.vn", "dangcongsan.vn"]


def content(**overrides) -> ContentForReview:
    """A post that passes every rule; each test breaks one thing."""
    values = {
        "title": "Mặt trận phường Văn Miếu ra quân làm sạch đường phố",
        "summary": "Sáng Chủ nhật, hơn 200 hội viên và người dân cùng dọn vệ sinh các tuyến phố.",
        "body_html": "<p>Hưởng ứng phong trào <strong>“Ngày Chủ nhật xanh”</strong>, bà con tham gia đông đủ.</p>",
        "topic_id": 1,
        "topic_name": "Hoạt động Mặt trận",
        "source_kind": SourceKind.OWN,
        "source_name": "Mặt trận phường Văn Miếu",
        "author_line": "H.Nguyệt",
        "images": [("Người dân dọn rác trên phố Văn Miếu", "Ảnh: H.Nguyệt", "Ra quân sáng Chủ nhật")],
    }
    values.update(overrides)
    return ContentForReview(**values)


def review(item: ContentForReview, *, terms=(), configs=None, find_duplicates=None):
    ctx = context_for(terms=terms, domains=DOMAINS, rule_configs=configs, find_duplicates=find_duplicates)
    return run_rules(item, context=ctx)


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_a_clean_post_has_no_finding():
    result = review(content())
    assert result.findings == ()
    assert result.passed


# --- banned terms ------------------------------------------------------------------------------

BANNED_TERM_CASES = [
    # term, text, hit?
    ("phản động", "Luận điệu Phản Động trên mạng", True),
    ("phản động", "PHẢN ĐỘNG", True),
    ("phản động", "luan dieu phan dong", True),
    ("phản động", "Phản dong", True),  # one word without marks: still a dodge
    ("phản động", unicodedata.normalize("NFD", "phản động"), True),  # decomposed input
    ("phản động", "phán đông", False),  # other marks, other words
    ("phản động", "phản độngg", False),
    ("đĩ", "mua đĩa nhạc", False),  # inside a longer word
    ("đĩ", "đi chợ sớm", False),  # same letters, other marks
    ("đĩ", "DI", True),  # unmarked text is ambiguous: reported
    ("lừa", "đốt lửa trại", False),
    ("lừa", "lua dao qua mang", True),
    ("dong", "tỉnh Đồng Nai", True),  # a term without marks means every spelling
    ("dong", "Đông Anh", True),
    ("dong", "dòng sông", True),
    ("dong", "đồng bào", True),
    ("dong", "Đông Dương", True),
    ("dong", "dongxu", False),
    ("ma", "măng tre", False),
    ("ma", "mai vàng", False),
    ("ma", "chuyện con ma", True),
    ("tòa", "toà nhà mới", True),  # old and new tone placement are the same word
    ("hòa bình", "Hoà   Bình", True),
    ("cờ bạc", "chơi cờ vua, bạc màu", False),
    ("cờ bạc", "tệ nạn CỜ BẠC", True),
]


@pytest.mark.parametrize(("term", "text", "hit"), BANNED_TERM_CASES)
def test_banned_terms(term, text, hit):
    result = review(content(summary=text), terms=[(term, B)])
    found = [f for f in result.findings if f.code == "banned_terms" and f.field == "summary"]
    assert bool(found) is hit, found
    if hit:
        assert text[found[0].start : found[0].end] == found[0].passage
        assert found[0].message.startswith("Tóm tắt: có từ ngữ thuộc danh mục cấm “")


def test_banned_term_in_body_is_located_in_the_raw_html():
    html = "<p>Tin &amp; ảnh: luận điệu <b>phản</b> động</p>"
    result = review(content(body_html=html), terms=[("phản động", B)])
    (finding,) = result.findings
    assert finding.field == "body_html"
    assert finding.passage == "phản động"
    assert html[finding.start : finding.end] == "phản</b> động"


def test_banned_term_keeps_its_own_severity_and_reports_a_passage_once():
    result = review(content(title="Cảnh giác với tin giả về Đồng Nai"), terms=[("dong", W), ("đồng", B)])
    (finding,) = [f for f in result.findings if f.field == "title"]
    assert finding.severity == B


# --- personal data -----------------------------------------------------------------------------

PHONE_CASES = [
    ("Liên hệ chị Lan 0912345678.", "0912345678", B),
    ("SĐT: 0912 345 678", "0912 345 678", B),
    ("gọi 0912.345.678 để đăng ký", "0912.345.678", B),
    ("gọi 0912-345-678", "0912-345-678", B),
    ("số 0387 654 321 và 2 người khác", "0387 654 321", B),
    ("+84 912 345 678", "+84 912 345 678", B),
    ("+84912345678", "+84912345678", B),
    ("(+84) 912 345 678", "(+84) 912 345 678", B),
    ("Văn phòng: (024) 3825 1234", "(024) 3825 1234", W),  # landlines are mostly offices'
    ("ĐT 024.3825.1234", "024.3825.1234", W),
    ("ĐT 0243 825 1234", "0243 825 1234", W),
]

NOT_A_PHONE = [
    "ủng hộ 1.000.000 đồng",
    "tổng cộng 2.000.000.000 đồng",
    "năm 2025 và năm 1945",
    "ngày 09.12.2024",
    "ngày 12/05/2025",
    "mã số thuế 0101234567",
    "đường dây nóng 1900 1234",
    "Quyết định số 1234/QĐ-UBND",
    "số 09123456789 có 11 chữ số",
    "tăng 0,5% so với 2024",
]


@pytest.mark.parametrize(("text", "passage", "severity"), PHONE_CASES)
def test_phone_numbers_written_several_ways(text, passage, severity):
    result = review(content(summary=text))
    (finding,) = result.findings
    assert (finding.code, finding.passage, finding.severity) == ("personal_data.phone", passage, severity)
    assert text[finding.start : finding.end] == passage


@pytest.mark.parametrize("text", NOT_A_PHONE)
def test_numbers_that_are_not_personal_data(text):
    assert review(content(summary=text)).findings == ()


def test_phone_message_names_the_field_and_quotes_the_number():
    (finding,) = review(content(title="Ông Nguyễn Văn An, SĐT 0912 345 678, đã ủng hộ quỹ")).findings
    assert finding.message == (
        "Tiêu đề: có số điện thoại cá nhân “0912 345 678” — quy chế không cho phép công khai "
        "thông tin cá nhân của người dân."
    )


def test_phone_in_body_across_entities_and_in_tel_links():
    html = '<p>Gọi 0912&nbsp;345&nbsp;678 hoặc <a href="tel:0987654321">bấm đây</a></p>'
    found = review(content(body_html=html)).findings
    assert [f.passage for f in found] == ["0912\xa0345\xa0678", "0987654321"]
    assert html[found[0].start : found[0].end] == "0912&nbsp;345&nbsp;678"
    assert html[found[1].start : found[1].end] == '<a href="tel:0987654321">'


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("CCCD số 001203012345", True),
        ("CCCD 001 203 012 345", True),
        ("CCCD 001.203.012.345", True),
        ("số 100000000000", False),  # a 12-digit number not starting with a province code
        ("mã 099203012345", False),  # no province 099
        ("số 0012030123456", False),  # 13 digits
        ("ủng hộ 1.000.000.000.000 đồng", False),
        ("mã hồ sơ 001203", False),
    ],
)
def test_citizen_id_numbers(text, hit):
    found = [f for f in review(content(summary=text)).findings if f.code == "personal_data.national_id"]
    assert bool(found) is hit


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Gửi ý kiến về nguyenvana@gmail.com nhé", True),
        ("email: Tran.Thi-B+mt@yahoo.com.vn.", True),
        ("Văn phòng: mattranvanmieu@hanoi.gov.vn", False),  # an official address
        ("Ảnh: H.Nguyệt, @MTTQ", False),
    ],
)
def test_email_addresses(text, hit):
    found = [f for f in review(content(summary=text)).findings if f.code == "personal_data.email"]
    assert bool(found) is hit


def test_email_in_mailto_link():
    html = '<p><a href="mailto:ng.van.a@gmail.com?subject=hi">liên hệ</a></p>'
    found = review(content(body_html=html)).findings
    assert [(f.code, f.passage) for f in found] == [("personal_data.email", "ng.van.a@gmail.com")]


# --- links -------------------------------------------------------------------------------------

LINK_CASES = [
    ("https://www.chinhphu.gov.vn/bai-viet", True),
    ("http://gov.vn", True),
    ("https://GOV.VN./x", True),
    ("https://mattran.org.vn/tin-tuc?id=1#a", True),
    ("/ha-noi/dong-da/bai-viet", True),
    ("bai-viet-khac", True),
    ("#muc-1", True),
    ("https://gov.vn.evil.com/", False),
    ("https://evilgov.vn/", False),
    ("https://gov.vn@evil.com/", False),
    ("//evil.com/x", False),
    ("https://evil.com\\@gov.vn/", False),
    ("https:evil.com", False),
    ("javascript:alert(1)", False),
    ("java\tscript:alert(1)", False),
    ("data:text/html;base64,PHNjcmlwdD4=", False),
    ("ftp://gov.vn/file", False),
    ("https://gov.vn:99999/", False),
    ("https://facebook.com/mattran", False),
]


@pytest.mark.parametrize(("url", "allowed"), LINK_CASES)
def test_links_only_to_allowed_domains(url, allowed):
    html = f'<p>Xem <a href="{url}">tại đây</a>.</p>'
    found = [f for f in review(content(body_html=html)).findings if f.code == "links.domains"]
    assert (not found) is allowed, found
    if found:
        assert found[0].severity == B
        assert html[found[0].start : found[0].end].startswith("<a ")


def test_embedded_resources_are_checked_too():
    html = (
        '<p><img src="https://cdn.evil.com/a.jpg" alt="a">'
        '<img srcset="https://mattran.org.vn/a.jpg 1x, https://tracker.com/b.jpg 2x" alt="b">'
        '<iframe src="https://www.youtube.com/embed/x"></iframe></p>'
    )
    found = review(content(body_html=html)).findings
    assert [f.passage for f in found] == [
        "https://cdn.evil.com/a.jpg",
        "https://tracker.com/b.jpg",
        "https://www.youtube.com/embed/x",
    ]
    assert "tên miền “cdn.evil.com” không thuộc danh sách" in found[0].message


def test_source_url_outside_the_list_warns_and_a_bad_one_blocks():
    external = {"source_kind": SourceKind.EXTERNAL, "source_name": "Báo Nhân Dân"}
    (warning,) = review(content(source_url="https://nhandan.vn/bai", **external)).findings
    assert (warning.code, warning.severity, warning.field) == ("links.source_url", W, "source_url")
    assert review(content(source_url="https://baochinhphu.gov.vn/bai", **external)).findings == ()
    (bad,) = review(content(source_url="javascript:alert(1)", **external)).findings
    assert (bad.code, bad.severity) == ("links.source_url", B)


# --- required fields, images, title ------------------------------------------------------------

REQUIRED_CASES = [
    ({"title": "  "}, ["title"]),
    ({"summary": ""}, ["summary"]),
    ({"topic_id": None}, []),  # the topic name still names it
    ({"topic_id": None, "topic_name": ""}, ["topic"]),
    ({"source_name": ""}, ["source_name"]),
    ({"source_kind": SourceKind.EXTERNAL, "source_url": ""}, ["source_url"]),
    ({"documents": [("", "/media/tai-lieu.pdf")]}, ["documents[0].title"]),
]


@pytest.mark.parametrize(("overrides", "fields"), REQUIRED_CASES)
def test_required_fields(overrides, fields):
    found = [f for f in review(content(**overrides)).findings if f.code == "required_fields"]
    assert [f.field for f in found] == fields
    assert all(f.severity == B for f in found)


def test_every_image_needs_alt_text_and_a_credit():
    images = [ImageRef("Hội nghị", "Ảnh: H.Nguyệt"), ("", "Ảnh: T.Lan", ""), ("Trao quà", "", "")]
    found = review(content(images=images)).findings
    assert [(f.code, f.field) for f in found] == [("images", "images[1].alt"), ("images", "images[2].credit")]
    assert found[0].message.startswith("Ảnh 2: thiếu mô tả ảnh (alt)")
    # The post's photo line credits images without their own credit.
    assert review(content(images=images[2:], photo_credit="Ảnh: H.Nguyệt")).findings == ()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ĐẠI HỘI MẶT TRẬN TỔ QUỐC PHƯỜNG VĂN MIẾU", ["title.all_caps"]),
        ("ĐẠI HỘI ĐẠI BIỂU MTTQ VIỆT NAM LẦN THỨ X", ["title.all_caps"]),
        ("Đại hội MTTQ phường Văn Miếu nhiệm kỳ 2024–2029", []),
        ("Ngắn quá", ["title.length"]),
        ("Tin " + "rất dài " * 20, ["title.length"]),
        ("Mười ký tự", []),
    ],
)
def test_title_rules(title, expected):
    assert codes(review(content(title=title))) == expected


# --- press-outlet wording, duplicates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "passages"),
    [
        ({"summary": "Phóng viên Trang cộng đồng ghi nhận tại hội nghị"}, ["Phóng viên"]),
        ({"body_html": "<p>Toà soạn xin cảm ơn bạn đọc.</p>"}, ["Toà soạn"]),
        ({"author_line": "Tổng biên tập: Nguyễn Văn An"}, ["Tổng biên tập"]),
        ({"source_name": "Tạp chí phường Văn Miếu"}, ["Tạp chí"]),
        (
            {
                "source_kind": SourceKind.EXTERNAL,
                "source_name": "Báo điện tử Đảng Cộng sản Việt Nam",
                "source_url": "https://dangcongsan.vn/bai",
            },
            [],
        ),
        ({"summary": "Phòng viên chức, viên phóng"}, []),
    ],
)
def test_press_outlet_wording_warns(overrides, passages):
    found = review(content(**overrides)).findings
    assert [f.passage for f in found] == passages
    assert all(f.code == "press_wording" and f.severity == W for f in found)
    if found:
        assert "Nghị định 147/2024/NĐ-CP" in found[0].message


def test_duplicate_in_subtree_warns_when_the_workflow_supplies_a_finder():
    seen = []

    def find(item):
        seen.append(item)
        return [("Ra quân làm sạch đường phố", "/ha-noi/dong-da/ra-quan")]

    (finding,) = review(content(), find_duplicates=find).findings
    assert (finding.code, finding.severity) == ("duplicate", W)
    assert "/ha-noi/dong-da/ra-quan" in finding.message
    assert len(seen) == 1
    assert review(content(), find_duplicates=None).findings == ()


# --- the engine --------------------------------------------------------------------------------


def test_every_finding_is_reported_together():
    item = content(
        title="ĐẠI HỘI PHẢN ĐỘNG",
        summary="",
        source_name="",
        body_html='<p>Liên hệ 0912 345 678, <a href="https://evil.com">xem</a>. Phóng viên đưa tin.</p>',
        images=[("", "", "")],
    )
    result = review(item, terms=[("phản động", B)])
    assert set(codes(result)) == {
        "required_fields",
        "images",
        "title.all_caps",
        "banned_terms",
        "press_wording",
        "links.domains",
        "personal_data.phone",
    }
    assert {f.code for f in result.warnings} == {"title.all_caps", "press_wording"}
    assert not result.passed
    assert result.as_dicts()[0]["code"] == "required_fields"


def test_configured_severity_and_switches():
    item = content(summary="Liên hệ 0912345678")
    assert review(item).blocking
    relaxed = review(item, configs={"personal_data.phone": RuleConfig(severity=W)})
    assert relaxed.passed and [f.code for f in relaxed.warnings] == ["personal_data.phone"]
    assert review(item, configs={"personal_data.phone": RuleConfig(enabled=False)}).findings == ()


def test_rule_codes_are_unique():
    class Clash(Rule):
        code = "duplicate"

    with pytest.raises(ValueError, match="already taken"):
        register(Clash)


# --- configuration from the database -----------------------------------------------------------


@pytest.mark.django_db
def test_seeded_domains_and_settings():
    assert {"gov.vn", "mattran.org.vn", "dangcongsan.vn", "daidoanket.vn"} <= set(
        AllowedDomain.objects.values_list("domain", flat=True)
    )
    assert RuleSetting.objects.filter(code="personal_data.phone", severity="").exists()


@pytest.mark.django_db
def test_context_loads_in_a_constant_number_of_queries(django_assert_num_queries):
    BannedTerm.objects.bulk_create(BannedTerm(term=f"từ cấm {n}") for n in range(40))
    AllowedDomain.objects.bulk_create(AllowedDomain(domain=f"so{n}.gov.vn") for n in range(20))
    with django_assert_num_queries(3):
        context = load_context()
    with django_assert_num_queries(0):
        run_rules(content(summary="có từ cấm 7 ở đây"), context=context)
    assert len(context.banned_terms) == 40


@pytest.mark.django_db
def test_admin_settings_change_the_outcome_without_a_restart():
    item = content(summary="Hotline của bà Lan: 0912 345 678 — không có luận điệu phản động")
    BannedTerm.objects.create(term="  Phản   Động ", category=BannedTerm.Category.POLITICAL)
    result = run_rules(item, context=load_context())
    assert sorted(f.code for f in result.blocking) == ["banned_terms", "personal_data.phone"]
    assert "(Chính trị, xuyên tạc, chống phá)" in result.blocking[0].message

    RuleSetting.objects.filter(code="personal_data.phone").update(severity=Severity.WARN)
    BannedTerm.objects.filter(term="phản động").update(is_active=False)
    result = run_rules(item, context=load_context())
    assert result.passed
    assert [f.code for f in result.warnings] == ["personal_data.phone"]

    RuleSetting.objects.filter(code="personal_data.phone").update(is_enabled=False)
    assert run_rules(item, context=load_context()).findings == ()


@pytest.mark.django_db
def test_configuration_is_stored_normalised():
    term = BannedTerm.objects.create(term="  Phản   ĐỘNG ")
    assert term.term == "phản động"
    domain = AllowedDomain.objects.create(domain="https://WWW.Hanoi.GOV.VN/trang-chu")
    assert domain.domain == "www.hanoi.gov.vn"
    assert load_context().domain_allowed("tin.www.hanoi.gov.vn")


# --- admin: central staff only -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["bannedterm", "alloweddomain", "rulesetting"])
def test_only_superusers_manage_the_regulation(client, admin_client, django_user_model, model):
    changelist = reverse(f"admin:moderation_{model}_changelist")
    add = reverse(f"admin:moderation_{model}_add")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(add).status_code == 200
    staff = django_user_model.objects.create_user("canbo", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(changelist).status_code == 403
    assert client.get(add).status_code == 403


@pytest.mark.django_db
def test_admin_rule_setting_form_offers_the_rules_in_code(admin_client):
    response = admin_client.get(reverse("admin:moderation_rulesetting_add"))
    assert b"personal_data.national_id" in response.content
    setting = RuleSetting.objects.get(code="duplicate")
    response = admin_client.post(
        reverse("admin:moderation_rulesetting_change", args=[setting.pk]),
        {"code": "duplicate", "is_enabled": "on", "severity": "block", "note": ""},
    )
    assert response.status_code == 302
    assert load_context().severity_override("duplicate") == Severity.BLOCK
