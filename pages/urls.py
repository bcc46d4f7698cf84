from django.urls import path, re_path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    re_path(r"^(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)/$", views.unit_page, name="unit"),
]
