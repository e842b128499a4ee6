"""Shared benchmark plumbing: a PostgreSQL cluster configured like production, the app under gunicorn,
pgbench as the ceiling, and a small asyncio HTTP client on loopback. Everything stops by itself."""
import asyncio
import concurrent.futures
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pg  # noqa: E402

# Production-like durability: fsync and synchronous commit stay on, unlike the test suite's cluster.
DURABLE = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"


class Cluster(pg.Cluster):
    def start(self, options: str = "") -> None:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   f"-c shared_buffers=256MB -c shared_preload_libraries=pg_stat_statements {DURABLE} {options}")
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.base, "log"), "-w", "start")

    @property
    def pid(self) -> int:
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def sql(self, database: str, query: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}",
                             autocommit=True) as conn:
            cursor = conn.execute(query)
            return cursor.fetchall() if cursor.description else []


def start_cluster(options: str = "") -> Cluster:
    bin_dir = pg.find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries not found (make test installs them).")
    cluster = Cluster(bin_dir)
    cluster.start(options)
    return cluster


def _processes() -> dict[int, tuple[int, int, int]]:
    """pid → (parent, own CPU ticks, CPU ticks of its reaped children), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        utime, stime, cutime, cstime = map(int, fields[11:15])
        found[int(entry)] = (int(fields[1]), utime + stime, cutime + cstime)
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root``, its live descendants and every child they reaped: exited
    workers and PostgreSQL backends still count. Robust to a noisy machine: time spent, not waited."""
    found = _processes()
    total, stack = found.get(root, (0, 0, 0))[2], [root]
    while stack:
        pid = stack.pop()
        total += found.get(pid, (0, 0, 0))[1]
        children = [child for child, (parent, _own, _reaped) in found.items() if parent == pid]
        total += sum(found[child][2] for child in children)
        stack.extend(children)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kib / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pgbench_insert(cluster: Cluster, database: str, clients: int, seconds: int = 10) -> tuple[float, int, float]:
    """The ceiling: single-row INSERT transactions per second on the same cluster; (tps, transactions,
    average latency in ms)."""
    dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname={database}"
    subprocess.run([os.path.join(cluster.bin_dir, "psql"), dsn, "-qc", "CREATE TABLE IF NOT EXISTS bench_ceiling "
                    "(id bigserial PRIMARY KEY, n int, at timestamptz DEFAULT now())"], check=True)
    script = Path(tempfile.mkdtemp()) / "insert.sql"
    script.write_text("INSERT INTO bench_ceiling (n) VALUES (1);\n")
    out = subprocess.run([os.path.join(cluster.bin_dir, "pgbench"), "-n", "-f", str(script), "-c", str(clients),
                          "-j", "2", "-T", str(seconds), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                          database], check=True, capture_output=True, text=True).stdout
    def figure(prefix: str) -> float:
        line = next(line for line in out.splitlines() if line.startswith(prefix))
        return float(line.split("=" if "=" in line else ":")[1].split()[0])

    return figure("tps"), int(figure("number of transactions actually processed")), figure("latency average")


def pgbench_insert_tps(cluster: Cluster, database: str, clients: int, seconds: int = 10) -> float:
    return pgbench_insert(cluster, database, clients, seconds)[0]


class Gunicorn:
    """gunicorn with the project's gunicorn.conf.py (gthread, 4 threads a worker), ``workers`` workers."""

    def __init__(self, database_url: str, port: int, workers: int = 4, env: dict | None = None,
                 app: str = "wsgi:app", ready: str = "/api/v1/openapi.json", threads: int | None = None):
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret", "LOG_LEVEL": "WARNING",
               **(env or {})}
        self.url = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
             "warning", *(["--threads", str(threads)] if threads else []), app],
            cwd=ROOT, env=env, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + ready, timeout=1)
                if len(self.worker_pids()) == workers:
                    return
            except urllib.error.HTTPError:  # answered: the app is up
                if len(self.worker_pids()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        sys.exit("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        return [pid for pid, (parent, _own, _reaped) in _processes().items() if parent == self.proc.pid]

    def worker_rss_mb(self) -> list[float]:
        return [rss_mb(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


async def _request(host: str, port: int, method: str, path: str, body: dict | None, token: str | None):
    reader, writer = await asyncio.open_connection(host, port)
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
               "Content-Type: application/json", f"Content-Length: {len(payload)}"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    data = await reader.read()
    writer.close()
    if not data:  # the server closed the connection without an answer (a killed worker)
        raise ConnectionResetError(f"no answer to {method} {path}")
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


async def run_load(base_url: str | list[str], jobs: list[tuple[str, str, dict | None, str | None]],
                   concurrency: int):
    """Run (method, path, body, token) jobs with ``concurrency`` clients; return latencies (s), statuses,
    elapsed. Several base URLs: the clients take turns between them, as behind a balancer."""
    servers = [url.removeprefix("http://").split(":") for url in
               ([base_url] if isinstance(base_url, str) else base_url)]
    queue = list(reversed(jobs))
    latencies, statuses = [], []

    async def client(number: int):
        host, port = servers[number % len(servers)]
        while queue:
            method, path, body, token = queue.pop()
            started = time.perf_counter()
            try:
                status, _ = await _request(host, int(port), method, path, body, token)
            except OSError:
                status = 0
            latencies.append(time.perf_counter() - started)
            statuses.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started


def run_apart(make_coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (tests/e2e) leaves a loop running in the
    test's thread, and asyncio.run refuses to start inside it."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def migrate(database_url: str) -> None:
    """Build the schema at ``database_url`` with the migrations."""
    from flask_migrate import upgrade

    from volunteer_hub import create_app

    app = create_app({"SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))


@contextmanager
def seeded_app(database_url: str):
    """The app on ``database_url``, migrated, with a platform admin and a centre → institute → station.

    Yields (admin, centre, station) inside an app context. Fast password hashes: benchmarks measure
    check-in and redemption, not hashing.
    """
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade

    from volunteer_hub import create_app
    from volunteer_hub.nodes import services as nodes
    from volunteer_hub.people import services as people

    app = create_app({"SECRET_KEY": "bench-secret", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
        admin = people.create_admin(name="压测管理员", phone="13900000000", password="Bench2026x")
        centre = nodes.create_node(admin, name="压测中心", kind="centre", code="BENCH")
        institute = nodes.create_node(admin, name="压测实践所", kind="institute", parent_id=centre.id)
        station = nodes.create_node(admin, name="压测实践站", kind="station", parent_id=institute.id)
        yield admin, centre, station


def bulk_volunteers(station, count: int, first: int = 0) -> list:
    """``count`` volunteers of ``station``, inserted in bulk (no per-user hashing), numbered from ``first``."""
    from volunteer_hub.extensions import db
    from volunteer_hub.people import services as people
    from volunteer_hub.people.models import User, VolunteerProfile

    password_hash = people.hash_password("Bench2026x")
    users = [User(name=f"志愿者{i}", phone=f"13{i:09d}", password_hash=password_hash)
             for i in range(first, first + count)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(VolunteerProfile(user_id=u.id, home_station_id=station.id) for u in users)
    db.session.flush()
    return users


def clerk(owner, shop, name: str, phone: str):
    """A member of staff of ``shop``, as in life: an account that accepts the owner's invitation."""
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.people import services as people

    user = people.create_user(name=name, phone=phone, password="Bench2026x")
    merchants.answer_invitation(user, merchants.invite_staff(owner, shop, phone), accept=True)
    return user


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]
