"""QR images with ``qrcode``: the rotating screen code and the printable A4 poster (PNG and SVG)."""
import io
import os
from xml.sax.saxutils import escape

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont

# CJK fonts looked for on the server, for the poster's title; Pillow's own font is the fallback.
FONT_PATHS = (
    os.environ.get("POSTER_FONT", ""),
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
A4_PX = (1240, 1754)  # 150 dpi


def _qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def png(data: str, box_size: int = 10) -> bytes:
    code = _qr(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(data: str) -> bytes:
    return _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string()


def _font(size: int):
    for path in FONT_PATHS:
        if path and os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def poster_png(title: str, lines: list[str], data: str) -> bytes:
    """A4 poster: title, the static QR code, a few lines of instructions."""
    page = Image.new("RGB", A4_PX, "white")
    draw = ImageDraw.Draw(page)
    width = A4_PX[0]
    draw.text((width // 2, 150), title, fill="black", font=_font(64), anchor="mm")
    code = _qr(data)
    code.box_size = max(4, 900 // (code.modules_count + 8))
    image = code.make_image().convert("RGB")
    page.paste(image, ((width - image.width) // 2, 260))
    y = 300 + image.height
    for line in lines:
        draw.text((width // 2, y), line, fill="black", font=_font(36), anchor="mm")
        y += 60
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=(150, 150))
    return buffer.getvalue()


def poster_svg(title: str, lines: list[str], data: str) -> bytes:
    """A4 poster as SVG (210 × 297 mm); text is rendered by the viewer's fonts."""
    code = _qr(data)
    matrix = code.get_matrix()
    n = len(matrix)
    size, left, top = 150, 30, 45  # mm
    cell = size / n
    path = "".join(f"M{left + x * cell:.3f},{top + y * cell:.3f}h{cell:.3f}v{cell:.3f}h-{cell:.3f}z"
                   for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    texts = "".join(
        f'<text x="105" y="{210 + i * 10}" font-size="6" text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297">'
        '<rect width="210" height="297" fill="white"/>'
        f'<text x="105" y="30" font-size="10" font-weight="bold" text-anchor="middle">{escape(title)}</text>'
        f'<path d="{path}" fill="black"/>{texts}</svg>'
    ).encode()
