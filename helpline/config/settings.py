"""Django settings, read from HELPLINE_* environment variables (docs/admin/install.md)."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from helpline.config import sso as sso_config
from helpline.core.startup import data_dir_prepare, secret_key_load


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir_prepare(Path(os.environ.get("HELPLINE_DATA_DIR", "var")).resolve())
SECRET_KEY = os.environ.get("HELPLINE_SECRET_KEY") or secret_key_load(DATA_DIR)
DEBUG = env_bool("HELPLINE_DEBUG")
ALLOWED_HOSTS = env_list("HELPLINE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("HELPLINE_CSRF_TRUSTED_ORIGINS")
TESTING = env_bool("HELPLINE_TESTING")
# How many reverse proxies in front of Helpline append to X-Forwarded-For (0: none, use the
# connection's address). Sign-in throttling and the event log use the address found this way.
TRUSTED_PROXIES = int(os.environ.get("HELPLINE_TRUSTED_PROXIES", "0"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own form and widget templates, found by the TemplatesSetting renderer below.
    "django.forms",
    "django_htmx",
    "template_partials",
    "csp",
    "huey.contrib.djhuey",
    "helpline.core",
    "helpline.accounts",
    "helpline.audit",
    "helpline.tickets",
    "helpline.desk",
    "helpline.portal",
    "helpline.administration",
    "helpline.demo",
    "helpline.mail",
    "helpline.search",
    "helpline.timelog",
    "helpline.replies",
    "helpline.teamwork",
    "helpline.kb",
    "helpline.notify",
    "helpline.staffmail",
    # After Helpline's apps, so our templates for allauth's pages and mails win.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "helpline.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "helpline.core.middleware.ViewerTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "helpline.accounts.mfa.MfaPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpline.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "helpline.config.urls"
WSGI_APPLICATION = "helpline.config.wsgi.application"

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
                "helpline.core.context_processors.site",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "helpline.core.templatetags.moments",
            ],
        },
    }
]

# Widgets and fields render through the template engine, so the project's field template
# (helpline/forms/field.html) is the default for `{{ form.x.as_field_group }}`.
FORM_RENDERER = "helpline.core.forms.BootstrapFormRenderer"

# --- database -------------------------------------------------------------------------------
DATABASE_URL = (
    os.environ.get("HELPLINE_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'helpline.sqlite3'}"
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
        # instead of failing with "database is locked" when a read lock is upgraded.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Each web thread keeps its connection between requests: opening one costs about 3 ms of
    # CPU (Django's SQL functions, the PRAGMAs above, SQLite parsing the schema on the first
    # statement), a fifth of a submission's. PostgreSQL reuses connections through the pool.
    DATABASES["default"]["CONN_MAX_AGE"] = int(
        os.environ.get("HELPLINE_DATABASE_CONN_MAX_AGE", "600")
    )
else:
    # libpq waits without end for a host that does not answer; a dead database must show as an
    # error within seconds (at start, in /healthz), not hang the process.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("HELPLINE_DATABASE_CONNECT_TIMEOUT", "5"))
    )
    # No JIT compilation: this desk's statements are index walks bounded by LIMIT, whose cost
    # estimates (the whole walk) pass JIT's threshold while they run in milliseconds; compiling
    # took 35-160 ms a statement (the search page, the activity statistics). A URL's own
    # `?options=` wins.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
    if env_bool("HELPLINE_DATABASE_POOL", default=not TESTING):
        DATABASES["default"]["OPTIONS"]["pool"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, tasks ---------------------------------------------------------------------------
# The database cache culls a third of its rows once it holds more than MAX_ENTRIES; a bound no
# installation reaches turns that off (see CACHES below).
CACHE_NEVER_CULL = 2**62
REDIS_URL = os.environ.get("HELPLINE_REDIS_URL", "")
# Sign-in and sign-up rate limits (django-allauth) and the like live in the default cache, so it
# must never evict a live entry to make room: Redis gets no eviction policy of its own here (keep
# `maxmemory-policy noeviction` or volatile-* on the server, docs/admin/security.md), and the
# database cache is told never to cull (Django culls only when MAX_ENTRIES is exceeded; expired
# rows are still removed as they are met). Throw-away caches that may cull get their own alias.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "helpline_cache",
            "OPTIONS": {"MAX_ENTRIES": CACHE_NEVER_CULL},
        }
    }

HUEY = {
    "name": "helpline",
    "immediate": env_bool("HELPLINE_TASKS_IMMEDIATE"),
    "results": False,
    "utc": True,
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {
        "huey_class": "helpline.core.taskqueue.SqliteHuey",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
    }
HUEY["consumer"] = {
    "workers": int(os.environ.get("HELPLINE_WORKER_THREADS", "2")),
    "worker_type": "thread",
}

# --- accounts (django-allauth, docs/decisions/0004-allauth.md) -------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

ACCOUNT_ADAPTER = "helpline.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "helpline.accounts.forms.SignInForm",
    "signup": "helpline.accounts.forms.SignupForm",
    "reset_password": "helpline.accounts.forms.PasswordResetRequestForm",
    "reset_password_from_key": "helpline.accounts.forms.NewPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "helpline.accounts.adapter.user_display"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = False  # a person may have several addresses (primary + others)
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # mail scanners follow links: only the button confirms
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PREVENT_ENUMERATION = True
# The reset page mails unknown addresses too ("no account here"), so every request takes the
# same path: one mail, one redirect (docs/admin/security.md).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_LOGOUT_ON_GET = False
# Before a change to how one signs in (adding or removing an authenticator, new recovery codes):
# the password again, or the second step; no codes by mail.
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("HELPLINE_HTTPS") else "http"
# Rates: "amount/period/per". `login_failed` is counted per client and per client + address
# (the adapter makes the key), never per account alone, so nobody can lock the owner out.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "20/m/ip,100/h/ip,5/15m/key",
    "signup": "10/h/ip",
    "signup_email": "3/h/key",  # Helpline's own: sign-up mails per address (views.SignupView)
    "confirm_email": "1/3m/key,5/d/key",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}

# --- two-step sign-in (allauth.mfa) and single sign-on (docs/admin/security.md) ------------
MFA_ADAPTER = "helpline.accounts.mfa.MfaAdapter"
MFA_FORMS = {
    name: f"helpline.accounts.mfa_forms.{form}"
    for name, form in {
        "authenticate": "AuthenticateForm",
        "reauthenticate": "ReauthenticateForm",
        "authenticate_webauthn": "AuthenticateWebAuthnForm",
        "reauthenticate_webauthn": "ReauthenticateWebAuthnForm",
        "add_webauthn": "AddWebAuthnForm",
        "edit_webauthn": "EditWebAuthnForm",
        "activate_totp": "ActivateTOTPForm",
    }.items()
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = os.environ.get("HELPLINE_MFA_ISSUER", "")
MFA_TOTP_TOLERANCE = 1  # one period either side: phones whose clock drifts a little
# Browsers offer WebAuthn only on https:// origins and on http://localhost; plain http is
# accepted by the server only in development and tests.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING
MFA_RATE_LIMITS = {"webauthn_login": "10/m/ip"}

SOCIALACCOUNT_ADAPTER = "helpline.accounts.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False  # never: the adapter refuses anyone who is not staff already
# Matching a provider's account to a person is the adapter's (existing active staff only).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button posts; a link cannot start a sign-in
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"


OIDC_PROVIDERS = sso_config.providers_from_environment(os.environ)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": OIDC_PROVIDERS, "OAUTH_PKCE_ENABLED": True}}

# --- mail -----------------------------------------------------------------------------------
# Pages queue their mail in the outbox (same transaction); the worker delivers it through
# EMAIL_DELIVERY_BACKEND with retries and back-off (docs/admin/install.md, "Outgoing mail").
EMAIL_BACKEND = os.environ.get(
    "HELPLINE_EMAIL_BACKEND", "helpline.mail.backends.QueuedEmailBackend"
)
EMAIL_DELIVERY_BACKEND = os.environ.get(
    "HELPLINE_EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_TIMEOUT = int(os.environ.get("HELPLINE_SMTP_TIMEOUT", "30"))
EMAIL_MAX_ATTEMPTS = int(os.environ.get("HELPLINE_MAIL_MAX_ATTEMPTS", "10"))
EMAIL_RETRY_SECONDS = int(os.environ.get("HELPLINE_MAIL_RETRY_SECONDS", "60"))
EMAIL_RETRY_MAX_SECONDS = 3600
OUTBOX_KEEP_DAYS = 30
EMAIL_HOST = os.environ.get("HELPLINE_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("HELPLINE_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("HELPLINE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HELPLINE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HELPLINE_SMTP_STARTTLS")
DEFAULT_FROM_EMAIL = os.environ.get("HELPLINE_FROM_EMAIL", "helpline@localhost")
# Mailboxes (IMAP, POP3, per-mailbox SMTP): every network step times out; certificates are
# checked against the system's CAs, or this bundle (a private CA).
MAIL_TIMEOUT = int(os.environ.get("HELPLINE_MAIL_TIMEOUT", "30"))
MAIL_TLS_CA_FILE = os.environ.get("HELPLINE_MAIL_CA_FILE") or None
MAIL_POLL_BATCH = int(os.environ.get("HELPLINE_MAIL_POLL_BATCH", "200"))
MAIL_POLL_PARALLEL = int(os.environ.get("HELPLINE_MAIL_POLL_PARALLEL", "4"))
# Polled messages stored per transaction (a savepoint each; removed on the server after it).
MAIL_POLL_COMMIT_EVERY = int(os.environ.get("HELPLINE_MAIL_POLL_COMMIT_EVERY", "50"))
# Overrides of the OAuth2 endpoints per provider ("google", "microsoft"): tests and proxies.
MAIL_OAUTH_ENDPOINTS: dict[str, dict[str, str]] = {}

# Incoming mail (docs/admin/mail.md). Mail from a staff address acts as that staff member only
# when this is on AND the receiving server's Authentication-Results header (from one of the
# MAIL_AUTHSERV_IDS, or the topmost one when none are named) shows DMARC or SPF pass.
MAIL_TRUST_AUTHENTICATION_RESULTS = env_bool("HELPLINE_MAIL_TRUST_AUTH_RESULTS")
MAIL_AUTHSERV_IDS = [
    value.strip()
    for value in os.environ.get("HELPLINE_MAIL_AUTHSERV_IDS", "").split(",")
    if value.strip()
]
# An answer to a closed request: "followup" opens a new linked request, "reopen" reopens it.
MAIL_CLOSED_REPLY = os.environ.get("HELPLINE_MAIL_CLOSED_REPLY", "followup")
# More messages than this from one sender within an hour go to the quarantine (0: no limit).
MAIL_SENDER_HOURLY_LIMIT = int(os.environ.get("HELPLINE_MAIL_SENDER_HOURLY_LIMIT", "30"))
# Automatic replies that concern no request open one (normally they are only kept).
MAIL_AUTO_REPLY_OPENS_TICKETS = env_bool("HELPLINE_MAIL_AUTO_REPLY_OPENS_TICKETS")
# The largest message `helpline mail-in` reads from standard input.
MAIL_MAX_MESSAGE_BYTES = int(os.environ.get("HELPLINE_MAIL_MAX_MESSAGE_MB", "50")) * 1024 * 1024
# Automatic letters (notifications) one address gets per hour at most; agents' replies always go.
MAIL_AUTO_PER_HOUR = int(os.environ.get("HELPLINE_MAIL_AUTO_PER_HOUR", "20"))
# Files of an agent's reply travel with the letter up to this many bytes together; larger
# ones stay on the request's page, which the letter links to.
MAIL_ATTACH_MAX_BYTES = int(os.environ.get("HELPLINE_MAIL_ATTACH_MAX_MB", "10")) * 1024 * 1024

# --- health (/healthz) ------------------------------------------------------------------------
HEALTH_CACHE_SECONDS = float(os.environ.get("HELPLINE_HEALTH_CACHE_SECONDS", "5"))
HEALTH_MIN_FREE_MB = int(os.environ.get("HELPLINE_HEALTH_MIN_FREE_MB", "500"))
HEALTH_OUTBOX_MINUTES = int(os.environ.get("HELPLINE_HEALTH_OUTBOX_MINUTES", "30"))
HEALTH_JOB_GRACE_SECONDS = 300

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("HELPLINE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "files"
# Attachments are never served from MEDIA_URL: downloads go through a permission-checked view.
MEDIA_URL = "/files-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "helpline.core.staticfiles.StaticFilesStorage"
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
# Uploads larger than 2.5 MB and chunked request bodies are spooled here, one directory per
# process, never to /tmp; directories of processes that died are removed (helpline.core.uploads).
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "helpline.core.uploads.DataDirUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- security -------------------------------------------------------------------------------
HTTPS = env_bool("HELPLINE_HTTPS")
# Where people reach the site: links in letters. Defaults to the first allowed host.
SITE_URL = os.environ.get("HELPLINE_SITE_URL", "").rstrip("/") or (
    f"{'https' if HTTPS else 'http'}://{ALLOWED_HOSTS[0] if ALLOWED_HOSTS else 'localhost'}"
)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *sso_config.form_action_origins(OIDC_PROVIDERS)],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HELPLINE_LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}
