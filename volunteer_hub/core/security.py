"""Response headers that keep pages out of frames and scripts to our own files."""
import logging

from flask import Flask, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from volunteer_hub.core import outbound
from volunteer_hub.core.validators import mask_personal_data

# No inline scripts or styles anywhere: templates load static/*.js and *.css only.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",  # the check-in screen shows its QR code as a data: PNG
    "script-src 'self' 'wasm-unsafe-eval'",  # compiling zxing-wasm's reader; no JavaScript eval
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Check-in and voucher URLs carry codes; never hand them to another site.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",  # camera: 扫一扫
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _masking_factory(make_record):
    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        # Format now and mask the result: arguments and tracebacks (a database error's DETAIL
        # names the duplicate phone) are where personal data slips into logs.
        record.msg, record.args = mask_personal_data(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_data(logging.Formatter().formatException(record.exc_info))
        return record

    factory.masks_personal_data = True
    return factory


def mask_logs() -> None:
    """Every log record of the process, ours and the libraries', goes out with phones and IDs masked."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_personal_data", False):
        logging.setLogRecordFactory(_masking_factory(current))


class TrustedProxies:
    """Forwarded headers count only when the request comes from a trusted proxy, and then exactly
    ``count`` hops of them (ProxyFix). The host is never taken from them: absolute URLs come from
    PUBLIC_URL (core.urls)."""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                 "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")

    def __init__(self, app, count: int, trusted: list):
        self.app = app
        self.trusted = trusted
        self.behind_proxy = ProxyFix(app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0)

    def _from_proxy(self, address: str) -> bool:
        try:
            return outbound.inside(address, self.trusted)
        except ValueError:  # a unix socket, or no address at all
            return False

    def __call__(self, environ, start_response):
        if self._from_proxy(environ.get("REMOTE_ADDR") or ""):
            return self.behind_proxy(environ, start_response)
        for name in self.FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)


MAX_JSON_DEPTH = 32  # our deepest request body nests 3; the parser recurses and fails near 1,000


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``body`` nests arrays and objects more than ``limit`` deep (strings are skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the common case costs two counts
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _personal(response) -> bool:
    """What no browser or proxy may keep: the API, downloads, and every page of a logged-in user."""
    if request.path.startswith("/static/"):
        return False
    return (request.path.startswith("/api/") or "attachment" in response.headers.get("Content-Disposition", "")
            or not current_user.is_anonymous)  # not is_authenticated: that reloads the user the request expired


def init_app(app: Flask) -> None:
    mask_logs()
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["PROXY_COUNT"], app.config["TRUSTED_PROXIES"])
    production = app.config["ENV_NAME"] != "development"

    @app.before_request
    def refuse_deep_json():
        if request.is_json and too_deep(request.get_data(cache=True)):
            raise BadRequest(f"JSON nested more than {MAX_JSON_DEPTH} levels deep.")

    @app.after_request
    def add_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if _personal(response) and not response.cache_control.private:  # a view may allow the user's own cache
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
