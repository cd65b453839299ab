"""Settings for the lead intake product: one module, everything that varies comes from the
environment (or a `.env` file beside manage.py; the real environment wins)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP

from config.framing import parse_frame_ancestors
from config.logging import logging_config
from leads.business_time import parse_hours as parse_firm_hours
from leads.business_time import parse_zone as parse_firm_zone

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def env_flag(name: str, default: bool) -> bool:
    """A boolean variable that refuses typos: `env.bool` reads "ture" as False."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


DEBUG = env_flag("DEBUG", False)

# Required to serve with DEBUG off: config/serving.py refuses to start the web server
# without it. Commands that serve nothing (migrate, makemigrations, db_worker) run without.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    # Development without a key: a fresh one per process (sessions end at restart).
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Our page (templates/403_csrf.html), framable for the intake form's POST.
CSRF_FAILURE_VIEW = "leads.intake.views.csrf_failure"
# The port `make run` serves on (scripts/run); the default SITE_URL follows it.
PORT = env.int("PORT", default=8000)
# Absolute base URL used in emails (links to the admin).
SITE_URL = env.str("SITE_URL", default=f"http://localhost:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    # Before django_tasks_db: leads' db_worker command (survives outages) replaces the library's.
    "leads",
    "django_tasks_db",
]

# --- Middleware ---------------------------------------------------------------------------
# RequestIdMiddleware first: every response (redirects, static files, errors) carries
# X-Request-ID and every log line its id. OTPMiddleware after authentication: it tells
# whether this session passed the second factor (one query, for sessions that did).
# AxesMiddleware turns a refused sign-in into the lockout page, inside the security and CSP
# middleware so that page has their headers. RequestSizeLimitMiddleware refuses oversized
# bodies unread (every __call__ runs before any view reads one). DatabaseUnavailableMiddleware last: its
# process_exception runs first and turns a database outage into a 503, inside the
# security and CSP middleware so the 503 page has their headers too.
MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The prospect's language on the public pages (LANGUAGE_CODE under /admin/ and /api/),
    # active before anything below answers: the 413, 429, 503 and expired-form pages too.
    "web.language.ProspectLanguageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.framing.PartitionedCsrfCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    # Before any body is read (the views, CSRF's process_view), inside the security
    # middleware so its 413 carries their headers: see the class.
    "config.middleware.RequestSizeLimitMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite in the project folder by default, so trying the product needs nothing installed.
