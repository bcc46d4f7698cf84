"""Where uploaded media live, chosen by the environment: the local disk (the default, served by
the web server in front of Django) or an S3-compatible bucket (django-storages), which lets
several web and worker machines share one media library.

Kept out of ``settings.py`` so the parsing can be tested with any environment mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

LOCAL = "local"
S3 = "s3"


@dataclass(frozen=True)
class MediaStorage:
    storage: dict  # the STORAGES["default"] entry
    #: The public prefix of media URLs when one is known (None: keep MEDIA_URL). The sanitiser
    #: accepts body images only under MEDIA_URL, so it must match what the storage hands out.
    media_url: str | None = None


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def media_storage(environ: Mapping[str, str]) -> MediaStorage:
    """The default storage that ``VIETFRONT_MEDIA_STORAGE`` (``local`` or ``s3``) selects.

    For ``s3``: ``AWS_STORAGE_BUCKET_NAME`` is required; ``AWS_S3_ENDPOINT_URL`` names a
    non-AWS server (MinIO, Ceph, a provider's endpoint); ``AWS_S3_CUSTOM_DOMAIN`` serves public
    URLs from that host (a CDN or the bucket's public name), otherwise URLs are signed
    (``AWS_QUERYSTRING_AUTH``, ``AWS_QUERYSTRING_EXPIRE`` seconds). Keys come from
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or boto3's own chain (instance roles).
    """
    kind = environ.get("VIETFRONT_MEDIA_STORAGE", LOCAL).strip().lower() or LOCAL
    if kind == LOCAL:
        return MediaStorage(storage={"BACKEND": "django.core.files.storage.FileSystemStorage"})
    if kind != S3:
        raise ImproperlyConfigured(f"VIETFRONT_MEDIA_STORAGE must be 'local' or 's3', not {kind!r}.")
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        raise ImproperlyConfigured("VIETFRONT_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    endpoint = environ.get("AWS_S3_ENDPOINT_URL", "").strip().rstrip("/") or None
    domain = environ.get("AWS_S3_CUSTOM_DOMAIN", "").strip().strip("/") or None
    location = environ.get("AWS_LOCATION", "").strip().strip("/")
    # A custom domain is a public host: signing its URLs would only make them expire.
    signed = _flag(environ, "AWS_QUERYSTRING_AUTH", default=domain is None)
    options: dict = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": environ.get("AWS_S3_REGION_NAME", "").strip() or None,
        "custom_domain": domain,
        "location": location,
        "querystring_auth": signed,
        "querystring_expire": int(environ.get("AWS_QUERYSTRING_EXPIRE", "3600")),
        # botocore signs URLs for a custom endpoint with the deprecated SigV2 unless told.
        "signature_version": environ.get("AWS_S3_SIGNATURE_VERSION", "").strip() or "s3v4",
        # django-storages overwrites by default; uploads must get a free name as on disk, or
        # two editors' "anh.jpg" in one unit would replace each other.
        "file_overwrite": False,
        "default_acl": environ.get("AWS_DEFAULT_ACL", "").strip() or None,
        "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE", "").strip() or None,
        "object_parameters": {"CacheControl": environ.get("AWS_S3_CACHE_CONTROL", "public, max-age=86400")},
    }
    if environ.get("AWS_S3_URL_PROTOCOL"):
        options["url_protocol"] = environ["AWS_S3_URL_PROTOCOL"]
    media_url = None
    prefix = f"{location}/" if location else ""
    if domain:
        media_url = f"{options.get('url_protocol', 'https:')}//{domain}/{prefix}"
    elif endpoint and not signed and options["addressing_style"] == "path":
        media_url = f"{endpoint}/{bucket}/{prefix}"
    return MediaStorage(storage={"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, media_url=media_url)
