"""Fixtures for the production drills: the public site's pages on the small tree."""

from tests.public.conftest import pages, topic  # noqa: F401 - fixtures reused as they are
