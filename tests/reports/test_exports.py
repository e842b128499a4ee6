"""Hours for the national 志愿服务信息系统: an Excel file opened back with openpyxl, cell by cell."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.roster.test_roster import serve
from tests.test_pages import login
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.db import local_date
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.reports import exports

ID = "11010519491231002X"


@pytest.fixture
def served(world, saturday):
    people.update_profile(world.volunteer, id_number=ID)
    saturday.title = "=HYPERLINK(\"http://evil.example\")"
    serve(world, saturday, world.volunteer, 3)
    return saturday


def test_the_rows_for_the_national_system(app, world, served):
    day = local_date(served.starts_at)
    rows = exports.national_hours(world.centre_admin, world.centre, day, day)
    assert rows == [["志愿者甲", "居民身份证", ID, "13700000002", served.title, day.isoformat(), "东门社区实践站", 3]]
    assert exports.national_hours(world.centre_admin, world.centre, day + timedelta(days=1),
                                  day + timedelta(days=2)) == []
    with pytest.raises(Forbidden):
        exports.national_hours(world.s1_manager, world.centre, day, day)
    with pytest.raises(ValidationFailed):
        exports.period(day, day - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        exports.period(day, day + timedelta(days=400))


def test_the_excel_file_cell_by_cell_and_audited(app, world, served):
    day = local_date(served.starts_at).isoformat()
    admin = login(app.test_client(), world.centre_admin)
    assert admin.get(f"/centres/{world.centre.id}/reports/national-hours").status_code == 200
    response = admin.post(f"/centres/{world.centre.id}/reports/national-hours", data={"start": day, "end": day})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == exports.NATIONAL_HEADER
    assert cells[1] == ["志愿者甲", "居民身份证", ID, "13700000002", "'" + served.title, day, "东门社区实践站", 3]
    assert sheet.cell(row=2, column=5).data_type == "s"  # the title is text, not a formula
    assert len(cells) == 2
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.national_hours"))
    assert entry.actor_id == world.centre_admin.id and entry.data["rows"] == 1
    manager = login(app.test_client(), world.s1_manager)
    assert manager.post(f"/centres/{world.centre.id}/reports/national-hours",
                        data={"start": day, "end": day}).status_code == 403
    bad = admin.post(f"/centres/{world.centre.id}/reports/national-hours", data={"start": day, "end": "2000-01-01"})
    assert bad.status_code == 422
