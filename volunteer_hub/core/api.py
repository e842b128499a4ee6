"""The JSON API: flask-smorest with our error shape and bearer-token auth."""
from functools import wraps

import flask_smorest
from flask import request
from flask_login import current_user

from volunteer_hub.core.errors import ErrorSchema


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # core.errors handles every error for pages and API alike.
        pass


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


SPEC_OPTIONS = {
    "info": {"description": "新时代文明实践中心志愿服务平台 API. Authenticate with POST /api/v1/auth/token."},
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearerAuth": []}],
}
