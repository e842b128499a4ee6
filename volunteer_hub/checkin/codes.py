"""Check-in codes as pages and the API both hand them out: the URL a code opens, and its images."""
from flask import Response

from volunteer_hub.checkin import services
from volunteer_hub.core import qr
from volunteer_hub.core.urls import external_url


def checkin_url(token: str) -> str:
    return external_url("checkin.scan_page", token=token)


def image_response(kind: str, day, fmt: str) -> Response:
    """The current rotating code, or the A4 poster with the static code, as PNG or SVG."""
    if kind == "poster":
        url = checkin_url(services.poster_token(day))
        lines = [day.address, "扫码签到 / 签退 · Scan to check in and out"]
        body = (qr.poster_png if fmt == "png" else qr.poster_svg)(day.title, lines, url)
    else:
        url = checkin_url(services.rotating_token(day)[0])
        body = (qr.png if fmt == "png" else qr.svg)(url)
    mimetype = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(body, mimetype=mimetype, headers={"Cache-Control": "no-store"})