# PostgreSQL: DATABASE_URL=postgres://user:pass@host:5432/name (psycopg 3).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Connection reuse. Either Django's native psycopg pool (DB_POOL_MAX_SIZE > 0: checked
    # before use, recycled after DB_POOL_MAX_LIFETIME seconds), or persistent connections
    # (DB_CONN_MAX_AGE seconds) with a health check before each request reuses one.
    _pool_max = env.int("DB_POOL_MAX_SIZE", default=0)
    _db["OPTIONS"] = {**_db.get("OPTIONS", {})}
    if _pool_max > 0:
        from psycopg_pool import ConnectionPool

        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": _pool_max,
            "max_lifetime": env.float("DB_POOL_MAX_LIFETIME", default=3600.0),
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
            "check": ConnectionPool.check_connection,
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True
    _db["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    # Behind PgBouncer in transaction mode, server-side cursors do not survive transactions.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = env_flag("DB_DISABLE_SERVER_SIDE_CURSORS", False)
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Migrations (and seed_leads' index rebuilds) connect here when it is set, the web server and
# the worker never (leads/management/database.py): a transaction-mode PgBouncer in DATABASE_URL cannot
# hold a migration's session. "replaces": the database it stands for, so that a test run,
# which renames the connection's database, migrates its own test database on that server.
DATABASE_DIRECT = {"url": env.str("DATABASE_DIRECT_URL", default=""), "replaces": _db["NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and rate limits ----------------------------------------------------------------
# "default" (CACHE_URL; per-process memory unless it names Redis) holds what a process may
# keep to itself: the hint that a list filter matches past the exact-count limit, read on
# every filtered list page, so never a database round trip. "shared" holds what every web
# process must see alike (a large table's dashboard and /stats/ figures): CACHE_URL's cache
# when it is shared, else the leads_shared_cache table, so no service beyond the database is
# needed. Rate limits follow CACHE_URL: redis://… keeps them in that Redis; anything else
# keeps them in the database (shared by every process either way).
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
_cache = env.cache("CACHE_URL", default="locmemcache://")
CACHES = {
    "default": _cache,
    "shared": _cache
    if _cache["BACKEND"] not in PER_PROCESS_CACHES
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "leads_shared_cache"},
}

# --- Passwords and sessions ---------------------------------------------------------------
# Axes first: it refuses a locked-out (username, address) before any password is checked.
# Then ModelBackend's rules, reading a user's own and group permissions in one query.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.authentication.PermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -------------------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic puts the hashed, compressed files whitenoise serves.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Resumes live here; MEDIA_URL is deliberately not routed, so no file is ever public.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# --- Storage: resumes on S3-compatible object storage -------------------------------------
# When AWS_STORAGE_BUCKET_NAME is set, resumes go to that bucket through django-storages
# (AWS S3, MinIO, Ceph, ...; AWS_S3_ENDPOINT_URL for anything but AWS). Objects are private
# by the bucket's own policy (Block Public Access, object ownership "bucket owner enforced"):
# no ACL is sent per object, which buckets with ACLs disabled (AWS's default) would refuse.
# No public URL is ever handed out: downloads go through the protected views, which stream
# the object via storage.open(). Several web servers then share the files.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty: boto3's own chain (instance role, ~/.aws, AWS_* variables).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "querystring_auth": True,  # a URL, if one were ever built, is signed and expires
            "querystring_expire": 60,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
        },
    }

# Serve files found by the finders when collectstatic has not been run (development).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

RESUME_MAX_BYTES = env.int("RESUME_MAX_BYTES", default=10 * 1024 * 1024)
# Uploads above this spill to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The first handler keeps no more than RESUME_MAX_BYTES of any file (leads/intake/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "leads.intake.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Each upload's content check runs in a checker process the web process keeps
# (leads/resume_check.py): at most this much CPU time, and this much memory over the
# checker's own; one that has not answered 2 s past that time is killed (validators.py).
RESUME_CHECK_SECONDS = env.float("RESUME_CHECK_SECONDS", default=2.0)
RESUME_CHECK_MEMORY_MB = env.int("RESUME_CHECK_MEMORY_MB", default=48)
if RESUME_CHECK_SECONDS <= 0 or RESUME_CHECK_MEMORY_MB < 16:
    raise ImproperlyConfigured("RESUME_CHECK_SECONDS must be above 0 and RESUME_CHECK_MEMORY_MB 16 or more.")

# The worker reads each resume's text in a child process, killed after this many seconds,
# with at most this much address space (leads/worker/resume_text.py).
RESUME_TEXT_TIMEOUT_SECONDS = env.int("RESUME_TEXT_TIMEOUT_SECONDS", default=30)
RESUME_TEXT_MEMORY_MB = env.int("RESUME_TEXT_MEMORY_MB", default=512)

# --- Intake -------------------------------------------------------------------------------
INTAKE_RATE = env.str("INTAKE_RATE", default="10/minute")
# The firm's own privacy notice (an http(s) URL), linked from the form's short paragraph
# on what is kept and why; empty: the paragraph stands alone.
PRIVACY_NOTICE_URL = env.str("PRIVACY_NOTICE_URL", default="").strip()
# Number of reverse proxies in front of the app whose X-Forwarded-For is trusted for the
# client address (0: use REMOTE_ADDR, the safe default when nothing sets the header).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)


# --- Signing in ---------------------------------------------------------------------------
# Failed sign-ins (admin and token endpoint together) are counted per (username, client
# address) in the database (django-axes), so every web process sees the same count. After
# LOGIN_FAILURE_LIMIT failures, none more than LOGIN_LOCKOUT_MINUTES after the one before,
# that username is refused from that address until LOGIN_LOCKOUT_MINUTES have passed since
# the last failure, or a superuser deletes the attempt in the admin. A successful sign-in
# does not reset the count: someone guessing behind the same office address as the real
# user would otherwise start afresh each time the user signs in.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be 1 or more.")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address as the rate limits define it (web.clientip.client_address), in
# the form axes' IP column takes.
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_HANDLER = "accounts.signin.FailureCountingHandler"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_RESET_ON_SUCCESS = False
# Attempts refused while locked out are not counted, so the lockout ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# accounts/admin.py shows attempts to superusers only.
AXES_ENABLE_ADMIN = False
# Log lines name the lockout parameters only, masked (and no start-up banner).
AXES_VERBOSE = False
# Never stored with a failed attempt (the password never is).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "csrfmiddlewaretoken"]

# Second factor (django-otp, TOTP). With STAFF_2FA_REQUIRED, staff who have not enrolled an
# authenticator reach only the enrolment page (and logout) in the admin.
STAFF_2FA_REQUIRED = env_flag("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = "Client intake"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# API tokens (django-rest-knox): only a digest is stored; the key is shown once. They expire
# API_TOKEN_TTL_DAYS after they are issued (0: never) and are never extended by use.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
if API_TOKEN_TTL_DAYS < 0:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be 0 (never expire) or more.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS) if API_TOKEN_TTL_DAYS else None,
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}


