"""volunteer_hub — 新时代文明实践中心志愿服务平台."""
import logging
import os
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session

from volunteer_hub import config as config_module
from volunteer_hub.extensions import api, babel, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"))
    app.config.from_mapping(config_module.from_env(app.instance_path, config))
    app.json.ensure_ascii = False  # Chinese names stay readable in JSON
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    init_extensions(app)
    init_blueprints(app)
    init_templates(app)
    init_cli(app)
    return app


def _select_locale():
    """Pages: zh_CN unless switched in the footer. API: the client's Accept-Language."""
    if not has_request_context():
        return None  # CLI, jobs and services outside a request use the default locale
    languages = list(current_app.config["LANGUAGES"])
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages)
    chosen = session.get("lang")
    return chosen if chosen in languages else None


def init_extensions(app: Flask) -> None:
    from volunteer_hub import models  # noqa: F401  (every model registered before migrations look)
    from volunteer_hub.core.errors import init_error_handlers
    from volunteer_hub.people.login import init_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "volunteer_hub" / "translations"))
    init_login(app)
    init_error_handlers(app)



def init_blueprints(app: Flask) -> None:
    from volunteer_hub.checkin import api as checkin_api
    from volunteer_hub.checkin import views as checkin_views
    from volunteer_hub.core.api import SPEC_OPTIONS
    from volunteer_hub.credits import api as credits_api
    from volunteer_hub.credits import views as credits_views
    from volunteer_hub.events import api as events_api
    from volunteer_hub.events import views as events_views
    from volunteer_hub.merchants import api as merchants_api
    from volunteer_hub.nodes import api as nodes_api
    from volunteer_hub.nodes import views as nodes_views
    from volunteer_hub.people import api as people_api
    from volunteer_hub.people import views as people_views
    from volunteer_hub.teams import api as teams_api
    from volunteer_hub.teams import views as teams_views
    from volunteer_hub.vouchers import api as vouchers_api
    from volunteer_hub.vouchers import views as vouchers_views

    app.config.setdefault("API_SPEC_OPTIONS", SPEC_OPTIONS)
    api.init_app(app)
    for module in (people_api, nodes_api, teams_api, events_api, checkin_api, credits_api, merchants_api, vouchers_api):
        csrf.exempt(module.blp)  # bearer tokens, not cookies, authenticate API writes
        api.register_blueprint(module.blp)
    for module in (people_views, nodes_views, teams_views, events_views, checkin_views, vouchers_views, credits_views):
        app.register_blueprint(module.bp)


def init_templates(app: Flask) -> None:
    from volunteer_hub.core import templating

    templating.init_app(app)


def init_cli(app: Flask) -> None:
    from volunteer_hub.cli import hub

    app.cli.add_command(hub)
