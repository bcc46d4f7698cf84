"""/api/v1/: the public read API (``channels.api``) and its OpenAPI schema."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from .api import views
from .api.rendering import not_found

app_name = "api"

urlpatterns = [
    path("units/", views.UnitList.as_view(), name="units"),
    path("units/<int:unit_id>/", views.UnitDetail.as_view(), name="unit"),
    path("units/<int:unit_id>/posts/", views.UnitPosts.as_view(), name="unit_posts"),
    path("units/<int:unit_id>/subtree-posts/", views.SubtreePosts.as_view(), name="subtree_posts"),
    path("topics/", views.TopicList.as_view(), name="topics"),
    path("topics/<slug:slug>/posts/", views.TopicPosts.as_view(), name="topic_posts"),
    path("search/", views.Search.as_view(), name="search"),
    path("posts/<int:post_id>/", views.PostDetail.as_view(), name="post"),
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    re_path(r"^(?P<rest>[\s\S]*)\Z", not_found),  # [\s\S]: a newline in the path too
]
