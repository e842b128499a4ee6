"""hub export / hub import: a round trip between the two databases gives back every row and file."""
import io
import json
import tarfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.conftest import TEST_CONFIG
from volunteer_hub import create_app
from volunteer_hub.backup import services as backup
from volunteer_hub.core.db import local_date, utcnow
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.credits import services as credits
from volunteer_hub.demo import load_demo
from volunteer_hub.extensions import db
from volunteer_hub.needs import services as needs
from volunteer_hub.nodes.models import Node
from volunteer_hub.people import services as people
from volunteer_hub.themes import services as themes

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _database(kind: str, name: str, tmp_path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / name}.sqlite3"
    return request.getfixturevalue("pg_cluster").create_database(name)


def _with_instance(url: str, instance):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(instance)  # each side keeps its photos in its own folder
    return app


def _everything(app) -> dict:
    with app.app_context(), db.engine.connect() as conn:
        rows = {table.name: list(backup.table_rows(conn, table)) for table in backup.tables()}
        files = {p.name: p.read_bytes() for p in needs.photo_dir().glob("*")}
        db.engine.dispose()
    return {"rows": rows, "files": files}


def _seed(app):
    with app.app_context():
        upgrade()
        load_demo()
        resident = people.find_by_phone("13600000000")
        station = db.session.scalar(sa.select(Node).where(Node.kind == "station").order_by(Node.id))
        needs.submit(resident, node_id=station.id, category="repair", description="楼道堆物需要清理",
                     address="城南社区 3 幢", wished_at=utcnow() + timedelta(days=3), contact_phone=resident.phone,
                     photos=[PNG, PNG + b"2"])
        admin = people.find_by_phone("13900000001")
        themes.create_theme(admin, node_id=station.centre_id, title="带海报的主题",
                            held_on=local_date(utcnow()) + timedelta(days=30), poster=PNG)
        credits.adjust(admin, people.find_by_phone("13800000001"), 3, "备份测试奖励")
        db.session.commit()
        db.engine.dispose()


@pytest.mark.parametrize("source, target", [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_export_then_import_into_an_empty_database_gives_back_every_row(source, target, tmp_path, request):
    source_app = _with_instance(_database(source, "backup_source", tmp_path, request), tmp_path / "a")
    target_app = _with_instance(_database(target, "backup_target", tmp_path, request), tmp_path / "b")
    _seed(source_app)
    archive = tmp_path / "backup.tar.gz"

    result = source_app.test_cli_runner().invoke(args=["hub", "export", "-o", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["version"] == 1 and manifest["schema_revision"]
    assert manifest["tables"]["users"]["rows"] >= 35 and len(manifest["files"]) == 2

    result = target_app.test_cli_runner().invoke(args=["hub", "import", str(archive)])
    assert result.exit_code == 0, result.output
    before, after = _everything(source_app), _everything(target_app)
    assert after["files"] == before["files"]
    for table, rows in before["rows"].items():
        assert after["rows"][table] == rows, table
    with target_app.app_context():
        assert credits.ledger_problems() == []
        # New rows get fresh ids after the restored ones.
        user = people.create_user(name="恢复后新用户", phone="13512345678", password="Restored2026")
        db.session.commit()
        assert user.id > max(row["id"] for row in before["rows"]["users"])
        db.engine.dispose()

    again = target_app.test_cli_runner().invoke(args=["hub", "import", str(archive)])
    assert again.exit_code != 0 and "not empty" in again.output


def test_a_damaged_archive_is_refused_before_anything_is_written(app, tmp_path):
    people.create_user(name="张三", phone="13812345678", password="Lanterns42")
    db.session.commit()
    good = tmp_path / "good.tar.gz"
    backup.export_archive(good)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(good) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "tables/users.jsonl":
                data = data.replace("张三".encode(), "李四".encode())
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(ValidationFailed, match="tables/users.jsonl does not match its checksum"):
        backup.import_archive(bad)  # checked before the emptiness of the database is even looked at
    assert backup.verify(good)["tables"]["users"]["rows"] == 1
