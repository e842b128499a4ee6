"""Reading the spreadsheets people already keep: Excel (.xlsx) and CSV, as rows of text.

An .xlsx file is a zip archive; its declared uncompressed size is checked before openpyxl opens it,
so a small upload cannot unpack into gigabytes. CSV is read as UTF-8 (with or without Excel's BOM)
or, failing that, GB18030: what Excel on a Chinese Windows writes when saving "CSV".
"""
import csv
import io
import zipfile
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import load_workbook

from volunteer_hub.core.errors import ValidationFailed

MAX_UNPACKED_BYTES = 64 * 1024 * 1024


class SheetProblem(ValidationFailed):
    """The file as a whole cannot be read (as opposed to a bad row in it)."""

    def __init__(self, message: str):
        super().__init__(message, {"file": [message]})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into a number cell comes back as 13812345678.0
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _numbered(rows, max_rows: int) -> list[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells) of the rows that are not blank."""
    kept = []
    for number, row in enumerate(rows, start=1):
        if any(row):
            kept.append((number, row))
            if len(kept) > max_rows:
                break
    return kept


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SheetProblem(_("The spreadsheet is too large once unpacked."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, SheetProblem):
            raise
        raise SheetProblem(_("This is not an Excel (.xlsx) file that can be read.")) from None
    try:
        rows = ([_text(value) for value in row] for row in workbook.worksheets[0].iter_rows(values_only=True))
        return _numbered(rows, max_rows)
    finally:
        workbook.close()


def _csv_rows(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = "\x00"
    if "\x00" in text:  # binary data, or bytes GB18030 cannot decode either
        raise SheetProblem(_("The CSV file is neither UTF-8 nor GBK text."))
    try:
        return _numbered(([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))), max_rows)
    except csv.Error:
        raise SheetProblem(_("The CSV file could not be read: check its quotes.")) from None


def read_rows(data: bytes, filename: str, max_rows: int) -> list[tuple[int, list[str]]]:
    """The rows of the first sheet (or the CSV) that are not blank, as (row number, cells of text), at
    most ``max_rows`` + 1 (so that the caller can say the file is too long). The kind is read from the bytes: an .xlsx
    starts as a zip archive; everything else must be CSV."""
    if not data:
        raise SheetProblem(_("The file is empty."))
    is_zip = data.startswith(b"PK\x03\x04")
    if filename.lower().endswith((".xls", ".et")) and not is_zip:
        raise SheetProblem(_("Old Excel (.xls) files cannot be read: save the file as .xlsx and try again."))
    return _xlsx_rows(data, max_rows) if is_zip else _csv_rows(data, max_rows)
