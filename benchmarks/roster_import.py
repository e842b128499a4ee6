"""Importing a roster spreadsheet: N volunteers (each with an ID number, a team and skills) from a real
.xlsx file, checked (the dry run) and imported on PostgreSQL, then imported again (changing nothing);
beside it, as the ceiling, the same rows written by a plain multi-row INSERT into copies of the tables.

    .venv/bin/python -m benchmarks.roster_import [--rows 10000] [--budget 30]
"""
import argparse
import io
import time

import sqlalchemy as sa
from openpyxl import Workbook

from benchmarks.harness import seeded_app, start_cluster


def spreadsheet(rows: int, station: str, team: str) -> bytes:
    from volunteer_hub.core.validators import check_digit

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["姓名", "手机号", "所属站点", "身份证号", "志愿服务队", "特长"])
    for i in range(rows):
        first = f"320102{1950 + i % 50}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
        sheet.append([f"志愿者{i}", f"15{i:09d}", station, first + check_digit(first), team, "急救、摄影"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds allowed for the import")
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench")
        with seeded_app(url) as (admin, _centre, station):
            from volunteer_hub.extensions import db
            from volunteer_hub.people import services as people
            from volunteer_hub.people.models import User
            from volunteer_hub.roster import imports
            from volunteer_hub.teams import services as teams

            leader = people.register_volunteer(name="队长", phone="13800000000", password="Bench2026x",
                                               home_station_id=station.id)
            team = teams.create_team(admin, name="压测服务队", category="health", node_id=station.id,
                                     leader_id=leader.id)
            db.session.commit()
            data = spreadsheet(args.rows, station.name, team.name)

            report, checking = timed(lambda: imports.check(admin, data, "roster.xlsx"))
            db.session.rollback()
            report, importing = timed(lambda: imports.run(admin, data, "roster.xlsx"))
            db.session.commit()
            again, reimporting = timed(lambda: imports.run(admin, data, "roster.xlsx"))
            db.session.commit()
            volunteers = db.session.scalar(sa.select(sa.func.count()).select_from(User)) - 2

            # Ceiling: the same rows, already prepared, by one multi-row INSERT per table.
            db.session.execute(sa.text("CREATE TABLE ceiling_users (LIKE users INCLUDING ALL);"
                                       "CREATE TABLE ceiling_profiles (LIKE volunteer_profiles INCLUDING ALL)"))
            rows = [{"id": i + 10, "name": f"志愿者{i}", "phone": f"16{i:09d}"} for i in range(args.rows)]

            def raw():
                db.session.execute(sa.text(
                    "INSERT INTO ceiling_users (id, name, phone, password_hash, active, failed_logins, "
                    "session_version, created_at) VALUES (:id, :name, :phone, '!', true, 0, 1, now())"), rows)
                db.session.execute(sa.text(
                    "INSERT INTO ceiling_profiles (user_id, home_station_id, skills, created_at) "
                    "VALUES (:id, :station, '[]', now())"), [{"id": r["id"], "station": station.id} for r in rows])
                db.session.commit()

            _none, ceiling = timed(raw)
    finally:
        cluster.stop()
    summary = report.summary
    print(f"file: {args.rows} rows, {len(data) / 1024:.0f} KiB .xlsx")
    print(f"dry run: {checking:.2f} s; import: {summary['created']} created, {summary['errors']} errors, "
          f"{importing:.2f} s ({args.rows / importing:.0f} rows/s)")
    print(f"re-import: {again.summary['unchanged']} unchanged, {again.summary['created']} created, "
          f"{reimporting:.2f} s")
    print(f"plain INSERT ceiling: {ceiling:.2f} s for {args.rows} users and profiles; import / ceiling = "
          f"{importing / ceiling:.1f}x")
    verdict = "met" if importing <= args.budget else "MISSED"
    print(f"budget {args.budget:.0f} s for {args.rows} rows: {verdict}")
    if volunteers != args.rows or again.summary["created"] != 0:
        raise SystemExit("every row must be imported exactly once")


if __name__ == "__main__":
    main()
