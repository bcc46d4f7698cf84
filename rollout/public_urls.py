"""The public register of documents, under /van-ban/<unit path>/."""

from django.urls import re_path

from . import views

app_name = "documents"

urlpatterns = [
    re_path(r"^(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)/(?P<pk>[0-9]+)/$", views.document_detail, name="detail"),
    re_path(r"^(?P<unit_path>[a-z0-9-]+(?:/[a-z0-9-]+)*)/$", views.documents, name="list"),
]
