"""Settings for vietfront, read from the environment (12-factor).

With nothing set, the project runs on the embedded default: SQLite in the project folder, local
memory cache, and Celery on kombu's filesystem transport (no broker service). Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from vietfront.media_storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VIETFRONT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-runs"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "mptt",
    "guardian",
    "orgunits.apps.AxesVietnameseConfig",
    "django_otp",
    "orgunits.apps.TOTPVietnameseConfig",
    "orgunits.apps.OrgUnitsConfig",
    "pages",
    "moderation",
    "spreading.apps.SpreadingConfig",
    "rollout.apps.RolloutConfig",
    "backups.apps.BackupsConfig",
    "channels.apps.ChannelsConfig",
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "orgunits.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pages.middleware.SiteNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vietfront.urls"
WSGI_APPLICATION = "vietfront.wsgi.application"
ASGI_APPLICATION = "vietfront.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # IMMEDIATE takes SQLite's write lock when a transaction starts, which serialises writers
    # (the unit tree needs that) and avoids "database is locked" on lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs tens of milliseconds on the dashboard's aggregates and buys nothing
    # for the short queries a web request makes.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A persistent connection that PostgreSQL dropped (a restart, a failover) is noticed before
    # the request uses it, instead of answering that request with a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", True)
# The public pages' queries are prepared once per connection (vietfront.prepared_statements);
# turn off behind a pooler that moves transactions between server connections.
VIETFRONT_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if VIETFRONT_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Those statements are written so that one plan serves every value (see the module); left
    # to choose, PostgreSQL kept re-planning some of them on every run (0.8 ms of 1.2).
    DATABASES["default"]["OPTIONS"]["options"] += " -c plan_cache_mode=force_generic_plan"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down must not mean the site down: every call answers as a miss meanwhile
            # (vietfront/cache_backends.py). Short socket timeouts bound what a dead host costs.
            # Publication generations are also pushed to every web process (pub/sub on the same
            # server and database number), so a warm page makes no round trip (pages/cache.py).
            "BACKEND": "vietfront.cache_backends.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "vietfront"),
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("VIETFRONT_CACHE_CONNECT_TIMEOUT", "0.5")),
                "socket_timeout": float(os.environ.get("VIETFRONT_CACHE_TIMEOUT", "1")),
                "RETRY_SECONDS": float(os.environ.get("VIETFRONT_CACHE_RETRY_SECONDS", "5")),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous public pages are cached whole and invalidated by publication events. Each process
# has its own local-memory cache in the embedded default, so a post the Celery worker publishes
# at its scheduled time cannot invalidate the web process's copy: keep those copies short there.
VIETFRONT_PUBLIC_CACHE_SECONDS = int(os.environ.get("VIETFRONT_PUBLIC_CACHE_SECONDS", "600" if REDIS_URL else "60"))
VIETFRONT_PUBLIC_MAX_AGE = int(os.environ.get("VIETFRONT_PUBLIC_MAX_AGE", "60"))
# Each web process also keeps the pages it served lately in its own memory, keyed by the
# publication generations (pages/cache.py); 0 turns it off. With Redis it holds the generations
# as every bump publishes them, trusted while its subscription answered less than
# VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS ago (default 1; 0: read from Redis on every request).
VIETFRONT_PUBLIC_LOCAL_CACHE_BYTES = int(os.environ.get("VIETFRONT_PUBLIC_LOCAL_CACHE_BYTES", str(32 * 1024 * 1024)))
VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS = float(os.environ.get("VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS", "1"))
# Each process keeps the regulation's configuration (terms, domains, rule settings, approval
# routes) and checks a version in the cache on every review (moderation/rules/config_cache.py).
# It needs a cache all processes share: off with the local-memory default.
VIETFRONT_REGULATION_CACHE = env_bool("VIETFRONT_REGULATION_CACHE", bool(REDIS_URL))

# The public read API (channels/api/): anonymous, read-only JSON. No authentication class, so
# no session is read and no CSRF check runs; errors in one JSON shape; OpenAPI by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["channels.api.rendering.EscapedJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "channels.api.rendering.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Requests per client (its address, as for the login lockouts: PROXY_COUNT) over DRF's window;
# empty to switch the limit off.
VIETFRONT_API_RATE = os.environ.get("VIETFRONT_API_RATE", "300/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Trang cộng đồng MTTQ Việt Nam: public read API",
    "DESCRIPTION": "Published content of the Vietnam Fatherland Front's community pages, read-only.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out client is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
# Vietnamese only: neither the public site nor the staff side has another version, and with a
# second language here an English browser got half-English admin pages ("Add bài viết") and
# public pages cached once per browser language. LocaleMiddleware stays so every request
# activates "vi" explicitly, whatever Accept-Language says or an earlier request left active.
LANGUAGES = [("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["vietfront.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Media on the local disk, or in an S3-compatible bucket shared by every web and worker machine
# (VIETFRONT_MEDIA_STORAGE=s3 and AWS_*: see vietfront/media_storage.py and docs/OPERATIONS.md).
_MEDIA_STORAGE = media_storage(os.environ)
if _MEDIA_STORAGE.media_url:
    MEDIA_URL = _MEDIA_STORAGE.media_url
STORAGES = {
    "default": _MEDIA_STORAGE.storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

# django-guardian: no anonymous user row; object permissions live in direct FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RENDER_403 = False

# django-axes: lock an account/IP pair after repeated failures; behind a reverse proxy the
# client address comes from X-Forwarded-For, trusting only the number of proxies configured.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "orgunits/lockout.html"
# django-axes 8 reads AXES_IPWARE_* only when django-ipware is installed (it is not), else it
# falls back to REMOTE_ADDR; our callable trusts X-Forwarded-For only for PROXY_COUNT proxies.
VIETFRONT_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "orgunits.middleware.client_ip_address"

# Second factor: when on, approvers and unit admins must verify a TOTP device before using the
# admin. Off by default so the demo runs without an authenticator app.
VIETFRONT_REQUIRE_2FA = env_bool("VIETFRONT_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Trang cộng đồng MTTQ Việt Nam"

# Demo accounts are only ever created on a DEBUG run.
VIETFRONT_DEMO_PASSWORD = os.environ.get("VIETFRONT_DEMO_PASSWORD", "matran-demo-2025")

# Celery. Production: Redis broker with late acknowledgement. The embedded default uses kombu's
# filesystem transport, so a worker with beat publishes on time without any broker service.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(os.environ.get("VIETFRONT_CELERY_QUEUE_DIR", VAR_DIR / "celery" / "queue"))
    _processed_dir = _queue_dir.parent / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    (_queue_dir.parent / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        # Broadcast (pidbox) exchanges: kombu would otherwise write them into the working folder.
        "control_folder": str(_queue_dir.parent / "control"),
        "store_processed": False,
    }
else:
    # No task is ever scheduled further ahead than this (see DESIGN: scheduled publishing is a
    # database column swept by beat), so redelivery only happens for lost workers.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Scheduled publishing is swept, not scheduled as far-ahead tasks: see moderation/tasks.py.
    "publish-due-posts": {
        "task": "moderation.tasks.publish_due_posts_task",
        "schedule": float(os.environ.get("VIETFRONT_PUBLISH_SWEEP_SECONDS", "60")),
    },
    "escalate-overdue-takedowns": {"task": "moderation.tasks.escalate_overdue_takedowns_task", "schedule": 300.0},
    "daily-digests": {"task": "moderation.tasks.send_daily_digests_task", "schedule": crontab(hour=7, minute=0)},
    # Facebook and Zalo (channels/): rows a lost worker left, and the platforms' figures.
    "sweep-channel-deliveries": {"task": "channels.tasks.sweep_deliveries_task", "schedule": 300.0},
    "refresh-channel-insights": {"task": "channels.tasks.refresh_insights_task", "schedule": 3600.0},
    # Spreads (spreading/) whose chunks a lost worker left unfinished.
    "resume-spreads": {"task": "spreading.tasks.resume_spreads_task", "schedule": 300.0},
}

# Mails are read outside the site: their links need scheme and host (no request to take them from).
VIETFRONT_SITE_URL = os.environ.get("VIETFRONT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# For the file-based backend (drills count the mails a worker really sent).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "trangcongdong@mattran.org.vn")

# Transport security. Production answers only over HTTPS; behind a TLS-terminating proxy set
# BEHIND_TLS_PROXY=1, or every request looks like plain HTTP and is redirected forever.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("VIETFRONT_SECURE_SSL_REDIRECT", not DEBUG)
# Container and load-balancer probes speak plain HTTP to the application itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS follows the redirect: with DEBUG=0 the site answers only HTTPS, so by default browsers
# are told so for a year, subdomains included and preload-eligible (what `check --deploy` asks
# for). Browsers remember it: an installation whose subdomains still answer plain HTTP sets
# VIETFRONT_HSTS_INCLUDE_SUBDOMAINS=0 and VIETFRONT_HSTS_PRELOAD=0 before its first deploy;
# VIETFRONT_HSTS_SECONDS=0 switches HSTS off.
SECURE_HSTS_SECONDS = int(os.environ.get("VIETFRONT_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VIETFRONT_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("VIETFRONT_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _inline_style_hash(template: Path) -> str:
    """The CSP source for the one inline <style> of a template rendered without a request (the
    500 page, which must not depend on static files), so no nonce can reach it."""
    text = template.read_text(encoding="utf-8")
    start = text.index("<style>") + len("<style>")
    digest = hashlib.sha256(text[start : text.index("</style>", start)].encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Content-Security-Policy on every response, admin included (django-csp). Everything is served
# from this origin (no CDN); inline <style>/<script> need the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE, _inline_style_hash(BASE_DIR / "templates" / "500.html")],
        # data: for the admin's and Trix's inline icons; blob: for Trix's previews of a file
        # being attached. Media on another origin (object storage) is added through the env.
        "img-src": [csp.SELF, "data:", "blob:", *env_list("VIETFRONT_CSP_IMG_SRC", [])],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs its version at every start and every login at INFO: noise in commands.
        "axes": {"level": "WARNING"},
    },
}
