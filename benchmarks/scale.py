"""Province scale: a synthetic province loaded with COPY into the migrated schema, then the reports and
pages that read the most of it, timed warm on PostgreSQL 15, with an EXPLAIN (ANALYZE, BUFFERS)
summary of each one's slowest statement.

    .venv/bin/python -m benchmarks.scale [--fraction 1.0] [--data DIR] [--explain]

At fraction 1 (a province): 100 centres, 10,000 stations, 1,000,000 volunteers (one centre, the
"large county", has 100,000 of them), 20,000,000 approved attendance rows over two years of Saturdays
and the 20 M mint transactions with their 40 M ledger entries, two vouchers redeemed by most volunteers,
a theme a week in every centre, residents' requests. ``--data DIR`` keeps the cluster: a second run on
the same DIR measures again without building (the build takes a long while at fraction 1).

Goals (issue 20): a centre's weekly report < 300 ms, the centre credit report < 500 ms, the
province's monthly summary < 2 s, a volunteer's my-hours and wallet pages < 20 ms p99, a centre-wide
theme to 100,000 volunteers < 10 s, the anomaly board < 1 s.
"""
import argparse
import math
import os
import random
import statistics
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from benchmarks.harness import Cluster, migrate, pg

UNITS_PER_HOUR = 2 * 2  # two credits an hour, in half-credit units
SHIFT_MINUTES = 180
PRICE = 10 * 2  # a voucher: ten credits
WEEKS = 104


class Province:
    """Sizes and the id ranges of everything built, derived from the fraction alone."""

    def __init__(self, fraction: float, today: date):
        self.centres = max(2, round(100 * fraction))
        self.stations_per_centre = max(2, round(100 * math.sqrt(fraction)))
        self.volunteers = max(200, round(1_000_000 * fraction))
        self.attendances = max(1000, round(20_000_000 * fraction))
        self.large = self.volunteers // 10  # the large county's volunteers: ids 1 … large
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        self.saturdays = [saturday - timedelta(weeks=w) for w in reversed(range(WEEKS))]
        # 09:00 China time, in UTC
        self.starts = [datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=1) for d in self.saturdays]
        self.managers: dict[int, int] = {}
        self.admin = 0

    @property
    def stations(self) -> int:
        return self.centres * self.stations_per_centre

    def station_of_volunteer(self, number: int) -> int:
        """Station index (0-based) of volunteer ``number`` (1-based): the large county first."""
        if number <= self.large:
            return (number - 1) % self.stations_per_centre
        rest = number - self.large - 1
        return self.stations_per_centre + rest % (self.stations - self.stations_per_centre)


class Stream:
    """A COPY into ``table`` on a connection of its own, so that several tables fill in one pass."""

    def __init__(self, url: str, table: str, columns: str):
        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")  # the ledger's triggers, foreign keys
        self._copy_context = self.conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")
        self.copy = self._copy_context.__enter__()
        self.lines: list[str] = []
        self.count = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= 50_000:
            self.flush()

    def flush(self) -> None:
        chunk = "".join(self.lines)
        self.copy.write(chunk)
        self.count += chunk.count("\n")
        self.lines = []

    def close(self) -> int:
        self.flush()
        self._copy_context.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()
        return self.count


