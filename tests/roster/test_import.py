"""批量导入志愿者: real .xlsx and .csv files built here; the dry run, every kind of bad row, all-or-nothing,
re-import changing nothing; service, API and pages on both databases."""
import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.test_pages import login
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Forbidden
from volunteer_hub.core.sheets import SheetProblem
from volunteer_hub.core.validators import check_digit
from volunteer_hub.extensions import db
from volunteer_hub.people import logins
from volunteer_hub.people.models import User
from volunteer_hub.roster import imports
from volunteer_hub.roster.models import RosterUpload
from volunteer_hub.teams import services as teams

HEADER = ["姓名", "手机号", "所属站点", "身份证号", "志愿服务队", "特长"]


def id_number(serial: int) -> str:
    first = f"3201021990{(serial % 12) + 1:02d}01{serial % 1000:03d}"
    return first + check_digit(first)


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def good(world):
    """Two new volunteers (one into a team, by the station's name; one by code) and 志愿者甲, who is
    already on the roster and joins the team."""
    return xlsx([
        ["王小华", "138 1234 5678", "东门社区实践站", id_number(1), "东门卫生环保队", "急救、摄影"],
        ["李明", "+8613812345679", world.s2.code, "", "", ""],
        ["志愿者甲", "13700000002", "东门社区实践站", "", "东门卫生环保队", ""],
    ])


def users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_a_good_file_imports_once_and_again_changes_nothing(app, world, good):
    report = imports.check(world.i1_manager, good, "名册.xlsx")
    assert [row.outcome for row in report.rows] == ["create", "create", "join"]
    assert report.summary == {"rows": 3, "created": 2, "joined": 1, "unchanged": 0, "errors": 0}
    before = users()
    db.session.rollback()
    assert users() == before  # the dry run wrote nothing

    imports.run(world.i1_manager, good, "名册.xlsx")
    db.session.commit()
    wang = db.session.scalar(sa.select(User).where(User.phone == "13812345678"))
    assert wang.name == "王小华" and wang.profile.home_station_id == world.s1.id
    assert wang.profile.skills == ["急救", "摄影"] and wang.profile.id_number_masked == "3201**********" + \
        id_number(1)[-4:]
    assert teams.membership(world.team, wang).status == "active"
    assert teams.membership(world.team, world.volunteer).status == "active"
    li = db.session.scalar(sa.select(User).where(User.phone == "13812345679"))
    assert li.profile.home_station_id == world.s2.id
    assert users() == before + 2
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster.import")).one()
    assert entry.data["created"] == 2 and entry.data["memberships"] == 2 and len(entry.data["sha256"]) == 64

    again = imports.run(world.i1_manager, good, "名册.xlsx")
    db.session.commit()
    assert [row.outcome for row in again.rows] == ["unchanged"] * 3 and users() == before + 2


def test_an_imported_volunteer_has_no_password_until_they_set_one(app, world, good, phone_code):
    imports.run(world.i1_manager, good, "名册.xlsx")
    db.session.commit()
    wang = db.session.scalar(sa.select(User).where(User.phone == "13812345678"))
    for guess in ("", "!imported", "imported"):
        assert logins.authenticate("13812345678", guess, address="198.51.100.1") is None
    client = app.test_client()
    code = phone_code("13812345678", "reset")
    done = client.post("/api/v1/auth/password-reset", json={"phone": "13812345678", "code": code,
                                                            "password": "Lanterns77"})
    assert done.status_code == 204
    db.session.expire_all()
    assert logins.authenticate("13812345678", "Lanterns77", address="198.51.100.1").id == wang.id


