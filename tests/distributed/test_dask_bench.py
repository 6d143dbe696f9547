"""benchmarks/bench_distributed.py runs (quick sizes) and reports; timings are not asserted."""
import os
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "bench_distributed.py")


def test_bench_distributed_quick_runs_and_reports():
    out = subprocess.run([sys.executable, BENCH, "--quick"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    for line in ("one process, no Dask:", "1 worker  x 1 thread:", "2 workers x 1 thread:",
                 "communication", "speed-up 2 workers / 1 worker:"):
        assert line in out.stdout, out.stdout