def _rows(url: str, table: str, columns: str, rows) -> int:
    stream = Stream(url, table, columns)
    for row in rows:
        stream.add("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
    return stream.close()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def build(url: str, p: Province, log) -> None:
    """Fill the migrated schema at ``url``. Secondary indexes are dropped while loading, built after."""
    import psycopg

    rnd = random.Random(20)
    created = _stamp(datetime.combine(p.saturdays[0] - timedelta(days=30), datetime.min.time(), UTC))
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND NOT "
                               "EXISTS (SELECT FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
        for name, _definition in indexes:
            conn.execute(f"DROP INDEX {name}")

    # Nodes: centres 1…C, then an institute per ten stations and the stations.
    nodes, station_ids, centre_of_station = [], [], []
    next_id = p.centres + 1
    for c in range(1, p.centres + 1):
        nodes.append((c, "centre", f"第{c}县新时代文明实践中心", f"C{c:03d}", "", None, None, None, f"/{c}/", created))
        for s in range(p.stations_per_centre):
            if s % 10 == 0:
                institute, next_id = next_id, next_id + 1
                nodes.append((institute, "institute", f"第{c}县第{s // 10 + 1}实践所", f"I{institute}", "", None, None,
                              c, f"/{c}/{institute}/", created))
            station, next_id = next_id, next_id + 1
            nodes.append((station, "station", f"第{c}县第{s + 1}实践站", f"S{station}", "", 31.0, 120.0, institute,
                          f"/{c}/{institute}/{station}/", created))
            station_ids.append(station)
            centre_of_station.append(c)
    _rows(url, "nodes", "id, kind, name, code, address, lat, lon, parent_id, path, created_at", nodes)
    log(f"nodes {len(nodes):,}")

    # People: volunteers 1…V, then a manager and a merchant owner per centre, and the province's admin.
    managers = {c: p.volunteers + c for c in range(1, p.centres + 1)}
    owners = {c: p.volunteers + p.centres + c for c in range(1, p.centres + 1)}
    p.admin = p.volunteers + 2 * p.centres + 1
    p.managers = managers
    password = "pbkdf2:sha256:1000$bench$0"
    _rows(url, "users", "id, name, phone, password_hash, active, created_at",
          ((u, f"志愿者{u}", f"1{u:010d}", password, "t", created) for u in range(1, p.admin + 1)))
    _rows(url, "volunteer_profiles", "user_id, home_station_id, skills, created_at",
          ((u, station_ids[p.station_of_volunteer(u)], "[]", created) for u in range(1, p.volunteers + 1)))
    _rows(url, "grants", "id, user_id, role, node_id, created_at",
          [(c, managers[c], "manager", c, created) for c in managers]
          + [(p.centres + 1, p.admin, "admin", None, created)])
    log(f"users {p.admin:,}")

    # Service days: every station's Saturday morning (09:00–12:00 China time) for two years.
    _rows(url, "service_days", "id, starts_at, ends_at, signup_deadline, confirmed_count, granularity_minutes, "
                               "min_interval_minutes, allow_walk_ins, team_only, node_id, title, description, "
                               "address, capacity, credits_per_hour, created_at",
          ((w * p.stations + s + 1, _stamp(starts), _stamp(starts + timedelta(hours=3)), _stamp(starts), 30, 15, 30,
            "f", "f", station, "文明提升日", "", "", 50, 2, created)
           for w, starts in enumerate(p.starts) for s, station in enumerate(station_ids)))
    log(f"service days {p.stations * WEEKS:,}")

    # Attendance and its mint (a transaction, two entries), in one pass over three COPY streams.
    members = [[] for _ in station_ids]
    for u in range(1, p.volunteers + 1):
        members[p.station_of_volunteer(u)].append(u)
    per_day = p.attendances / (p.stations * WEEKS)
    units = SHIFT_MINUTES * UNITS_PER_HOUR // 60
    minted = [0] * (p.volunteers + 1)
    attendances = Stream(url, "attendances", "id, service_day_id, user_id, status, checked_in_at, checked_out_at, "
                         "credited_minutes, manual, walk_in, approved_at, approved_by_id, created_at")
    transactions = Stream(url, "credit_transactions", "id, kind, key, memo, attendance_id, created_at")
    entries = Stream(url, "credit_entries", "id, transaction_id, account_id, amount, created_at")
    issuance = {c: p.volunteers + c for c in managers}  # wallets have the ids of their users
    number = 0
    for w, starts in enumerate(p.starts):
        checked_in, checked_out = _stamp(starts), _stamp(starts + timedelta(hours=3))
        approved = _stamp(starts + timedelta(days=2)) if w < WEEKS - 1 else None  # the last week is in review
        for s in range(p.stations):
            group, centre = members[s], centre_of_station[s]
            come = min(len(group), int(per_day) + (rnd.random() < per_day % 1))
            first = (w * come) % len(group)
            day_id = w * p.stations + s + 1
            for i in range(come):
                user = group[(first + i) % len(group)]
                number += 1
                if approved:
                    attendances.add(f"{number}\t{day_id}\t{user}\tclosed\t{checked_in}\t{checked_out}\t"
                                    f"{SHIFT_MINUTES}\tf\tf\t{approved}\t{managers[centre]}\t{checked_in}\n")
                    transactions.add(f"{number}\tmint\tmint:attendance:{number}\t文明提升日\t{number}\t{approved}\n")
                    entries.add(f"{2 * number - 1}\t{number}\t{issuance[centre]}\t{-units}\t{approved}\n"
                                f"{2 * number}\t{number}\t{user}\t{units}\t{approved}\n")
                    minted[user] += units
                else:
                    attendances.add(f"{number}\t{day_id}\t{user}\tclosed\t{checked_in}\t{checked_out}\t"
                                    f"{SHIFT_MINUTES}\tf\tf\t\\N\t\\N\t{checked_in}\n")
        if w % 13 == 12:
            log(f"  {w + 1} weeks, {number:,} attendance rows")
    p.attendances = attendances.close()
    log(f"attendances {p.attendances:,}")

    # Vouchers: most volunteers redeemed one or two at their county's merchant, within the last year.
    till = {c: p.volunteers + p.centres + c for c in managers}
    spent = [0] * (p.volunteers + 1)
    vouchers = Stream(url, "vouchers", "id, offer_id, merchant_id, user_id, code, price, status, expires_at, "
                                       "confirmed_at, confirmed_by_id, created_at")
    voucher = 0
    transaction = number
    entry = 2 * number
    for u in range(1, p.volunteers + 1):
        centre = centre_of_station[p.station_of_volunteer(u)]
        for _ in range(min(2, minted[u] // PRICE)):
            voucher += 1
            transaction += 1
            when = _stamp(p.starts[-1] - timedelta(days=rnd.randrange(365), minutes=rnd.randrange(600)))
            vouchers.add(f"{voucher}\t{centre}\t{centre}\t{u}\t{voucher:08X}\t{PRICE}\tconfirmed\t{when}\t"
                         f"{when}\t{owners[centre]}\t{when}\n")
            transactions.add(f"{transaction}\tredeem\tredeem:voucher:{voucher}\t理发一次\t\\N\t{when}\n")
            entries.add(f"{entry + 1}\t{transaction}\t{u}\t{-PRICE}\t{when}\n"
                        f"{entry + 2}\t{transaction}\t{till[centre]}\t{PRICE}\t{when}\n")
            entry += 2
            spent[u] += PRICE
    log(f"vouchers {vouchers.close():,}, transactions {transactions.close():,}, entries {entries.close():,}")

    issued, taken = dict.fromkeys(managers, 0), dict.fromkeys(managers, 0)
    for u in range(1, p.volunteers + 1):
        centre = centre_of_station[p.station_of_volunteer(u)]
        issued[centre] += minted[u]
        taken[centre] += spent[u]
    _rows(url, "credit_accounts", "id, kind, user_id, merchant_id, centre_id, balance, held, created_at",
          [(u, "wallet", u, None, None, minted[u] - spent[u], 0, created) for u in range(1, p.volunteers + 1)]
          + [(issuance[c], "issuance", None, None, c, -issued[c], 0, created) for c in managers]
          + [(till[c], "merchant", None, c, None, taken[c], 0, created) for c in managers])
    _rows(url, "merchants", "id, centre_id, name, address, contact_phone, licence_no, status, owner_id, created_at",
          [(c, c, f"文明商户{c}", "", f"1{owners[c]:010d}", f"9132{c:014d}", "approved", owners[c], created)
           for c in managers])
    _rows(url, "offers", "id, merchant_id, title, description, price, stock, reserved, active, created_at",
          [(c, c, "理发一次", "", PRICE, None, 0, "t", created) for c in managers])

    # Themes (a week each, every centre) and residents' requests (two a station a month, most reviewed).
    _rows(url, "themes", "id, node_id, title, description, guidance, places, held_on, publish_at, published_at, "
                         "updated_at, created_at",
          ((w * p.centres + c, c, f"第{w + 1}周主题", "", "", "", p.saturdays[w], _stamp(starts - timedelta(days=5)),
            _stamp(starts - timedelta(days=5)), created, created)
           for w, starts in enumerate(p.starts) for c in managers))
    _rows(url, "teams", "id, node_id, name, category, description, leader_id, created_at",
          ((s + 1, station, f"第{s + 1}志愿服务队", "culture", "", members[s][0], created)
           for s, station in enumerate(station_ids)))
    categories = ("repair", "elderly", "escort", "shopping", "company", "legal", "other")

    def needs():
        number = 0
        for w in range(0, WEEKS, 2):
            starts = p.starts[w]
            for s, station in enumerate(station_ids):
                number += 1
                asked = starts - timedelta(days=3)
                done = w < WEEKS - 4
                yield (number, members[s][-1], station, categories[number % 7], "请帮忙", "", _stamp(starts),
                       "13800000000", "reviewed" if done else "submitted", _stamp(asked),
                       s + 1 if done else None, _stamp(asked + timedelta(hours=5)) if done else None,
                       w * p.stations + s + 1 if done else None, _stamp(asked + timedelta(hours=30)) if done else None,
                       _stamp(starts + timedelta(hours=3)) if done else None, 4 + number % 2 if done else None,
                       "", "f", _stamp(asked))

    count = _rows(url, "needs", "id, resident_id, node_id, category, description, address, wished_at, contact_phone, "
                                "state, stage_started_at, team_id, dispatched_at, service_day_id, accepted_at, "
                                "completed_at, rating, review, flagged, created_at", needs())
    log(f"requests {count:,}")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            started = time.perf_counter()
            conn.execute(definition)
            log(f"  index {name}: {time.perf_counter() - started:.0f} s")
        for table in ("nodes", "users", "service_days", "attendances", "credit_transactions", "credit_entries",
                      "credit_accounts", "vouchers", "themes", "needs", "grants", "teams", "merchants", "offers"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("VACUUM ANALYZE")


class Timer:
    """Times calls warm and keeps the statements of the last run, for EXPLAIN."""

    def __init__(self, engine, explain: bool):
        import sqlalchemy as sa

        self.engine, self.explain = engine, explain
        self.statements: list[tuple[float, str, object]] = []

        @sa.event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["started"] = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):
            self.statements.append((time.perf_counter() - conn.info.pop("started"), statement, parameters))

    def run(self, name: str, call, goal_ms: float, repeat: int = 5, percentile: bool = False) -> None:
        from volunteer_hub.extensions import db

        call()  # warm: the cache, the compiled statements
        db.session.rollback()
        times = []
        for _ in range(repeat):
            self.statements = []
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        shown = statistics.quantiles(times, n=100)[98] if percentile else statistics.median(times)
        slowest = max(self.statements, key=lambda s: s[0], default=None)
        median = f" (median {statistics.median(times):.1f} ms)" if percentile else ""
        print(f"{name:52} {'p99' if percentile else 'median'} {shown:9.1f} ms  goal < {goal_ms:,.0f} ms  "
              f"{'met' if shown < goal_ms else 'NOT met'}  {len(self.statements)} statements{median}", flush=True)
        if self.explain and slowest is not None:
            self.explain_statement(*slowest)

    def explain_statement(self, seconds: float, statement: str, parameters) -> None:
        with self.engine.connect() as conn:
            plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)]
        nodes = [plan[0]] + [line.strip() for line in plan[1:] if "->" in line][:5]
        print(f"    slowest statement {seconds * 1000:.0f} ms: {' '.join(statement.split())[:150]}")
        for line in nodes + [line.strip() for line in plan if line.startswith("Execution")]:
            print(f"      {line[:150]}")


def measure(url: str, p: Province, explain: bool, ledger: bool) -> None:
    import sqlalchemy as sa

    os.environ["DATABASE_URL"] = url
    from volunteer_hub import create_app
    from volunteer_hub.credits import services as credits
    from volunteer_hub.extensions import db
    from volunteer_hub.needs import services as needs
    from volunteer_hub.nodes.models import Node
    from volunteer_hub.people import services as people
    from volunteer_hub.people.models import User
    from volunteer_hub.reports import anomalies
    from volunteer_hub.reports import services as reports
    from volunteer_hub.reports import statistics as figures
    from volunteer_hub.themes import services as themes
    from volunteer_hub.themes.models import Theme

    app = create_app({"SECRET_KEY": "bench-secret", "RATELIMIT_ENABLED": False})
    with app.app_context():
        timer = Timer(db.engine, explain)
        typical, large = db.session.get(Node, p.centres), db.session.get(Node, 1)
        admin = db.session.get(User, p.admin)
        monday = p.saturdays[-1] - timedelta(days=5)
        month = (p.saturdays[-1].replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # the last whole month
        print(f"\nProvince: {p.centres} centres, {p.stations:,} stations, {p.volunteers:,} volunteers "
              f"({p.large:,} in the large county), {p.attendances:,} attendance rows over {WEEKS} weeks\n")
        for label, centre in (("typical county", typical), ("large county", large)):
            timer.run(f"weekly report, {label} (live)", lambda c=centre: reports.build(c, monday), 300)
            timer.run(f"centre credit report, {label}", lambda c=centre: reports.centre_credits(c), 500)
            timer.run(f"anomaly board, {label}, {month}", lambda c=centre: anomalies.board(c, month), 1000)
            timer.run(f"requests dashboard, {label}", lambda c=centre: needs.dashboard(c), 1000)
        timer.run(f"province monthly summary, {month}", lambda: figures.province(admin, month), 2000, repeat=3)

        # Pages of volunteers of both counties, as their phones ask for them.
        sample = random.Random(5).sample(range(1, p.volunteers + 1), 100)
        tokens = {u: people.issue_token(db.session.get(User, u))[0] for u in sample}
        db.session.commit()
        client = app.test_client()
        cookies = {}  # each volunteer's signed session cookie, made before the clock runs
        for user in sample:
            with client.session_transaction() as session:
                now = int(time.time())
                session.update(_user_id=f"{user}.1", _fresh=True, sid=f"bench-{user}", seen=now, born=now, idle=3600)
            cookies[user] = client.get_cookie("session").value

        def page(path, user):
            if path.startswith("/api/"):
                response = client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})
            else:
                client.set_cookie("session", cookies[user])
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        users = iter(sample * 10)
        timer.run("my hours page (/me/hours)", lambda: page("/me/hours", next(users)), 20, repeat=200,
                  percentile=True)
        timer.run("wallet (/api/v1/me/wallet)", lambda: page("/api/v1/me/wallet", next(users)), 20, repeat=200,
                  percentile=True)
        if ledger:
            timer.run("ledger check (ledger_problems, the nightly job)", credits.ledger_problems, 60_000, repeat=1)

        # A theme for the large county's next Saturday, published as the scheduler would.
        earlier = db.session.scalar(sa.select(sa.func.count()).select_from(Theme).where(Theme.title == "规模测试主题"))
        held_on = p.saturdays[-1] + timedelta(weeks=1 + earlier)  # a free Saturday on a kept province
        manager = db.session.get(User, p.managers[1])
        theme = themes.create_theme(manager, node_id=1, title="规模测试主题", held_on=held_on,
                                    now=datetime.combine(held_on - timedelta(days=6), datetime.min.time(), UTC))
        db.session.commit()
        started = time.perf_counter()
        counts = themes.publish_due(now=theme.publish_at)
        db.session.commit()
        elapsed = (time.perf_counter() - started) * 1000
        print(f"{'theme published to the large county':52} once   {elapsed:9.1f} ms  goal < 10,000 ms  "
              f"{'met' if elapsed < 10_000 else 'NOT met'}  ({counts['notified']:,} volunteers told)")

        sizes = dict(db.session.execute(sa.text(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
            "('attendances', 'credit_transactions', 'credit_entries', 'service_days') AND relkind = 'r'")).all())
        total = db.session.scalar(sa.text("SELECT pg_database_size(current_database())"))
    millions = p.attendances / 1e6
    print(f"\ndatabase {total / 2**30:.1f} GiB in all: per million attendance rows "
          f"{sizes['attendances'] / millions / 2**20:.0f} MiB of attendance, "
          f"{(sizes['credit_transactions'] + sizes['credit_entries']) / millions / 2**20:.0f} MiB of the ledger "
          f"it minted, {total / millions / 2**20:.0f} MiB of everything")


