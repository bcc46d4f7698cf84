"""Autocomplete pickers that offer exactly the choices of the field they fill.

Django's autocomplete endpoint answers from the *target* model's admin (its queryset and its
view permission), whatever form asked. Here the target admin asks the *source* admin for the
field's form choices instead: an editor picking a unit for a photo gets the units where they
edit, a unit admin granting a role the units they administer, an approver naming a post for a
takedown the live posts they approve, and the endpoint never lists more than the form would
accept. With tens of thousands of units and posts, a ``<select>`` of every choice is not an
option; the form field keeps its queryset, so what is submitted is still validated against it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.admin import ModelAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, QuerySet
from django.http import HttpRequest


def autocomplete_source(request: HttpRequest, admin_site: Any) -> tuple[ModelAdmin, Field] | None:
    """The (admin, field) an autocomplete request fills, or None outside the endpoint."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist, ValueError):
        return None
    source_admin = admin_site._registry.get(model)
    return None if source_admin is None else (source_admin, field)


class SourceScopedAutocompleteMixin:
    """For the admin of a model that other forms pick through an autocomplete."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        source = autocomplete_source(request, self.admin_site) if obj is None else None  # type: ignore[attr-defined]
        if source is not None:
            source_admin = source[0]
            return source_admin.has_add_permission(request) or source_admin.has_change_permission(request)
        return super().has_view_permission(request, obj)  # type: ignore[misc]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """In the autocomplete endpoint, the source field's choices replace this admin's own
        scope (a unit picker must not need the unit list's permission); searches, including
        the mark-free ones some admins add, then run inside them."""
        queryset = super().get_queryset(request)  # type: ignore[misc]
        source = autocomplete_source(request, self.admin_site)  # type: ignore[attr-defined]
        if source is None:
            return queryset
        source_admin, field = source
        choices = getattr(source_admin.formfield_for_dbfield(field, request), "queryset", None)
        if choices is None:
            return queryset.none()
        scoped = queryset.model._default_manager.filter(pk__in=choices.values("pk"))
        scoped = scoped.complex_filter(field.get_limit_choices_to())
        return scoped.order_by(*queryset.query.order_by) if queryset.query.order_by else scoped
