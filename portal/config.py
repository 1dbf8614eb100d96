"""Configuration read from environment variables, with safe defaults for development."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

MEBIBYTE = 1024 * 1024
# Signs development sessions only; production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    """The database URL: DATABASE_URL, or a SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"


def load_config() -> dict:
    """Build the configuration dictionary from the environment."""
    portal_env = os.environ.get("PORTAL_ENV", "development").strip().lower()
    production = portal_env == "production"
    mail_server = os.environ.get("MAIL_SERVER", "")
    return {
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or ("" if production else DEVELOPMENT_SECRET_KEY),
        # Older keys, newest first, while SECRET_KEY is rotated: sessions and the encrypted second factors still open.
        "SECRET_KEY_FALLBACKS": [
            key.strip() for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
        ],
        "DATABASE_URL": database_url(),
        "PORTAL_DATA_DIR": os.environ.get("PORTAL_DATA_DIR", str(INSTANCE_DIR / "data")),
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        # Mail: rendered into the outbox, delivered by `flask portal send-mail`.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if (production or mail_server) else "console"),
        "MAIL_SERVER": mail_server or "localhost",
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "30")),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Promotionskolleg <noreply@promotionskolleg.example>"
        ),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "6")),
        # Throttling: memory for one development process, Redis for any real deployment.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "MAIL_REQUEST_LIMIT": os.environ.get("MAIL_REQUEST_LIMIT", "10 per hour"),
        "REFEREE_LETTER_LIMIT": os.environ.get("REFEREE_LETTER_LIMIT", "30 per hour"),
        # Opening or sending any page behind a secret link (referee, confirmation, reset, invitation), per address.
        "SECRET_LINK_LIMIT": os.environ.get("SECRET_LINK_LIMIT", "60 per hour"),
        # Requests to the REST API per personal access token (and per address for requests without one).
        "API_TOKEN_LIMIT": os.environ.get("API_TOKEN_LIMIT", "120 per minute"),
        # Cookies and HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 14,  # also the longest any signed-in session lasts
        "SESSION_IDLE_HOURS": float(os.environ.get("SESSION_IDLE_HOURS", "12")),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", "0")),
        # Requests larger than this are refused with 413 before a view runs.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(25 * MEBIBYTE))),
        "HUEY_REDIS_URL": os.environ.get("HUEY_REDIS_URL", ""),
        "PURGE_AFTER_DAYS": int(os.environ.get("PURGE_AFTER_DAYS", "180")),
        # How long backups are kept (the privacy notice says so; the cron job that deletes older ones must match).
        "BACKUP_KEEP_DAYS": int(os.environ.get("BACKUP_KEEP_DAYS", "30")),
        "PDF_CJK_FONT": os.environ.get("PDF_CJK_FONT", ""),
        "UPLOAD_MAX_BYTES": int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * MEBIBYTE))),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: a slow form must not lose its data
        "EMAIL_CHECK_DELIVERABILITY": _env_bool("EMAIL_CHECK_DELIVERABILITY", False),
        "CONFIRM_TOKEN_HOURS": int(os.environ.get("CONFIRM_TOKEN_HOURS", "72")),
        "INVITATION_TOKEN_DAYS": int(os.environ.get("INVITATION_TOKEN_DAYS", "14")),
        "RESET_TOKEN_HOURS": int(os.environ.get("RESET_TOKEN_HOURS", "2")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "LANGUAGES": ("de", "en", "zh"),
        "IMPRINT_ORGANISATION": os.environ.get("IMPRINT_ORGANISATION", "Internationales Promotionskolleg"),
        "IMPRINT_ADDRESS": os.environ.get("IMPRINT_ADDRESS", "Adolph-Roemer-Straße 2A, 38678 Clausthal-Zellerfeld"),
        "IMPRINT_EMAIL": os.environ.get("IMPRINT_EMAIL", "office@promotionskolleg.example"),
        # SAML sign-in (portal/saml): off until the service provider's key pair and a federation are configured.
        "SAML_SP_KEY_FILE": os.environ.get("SAML_SP_KEY_FILE", ""),
        "SAML_SP_CERT_FILE": os.environ.get("SAML_SP_CERT_FILE", ""),
        # JSON: {"dfn-aai": {"metadata": "<URL or file>", "certificate": "<the federation's signing certificate, PEM>"}}
        "SAML_FEDERATIONS": os.environ.get("SAML_FEDERATIONS", "{}"),
        # JSON: {"<university code>": "<its identity provider's entity ID>"}, e.g. {"TUC": "https://idp.tu-clausthal.de/..."}
        "SAML_UNIVERSITY_IDPS": os.environ.get("SAML_UNIVERSITY_IDPS", "{}"),
        "SAML_METADATA_HOURS": float(os.environ.get("SAML_METADATA_HOURS", "6")),
    }


class ConfigurationError(RuntimeError):
    """Raised when the portal would start with an unsafe configuration."""


def check_config(config: dict) -> None:
    """Refuse to start in production with development secrets or storage."""
    if config["PORTAL_ENV"] != "production":
        return
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY:
        raise ConfigurationError("SECRET_KEY must be set in production (PORTAL_ENV=production).")
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters long in production.")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # Each worker would count on its own: the login throttle would multiply with the number of processes.
        raise ConfigurationError("RATELIMIT_STORAGE_URI must name a shared store (Redis) in production.")