def test_every_kind_of_bad_row_is_named_and_nothing_is_written(app, world):
    bad = xlsx([
        ["", "13812340001", "东门社区实践站", "", "", ""],                        # 2: no name
        ["赵一", "1381234", "东门社区实践站", "", "", ""],                         # 3: bad phone
        ["赵二", "13812340003", "东门社区实践站", "320102199001011235", "", ""],   # 4: bad check digit
        ["赵三", "13812340004", "不存在实践站", "", "", ""],                       # 5: unknown station
        ["赵四", "13812340005", "南湖村实践站", "", "", ""],                       # 6: not the manager's
        ["赵五", "13812340006", "东门社区实践站", "", "没有这个队", ""],            # 7: unknown team
        ["赵六", "13812340007", "东门社区实践站", id_number(7), "", ""],           # 8: first of a pair
        ["赵七", "13812340007", "东门社区实践站", id_number(7), "", ""],           # 9: same phone and ID
        ["居民", "13600000001", "东门社区实践站", "", "", ""],                     # 10: someone else's phone
        ["志愿者乙", "13700000003", "东门社区实践站", "", "", ""],                  # 11: on another station
        ["赵八", "13812340011", "东门社区实践站", "", "", "很长" * 16],             # 12: a skill too long
    ])
    before = users()
    report = imports.check(world.i1_manager, bad, "bad.xlsx")
    errors = {row.number: row.errors for row in report.rows}
    assert [n for n, e in errors.items() if e] == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12]
    assert not errors[8] and len(errors[9]) == 2  # the second of the pair names the first row
    assert all("8" in message for message in errors[9])
    assert "西门社区实践站" in errors[11][0]
    with pytest.raises(imports.ImportRefused) as refused:
        imports.run(world.i1_manager, bad, "bad.xlsx")
    assert refused.value.status == 422 and len(refused.value.fields["rows"]) == 10
    db.session.rollback()
    assert users() == before


def test_an_id_number_registered_to_someone_else_is_refused(app, world):
    from volunteer_hub.people import services as people
    people.update_profile(world.leader, id_number=id_number(3))
    db.session.commit()
    report = imports.check(world.s1_manager, xlsx([["新人", "13812340099", "东门社区实践站", id_number(3), "", ""]]),
                           "x.xlsx")
    assert report.rows[0].outcome == "error" and len(report.rows[0].errors) == 1


def test_csv_in_gbk_with_other_column_names_and_order(app, world):
    text = "手机,姓名,站点,特长\n13812345670,钱多,东门社区实践站,唱歌;跳舞\n"
    report = imports.check(world.s1_manager, text.encode("gb18030"), "名册.csv")
    row = report.rows[0]
    assert row.outcome == "create" and row.name == "钱多" and row.skills == ["唱歌", "跳舞"]
    assert imports.check(world.s1_manager, ("\ufeff" + text).encode(), "名册.csv").rows[0].outcome == "create"


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (imports.MAX_FILE_BYTES * 9))
    return out.getvalue()


@pytest.mark.parametrize("data, filename", [
    (b"", "x.xlsx"), (b"%PDF-1.7 not a sheet", "x.pdf"), (b"\xd0\xcf\x11\xe0 old excel", "x.xls"),
    (b"PK\x03\x04 broken", "x.xlsx"), ("姓名,电话\n张三,13812345678\n".encode(), "x.csv"),
    ("姓名,手机号,所属站点\n".encode(), "x.csv"), (b"a,\"b\n", "x.csv"),
])
def test_files_that_cannot_be_read_are_refused_as_a_whole(app, world, data, filename):
    with pytest.raises(SheetProblem) as problem:
        imports.check(world.s1_manager, data, filename)
    assert problem.value.status == 422 and problem.value.fields["file"]


def test_a_zip_that_unpacks_into_too_much_is_refused(app, world):
    with pytest.raises(SheetProblem):
        imports.check(world.s1_manager, zip_bomb(), "bomb.xlsx")


