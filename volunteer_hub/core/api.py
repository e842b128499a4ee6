"""The JSON API: flask-smorest with our error shape and bearer-token auth."""
from functools import wraps

import flask_smorest
import marshmallow as ma
from flask import request
from flask_login import current_user
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.routing import IntegerConverter

from volunteer_hub.core.errors import ErrorSchema


def Text(max_length: int, **kwargs) -> ma.fields.String:  # noqa: N802 (reads as a field class)
    """A free-text field of at most ``max_length`` characters (documented as maxLength); the database
    column holds as many (core.db refuses longer values for every model)."""
    return ma.fields.String(validate=ma.validate.Length(max=max_length), **kwargs)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # core.errors handles every error for pages and API alike.
        pass


class Blueprint(flask_smorest.Blueprint):
    """Every writing operation documents 409: a state conflict or a uniqueness race can answer any of them
    (core.errors turns both into 409 with the error body)."""

    WRITES = {"post", "put", "patch", "delete"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Before _prepare_response_doc, which turns the response lists into the document's form.
        self._prepare_doc_cbks.insert(self._prepare_doc_cbks.index(self._prepare_response_doc),
                                      self._prepare_conflict_doc)

    def _prepare_conflict_doc(self, doc, doc_info, *, method, **kwargs):
        if method in self.WRITES:
            responses = doc_info.setdefault("response", {}).setdefault("responses", {})
            responses.setdefault(409, []).append("CONFLICT")
        return doc


class IdConverter(IntegerConverter):
    """``<int:…>`` path parts are database ids: past PostgreSQL's integer none can exist (404, not a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_converters(app, api: Api) -> None:
    """Before any route is added: pages and API alike use the bounded ``int``, and the document says so."""
    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, integerconverter2paramschema)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def auth_required(view):
    """API views: 401 JSON for anonymous callers (pages redirect to log-in instead)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            flask_smorest.abort(401, message="Authentication required: send 'Authorization: Bearer <token>'.")
        return view(*args, **kwargs)

    return wrapper


def permitted_first(check):
    """Run ``check(current_user, **path_values)`` (raising Forbidden or NotFound) before the arguments
    are parsed: a caller who may not use the endpoint at all learns that, not what their body lacks."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(current_user, **kwargs)
            return view(*args, **kwargs)

        return wrapper

    return decorator


SPEC_OPTIONS = {
    "info": {"description": "新时代文明实践中心志愿服务平台 API. Authenticate with POST /api/v1/auth/token."},
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearerAuth": []}],
}
