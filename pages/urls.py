from django.urls import path, re_path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    # Before the unit pattern: no unit path can start with a digit segment after "tai-lieu",
    # and no province is named "tai-lieu".
    path("tai-lieu/<int:pk>/", views.document_download, name="document"),
    # Before the unit pattern, which would otherwise read "bai-viet/<slug>" as two more units.
    re_path(r"^(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)/bai-viet/(?P<slug>[a-z0-9-]+)/$", views.post_detail, name="post"),
    re_path(r"^(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)/$", views.unit_page, name="unit"),
]
