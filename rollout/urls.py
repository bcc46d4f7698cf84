"""The rollout dashboard, under /bang-dieu-khien/."""

from django.urls import path

from . import views

app_name = "rollout"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("danh-sach/", views.units, name="units"),
    path("xuat/<slug:key>.<str:fmt>", views.export, name="export"),
]
