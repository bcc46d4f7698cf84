"""Public URLs. Unit paths are slugs joined by "/" (``ha-noi/quan-dong-da``); the central unit
lives at the root. Fixed words (``bai-viet``, ``chu-de``, ``rss``...) come before the unit
pattern, which would otherwise read them as units; no unit slug is one of them."""

from django.urls import path, re_path

from . import feeds, views

app_name = "public"

UNIT = r"(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)"
SLUG = r"(?P<slug>[a-z0-9-]+)"

urlpatterns = [
    path("", views.unit_page, name="home"),
    path("tim-kiem/", views.search, name="search"),
    path("tim-kiem/don-vi/", views.unit_suggestions, name="search_units"),
    path("danh-ba/", views.directory_page, name="directory"),
    path("the/<slug:slug>/", views.tag_page, name="tag"),
    path("tai-lieu/<int:pk>/", views.document_download, name="document"),
    # The central unit's own views, at the root.
    path("bai-viet/", views.archive, name="central_archive"),
    re_path(rf"^bai-viet/{SLUG}/$", views.post_detail, name="central_post"),
    re_path(rf"^chu-de/{SLUG}/$", views.topic_page, name="central_topic"),
    path("rss/", feeds.rss, name="central_feed_rss"),
    path("atom/", feeds.atom, name="central_feed_atom"),
    path("rss/tat-ca/", feeds.rss_all, name="central_feed_rss_all"),
    path("atom/tat-ca/", feeds.atom_all, name="central_feed_atom_all"),
    # Every other unit's, under its path.
    re_path(rf"^{UNIT}/bai-viet/$", views.archive, name="archive"),
    re_path(rf"^{UNIT}/bai-viet/{SLUG}/$", views.post_detail, name="post"),
    re_path(rf"^{UNIT}/chu-de/{SLUG}/$", views.topic_page, name="topic"),
    re_path(rf"^{UNIT}/rss/$", feeds.rss, name="feed_rss"),
    re_path(rf"^{UNIT}/atom/$", feeds.atom, name="feed_atom"),
    re_path(rf"^{UNIT}/rss/tat-ca/$", feeds.rss_all, name="feed_rss_all"),
    re_path(rf"^{UNIT}/atom/tat-ca/$", feeds.atom_all, name="feed_atom_all"),
    re_path(rf"^{UNIT}/$", views.unit_page, name="unit"),
]
