"""The admin's "view on site" shortcut, with the object check Django's own lacks.

``django.contrib.contenttypes.views.shortcut`` redirects anyone to any object's public URL by
content type and id. Ids are sequential and a draft's URL carries its slug, made from its
title: the bare shortcut would let any staff user read every draft title in the country. Here
the object is fetched through its ModelAdmin's scoped queryset and view permission, with the
same 404 for missing and forbidden, and the admin may send unpublished objects to a preview.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.cache import never_cache


@never_cache
def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponseRedirect:
    user = request.user
    if not (user.is_active and user.is_staff):
        raise Http404("No such object.")
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist as exc:
        raise Http404("No such object.") from exc
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not object_id.isdigit():
        raise Http404("No such object.")
    obj = model_admin.get_queryset(request).filter(pk=int(object_id)).first()
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404("No such object.")
    if callable(model_admin.view_on_site):
        return HttpResponseRedirect(model_admin.view_on_site(obj))
    if model_admin.view_on_site and hasattr(obj, "get_absolute_url"):
        return HttpResponseRedirect(obj.get_absolute_url())
    raise Http404("No such object.")