# --- Email --------------------------------------------------------------------------------
def mailer_from_url(url: str, timeout: int) -> dict:
    """EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, consolemail://, ...) as a MAILERS entry."""
    parsed = env.email_url_config(url)
    backend = parsed["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        return {"BACKEND": backend}
    options = {
        "host": parsed["EMAIL_HOST"] or "localhost",
        "port": parsed["EMAIL_PORT"] or 25,
        "username": parsed.get("EMAIL_HOST_USER") or "",
        "password": parsed.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(parsed.get("EMAIL_USE_TLS")),
        "use_ssl": bool(parsed.get("EMAIL_USE_SSL")),
        "timeout": timeout,
    }
    return {"BACKEND": backend, "OPTIONS": options}


# Django 6.1's MAILERS (the EMAIL_HOST/EMAIL_PORT family is deprecated).
MAILERS = {
    "default": mailer_from_url(
        env.str("EMAIL_URL", default="") or "consolemail://", env.int("EMAIL_TIMEOUT", default=10)
    )
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Intake <intake@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Empty: every active member of the Attorneys group.
ATTORNEY_NOTIFY_EMAILS = env.list("ATTORNEY_NOTIFY_EMAILS", default=[])
# A failed send is retried by the worker: after BASE seconds, doubling, capped at MAX
# seconds, EMAIL_MAX_ATTEMPTS attempts in all (defaults: 30 s, 1 min, 2 min ... 1 h: about 3 h in all).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=10)
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=30)
EMAIL_RETRY_MAX_SECONDS = env.int("EMAIL_RETRY_MAX_SECONDS", default=3600)

# At most this many emails a day (24 hours) to one prospect's address.
PROSPECT_EMAILS_PER_DAY = env.int("PROSPECT_EMAILS_PER_DAY", default=3)
# The firm's name on the public pages, the admin and the emails.
FIRM_NAME = env.str("FIRM_NAME", default="Client intake")
# Where prospects write with questions (the thanks page); empty: "reply to our email".
FIRM_CONTACT_EMAIL = env.str("FIRM_CONTACT_EMAIL", default="")
# Who a new lead goes to: none (attorneys pick leads) or round_robin (the active attorney
# with the fewest PENDING leads assigned). Anything else is refused at start-up.
LEAD_AUTO_ASSIGN = env.str("LEAD_AUTO_ASSIGN", default="none").strip().lower()
if LEAD_AUTO_ASSIGN not in {"none", "round_robin"}:
    raise ImproperlyConfigured(f"LEAD_AUTO_ASSIGN must be none or round_robin, not {LEAD_AUTO_ASSIGN!r}")

# --- Webhooks -----------------------------------------------------------------------------
# Each call (one attempt) may take this many seconds in all: connecting, sending, the answer.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# true: subscriptions may use http:// and private, loopback or link-local addresses (tests,
# on-premise receivers). Off, only https:// URLs whose host resolves to public addresses.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_flag("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
# A failed call is retried after BASE seconds, doubling, at most MAX seconds apart,
# WEBHOOK_MAX_ATTEMPTS in all (defaults: 30 s, 1 min, 2 min ... 4 h: about 12 h in all).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=12)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=4 * 3600)

# --- Background tasks ---------------------------------------------------------------------
# A task (or a delivery attempt) still running after this many seconds belongs to a worker
# that died: the worker runs it again. Keep it well above the longest task (SMTP timeout).
TASK_STALE_SECONDS = env.int("TASK_STALE_SECONDS", default=600)
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # JSON only: the browsable API would answer browsers with HTML (and inline script).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Services raise Django's ValidationError; this turns it into a 400 {field: [messages]}.
    "EXCEPTION_HANDLER": "leads.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "leads.api.throttles.AnonRateThrottle",
        "leads.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="60/minute"),
        "user": env.str("API_USER_RATE", default="1000/minute"),
        "token": env.str("API_TOKEN_RATE", default="10/minute"),
    },
}
# Above 10,000 leads (PostgreSQL) /stats/ and dashboard figures are reused this long: each
# computation reads much of the table.
LEAD_STATS_CACHE_SECONDS = env.int("LEAD_STATS_CACHE_SECONDS", default=60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Lead intake API",
    "DESCRIPTION": "Create, find, update and close leads submitted by prospects.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `status`: name their enums after them.
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "leads.models.Lead.Status",
        "DeliveryStatusEnum": "leads.models.Delivery.Status",
        "WebhookEventEnum": "leads.models.WebhookEndpoint.Event",
    },
    # One request body type per operation: JSON, unless an operation says otherwise (lead
    # create: multipart). Several types at once make generated clients send a body in one
    # format labelled as another. The views still parse form and multipart bodies too.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
}