def test_too_many_rows_are_refused(app, world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    with pytest.raises(SheetProblem):
        imports.check(world.s1_manager, xlsx([["甲", "13812340001", "东门社区实践站"]] * 3), "x.xlsx")


def test_only_managers_import(app, world, good):
    with pytest.raises(Forbidden):
        imports.check(world.volunteer, good, "x.xlsx")


def test_the_api_dry_run_then_import(app, world, good, api):
    manager = api(world.i1_manager)
    dry = manager.post("/api/v1/volunteers/import?dry_run=true", data={"file": (io.BytesIO(good), "名册.xlsx")})
    assert dry.status_code == 200 and dry.json["created"] == 2 and dry.json["dry_run"] is True
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.phone == "13812345678")) is None
    done = manager.post("/api/v1/volunteers/import", data={"file": (io.BytesIO(good), "名册.xlsx")})
    assert done.status_code == 200 and (done.json["created"], done.json["joined"]) == (2, 1)
    again = manager.post("/api/v1/volunteers/import", data={"file": (io.BytesIO(good), "名册.xlsx")})
    assert again.status_code == 200 and again.json["unchanged"] == 3
    bad = xlsx([["赵一", "1381234", "东门社区实践站"]])
    refused = manager.post("/api/v1/volunteers/import", data={"file": (io.BytesIO(bad), "bad.xlsx")})
    assert refused.status_code == 422 and refused.json["error"]["fields"]["rows"][0].startswith("2: ")
    checked = manager.post("/api/v1/volunteers/import?dry_run=1", data={"file": (io.BytesIO(bad), "bad.xlsx")})
    assert checked.status_code == 200 and checked.json["problems"][0]["row"] == 2
    assert manager.post("/api/v1/volunteers/import", data={}).status_code == 422
    unreadable = manager.post("/api/v1/volunteers/import", data={"file": (io.BytesIO(b"junk\x00"), "x.xlsx")})
    assert unreadable.status_code == 422 and unreadable.json["error"]["fields"]["file"]
    volunteer = api(world.volunteer).post("/api/v1/volunteers/import", data={"file": (io.BytesIO(good), "x.xlsx")})
    assert volunteer.status_code == 403


def test_the_pages_upload_preview_and_import(app, world, good):
    manager = login(app.test_client(), world.i1_manager)
    template = manager.get("/roster/import/template.xlsx")
    assert template.status_code == 200 and template.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert imports.check(world.i1_manager, template.data, "t.xlsx").rows[0].errors  # the example is no station

    bad = manager.post("/roster/import", data={"file": (io.BytesIO(xlsx([["赵一", "1381234", "东门社区实践站"]])),
                                                        "bad.xlsx")})
    assert bad.status_code == 302
    preview = manager.get(bad.headers["Location"])
    assert preview.status_code == 200 and "不是11位" in preview.text and "导入 1 行" not in preview.text

    unreadable = manager.post("/roster/import", data={"file": (io.BytesIO(b"%PDF"), "x.pdf")})
    assert unreadable.status_code == 422 and "姓名" in unreadable.text
    assert manager.post("/roster/import", data={}).status_code == 422

    uploaded = manager.post("/roster/import", data={"file": (io.BytesIO(good), "名册.xlsx")})
    preview = manager.get(uploaded.headers["Location"])
    assert "王小华" in preview.text and "导入 3 行" in preview.text
    assert users_named("王小华") == 0  # the preview wrote nothing
    done = manager.post(uploaded.headers["Location"], follow_redirects=True)
    assert done.status_code == 200 and "已导入" in done.text
    assert users_named("王小华") == 1
    assert manager.post(uploaded.headers["Location"]).status_code == 302  # a second press: a flash, no change
    assert users_named("王小华") == 1
    other = login(app.test_client(), world.s2_manager)
    assert other.get(uploaded.headers["Location"]).status_code == 404
    assert login(app.test_client(), world.volunteer).get("/roster/import").status_code == 403


def users_named(name: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.name == name))


def test_uploads_never_imported_are_dropped_after_two_days(app, world, good):
    upload = imports.upload(world.s1_manager, good, "x.xlsx")
    db.session.commit()
    assert imports.tidy_uploads(now=upload.created_at + timedelta(days=1)) == {"removed": 0}
    assert imports.tidy_uploads(now=upload.created_at + timedelta(days=3)) == {"removed": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterUpload)) == 0
