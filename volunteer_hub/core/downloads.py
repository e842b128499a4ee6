"""Downloads that spreadsheet programs open safely, with Chinese intact: CSV and Excel (.xlsx).

Every export goes through ``spreadsheet_cell``: text that a spreadsheet would read as a formula
(OWASP's rule: a leading ``= + - @``, tab or carriage return) gets a leading apostrophe, so a
title such as ``=HYPERLINK(…)`` typed by a merchant shows as text at the county office.
"""
import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from flask import Response
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_cell(value):
    """``value`` as a cell that no spreadsheet evaluates. Numbers stay numbers ("-2.5" included)."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def spreadsheet_rows(header: list[str], rows: Iterable[Iterable]) -> Iterable[list]:
    yield [spreadsheet_cell(h) for h in header]
    for row in rows:
        yield [spreadsheet_cell(v) for v in row]


def attachment(body, mimetype: str, filename: str) -> Response:
    # Downloads hold personal data: never in a shared or browser cache.
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"})


def csv_response(filename: str, header: list[str], rows) -> Response:
    """UTF-8 with a BOM: without it Excel reads the file as the local ANSI code page."""
    out = io.StringIO()
    csv.writer(out).writerows(spreadsheet_rows(header, rows))
    return attachment("\ufeff" + out.getvalue(), "text/csv", filename)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, sheets: list[tuple[str, list[str], Iterable[Iterable]]]) -> Response:
    """An Excel workbook, a sheet per (title, header, rows); cells as ``spreadsheet_cell`` makes them
    (openpyxl would otherwise store text that starts with ``=`` as a formula). ID numbers and phones
    are text, so Excel neither rounds them nor drops leading zeros."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for row in spreadsheet_rows(header, rows):
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return attachment(out.getvalue(), XLSX, filename)
