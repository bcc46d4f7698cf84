"""The site's own 404 page in every mode."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse


class SiteNotFoundMiddleware:
    """Answer "not found" with the site's page, with ``DEBUG`` on too.

    Under ``DEBUG`` Django answers with its yellow technical page in English and never calls
    ``handler404``; the run command's default is ``DEBUG=1``, so that is what a citizen trying
    the demo saw. The admin keeps Django's technical page for developers (its URL list helps),
    and so do errors: a 500 under ``DEBUG`` still shows the traceback, which is what ``DEBUG``
    is for, and ``DEBUG`` is refused in production (no ``SECRET_KEY``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No view ran (no URL matched): Django built the technical 404 before any view middleware.
        if (
            settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None
            and not getattr(response, "site_not_found", False) and self._public(request)
        ):
            return self._page(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404) and self._public(request):
            return self._page(request, exception)
        return None

    @staticmethod
    def _public(request: HttpRequest) -> bool:
        return not request.path.startswith(reverse("admin:index"))

    @staticmethod
    def _page(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        from .views import not_found  # the views import models; the middleware loads first

        return not_found(request, exception)