# --- Security -----------------------------------------------------------------------------
# Secure unless DEBUG, so `check --deploy` is a property of this file. Behind a TLS-ending
# proxy set SECURE_PROXY_SSL_HEADER_ENABLED=true so Django knows the request was HTTPS.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
if env_flag("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Origins (https://host[:port], comma-separated) whose pages may show the intake form (/ and
# /thanks/) in a frame; every other page refuses framing. http://localhost origins: DEBUG only.
INTAKE_FRAME_ANCESTORS = parse_frame_ancestors(
    env.list("INTAKE_FRAME_ANCESTORS", default=[]), allow_local_http=DEBUG
)
if INTAKE_FRAME_ANCESTORS:
    # In a frame on another site the form's POST is a cross-site request: only a
    # SameSite=None cookie comes along, and browsers take SameSite=None only when Secure
    # (the cookie is also Partitioned: config.framing.PartitionedCsrfCookieMiddleware).
    CSRF_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SECURE = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging ------------------------------------------------------------------------------
# Everything to stdout (the process manager keeps it), each record with its request id.
# LOG_FORMAT=plain (default) for people, json for a log collector: one object per line.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
# LOG_SQL=true prints every SQL statement (even with DEBUG off); for diagnosis only.
LOG_SQL = env_flag("LOG_SQL", False)
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL, sql=LOG_SQL)

