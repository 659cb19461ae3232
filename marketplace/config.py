"""Configuration read from the environment (and a local `.env`), with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv


def _flag(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" mean true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_options(url: str) -> dict[str, Any]:
    """Connection pool settings. SQLite writers queue on its lock rather than on the pool, so its
    pool is large enough for every thread of a busy server to wait there instead."""
    if url.startswith("sqlite"):
        return {"pool_pre_ping": True, "pool_size": 20, "max_overflow": 80, "pool_timeout": 60}
    return {"pool_pre_ping": True}


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the application config from the environment."""
    load_dotenv(Path.cwd() / ".env", override=False)
    default_db = f"sqlite:///{Path(instance_path) / 'shanlian.db'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Keyed hashes of phone numbers and one-time codes; kept apart from the session key.
        "HASH_KEY": os.environ.get("HASH_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "shanlian_session",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": ["zh_Hans", "en"],
        # Rate-limit and sign-in-throttle counts: in Redis when named (every worker and host counts
        # together; REDIS_URL serves when RATELIMIT_STORAGE_URI is not given), else per process.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://",
        # Several deployments sharing one Redis keep their counts apart by prefix.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", ""),
        "SIGN_IN_THROTTLE_PREFIX": os.environ.get("SIGN_IN_THROTTLE_PREFIX", "shanlian-signin"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Forgot-password posts per client address and email, and per client address; password
        # changes per account; organisation registrations per client address.
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "3 per 15 minutes"),
        "PASSWORD_RESET_CLIENT_RATE_LIMIT": os.environ.get("PASSWORD_RESET_CLIENT_RATE_LIMIT", "20 per hour"),
        "PASSWORD_CHANGE_RATE_LIMIT": os.environ.get("PASSWORD_CHANGE_RATE_LIMIT", "10 per hour"),
        "REGISTRATION_RATE_LIMIT": os.environ.get("REGISTRATION_RATE_LIMIT", "10 per hour"),
        # Proxies in front of the app (nginx, a load balancer) whose X-Forwarded-For is trusted: 0 when
        # none, so a client cannot pick its own address; 1 behind the recommended single nginx.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        # Staff and admins sign in with a second factor (TOTP); only the local demo turns it off.
        "REQUIRE_SECOND_FACTOR": _flag("REQUIRE_SECOND_FACTOR", True),
        "MEAL_BOOKING_RATE_LIMIT": os.environ.get("MEAL_BOOKING_RATE_LIMIT", "10 per minute;100 per hour"),
        "MEAL_FIND_RATE_LIMIT": os.environ.get("MEAL_FIND_RATE_LIMIT", "5 per hour;20 per day"),
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", ""),
        # Photos in S3-compatible object storage that every host reaches (docs/production.md); when
        # STORAGE_S3_BUCKET is empty they stay in EVIDENCE_DIR, a folder of this host.
        "STORAGE_S3_BUCKET": os.environ.get("STORAGE_S3_BUCKET", ""),
        "STORAGE_S3_PREFIX": os.environ.get("STORAGE_S3_PREFIX", ""),
        "STORAGE_S3_ENDPOINT_URL": os.environ.get("STORAGE_S3_ENDPOINT_URL", ""),
        "STORAGE_S3_REGION": os.environ.get("STORAGE_S3_REGION", ""),
        "STORAGE_S3_ACCESS_KEY": os.environ.get("STORAGE_S3_ACCESS_KEY", ""),
        "STORAGE_S3_SECRET_KEY": os.environ.get("STORAGE_S3_SECRET_KEY", ""),
        # "path" (bucket in the path: MinIO, SeaweedFS, most self-hosted stores) or "virtual" (AWS, OSS).
        "STORAGE_S3_ADDRESSING": os.environ.get("STORAGE_S3_ADDRESSING", "path"),
        # The operator's office in every page's footer, and its ICP filing number (备案号).
        "OFFICE_NAME": os.environ.get("OFFICE_NAME", ""),
        "OFFICE_PHONE": os.environ.get("OFFICE_PHONE", ""),
        "OFFICE_EMAIL": os.environ.get("OFFICE_EMAIL", ""),
        "OFFICE_ADDRESS": os.environ.get("OFFICE_ADDRESS", ""),
        "ICP_NUMBER": os.environ.get("ICP_NUMBER", ""),
        # The scheduler process: lease length and a factor shrinking job intervals (tests, demos).
        "SCHEDULER_LEASE_SECONDS": float(os.environ.get("SCHEDULER_LEASE_SECONDS", 60)),
        "SCHEDULER_SCALE": float(os.environ.get("SCHEDULER_SCALE", 1.0)),
        # Email copies of notifications: off unless an SMTP server is named.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "noreply@shanlian.local"),
        # Local development: an email that cannot be sent (no MAIL_SERVER) is written to the log whole.
        "MAIL_ECHO": _flag("MAIL_ECHO", False),
        # The site's address (scheme and host) for links in emails; without it, the request's own.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", ""),
        # Online giving (Stripe): off unless both keys are set. STRIPE_API_BASE only for localstripe.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
    }
