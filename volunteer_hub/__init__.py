"""volunteer_hub — 新时代文明实践中心志愿服务平台."""
import functools
import importlib
import logging
import os
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session

from volunteer_hub import config as config_module
from volunteer_hub.core.transactions import TransactionalFlask
from volunteer_hub.extensions import api, babel, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = TransactionalFlask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"))
    app.config.from_mapping(config_module.from_env(app.instance_path, config))
    app.json.ensure_ascii = False  # Chinese names stay readable in JSON
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    init_extensions(app)
    init_blueprints(app)
    init_templates(app)
    init_cli(app)
    return app


@functools.cache
def _parsed(identifier: str) -> Locale:
    """Babel keeps zh_CN as zh_Hans_CN: parsing the short name searches every locale it knows (0.27 ms),
    which Flask-Babel would do in each request that translates anything."""
    return Locale.parse(identifier)


def _select_locale() -> Locale | None:
    """Pages: zh_CN unless switched in the footer. API: the client's Accept-Language."""
    if not has_request_context():
        return None  # CLI, jobs and services outside a request use the default locale
    languages = list(current_app.config["LANGUAGES"])
    if request.path.startswith("/api/"):
        chosen = request.accept_languages.best_match(languages)
    else:
        chosen = session.get("lang")
    return _parsed(chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def init_extensions(app: Flask) -> None:
    from volunteer_hub import models  # noqa: F401  (every model registered before migrations look)
    from volunteer_hub.core import security
    from volunteer_hub.core.errors import init_error_handlers
    from volunteer_hub.core.limits import limiter
    from volunteer_hub.people.login import init_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "volunteer_hub" / "translations"))
    init_login(app)
    init_error_handlers(app)


# Each feature package has an ``api`` (flask-smorest blueprint ``blp``) and ``views`` (pages, ``bp``).
FEATURES = ("people", "nodes", "teams", "events", "checkin", "certificates", "credits", "merchants", "vouchers",
            "notifications", "themes", "reports", "scheduler", "needs", "roster", "announcements")
PAGES_ONLY = ("home",)  # pages that bring features together, no API of their own


def init_blueprints(app: Flask) -> None:
    from volunteer_hub.core.api import SPEC_OPTIONS, init_converters

    app.config.setdefault("API_SPEC_OPTIONS", SPEC_OPTIONS)
    api.init_app(app)
    init_converters(app, api)
    for feature in FEATURES:
        blp = importlib.import_module(f"volunteer_hub.{feature}.api").blp
        csrf.exempt(blp)  # bearer tokens, not cookies, authenticate API writes
        api.register_blueprint(blp)
        app.register_blueprint(importlib.import_module(f"volunteer_hub.{feature}.views").bp)
    for feature in PAGES_ONLY:
        app.register_blueprint(importlib.import_module(f"volunteer_hub.{feature}.views").bp)


def init_templates(app: Flask) -> None:
    from volunteer_hub.core import templating

    templating.init_app(app)


def init_cli(app: Flask) -> None:
    from volunteer_hub.cli import hub

    app.cli.add_command(hub)
