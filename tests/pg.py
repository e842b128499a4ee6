"""A throw-away PostgreSQL cluster for the test suite (initdb + pg_ctl in a temp dir)."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def find_bin_dir() -> str | None:
    """The directory holding initdb and pg_ctl, preferring the newest installed major version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(os.path.realpath(found))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Start with ``start()``, stop with ``stop()``. As root, the server runs as an unprivileged user."""

    def __init__(self, bin_dir: str):
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.base = tempfile.mkdtemp(prefix="vh-pg-")
        self.data = os.path.join(self.base, "data")
        self.user = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            for name in ("postgres", "nobody"):
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = name
                os.chown(self.base, entry.pw_uid, entry.pw_gid)
                break

    def _run(self, *args: str) -> None:
        subprocess.run([os.path.join(self.bin_dir, args[0]), *args[1:]], check=True, user=self.user,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.base)

    def start(self) -> None:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.base, "log"), "-w", "start")

    def stop_server(self) -> None:
        """Stop the server (fast: open sessions are cut); ``start_server`` brings it back."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        # With the server down, restart starts it from postmaster.opts: same port, same settings.
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.base, "log"), "-w", "restart")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
