"""The staff layer of the benchmark data set, on top of ``seed_bench``'s published posts.

Posts in every workflow state with their revisions and pending submissions, media, documents,
audit rows, takedown requests, and one user per kind of staff: a commune editor, a district
editor, a province approver, a province unit admin, a central super admin, a user with roles in
two provinces and a user whose role comes through a group. Bulk inserts, no signals: it is for
throw-away databases only. Idempotent: a second run finds the users and adds nothing but what
tops the Hà Nội approver's queue up to 1,000 pending submissions.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from PIL import Image

from moderation.models import AuditEntry, Revision, Submission, TakedownRequest
from moderation.routing import approving_unit_for
from orgunits.managers import interval_q
from orgunits.models import OrgUnit, OrgUnitGroupObjectPermission, UnitKind
from orgunits.roles import ROLE_PERMISSION, Role
from orgunits.services import role_grant
from pages.models import CommunityPage, DocumentKind, MediaImage, Post, PostDocument, PostStatus, SourceKind
from pages.sanitize import html_to_text
from vietfront.text import search_key

PASSWORD = "bench-staff-2025"  # noqa: S105 - a throw-away benchmark database
BATCH = 2000

# How many posts of each unpublished state, spread over the pages like seed_bench's.
STATE_COUNTS = {
    PostStatus.DRAFT: 6000,
    PostStatus.SUBMITTED: 1500,
    PostStatus.CHANGES_REQUESTED: 500,
    PostStatus.SCHEDULED: 300,
    PostStatus.WITHDRAWN: 300,
    PostStatus.TAKEN_DOWN: 200,
}
IMAGES = 3000
DOCUMENTS = 2000
AUDIT_OF_PUBLISHED = 40_000
TAKEDOWNS = 60
QUEUE_BELOW_PROVINCE = 1000


@dataclass(frozen=True)
class StaffUser:
    username: str
    label: str


STAFF = (
    StaffUser("bench.xa", "commune editor"),
    StaffUser("bench.huyen", "district editor"),
    StaffUser("bench.duyet.tinh", "province approver"),
    StaffUser("bench.qt.tinh", "province unit admin"),
    StaffUser("bench.trunguong", "central super admin"),
    StaffUser("bench.hai.tinh", "approver in one province, editor in another"),
    StaffUser("bench.nhom", "district editor through a group"),
)


def _busiest(kind: str, *, within: OrgUnit | None = None) -> OrgUnit:
    qs = Post.objects.filter(unit__kind=kind)
    if within is not None:
        qs = qs.filter(unit__in=OrgUnit.objects.in_subtree(within))
    row = qs.values("unit_id").annotate(n=Count("id")).order_by("-n").first()
    if row is None:
        return OrgUnit.objects.filter(kind=kind, is_active=True, page__isnull=False).order_by("code").first()
    return OrgUnit.objects.get(pk=row["unit_id"])


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 30, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def seed_staff(*, seed: int = 2025, log=print) -> None:
    User = get_user_model()
    _fill_search_text(log)
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
    hanoi = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="01")
    if User.objects.filter(username=STAFF[0].username).exists():
        if _seed_queue(rng, hanoi=hanoi, log=log):
            _analyze()
        return
    bacninh = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="27")
    district = _busiest(UnitKind.DISTRICT, within=hanoi)
    commune = _busiest(UnitKind.COMMUNE, within=district)
    other_district = OrgUnit.objects.in_subtree(hanoi).filter(kind=UnitKind.DISTRICT).exclude(pk=district.pk).first()

    with transaction.atomic():
        _seed(rng, hanoi=hanoi, bacninh=bacninh, district=district, commune=commune,
              other_district=other_district, log=log)
    _seed_queue(rng, hanoi=hanoi, log=log)
    _analyze()


def _analyze() -> None:
    # Planner statistics after the bulk inserts, as seed_bench leaves them and as autovacuum
    # would in production: without them PostgreSQL plans the queue for 18 pending rows.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _seed_queue(rng, *, hanoi: OrgUnit, log) -> bool:
    """Top the province approver's queue up to ``QUEUE_BELOW_PROVINCE`` pending submissions
    routed to units of Hà Nội (its districts and communes' posts), the size the queue's budget
    is stated for; the weighted spread above leaves it about a hundred. True if it added any."""
    pending = Submission.objects.filter(
        interval_q(hanoi.tree_id, hanoi.lft, hanoi.rght, "approving_unit__"), state=Submission.State.PENDING
    ).count()
    missing = QUEUE_BELOW_PROVINCE - pending
    if missing > 0:
        below = list(CommunityPage.objects.filter(interval_q(hanoi.tree_id, hanoi.lft, hanoi.rght, "unit__"))
                     .exclude(unit=hanoi).values_list("id", "unit_id", "unit__kind"))
        weights = [8 if kind == UnitKind.DISTRICT else 1 for _, _, kind in below]
        editor = get_user_model().objects.get(username="bench.huyen")
        with transaction.atomic():
            _posts_in_state(rng, PostStatus.SUBMITTED, rng.choices(below, weights=weights, k=missing),
                            editor=editor, now=timezone.now())
        log(f"  {missing} more posts pending below {hanoi.path}")
    _fill_search_text(log)
    return missing > 0


def _seed(rng, *, hanoi, bacninh, district, commune, other_district, log) -> None:
    User = get_user_model()
    users = {s.username: User(username=s.username, first_name=s.label, is_staff=True) for s in STAFF}
    for user in users.values():
        user.set_password(PASSWORD)
    users["bench.trunguong"].is_superuser = True
    User.objects.bulk_create(users.values())
    users = {u.username: u for u in User.objects.filter(username__in=users)}
    for username, role, unit in (
        ("bench.xa", Role.EDITOR, commune),
        ("bench.huyen", Role.EDITOR, district),
        ("bench.duyet.tinh", Role.APPROVER, hanoi),
        ("bench.qt.tinh", Role.UNIT_ADMIN, hanoi),
        ("bench.hai.tinh", Role.APPROVER, hanoi),
        ("bench.hai.tinh", Role.EDITOR, bacninh),
    ):
        role_grant(user=users[username], role=role, unit=unit, by=None)
    group, _ = Group.objects.get_or_create(name=f"Biên tập {other_district.name}")
    OrgUnitGroupObjectPermission.objects.get_or_create(
        group=group, content_object=other_district,
        permission=Permission.objects.get(codename=ROLE_PERMISSION[Role.EDITOR], content_type__app_label="orgunits"),
    )
    users["bench.nhom"].groups.add(group)
    log(f"  staff: commune {commune.path}, district {district.path}, group on {other_district.path}")

    pages = list(CommunityPage.objects.values_list("id", "unit_id", "unit__kind"))
    weights = [{UnitKind.CENTRAL: 400, UnitKind.PROVINCE: 60, UnitKind.DISTRICT: 8}.get(k, 1) for _, _, k in pages]
    # The staff users' own units get their share of every state, so their lists are not empty.
    own = [p for p in pages if p[1] in {commune.pk, district.pk, other_district.pk, hanoi.pk, bacninh.pk}]
    editor = users["bench.huyen"]
    now = timezone.now()
    for status, count in STATE_COUNTS.items():
        chosen = rng.choices(pages, weights=weights, k=count - 10 * len(own)) + own * 10
        _posts_in_state(rng, status, chosen, editor=editor, now=now)
        log(f"  {count} posts {status}")
    _media_and_documents(rng, editor=editor)
    _audit_and_takedowns(rng, editor=editor, now=now)


def _fill_search_text(log) -> None:
    """Staff search reads ``title_key``; data sets seeded before it existed get it now."""
    missing = Post.objects.filter(title_key="").only("id", "title", "summary", "body")
    if not missing.exists():
        return
    done = 0
    while batch := list(missing[:BATCH]):
        for post in batch:
            post.search_text = search_key(f"{post.title} {post.summary} {html_to_text(post.body)}")
            post.title_key = search_key(post.title)
        Post.objects.bulk_update(batch, ["search_text", "title_key"])
        done += len(batch)
    log(f"  search text filled for {done} posts")


def _posts_in_state(rng, status, chosen, *, editor, now) -> None:
    from pages.management.commands.seed_bench import WORDS

    base = Post.objects.count()
    rows = [
        Post(
            page_id=page_id, unit_id=unit_id, title=" ".join(rng.sample(WORDS, 9)).capitalize(),
            slug=f"nhap-{status}-{base + i}", summary=" ".join(rng.sample(WORDS, 20)).capitalize() + ".",
            body="".join(f"<p>{' '.join(rng.sample(WORDS, 40))}.</p>" for _ in range(3)),
            source_kind=SourceKind.OWN, source_name="Ban Tuyên giáo", author_line="Phóng viên", status=status,
            created_by=editor, updated_by=editor, search_text="",  # filled by _fill_search_text
        )
        for i, (page_id, unit_id, _) in enumerate(chosen)
    ]
    Post.objects.bulk_create(rows, batch_size=BATCH)
    if status == PostStatus.DRAFT:
        return
    revisions = Revision.objects.bulk_create(
        [Revision(post_id=p.pk, number=1, title=p.title, summary=p.summary, body=p.body,
                  content={"title": p.title, "summary": p.summary, "body": p.body, "tags": []},
                  content_hash=f"bench-{p.pk}", created_by=editor) for p in rows],
        batch_size=BATCH,
    )
    routes: dict[int, int] = {}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in={p.unit_id for p in rows})}
    for unit_id, unit in units.items():
        routes[unit_id] = approving_unit_for(unit).pk
    state = {
        PostStatus.SUBMITTED: Submission.State.PENDING,
        PostStatus.CHANGES_REQUESTED: Submission.State.SENT_BACK,
    }.get(status, Submission.State.APPROVED)
    Submission.objects.bulk_create(
        [Submission(post_id=p.pk, revision_id=r.pk, approving_unit_id=routes[p.unit_id], state=state,
                    submitted_by=editor,
                    findings=[{"code": "photo_credit", "severity": "warn", "message": "Ảnh chưa ghi nguồn."}],
                    publish_at=now + datetime.timedelta(days=rng.randint(1, 30))
                    if status == PostStatus.SCHEDULED else None)
         for p, r in zip(rows, revisions, strict=True)],
        batch_size=BATCH,
    )


def _media_and_documents(rng, *, editor) -> None:
    image = MediaImage(unit_id=OrgUnit.objects.root_nodes().first().pk, width=1200, height=800,
                       alt_text="Ảnh mẫu", credit="Ảnh: H.Nguyệt", uploaded_by=editor)
    image.file.save("bench.jpg", ContentFile(_jpeg()), save=False)
    posts = list(Post.objects.exclude(status=PostStatus.PUBLISHED).values_list("id", "unit_id"))
    rng.shuffle(posts)
    document = PostDocument(post_id=posts[0][0], title="Kế hoạch mẫu", original_name="ke-hoach.pdf",
                            kind=DocumentKind.PDF, size=0, uploaded_by=editor)
    document.file.save("bench.pdf", ContentFile(b"%PDF-1.4\n% bench\n"), save=False)
    covers = MediaImage.objects.bulk_create(
        [MediaImage(unit_id=unit_id, file=image.file.name, width=1200, height=800, alt_text=f"Ảnh {i}",
                    caption="Hội nghị", credit="Ảnh: H.Nguyệt", uploaded_by=editor)
         for i, (_, unit_id) in enumerate(posts[:IMAGES])],
        batch_size=BATCH,
    )
    for (post_id, _), cover in zip(posts[:IMAGES], covers, strict=True):
        Post.objects.filter(pk=post_id).update(cover_id=cover.pk)
    PostDocument.objects.bulk_create(
        [PostDocument(post_id=post_id, title=f"Tài liệu {i}", file=document.file.name, original_name="ke-hoach.pdf",
                      kind=DocumentKind.PDF, size=17, uploaded_by=editor)
         for i, (post_id, _) in enumerate(posts[:DOCUMENTS])],
        batch_size=BATCH,
    )


def _audit_and_takedowns(rng, *, editor, now) -> None:
    rows = [
        AuditEntry(post_id=post_id, unit_id=unit_id, actor=editor, action="submit", from_state="draft", to_state=status)
        for post_id, unit_id, status in Post.objects.exclude(status=PostStatus.DRAFT).exclude(
            status=PostStatus.PUBLISHED).values_list("id", "unit_id", "status")
    ]
    published = list(Post.objects.filter(status=PostStatus.PUBLISHED).values_list("id", "unit_id")[:AUDIT_OF_PUBLISHED])
    rows += [AuditEntry(post_id=p, unit_id=u, actor=editor, action="publish", from_state="scheduled",
                        to_state="published") for p, u in published]
    AuditEntry.objects.bulk_create(rows, batch_size=BATCH)
    TakedownRequest.objects.bulk_create([
        TakedownRequest(post_id=post_id, source=TakedownRequest.Source.COMPLAINT, requester="Công dân",
                        reason="Thông tin chưa chính xác", received_at=now, deadline=now + datetime.timedelta(hours=48),
                        recorded_by=editor)
        for post_id, _ in rng.sample(published, TAKEDOWNS)
    ])
