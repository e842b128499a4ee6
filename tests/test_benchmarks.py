"""The benchmark scripts keep working (a bounded run; the figures themselves are not asserted)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.usefixtures("postgres_binaries")  # skipped without them, failed under CI=true
@pytest.mark.parametrize("args,expected,ceiling", [
    (["benchmarks.floor", "--volunteers", "40", "--vouchers", "20", "--clients", "4", "--pgbench-seconds", "1"],
     "confirms: 20 redeemed, 20 refused as already redeemed, 0 other", "check-ins: 80 ok, 0 errors"),
    (["benchmarks.fanout", "--volunteers", "300"], "publication: 300 inbox messages, 1 webhook deliveries",
     "raw INSERT … SELECT ceiling"),
    (["benchmarks.roster_import", "--rows", "200"], "import: 200 created, 0 errors", "plain INSERT ceiling"),
    (["benchmarks.load", "--volunteers", "200", "--days", "10", "--vouchers", "20", "--merchants", "4", "--reads",
      "20", "--duration", "4"], "check-in     200 ok    0 errors",
     "verified: every acknowledged request is stored, the ledger balances"),
])
def test_benchmark_runs(args, expected, ceiling):
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert expected in out.stdout and ceiling in out.stdout
