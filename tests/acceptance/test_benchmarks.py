"""The benchmark scripts run (quick sizes), so they cannot rot unnoticed.

Only that they run and report is checked: timings are never asserted in
tests, since the machines are shared and noisy.
"""
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


@pytest.mark.parametrize("case", ["E1", "O1", "C1", "R1", "M1"])
def test_bench_cases_run(case):
    out = subprocess.run([sys.executable, os.path.join(BENCH, "bench.py"), "--quick",
                          "--case", case], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert f"\n{case}\n" in out.stdout and "targets met" in out.stdout


def test_bench_recurrent_runs():
    out = subprocess.run([sys.executable, os.path.join(BENCH, "bench_recurrent.py"),
                          "--sizes", "8", "--rounds", "1", "--seconds-per-round", "0"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "LSTM H=8" in out.stdout and "targets (issue 15)" in out.stdout
