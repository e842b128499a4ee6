"""Uploaded images: their type is read from their first bytes, never from what the upload claims."""

SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def image_type(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or None for anything else."""
    return next((mime for magic, mime in SIGNATURES.items() if data.startswith(magic)), None)
