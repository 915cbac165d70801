"""TOC-Net settings: everything comes from the environment (see .env.example)."""

import os
import sys
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets ModelAdmin[Member], QuerySet[Member] and the like be subscripted at run time (mypy strict).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd secrets)."""
    path = env_str(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return env_str(name)


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env_str("TOCNET_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=1 for development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tocnet.core",
    "tocnet.accounts",
    "tocnet.members",
    "tocnet.privacy",
    "tocnet.registers",
    "tocnet.line",
    "tocnet.messaging",
    "tocnet.conversations",
    "tocnet.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tocnet.core.nul.NulStripMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tocnet.core.middleware.ThaiFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tocnet.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tocnet.core.middleware.AdminAccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tocnet.core.security.PrivateResponseMiddleware",
    "tocnet.core.security.TocnetCSPMiddleware",
]

ROOT_URLCONF = "tocnet.urls"
CSRF_FAILURE_VIEW = "tocnet.core.views.csrf_failure"
WSGI_APPLICATION = "tocnet.wsgi.application"

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
                "tocnet.accounts.context_processors.menu",
            ],
            "builtins": [
                "tocnet.core.templatetags.thai",
                "template_partials.templatetags.partials",
            ],
        },
    }
]

# Databases: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tocnet.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
_IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# Seconds a connection is kept between requests. SQLite defaults to 0: runserver starts a thread
# per request, so kept connections would only pile up; under a pooled server (gunicorn threads)
# 60 halves the webhook's latency (bench/README.md).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0 if _IS_SQLITE else 60)
if _IS_SQLITE:
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers wait instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins: slowed after LOGIN_SLOW_AFTER failures, locked after LOGIN_LOCK_AFTER,
# counted per username and per address within LOGIN_WINDOW_SECONDS.
LOGIN_SLOW_AFTER = env_int("LOGIN_SLOW_AFTER", 3)
LOGIN_LOCK_AFTER = env_int("LOGIN_LOCK_AFTER", 5)
LOGIN_WINDOW_SECONDS = env_int("LOGIN_WINDOW_SECONDS", 15 * 60)
# An address (an office behind one NAT) is only slowed, never locked: after this many failures
# each further try waits 2, 4, 8 ... up to LOGIN_ADDRESS_MAX_DELAY seconds.
LOGIN_ADDRESS_SLOW_AFTER = env_int("LOGIN_ADDRESS_SLOW_AFTER", 10)
LOGIN_ADDRESS_MAX_DELAY = env_int("LOGIN_ADDRESS_MAX_DELAY", 30)
# Second factor: a new account that must use it enrols with the password alone during this many
# days after it was made; later, and after any reset, only with a one-time enrolment code that
# another staff member got (valid TWO_FACTOR_ENROL_CODE_HOURS). docs/decisions/0007.
TWO_FACTOR_FIRST_ENROL_DAYS = env_int("TWO_FACTOR_FIRST_ENROL_DAYS", 3)
TWO_FACTOR_ENROL_CODE_HOURS = env_int("TWO_FACTOR_ENROL_CODE_HOURS", 24)
# Every password check goes through the sign-in throttle (form, admin, password change).
AUTHENTICATION_BACKENDS = ["tocnet.accounts.backends.ThrottledModelBackend"]
# Reverse proxies in front of the app that append to X-Forwarded-For (nginx:
# proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for). 0: the peer is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Second factor (django-otp): the issuer shown in authenticator apps. Codes are throttled by the
# sign-in throttle (slowed, then locked, per user and address), so django-otp's own per-device
# delay is off: it refused a right code typed within a second of a wrong one.
OTP_TOTP_ISSUER = "TOC-Net"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Sessions and cookies.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): the site's own files only, nothing inline. LINE's
# origins (LIFF SDK, API, LINE Login) are added per request by tocnet.core.security.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://*.line-scdn.net"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS preload is a one-way commitment for the whole domain: the operator opts in.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Thai first, English available; stored in UTC, shown in Bangkok time.
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# Background jobs: Redis when REDIS_URL is set, else an SQLite file beside the database.
REDIS_URL = env_str("REDIS_URL")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", TESTING)
HUEY_MAX_DELAY = float(env_str("HUEY_MAX_DELAY", "0.5"))
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "tocnet",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "tocnet",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        # No fsync per enqueue (it cost ~3 ms of every LINE webhook): a queue message is only a
        # nudge; the work's state lives in database rows and periodic sweeps revive lost ones.
        "fsync": False,
        "immediate": HUEY_IMMEDIATE,
        # An idle SQLite worker polls the queue ever more slowly (huey's default: up to every
        # 10 s), so a member's message waited up to 10 s for the inbox; capped here, an idle
        # poll is one cheap SELECT (bench/bench_conversation_latency.py). Redis blocks instead.
        "consumer": {"max_delay": HUEY_MAX_DELAY},
    }

# Report jobs (the slow queue): a job running or waiting longer than this many seconds is
# taken to have lost its worker; the sweep retries it once, then marks it failed.
REPORT_JOB_TIME_LIMIT = env_int("REPORT_JOB_TIME_LIMIT", 30 * 60)
# A unit's attachment 3 PDF with more members than this is drawn in the background (with a
# progress line and a download link): about 20 ms a member, so 60 members take ~1-2 s.
REPORT_PDF_INLINE_MAX_MEMBERS = env_int("REPORT_PDF_INLINE_MAX_MEMBERS", 60)
# The same for a unit's attachment 3 .xlsx (about 1 ms a member, several times that on a busy
# server). A representative's own PDF is always drawn in the background (see reports.views).
REPORT_XLSX_INLINE_MAX_MEMBERS = env_int("REPORT_XLSX_INLINE_MAX_MEMBERS", 200)
# A returned attachment 3 with more rows than this is applied in the background (progress
# counted in rows); the largest demo unit's 565 rows took 0.65-7.2 s depending on the load.
FORM_APPLY_INLINE_MAX_ROWS = env_int("FORM_APPLY_INLINE_MAX_ROWS", 100)
# A returned attachment 3 (one unit's members, the largest unit 565) with more rows than this
# is refused unread past them: it is read while the person waits.
FORM_MAX_ROWS = env_int("FORM_MAX_ROWS", 5000)

# Backups (tocnet backup / restore): a nightly archive in BACKUP_DIR (off when empty), keeping
# the newest BACKUP_KEEP.
BACKUP_DIR = env_str("BACKUP_DIR")
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)

# Dashboard: seconds its figures are cached per scope (also dropped at once after any audited
# change of members, registers, LINE groups or submissions). 0: no cache (the tests' default).
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 0 if TESTING else 60)

# Imports.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# Seconds one upload may spend being read before it is stopped with a message.
IMPORT_MAX_SECONDS = env_int("IMPORT_MAX_SECONDS", 30)
# Uploads larger than this are read in the background (a page with progress, then the
# preview): the whole cooperative's list (~10,700 rows) takes 2-5 s to read and check.
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_MAX_BYTES", 150 * 1024)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "tocnet.core.uploads.SizeCappedUploadHandler",
]

# Register planning: largest minus smallest register of a unit; members per representative
# below/above which a unit is flagged.
REGISTER_SIZE_TOLERANCE = env_int("REGISTER_SIZE_TOLERANCE", 2)
REGISTER_MEMBERS_LOW = env_int("REGISTER_MEMBERS_LOW", 35)
REGISTER_MEMBERS_HIGH = env_int("REGISTER_MEMBERS_HIGH", 65)

# LINE Messaging API and LINE Login (empty: LINE features say they are not configured).
LINE_CHANNEL_SECRET = env_secret("LINE_CHANNEL_SECRET")
LINE_CHANNEL_ACCESS_TOKEN = env_secret("LINE_CHANNEL_ACCESS_TOKEN")
LINE_API_BASE_URL = env_str("LINE_API_BASE_URL", "https://api.line.me")
# The official account's basic ID (@123abcde): representatives get its add-friend link and QR.
LINE_OA_BASIC_ID = env_str("LINE_OA_BASIC_ID")
LINE_LOGIN_CHANNEL_ID = env_str("LINE_LOGIN_CHANNEL_ID")
LINE_LOGIN_CHANNEL_SECRET = env_secret("LINE_LOGIN_CHANNEL_SECRET")
LINE_LOGIN_AUTHORIZE_URL = env_str(
    "LINE_LOGIN_AUTHORIZE_URL", "https://access.line.me/oauth2/v2.1/authorize"
)

# LIFF (LINE Front-end Framework) app on the LINE Login channel: ONE app whose endpoint URL is
# SITE_URL + "/r/"; the representatives' relay page and the members' pages open inside LINE below
# it (README, "The LIFF app"). LIFF_SDK_URL: the demo and the tests load the fake LINE server's
# stand-in instead of LINE's SDK.
LIFF_ID = env_str("LIFF_ID")
LIFF_SDK_URL = env_str("LIFF_SDK_URL", "https://static.line-scdn.net/liff/edge/2/sdk.js")
LIFF_URL_BASE = env_str("LIFF_URL_BASE", "https://liff.line.me")
# The site's public address, for links in LINE cards, SMS, e-mail, Open Graph tags and the feed.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Personal response links in SMS and e-mail (responses): days a link keeps working.
RESPONSE_LINK_DAYS = env_int("RESPONSE_LINK_DAYS", 14)

# Announcements: SMS gateway (thaibulksms or ants), its price per credit, relay fallback delays.
SMS_PROVIDER = env_str("SMS_PROVIDER", "thaibulksms")
SMS_API_KEY = env_secret("SMS_API_KEY")
SMS_API_SECRET = env_secret("SMS_API_SECRET")
SMS_SENDER = env_str("SMS_SENDER", "SMS.")
SMS_API_BASE_URL = env_str("SMS_API_BASE_URL")  # empty: the provider's own host
SMS_PRICE_BAHT = env_str("SMS_PRICE_BAHT", "0.35")
RELAY_FALLBACK_HOURS = env_int("RELAY_FALLBACK_HOURS", 6)
RELAY_FALLBACK_HOURS_OFF = env_int("RELAY_FALLBACK_HOURS_OFF", 2)  # outside office hours
ANNOUNCE_RETRY_LIMIT = env_int("ANNOUNCE_RETRY_LIMIT", 8)
# Provider requests one send worker keeps in flight at once (threads, each its own connection).
ANNOUNCE_SEND_CONCURRENCY = env_int("ANNOUNCE_SEND_CONCURRENCY", 8)

# E-mail through Django's SMTP backend (console backend in the demo, locmem in tests).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TOC-Net <no-reply@example.coop>")

# Data protection: who to contact, shown in the footer and the privacy notice.
PRIVACY_CONTACT = env_str("PRIVACY_CONTACT", "dpo@example.coop")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusal_without_traceback": {"()": "tocnet.core.logging.RefusalWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusal_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

VAR_DIR.mkdir(parents=True, exist_ok=True)

# Two-way conversations (tocnet.conversations)
CONVERSATIONS_TARGET_WORKING_DAYS = env_int("CONVERSATIONS_TARGET_WORKING_DAYS", 1)
CONVERSATIONS_RETENTION_DAYS = env_int("CONVERSATIONS_RETENTION_DAYS", 730)
CONVERSATIONS_RATE_LIMIT_PER_MINUTE = env_int("CONVERSATIONS_RATE_LIMIT_PER_MINUTE", 20)
CONVERSATIONS_MAX_FILE_BYTES = env_int("CONVERSATIONS_MAX_FILE_BYTES", 10 * 1024 * 1024)
CONVERSATIONS_MAX_TEXT = env_int("CONVERSATIONS_MAX_TEXT", 5000)
CONVERSATIONS_REPLY_TOKEN_SECONDS = env_int("CONVERSATIONS_REPLY_TOKEN_SECONDS", 50)
CONVERSATIONS_ARTICLE_MIN_SCORE = float(env_str("CONVERSATIONS_ARTICLE_MIN_SCORE", "0.5"))
CONVERSATIONS_NEW_QUESTION_AFTER_MINUTES = env_int("CONVERSATIONS_NEW_QUESTION_AFTER_MINUTES", 120)
CONVERSATIONS_AUTO_ARTICLES_PER_DAY = env_int("CONVERSATIONS_AUTO_ARTICLES_PER_DAY", 3)
# Department codes whose questions a member's representative may answer in their own words
# (elsewhere: a knowledge-base article or a note for staff; loans and money stay with staff).
CONVERSATIONS_REP_ANSWER_DEPARTMENTS = env_list(
    "CONVERSATIONS_REP_ANSWER_DEPARTMENTS", "welfare,membership"
)
