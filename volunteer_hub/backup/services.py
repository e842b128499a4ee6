"""Export the whole database to one archive and restore it into an empty database.

The archive is a gzipped tar:

- ``manifest.json``: format and version, the schema revision (Alembic), the time, the row count
  and SHA-256 of every table, every file's size and SHA-256, and one checksum over all of it;
- ``tables/<name>.jsonl``: one JSON object per row, in primary-key order;
- ``files/needs/<name>``: residents' photos, which live on disk, not in the database.

The export reads one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite),
so a backup taken during the Saturday rush still balances. The import checks every checksum
before it writes, then writes everything in one transaction, or nothing.
"""
import base64
import hashlib
import io
import json
import tarfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from volunteer_hub.core.db import UTCDateTime, utcnow
from volunteer_hub.core.errors import Conflict, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.needs.services import photo_dir

FORMAT = "volunteer_hub-backup"
VERSION = 1
BATCH = 1000


# --- values ---------------------------------------------------------------------------------------

def _encode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decode(column: sa.Column, value):
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime | sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Time):
        return time.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def _line(row: dict) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def tables() -> list[sa.Table]:
    """Every table the models define, parents before children."""
    return list(db.metadata.sorted_tables)


def table_rows(conn, table: sa.Table):
    """The table's rows as JSON-ready dicts, in primary-key order (what the archive holds)."""
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(sa.select(table).order_by(*order)).mappings():
        yield {column.name: _encode(column, row[column.name]) for column in table.columns}


def schema_revision(conn) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


# --- export ---------------------------------------------------------------------------------------

def _snapshot(engine):
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        conn.exec_driver_sql("BEGIN")  # holds SQLite's read lock: writers wait until the export ends
    return conn


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o600
    tar.addfile(info, io.BytesIO(data))


def export_archive(path: str | Path) -> dict:
    """Write the archive to ``path``; returns its manifest."""
    now = utcnow()
    manifest = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(), "tables": {}, "files": {}}
    conn = _snapshot(db.engine)
    try:
        manifest["schema_revision"] = schema_revision(conn)
        manifest["source_database"] = db.engine.dialect.name
        with tarfile.open(path, "w:gz") as tar:
            for table in tables():
                data = b"".join(_line(row) for row in table_rows(conn, table))
                manifest["tables"][table.name] = {"rows": data.count(b"\n"), "sha256": _sha(data)}
                _add(tar, f"tables/{table.name}.jsonl", data, now.timestamp())
            for (filename,) in conn.execute(sa.text("SELECT filename FROM need_photos ORDER BY id")):
                data = (photo_dir() / filename).read_bytes()
                manifest["files"][f"needs/{filename}"] = {"bytes": len(data), "sha256": _sha(data)}
                _add(tar, f"files/needs/{filename}", data, now.timestamp())
            manifest["checksum"] = _manifest_checksum(manifest)
            _add(tar, "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode(), now.timestamp())
    finally:
        conn.rollback()
        conn.close()
    return manifest


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_checksum(manifest: dict) -> str:
    body = {key: manifest[key] for key in ("format", "version", "schema_revision", "tables", "files")}
    return _sha(json.dumps(body, sort_keys=True).encode())


# --- import ---------------------------------------------------------------------------------------

def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise ValidationFailed(f"not a volunteer_hub backup: no readable manifest.json ({exc})") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ValidationFailed(f"unsupported archive: format {manifest.get('format')!r} version "
                               f"{manifest.get('version')!r}; this code reads {FORMAT} version {VERSION}")
    if manifest.get("checksum") != _manifest_checksum(manifest):
        raise ValidationFailed("the manifest's checksum does not match its contents: the archive is damaged")
    return manifest


def _member(tar: tarfile.TarFile, name: str, expected: dict) -> bytes:
    try:
        data = tar.extractfile(name).read()
    except (KeyError, AttributeError) as exc:
        raise ValidationFailed(f"{name} is missing from the archive") from exc
    if _sha(data) != expected["sha256"]:
        raise ValidationFailed(f"{name} does not match its checksum: the archive is damaged")
    return data


def verify(path: str | Path) -> dict:
    """Read the whole archive and check every count and checksum; returns the manifest."""
    with tarfile.open(path, "r:gz") as tar:
        manifest = read_manifest(tar)
        for name, expected in manifest["tables"].items():
            rows = _member(tar, f"tables/{name}.jsonl", expected).count(b"\n")
            if rows != expected["rows"]:
                raise ValidationFailed(f"tables/{name}.jsonl has {rows} rows, not {expected['rows']}")
        for name, expected in manifest["files"].items():
            _member(tar, f"files/{name}", expected)
    return manifest


def _require_empty(conn, manifest: dict) -> None:
    revision = schema_revision(conn)
    if revision != manifest["schema_revision"]:
        raise Conflict(f"the archive has schema {manifest['schema_revision']}, the database {revision}: "
                       "restore into a database migrated to the archive's revision")
    known = {table.name for table in tables()}
    if set(manifest["tables"]) != known:
        raise Conflict(f"the archive's tables differ from this code's: {sorted(set(manifest['tables']) ^ known)}")
    for table in tables():
        if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            raise Conflict(f"the database is not empty (table {table.name} has rows): import only restores "
                           "into an empty database")


def import_archive(path: str | Path) -> dict:
    """Restore the archive into the current, empty database at the archive's schema revision."""
    manifest = verify(path)
    written: list[Path] = []
    with db.engine.begin() as conn, tarfile.open(path, "r:gz") as tar:
        _require_empty(conn, manifest)
        for table in tables():
            data = _member(tar, f"tables/{table.name}.jsonl", manifest["tables"][table.name])
            rows = [json.loads(line) for line in data.splitlines()]
            for start in range(0, len(rows), BATCH):
                conn.execute(table.insert(), [{c.name: _decode(c, row[c.name]) for c in table.columns}
                                              for row in rows[start:start + BATCH]])
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        try:
            for name, expected in manifest["files"].items():
                target = photo_dir() / Path(name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(_member(tar, f"files/{name}", expected))
                written.append(target)
        except BaseException:
            for target in written:
                target.unlink(missing_ok=True)
            raise
    return manifest


def _reset_sequences(conn) -> None:
    # Rows came with their ids; the next id handed out must follow the largest restored one.
    for table in tables():
        for column in table.primary_key.columns:
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                conn.execute(sa.text(f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) "
                                     "+ 1, false)"), {"s": sequence})
