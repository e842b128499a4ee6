"""Take the test database as it is and go back to it, on SQLite and PostgreSQL alike.

SQLite: a copy of the file. PostgreSQL: a copy of every table in a schema of its own; going back
deletes and re-inserts with triggers off (``session_replication_role``, the suite's cluster runs as
superuser), so the immutable ledger and audit tables can be put back too, and resets the sequences.
"""
import shutil

import sqlalchemy as sa

from volunteer_hub.extensions import db

SCHEMA = "snapshot"


class Snapshot:
    def __init__(self):
        db.session.commit()
        self.engine = db.engine
        self.tables = [table.name for table in db.metadata.sorted_tables]
        if self.engine.dialect.name == "sqlite":
            self.path = self.engine.url.database
            self._release()
            shutil.copyfile(self.path, self.path + ".snapshot")
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
            for name in self.tables:
                conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.{name} AS TABLE public.{name}"))
            # Qualified names: the planner may evaluate the function on other schemas' rows too.
            self.sequences = [row for row in conn.execute(sa.text(
                "SELECT table_name, column_name, pg_get_serial_sequence("
                "quote_ident(table_schema) || '.' || quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = 'public'")).all() if row[2]]

    def _release(self):
        db.session.remove()
        self.engine.dispose()

    def restore(self):
        if self.engine.dialect.name == "sqlite":
            self._release()
            shutil.copyfile(self.path + ".snapshot", self.path)
            return
        db.session.remove()  # its connection goes back to the pool; nothing else holds one
        if not hasattr(self, "_script"):  # one round trip: the matrix restores a few hundred times
            self._script = ";".join([
                "SET LOCAL session_replication_role = replica",
                *(f"DELETE FROM public.{name}" for name in reversed(self.tables)),
                *(f"INSERT INTO public.{name} SELECT * FROM {SCHEMA}.{name}" for name in self.tables),
                *(f"SELECT setval('{sequence}', COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
                  for table, column, sequence in self.sequences)])
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self._script)

    def drop(self):
        self._release()
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
