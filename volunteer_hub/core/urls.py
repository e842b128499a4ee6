"""Absolute URLs (QR codes, PDFs, API links, texts) from the configured ``PUBLIC_URL``, never from the
request: a forged ``Host`` or ``X-Forwarded-Host`` must not put another site into a check-in code.
Works outside requests too (the scheduler, the command line)."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path.rstrip("/") or "/",
                                       url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)
