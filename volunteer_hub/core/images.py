"""Uploaded images: their type is read from their first bytes, never from what the upload claims."""
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond that a "photo" is a decompression bomb


def image_type(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or None for anything else."""
    return next((mime for magic, mime in SIGNATURES.items() if data.startswith(magic)), None)


class NotAnImage(ValueError):
    """The bytes are not a PNG or JPEG image that can be decoded (or it is absurdly large)."""


def resized_jpeg(data: bytes, longest_side: int = 1600, quality: int = 82) -> tuple[bytes, int, int]:
    """A PNG or JPEG as a JPEG of at most ``longest_side`` pixels a side, turned upright as the camera
    meant it, with no metadata kept (EXIF carries the phone's GPS position). Returns (bytes, w, h)."""
    if image_type(data) is None:
        raise NotAnImage("not PNG or JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise NotAnImage("too many pixels")
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((longest_side, longest_side))
                if upright.mode not in ("RGB", "L"):
                    background = Image.new("RGB", upright.size, "white")
                    background.paste(upright, mask=upright.convert("RGBA").getchannel("A"))
                    upright = background
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=quality, optimize=True)
                return out.getvalue(), upright.width, upright.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise NotAnImage(str(exc)) from None
