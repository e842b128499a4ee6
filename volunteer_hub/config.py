"""Configuration read from environment variables; no .env file is needed.

The embedded default is a SQLite file under ``instance/``; ``DATABASE_URL``
switches to PostgreSQL (``postgresql+psycopg://user:pass@host/db``).
"""
import os
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from volunteer_hub.core import outbound


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _normalise_db_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _development_secret(instance_path: str) -> str:
    """A key kept in instance/ so that sessions and encrypted ID numbers survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


def _key_list(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def from_env(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment plus ``overrides``."""
    env = os.environ
    overrides = overrides or {}
    environment = overrides.get("ENV_NAME", env.get("VOLUNTEER_HUB_ENV", "development"))
    secret = overrides.get("SECRET_KEY", env.get("SECRET_KEY"))
    if not secret:
        if environment != "development":
            raise ConfigError(f"SECRET_KEY must be set when VOLUNTEER_HUB_ENV={environment} (only development "
                              "generates one), e.g. SECRET_KEY=$(openssl rand -hex 32)")
        secret = _development_secret(instance_path)
    db_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "volunteer_hub.sqlite3")
    )
    tz_name = overrides.get("TIMEZONE", env.get("TIMEZONE", "Asia/Shanghai"))
    try:
        ZoneInfo(tz_name)
    except Exception as exc:  # ZoneInfoNotFoundError or ValueError for malformed keys
        raise ConfigError(f"TIMEZONE {tz_name!r} is not a known IANA time zone") from exc

    config = {
        "ENV_NAME": environment,
        "SECRET_KEY": secret,
        # Key rotation: old keys still verify sessions and signed tokens; only SECRET_KEY signs.
        "SECRET_KEY_FALLBACKS": _key_list(env.get("SECRET_KEY_FALLBACKS", "")),
        # A separate key lets operators rotate the session key without losing ID numbers.
        "ID_ENCRYPTION_KEY": env.get("ID_ENCRYPTION_KEY") or secret,
        "ID_ENCRYPTION_KEY_FALLBACKS": _key_list(env.get("ID_ENCRYPTION_KEY_FALLBACKS", "")),
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(db_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "TIMEZONE": tz_name,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": tz_name,
        "LANGUAGES": {"zh_CN": "中文", "en": "English"},
        "API_TITLE": "volunteer_hub API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_TOKEN_TTL_DAYS": int(env.get("API_TOKEN_TTL_DAYS", "30")),
        "PASSWORD_HASH_METHOD": "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment != "development",
        "REMEMBER_COOKIE_SECURE": environment != "development",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # Rate limits (core.limits); memory:// counts per process, redis://… across workers.
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "true").lower() != "false",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://" if environment == "development" else ""),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute; 50 per hour"),
        "RATELIMIT_CHECKIN": env.get("RATELIMIT_CHECKIN", "20 per minute"),
        "RATELIMIT_VOUCHER_CODE": env.get("RATELIMIT_VOUCHER_CODE", "30 per minute"),
        "RATELIMIT_PHONE_CODE": env.get("RATELIMIT_PHONE_CODE", "5 per minute; 30 per hour"),
        "RATELIMIT_REGISTRATION": env.get("RATELIMIT_REGISTRATION", "10 per hour"),
        "SMS_BACKEND": env.get("SMS_BACKEND", "log"),  # log, webhook (core/sms.py)
        # Wrong passwords (people.logins): free tries per source, then 1, 2, 4 … minutes' wait, capped;
        # sources the account has never logged in from share an account-wide allowance too.
        "LOGIN_FREE_ATTEMPTS": int(env.get("LOGIN_FREE_ATTEMPTS", "5")),
        "LOGIN_ACCOUNT_FREE_ATTEMPTS": int(env.get("LOGIN_ACCOUNT_FREE_ATTEMPTS", "20")),
        "LOGIN_LONGEST_DELAY_MINUTES": int(env.get("LOGIN_LONGEST_DELAY_MINUTES", "60")),
        # A page session ends after this long without a request: 4 hours for accounts that run something
        # (managers, admins, merchant staff: often on shared office computers), two weeks for volunteers
        # and residents on their own phones; and after SESSION_MAX_MINUTES in any case.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "240")),
        "SESSION_IDLE_MINUTES_PERSONAL": int(env.get("SESSION_IDLE_MINUTES_PERSONAL", str(14 * 24 * 60))),
        "SESSION_MAX_MINUTES": int(env.get("SESSION_MAX_MINUTES", str(30 * 24 * 60))),
        # Behind reverse proxies: how many hops of X-Forwarded-For/-Proto to trust, and only when the request
        # comes from one of TRUSTED_PROXIES (a client that reaches the app directly forges nothing).
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0")),
        "TRUSTED_PROXIES": env.get("TRUSTED_PROXIES", "127.0.0.1,::1"),
        # Every absolute URL (QR codes, PDFs, API links, texts) starts here, never at the request's Host.
        "PUBLIC_URL": env.get("PUBLIC_URL", "http://127.0.0.1:5000" if environment == "development" else ""),
        # Webhook and SMS gateways inside these networks may be reached (and over plain http), e.g.
        # "10.0.0.5/32" for an on-premises gateway; every other private address is refused (core.outbound).
        "OUTBOUND_ALLOWED_NETWORKS": env.get("OUTBOUND_ALLOWED_NETWORKS", ""),
        "DEFAULT_PAGE_SIZE": 20,
        # Check-out stays possible this long after a service day ends; then the job closes open check-ins.
        "CHECKOUT_GRACE_MINUTES": int(env.get("CHECKOUT_GRACE_MINUTES", "60")),
        # A scheduler restarted within this many minutes of a missed run catches it up; older runs are reported.
        "SCHEDULER_GRACE_MINUTES": int(env.get("SCHEDULER_GRACE_MINUTES", "60")),
    }
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers wait for the file lock instead of failing at once under concurrent requests.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    config.update(overrides)
    if not config["RATELIMIT_STORAGE_URI"]:
        raise ConfigError("RATELIMIT_STORAGE_URI must be set outside development: redis://host:6379/0 shares the "
                          "limits between workers and servers (memory:// only for a single process)")
    _check_public_url(config["PUBLIC_URL"], environment)
    if environment != "development":
        for name in ("SECRET_KEY", "ID_ENCRYPTION_KEY"):
            _check_key_strength(name, config[name])
    for name in ("OUTBOUND_ALLOWED_NETWORKS", "TRUSTED_PROXIES"):
        if isinstance(config[name], str):
            try:
                config[name] = outbound.parse_networks(config[name])
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc} (give addresses or CIDR blocks, comma-separated)") from None
    return config


MIN_KEY_BYTES = 32


def _check_key_strength(name: str, key: str) -> None:
    """At least 32 bytes that look random: ``SECRET_KEY=x`` or a word repeated signs nothing safely."""
    if len(key.encode()) < MIN_KEY_BYTES or len(set(key)) < 12:
        raise ConfigError(f"{name} must be at least {MIN_KEY_BYTES} random bytes, e.g. {name}=$(openssl rand -hex 32)")


def _check_public_url(url: str, environment: str) -> None:
    parts = urlsplit(url)
    secure = parts.scheme == "https" or environment == "development" and parts.scheme == "http"
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL {url!r} must be the site's https:// address as people reach it, e.g. "
                          "https://wmsj.example.gov.cn (http:// only in development)")
