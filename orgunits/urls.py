"""Account security pages, mounted under /tai-khoan/ (see vietfront/urls.py)."""

from django.urls import path

from . import views

app_name = "orgunits"

urlpatterns = [
    path("xac-thuc-hai-lop/", views.otp_verify, name="otp_verify"),
    path("xac-thuc-hai-lop/thiet-lap/", views.otp_setup, name="otp_setup"),
]