@contextmanager
def cluster_at(data: str | None):
    """A durable cluster, kept in ``data`` when given (and started again from it), else thrown away."""
    cluster = Cluster(pg.find_bin_dir())
    options = ("-c shared_buffers=2GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB "
               "-c effective_cache_size=12GB")
    if data:
        cluster.data = os.path.abspath(data)
    fresh = not os.path.exists(os.path.join(cluster.data, "PG_VERSION"))
    if fresh:
        cluster.start(options)
    else:
        cluster._run("pg_ctl", "-D", cluster.data, "-o", f"-p {cluster.port} -k {cluster.base} -c listen_addresses="
                     f"127.0.0.1 {options}", "-l", os.path.join(cluster.base, "log"), "-w", "start")
    try:
        yield cluster, fresh
    finally:
        if data:
            cluster.stop_server()
        else:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="of a province (1.0: 20 M attendance rows)")
    parser.add_argument("--data", help="keep the cluster here and reuse it on the next run")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each slowest statement")
    parser.add_argument("--ledger", action="store_true", help="also time the nightly ledger check (full scans)")
    args = parser.parse_args()
    p = Province(args.fraction, date.today())
    started = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    with cluster_at(args.data) as (cluster, fresh):
        if fresh:
            url = cluster.create_database("province")
            migrate(url)
            build(url.replace("+psycopg", ""), p, log)
            log("built")
        else:
            url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/province"
            migrate(url)  # indexes added since the build
            with __import__("psycopg").connect(url.replace("+psycopg", "")) as conn:
                p.attendances = conn.execute("SELECT count(*) FROM attendances").fetchone()[0]
        p.managers = {c: p.volunteers + c for c in range(1, p.centres + 1)}
        p.admin = p.volunteers + 2 * p.centres + 1
        measure(url, p, args.explain, args.ledger)


if __name__ == "__main__":
    main()
