"""The benchmark scripts keep working (a bounded run; the figures themselves are not asserted)."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pg

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(pg.find_bin_dir() is None, reason="needs the PostgreSQL server binaries")
def test_checkin_benchmark_runs():
    out = subprocess.run([sys.executable, "-m", "benchmarks.checkin", "--volunteers", "40", "--clients", "4"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "check-ins: 40 ok, 0 errors" in out.stdout
    assert "pgbench single-row INSERT ceiling" in out.stdout


@pytest.mark.skipif(pg.find_bin_dir() is None, reason="needs the PostgreSQL server binaries")
def test_redemption_benchmark_runs():
    out = subprocess.run([sys.executable, "-m", "benchmarks.redeem", "--vouchers", "20", "--clients", "4"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "confirms: 20 redeemed, 20 refused as already redeemed, 0 other" in out.stdout
