"""/api/v1/: the public read API (``channels.api``)."""

from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("units/", api.unit_list, name="units"),
    path("units/<int:unit_id>/", api.unit_detail, name="unit"),
    path("units/<int:unit_id>/posts/", api.unit_posts, name="unit_posts"),
    path("units/<int:unit_id>/subtree-posts/", api.subtree_posts, name="subtree_posts"),
    path("posts/<int:post_id>/", api.post_detail, name="post"),
]
