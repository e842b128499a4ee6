import pytest

from volunteer_hub import create_app
from volunteer_hub.config import ConfigError


def test_sqlite_under_instance_is_the_default(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/volunteer_hub.sqlite3"
    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def test_database_url_switches_to_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/hub")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/hub"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_every_environment_but_development_requires_secret_key(monkeypatch, environment):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("VOLUNTEER_HUB_ENV", environment)
    with pytest.raises(ConfigError, match=f"SECRET_KEY must be set when VOLUNTEER_HUB_ENV={environment}"):
        create_app()
    monkeypatch.setenv("PUBLIC_URL", "https://hub.example.cn")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    for weak in ("x", "s3cret", "a" * 64, "passwordpassword" * 4):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(ConfigError, match="at least 32 random bytes"):
            create_app()
    monkeypatch.setenv("SECRET_KEY", "6f1c0e9a2b7d4c3e8f5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a")
    config = create_app().config
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        create_app({"SECRET_KEY": "x"})


def test_development_secret_is_kept_across_restarts(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("VOLUNTEER_HUB_ENV", raising=False)
    from volunteer_hub.config import from_env

    first = from_env(str(tmp_path))["SECRET_KEY"]
    assert len(first) == 64 and from_env(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
