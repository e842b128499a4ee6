"""Domain errors raised by services and their translation to HTTP.

Every JSON error has the shape ``{"error": {"code", "message", "fields"}}``;
pages get a rendered error template. Services raise ``DomainError``
subclasses and never know about requests.
"""
import logging

import marshmallow as ma
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from volunteer_hub.core.db import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ErrorBody(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "machine-readable error code"})
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "per-field messages, for validation errors"},
    )


class ErrorSchema(ma.Schema):
    """Documented shape of every JSON error response."""

    error = ma.fields.Nested(ErrorBody, required=True)


# Map unique/foreign-key constraint names (see NAMING_CONVENTION) to the field they guard.
CONSTRAINT_FIELDS: dict[str, str] = {}


def register_constraint(name: str, field: str) -> None:
    CONSTRAINT_FIELDS[name] = field


def _field_for_integrity_error(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if not name:
        # SQLite names columns, not constraints: "UNIQUE constraint failed: users.phone".
        text = str(exc.orig)
        if "UNIQUE constraint failed:" not in text:
            return None
        cols = [c.strip() for c in text.split("failed:", 1)[1].split(",")]
        table = cols[0].split(".")[0]
        name = "uq_" + table + "_" + "_".join(c.split(".")[1] for c in cols)
    return CONSTRAINT_FIELDS.get(name)


def _wants_json() -> bool:
    """The API, and a page's own JSON requests (the offline queue's uploads), get JSON errors."""
    return request.path.startswith("/api/") or request.is_json


def _json_error(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status, headers or {}


def refusal(status: int, message: str):
    """A JSON error that a view returns instead of raising, so the request's writes are kept
    (core.transactions commits what a view answers; what it raises rolls back)."""
    return _json_error(status, HTTP_CODES[status], message)


def _page_error(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    503: "unavailable",
}


STATUS_MESSAGES = {
    400: _l("The request could not be understood; go back and try again."),
    401: _l("Log in first."),
    403: _l("You may not open this page or do this."),
    404: _l("There is no such page here."),
    405: _l("This address does not take that kind of request."),
    413: _l("What was sent is too large."),
    429: _l("Too many attempts; wait a moment and try again."),
}


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        db.session.rollback()
        if _wants_json():
            return _json_error(exc.status, exc.code, exc.message, exc.fields)
        return _page_error(exc.status, exc.message)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc: IntegrityError):
        db.session.rollback()
        field = _field_for_integrity_error(exc)
        message = _("This conflicts with existing data.")
        fields = {field: [_("Already in use.")]} if field else {}
        log.info("integrity error turned into 409: %s", exc.orig)
        if _wants_json():
            return _json_error(409, "conflict", message, fields)
        return _page_error(409, message)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def handle_out_of_range(exc: Exception):
        # A number past what the database column holds (an id of 10**30, say): the client's mistake.
        db.session.rollback()
        message = _("A number in the request is out of range.")
        if _wants_json():
            return _json_error(422, "validation_error", message)
        return _page_error(422, message)

    @app.errorhandler(OperationalError)
    def handle_db_unavailable(exc: OperationalError):
        db.session.rollback()
        log.warning("database unavailable: %s", exc.orig)
        message = _("The service is temporarily unavailable, please try again.")
        if _wants_json():
            return _json_error(503, "unavailable", message, headers={"Retry-After": "5"})
        return _page_error(503, message)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        fields = data.get("errors") or data.get("messages") or {}
        # webargs nests field errors by location ({"json": {...}}); clients want the fields.
        if len(fields) == 1 and next(iter(fields)) in ("json", "query", "form", "files", "headers"):
            fields = next(iter(fields.values()))
        if isinstance(fields, list):  # the body as a whole is wrong (not JSON, not an object)
            fields = {"_body": fields}
        message = data.get("message") or exc.description or exc.name
        if not data.get("message") and exc.description == type(exc).description and status in STATUS_MESSAGES:
            message = str(STATUS_MESSAGES[status])  # werkzeug's stock English sentence, said in the reader's language
        if status == 422 and not data.get("message"):
            message = _("Some fields are not valid.")
        if _wants_json():
            return _json_error(status, HTTP_CODES.get(status, "error"), message, fields, data.get("headers"))
        return _page_error(status, message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = _("Something went wrong on our side; it has been logged.")
        if _wants_json():
            return _json_error(500, "internal_error", message)
        return _page_error(500, message)
