"""CSV downloads that spreadsheet programs open with Chinese intact."""
import csv
import io

from flask import Response


def csv_response(filename: str, header: list[str], rows) -> Response:
    """UTF-8 with a BOM: without it Excel reads the file as the local ANSI code page."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