# --- The prospect's language --------------------------------------------------------------
# The languages there are catalogues for (locale/<code>/LC_MESSAGES/django.po), each named in
# itself for the public pages' switcher. INTAKE_LANGUAGES (codes, comma-separated) are the ones
# prospects are offered; the first is what a browser asking for none of them gets. The public
# pages (web.language.ProspectLanguageMiddleware) and every email to a prospect speak the
# prospect's language; the admin, the API and the attorneys' emails stay in LANGUAGE_CODE.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
INTAKE_LANGUAGES = [code.strip().lower() for code in env.list("INTAKE_LANGUAGES", default=["en", "es"])]
if not INTAKE_LANGUAGES or not set(INTAKE_LANGUAGES) <= {code for code, _ in LANGUAGES}:
    raise ImproperlyConfigured(
        f"INTAKE_LANGUAGES must name one or more of {', '.join(code for code, _ in LANGUAGES)}, "
        f"not {','.join(INTAKE_LANGUAGES)!r}"
    )

# --- The attorneys' workspace (issue 28) ----------------------------------------------------
# One way of writing dates and times in the admin, with the time zone (config/formats/en).
FORMAT_MODULE_PATH = "config.formats"
# --- Speed to lead (issue 29): business time, response target, escalations, digest -------
# FIRM_HOURS: `mon-fri 09:00-17:00`, groups separated by `;`, several ranges a day allowed
# (`mon-fri 09:00-12:00 13:00-17:00; sat 10:00-12:00`), on FIRM_TIME_ZONE's wall clock.
# Checked here, so a typo stops every process at start-up with what is wrong.
FIRM_HOURS = env.str("FIRM_HOURS", default="mon-fri 09:00-17:00")
FIRM_TIME_ZONE = env.str("FIRM_TIME_ZONE", default="") or TIME_ZONE
parse_firm_hours(FIRM_HOURS)
parse_firm_zone(FIRM_TIME_ZONE)
# Business minutes from a lead's creation to its response being due; 0 switches every step off.
LEAD_RESPONSE_TARGET_MINUTES = env.int("LEAD_RESPONSE_TARGET_MINUTES", default=60)
if LEAD_RESPONSE_TARGET_MINUTES < 0:
    raise ImproperlyConfigured("LEAD_RESPONSE_TARGET_MINUTES must be 0 (off) or more.")
# Who hears of a lead still pending at twice the target (addresses; empty: nobody).
LEAD_ESCALATE_TO = env.list("LEAD_ESCALATE_TO", default=[])
# Business days a reached-out lead may go without a note or status change before a reminder.
LEAD_STALE_DAYS = env.int("LEAD_STALE_DAYS", default=7)
if LEAD_STALE_DAYS < 1:
    raise ImproperlyConfigured("LEAD_STALE_DAYS must be 1 or more.")
# The daily digest of each attorney's open leads, at the day's first opening.
DIGEST_ENABLED = env_flag("DIGEST_ENABLED", True)
# How often each worker looks for steps due (seconds); one indexed query when none is.
FOLLOW_UP_INTERVAL_SECONDS = env.float("FOLLOW_UP_INTERVAL_SECONDS", default=30.0)
# Past this many leads due for a step at once for one recipient (a backlog: the feature
# switched on over old leads, a long outage), the recipient gets one summary instead.
FOLLOW_UP_SUMMARY_OVER = env.int("FOLLOW_UP_SUMMARY_OVER", default=5)

# --- Outcomes and the trash (issue 27) ----------------------------------------------------
# A deleted lead stays in the trash this many days (restorable), then the worker erases it
# for good; 0 erases at once.
LEAD_TRASH_DAYS = env.int("LEAD_TRASH_DAYS", default=30)
if LEAD_TRASH_DAYS < 0:
    raise ImproperlyConfigured(f"LEAD_TRASH_DAYS must be 0 or more, not {LEAD_TRASH_DAYS}")

# --- Intake questions and practice areas (issue 25) ---------------------------------------
# The region a `phone` answer is read in when it does not start with + (ISO 3166 code).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US").strip().upper()
