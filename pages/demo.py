"""Demo content: community pages and posts for a few real units, images drawn locally.

Texts were written for this project (they describe typical Front activities; names of people
are initials as in the Front's own photo lines). Nothing is downloaded.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from orgunits.models import OrgUnit, UnitKind

from . import media, services
from .models import CommunityPage, MediaImage, PageStatus, Post, SourceKind, Tag, Topic

# (kind, code) of the units that get a page, from the top down.
DEMO_UNITS: list[tuple[str, str, str]] = [
    (UnitKind.PROVINCE, "01", "Thành phố Hà Nội"),
    (UnitKind.DISTRICT, "006", "Quận Đống Đa"),
    (UnitKind.COMMUNE, "00181", "Phường Văn Miếu Quốc Tử Giám"),
    (UnitKind.DISTRICT, "001", "Quận Ba Đình"),
    (UnitKind.COMMUNE, "00001", "Phường Phúc Xá"),
    (UnitKind.PROVINCE, "27", "Tỉnh Bắc Ninh"),
    (UnitKind.DISTRICT, "256", "Thành phố Bắc Ninh"),
    (UnitKind.COMMUNE, "09163", "Phường Vũ Ninh"),
    (UnitKind.PROVINCE, "68", "Tỉnh Lâm Đồng"),
]


@dataclass
class DemoPost:
    unit_code: str
    title: str
    summary: str
    paragraphs: list[str]
    topic: str
    credit: str
    tags: list[str] = field(default_factory=list)
    publish: bool = False
    colours: tuple[tuple[int, int, int], tuple[int, int, int]] = ((179, 18, 27), (255, 196, 0))


POSTS: list[DemoPost] = [
    DemoPost(
        "01",
        "Hà Nội phát động Ngày hội Đại đoàn kết toàn dân tộc năm 2025",
        "Ủy ban MTTQ Việt Nam thành phố Hà Nội hướng dẫn các khu dân cư tổ chức Ngày hội Đại đoàn kết "
        "toàn dân tộc thiết thực, gắn với kỷ niệm ngày truyền thống Mặt trận 18/11.",
        [
            "Theo kế hoạch, Ngày hội ở các khu dân cư được tổ chức từ ngày 1 đến 18/11, với hai phần lễ và hội. "
            "Phần lễ ôn lại truyền thống vẻ vang của Mặt trận Tổ quốc Việt Nam, biểu dương các gia đình văn hóa tiêu biểu.",
            "Ban Thường trực đề nghị Mặt trận các quận, huyện chú trọng phần hội với các hoạt động thể thao, văn nghệ, "
            "trò chơi dân gian; tránh phô trương, lãng phí, bảo đảm an toàn cho người dân tham gia.",
            "Dịp này, Ủy ban MTTQ thành phố sẽ trao tặng nhà Đại đoàn kết cho các hộ khó khăn về nhà ở "
            "do quỹ “Vì người nghèo” các cấp hỗ trợ.",
        ],
        "hoat-dong-mat-tran", "Ảnh: H.Nguyệt", ["Ngày hội Đại đoàn kết", "Khu dân cư"], publish=True,
    ),
    DemoPost(
        "01",
        "Lấy ý kiến nhân dân về dự thảo sửa đổi, bổ sung Hiến pháp",
        "Mặt trận các cấp trên địa bàn thành phố tổ chức hội nghị lấy ý kiến các tầng lớp nhân dân, "
        "tổng hợp đầy đủ, trung thực gửi cơ quan có thẩm quyền.",
        [
            "Hội nghị có sự tham dự của đại diện các tổ chức thành viên, chuyên gia, trí thức, chức sắc tôn giáo "
            "và người có uy tín trong cộng đồng dân cư.",
            "Các ý kiến tập trung vào quy định về tổ chức chính quyền địa phương, vai trò giám sát và phản biện xã hội "
            "của Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị – xã hội.",
        ],
        "chinh-tri", "Ảnh: T.Lâm", ["Lấy ý kiến nhân dân"], publish=True, colours=((20, 60, 140), (120, 180, 240)),
    ),
    DemoPost(
        "006",
        "Quận Đống Đa trao 120 suất quà Tết từ quỹ “Vì người nghèo”",
        "Ủy ban MTTQ Việt Nam quận Đống Đa phối hợp các phường trao quà Tết cho hộ nghèo, hộ cận nghèo "
        "và gia đình có hoàn cảnh đặc biệt khó khăn.",
        [
            "Mỗi suất quà gồm tiền mặt và nhu yếu phẩm, được trích từ quỹ “Vì người nghèo” của quận cùng "
            "sự chung tay của các doanh nghiệp, nhà hảo tâm trên địa bàn.",
            "Ban Thường trực đề nghị Mặt trận các phường rà soát kỹ danh sách, bảo đảm đúng đối tượng, công khai, "
            "không để hộ nào bị bỏ sót.",
            "Cũng trong đợt này, quận tiếp nhận thêm đăng ký ủng hộ để xây dựng hai nhà Đại đoàn kết trong năm tới.",
        ],
        "xa-hoi", "Ảnh: H.Nguyệt", ["Vì người nghèo", "Tết"], publish=True, colours=((200, 40, 40), (250, 220, 120)),
    ),
    DemoPost(
        "006",
        "Giám sát việc giải quyết kiến nghị của cử tri về trật tự đô thị",
        "Đoàn giám sát của Ủy ban MTTQ quận làm việc với UBND các phường về kết quả giải quyết kiến nghị "
        "của cử tri sau các kỳ tiếp xúc.",
        [
            "Qua giám sát, nhiều kiến nghị về lấn chiếm vỉa hè, thu gom rác thải và chiếu sáng ngõ phố đã được "
            "xử lý dứt điểm; một số việc còn chậm do vướng thủ tục.",
            "Đoàn đề nghị các phường công khai tiến độ giải quyết tại nhà văn hóa tổ dân phố để nhân dân cùng theo dõi.",
        ],
        "hoat-dong-mat-tran", "Ảnh: Q.Anh", ["Giám sát", "Kiến nghị cử tri"], colours=((60, 90, 60), (180, 220, 160)),
    ),
    DemoPost(
        "00181",
        "Phường Văn Miếu Quốc Tử Giám ra mắt trang cộng đồng",
        "Từ tháng này, người dân trong phường có thể theo dõi hoạt động của Mặt trận phường trên "
        "trang cộng đồng chính thức.",
        [
            "Trang cộng đồng đăng tải thông tin chính thống về hoạt động của Mặt trận và các đoàn thể, "
            "lịch tiếp công dân, các cuộc vận động lớn.",
            "Ban Thường trực mong nhận được góp ý của bà con để trang ngày càng gần gũi, hữu ích.",
        ],
        "hoat-dong-mat-tran", "Ảnh: H.Nguyệt", ["Trang cộng đồng"], publish=True, colours=((140, 20, 30), (240, 150, 60)),
    ),
    DemoPost(
        "00181",
        "Tổ dân phố số 5 tổng vệ sinh môi trường đón Tết",
        "Hơn 100 hội viên, đoàn viên và người dân tổ dân phố số 5 tham gia dọn vệ sinh ngõ phố, "
        "trồng thêm cây xanh.",
        [
            "Hoạt động do Ban công tác Mặt trận tổ dân phố phát động, hưởng ứng cuộc vận động "
            "“Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh”.",
            "Sau buổi ra quân, các hộ gia đình cam kết giữ gìn vệ sinh chung, phân loại rác tại nguồn.",
            "Ban công tác Mặt trận sẽ duy trì hoạt động vào sáng Chủ nhật cuối mỗi tháng.",
        ],
        "xa-hoi", "Ảnh: P.Linh", ["Đô thị văn minh", "Môi trường"], colours=((20, 120, 80), (200, 240, 180)),
    ),
    DemoPost(
        "001",
        "Ba Đình tổng kết cuộc vận động “Người Việt Nam ưu tiên dùng hàng Việt Nam”",
        "Hội nghị đánh giá kết quả 15 năm thực hiện cuộc vận động, biểu dương các tập thể, cá nhân tiêu biểu.",
        [
            "Nhiều doanh nghiệp trên địa bàn quận đã chủ động giới thiệu sản phẩm Việt chất lượng cao tại các "
            "phiên chợ và điểm bán hàng lưu động.",
            "Ủy ban MTTQ quận đề nghị tiếp tục tuyên truyền để người tiêu dùng tin dùng hàng Việt, "
            "gắn với phong trào thi đua của các khu dân cư.",
        ],
        "kinh-te", "Ảnh: M.Hà", ["Hàng Việt"], publish=True, colours=((180, 30, 30), (255, 230, 0)),
    ),
    DemoPost(
        "00001",
        "Phường Phúc Xá hỗ trợ hộ gia đình bị ảnh hưởng do mưa lớn",
        "Mặt trận phường kịp thời thăm hỏi, hỗ trợ các hộ ven sông bị ngập sau đợt mưa lớn kéo dài.",
        [
            "Ngay trong đêm, cán bộ Mặt trận và tổ dân phố đã giúp bà con di chuyển tài sản lên nơi cao ráo.",
            "Ủy ban MTTQ phường tiếp nhận ủng hộ của các nhà hảo tâm, công khai danh sách hỗ trợ tại trụ sở.",
        ],
        "xa-hoi", "Ảnh: T.Lâm", ["Cứu trợ"], colours=((30, 70, 130), (150, 200, 230)),
    ),
    DemoPost(
        "27",
        "Bắc Ninh hướng dẫn Mặt trận cấp huyện vận hành trang cộng đồng",
        "Ban Thường trực Ủy ban MTTQ tỉnh ban hành hướng dẫn về quy chế thông tin, tuyên truyền "
        "trong hệ thống trang cộng đồng của Mặt trận các cấp.",
        [
            "Hướng dẫn yêu cầu mọi thông tin đăng tải phải là thông tin chính thống, ghi rõ nguồn, "
            "được người có thẩm quyền duyệt trước khi đăng.",
            "Mặt trận cấp huyện chịu trách nhiệm theo dõi, hỗ trợ trang cộng đồng của các xã, phường, thị trấn; "
            "định kỳ báo cáo kết quả về tỉnh.",
            "Mục tiêu đến cuối năm, 100% Mặt trận cấp huyện và ít nhất 80% Mặt trận cấp xã có trang cộng đồng.",
        ],
        "hoat-dong-mat-tran", "Ảnh: H.Nguyệt", ["Trang cộng đồng", "Quy chế thông tin"], publish=True,
        colours=((150, 10, 20), (250, 180, 60)),
    ),
    DemoPost(
        "27",
        "Phát huy vai trò người có uy tín trong đồng bào có đạo",
        "Hội nghị gặp mặt chức sắc, chức việc các tôn giáo và người có uy tín nhằm tăng cường khối "
        "đại đoàn kết toàn dân tộc.",
        [
            "Các đại biểu chia sẻ kinh nghiệm vận động bà con chấp hành chủ trương của Đảng, chính sách, "
            "pháp luật của Nhà nước, sống “tốt đời, đẹp đạo”.",
            "Ủy ban MTTQ tỉnh ghi nhận các ý kiến, kiến nghị để phản ánh tới cấp ủy, chính quyền.",
        ],
        "van-hoa", "Ảnh: Đ.Khoa", ["Tôn giáo", "Đại đoàn kết"], colours=((90, 40, 120), (220, 190, 240)),
    ),
    DemoPost(
        "256",
        "Thành phố Bắc Ninh phản biện dự thảo quy hoạch khu dân cư mới",
        "Ủy ban MTTQ thành phố tổ chức hội nghị phản biện xã hội, mời đại diện người dân chịu ảnh hưởng tham dự.",
        [
            "Các ý kiến đề nghị làm rõ phương án tái định cư, bố trí đủ trường học, nhà văn hóa và không gian xanh.",
            "Ý kiến phản biện được tổng hợp bằng văn bản, gửi UBND thành phố để hoàn thiện dự thảo.",
        ],
        "kinh-te", "Ảnh: N.Tùng", ["Phản biện xã hội"], publish=True, colours=((40, 40, 40), (200, 200, 200)),
    ),
    DemoPost(
        "09163",
        "Phường Vũ Ninh khánh thành nhà Đại đoàn kết cho hộ cận nghèo",
        "Ngôi nhà được xây dựng từ nguồn quỹ “Vì người nghèo” và sự đóng góp ngày công của bà con khu phố.",
        [
            "Ngôi nhà rộng 60 mét vuông, khởi công từ đầu tháng, hoàn thành trước kế hoạch hai tuần.",
            "Đại diện gia đình xúc động cảm ơn Mặt trận, các đoàn thể và bà con lối xóm đã giúp đỡ.",
            "Mặt trận phường tiếp tục vận động để hỗ trợ thêm một hộ khó khăn về nhà ở trong năm nay.",
        ],
        "xa-hoi", "Ảnh: H.Nguyệt", ["Nhà Đại đoàn kết", "Vì người nghèo"], publish=True,
        colours=((170, 30, 20), (250, 240, 200)),
    ),
    DemoPost(
        "68",
        "Lâm Đồng tuyên truyền bảo vệ rừng đến từng thôn, buôn",
        "Mặt trận các cấp phối hợp lực lượng kiểm lâm tuyên truyền, vận động đồng bào tham gia bảo vệ rừng.",
        [
            "Các buổi tuyên truyền dùng tiếng dân tộc, kết hợp sinh hoạt văn hóa cồng chiêng tại nhà rông.",
            "Nhiều hộ đồng bào đã ký cam kết không phá rừng, không mua bán lâm sản trái phép.",
        ],
        "an-ninh", "Ảnh: K'Brơi", ["Bảo vệ rừng"], colours=((20, 90, 40), (160, 210, 120)),
    ),
    DemoPost(
        "68",
        "Giao lưu hữu nghị với Mặt trận tỉnh bạn Chăm-pa-sắc",
        "Đoàn đại biểu Mặt trận Lào xây dựng đất nước tỉnh Chăm-pa-sắc thăm và làm việc tại Lâm Đồng.",
        [
            "Hai bên trao đổi kinh nghiệm tập hợp, đoàn kết nhân dân và giám sát, phản biện xã hội.",
            "Dịp này, đoàn tham quan mô hình khu dân cư kiểu mẫu và hợp tác xã nông nghiệp công nghệ cao.",
        ],
        "doi-ngoai", "Ảnh: V.Sơn", ["Đối ngoại nhân dân"], publish=True, colours=((20, 40, 120), (240, 60, 60)),
    ),
]


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def draw_demo_image(*, text: str, colours: tuple[tuple[int, int, int], tuple[int, int, int]],
                    size: tuple[int, int] = (1600, 900)) -> bytes:
    """A gradient with a few shapes and the caption drawn on it, as JPEG bytes."""
    width, height = size
    (r1, g1, b1), (r2, g2, b2) = colours
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=(round(r1 + (r2 - r1) * t), round(g1 + (g2 - g1) * t), round(b1 + (b2 - b1) * t)))
    for i in range(6):
        radius = 60 + 40 * i
        cx, cy = width - 220 - 90 * i, 180 + 70 * i
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=(255, 255, 255), width=4)
    draw.rectangle([60, height - 260, width - 60, height - 60], fill=(0, 0, 0))
    font = _font(48)
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > width - 180 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    for i, content in enumerate(lines[:3]):
        draw.text((90, height - 240 + i * 60), content, font=font, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def publish_demo_post_directly(*, post: Post, at: datetime.datetime) -> None:
    """Put a demo post live as imported content (moderation's audited import path).

    Demo data only (the command refuses to run unless DEBUG): the approval queue would need
    demo approvers for every unit. The post still goes live through a revision.
    """
    from moderation.services import post_publish_imported

    post_publish_imported(post=post, by=None, published_at=at, reason="demo content")


def _unit(kind: str, code: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(kind=kind, code=code, is_active=True).first()


@transaction.atomic
def seed_demo_content(*, log=print) -> dict[str, int]:
    """Create (or leave alone) the demo pages, images and posts. Idempotent by natural keys:
    a page per unit, a post per (page, title), an image per (unit, alt text)."""
    counts = {"pages": 0, "posts": 0, "images": 0, "submitted": 0, "skipped_units": 0}
    pages: dict[str, CommunityPage] = {}
    for kind, code, name in DEMO_UNITS:
        unit = _unit(kind, code)
        if unit is None:
            log(f"Skipping {name} (code {code}): not in the unit tree; import the units first.")
            counts["skipped_units"] += 1
            continue
        page = CommunityPage.objects.filter(unit=unit).select_related("unit").first()
        if page is None:
            page = services.page_create(
                unit=unit, by=None, activate=True,
                about=f"Trang thông tin chính thống của Ủy ban MTTQ Việt Nam {unit.name}.",
                # No made-up contact details: the page shows only what its unit fills in.
            )
            counts["pages"] += 1
        elif page.status != PageStatus.ACTIVE:
            services.page_set_status(page=page, status=PageStatus.ACTIVE, by=None)
        pages[code] = page

    topics = {t.slug: t for t in Topic.objects.all()}
    now = timezone.now()
    for index, demo in enumerate(POSTS):
        page = pages.get(demo.unit_code)
        if page is None:
            continue
        unit = page.unit
        if Post.objects.filter(page=page, title=demo.title).exists():
            continue
        alt = f"Hình minh họa: {demo.title}"
        image = MediaImage.objects.filter(unit=unit, alt_text=alt).first()
        if image is None:
            processed = media.process_image(io.BytesIO(draw_demo_image(text=demo.title, colours=demo.colours)))
            image = services.media_image_create(
                unit=unit, image=processed, alt_text=alt, credit=demo.credit, caption=demo.summary[:200],
                by=None, name_hint=demo.title,
            )
            counts["images"] += 1
        post = Post(
            page=page,
            title=demo.title,
            summary=demo.summary,
            body="".join(f"<p>{p}</p>" for p in demo.paragraphs),
            cover=image,
            topic=topics.get(demo.topic),
            source_kind=SourceKind.OWN,
            source_name=page.name,
            author_line=f"Ban Tuyên giáo – Ủy ban MTTQ Việt Nam {unit.name}",
            photo_credit=demo.credit,
        )
        services.post_save(post=post, by=None)
        post.tags.set([Tag.objects.get_or_create(name=t)[0] for t in demo.tags])
        counts["posts"] += 1
        if demo.publish:
            publish_demo_post_directly(post=post, at=now - datetime.timedelta(hours=6 * (len(POSTS) - index)))
        else:
            counts["submitted"] += _submit_as_demo_editor(post, log=log)
    return counts


def _submit_as_demo_editor(post: Post, *, log) -> int:
    """Send an unpublished demo post to the approvers' queue, as an editor of its unit would,
    so the demo approver finds work waiting. Returns 1 when submitted."""
    from moderation.services import RegulationBlocked, post_submit
    from orgunits.models import OrgUnitUserObjectPermission
    from orgunits.roles import Perm

    grant = (
        OrgUnitUserObjectPermission.objects.filter(
            permission__codename=Perm.EDIT,
            user__is_active=True,
            content_object__in=OrgUnit.objects.ancestors_of(post.unit),
        )
        .select_related("user")
        .order_by("-content_object__lft")
        .first()
    )
    if grant is None:
        return 0
    try:
        post_submit(post=post, by=grant.user)
    except RegulationBlocked as exc:
        log(f"Demo post {post.title!r} not submitted: {'; '.join(exc.messages)}")
        return 0
    return 1
