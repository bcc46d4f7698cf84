"""The public read API, version 1 (``/api/v1/``), on Django REST framework.

Only what the public pages show: posts through ``Post.objects.published()`` and their live
revision, never the working copy. Lists page with opaque keyset cursors (a constant cost on
the ten-thousandth page) and cost a constant number of queries. Responses go through the
public page cache (ETag, Last-Modified, invalidated by publications), are JSON with ``<``,
``>`` and ``&`` escaped, carry CORS headers for reading from any origin, and are rate-limited
per client. The OpenAPI schema (drf-spectacular) is served at ``/api/v1/schema/``.

- ``views``: the endpoints; ``selectors``: their queries; ``serializers``: the shapes;
- ``cursors``: cursors and the list parameters; ``rendering``: escaped JSON, errors, CORS;
- ``throttling``: the per-client rate limit.
"""
