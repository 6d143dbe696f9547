"""Profiling: ProfileStats contents, summaries, sharing, memory, printing at exit."""
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.debug.printing import graph_to_dot
from cytensor.debug.profiling import ProfileStats, print_at_exit

NO_REWRITES = theano.Mode(optimizer=None)


def _mlp():
    x = T.matrix("x")
    W = theano.shared(np.random.rand(20, 10), "W")
    return x, T.tanh(T.dot(x, W) + 1).sum(axis=1)


def test_profile_records_calls_times_nodes_and_shapes():
    x, y = _mlp()
    f = theano.function([x], y, profile=True)
    for rows in (4, 4, 8):
        f(np.ones((rows, 20)))
    p = f.profile
    assert p.calls == 3
    in_nodes = sum(p.node_time.values())
    assert p.call_time >= p.schedule_time >= in_nodes > 0
    assert set(p.node_calls) == set(f.schedule.nodes)
    assert all(calls == 3 for calls in p.node_calls.values())
    (dot,) = [n for n in f.schedule.nodes if type(n.op).__name__ == "Dot"]
    assert p.node_shapes[dot] == [((4, 20), (20, 10)), ((8, 20), (20, 10))]
    assert p.name.endswith("test_profiling.py:" + str(_line_of("f = theano.function([x], y, "
                                                                "profile=True)")))


def _line_of(text):
    with open(__file__) as source:
        return next(k for k, line in enumerate(source, 1) if text in line)


def test_summary_tables():
    x, y = _mlp()
    f = theano.function([x], y, profile=True, name="mlp")
    f(np.ones((4, 20)))
    out = io.StringIO()
    f.profile.summary(file=out)
    text = out.getvalue()
    assert text.startswith("Function profile: mlp\n  Calls: 1, ")
    for line in ("In the schedule:", "Python overhead of the calls", "Rewrites:",
                 "<% time> <sum %>  <total s> <per call s> <calls> <nodes>  <Op class>",
                 "<Op>", "<id>  <Node>", "input shapes: (4, 20), (20, 10)", "Dot(x, W)"):
        assert line in text
    assert "100.0%" in text
    assert "Memory" not in text


def test_config_profile_and_profiled_errors():
    x = T.vector("x")
    with change_flags(profile=True):
        f = theano.function([x], T.exp(x) + x)
    assert isinstance(f.profile, ProfileStats)
    assert theano.function([x], x * 2).profile is None
    w = T.vector("w")
    h = theano.function([x, w], x + w, profile=True)
    with pytest.raises(ValueError, match="Apply node that caused the error"):
        h(np.ones(2), np.ones(3))
    assert h.profile.calls == 0


def test_shared_and_merged_profiles():
    x = T.vector("x")
    stats = ProfileStats("both", atexit_print=False)
    f = theano.function([x], T.exp(x), profile=stats)
    g = theano.function([x], T.log(x) * 2, profile=stats, mode=NO_REWRITES)
    f(np.ones(3))
    g(np.ones(3))
    g(np.ones(3))
    assert stats.calls == 3 and len(stats.runs) == 2
    assert stats.node_calls[g.schedule.nodes[0]] == 2
    other = ProfileStats(atexit_print=False)
    h = theano.function([x], x + 1, profile=other)
    h(np.ones(3))
    total = stats.merge(other)
    assert total.calls == 4 and len(total.runs) == 3
    assert total.call_time == pytest.approx(stats.call_time + other.call_time)
    assert set(total.node_time) == set(stats.node_time) | set(other.node_time)
    assert (stats + other).calls == 4


def test_memory_profile():
    x = T.vector("x")
    y = T.exp(x)
    z = y * 2
    with change_flags(profile_memory=True):
        f = theano.function([x], z.sum(), profile=True, mode=NO_REWRITES)
    f(np.ones(1000))
    # exp: 8000 B, mul: 8000 B, sum: 8 B; the broadcast 2 is a view of a constant.
    held, peak = f.profile.memory_peaks()
    assert held == 16008
    assert peak == 16000            # exp and mul live together; exp dies before the sum
    out = io.StringIO()
    f.profile.summary(file=out)
    assert "held by the schedule (all live during a call, kept for the next): 15.6 KB" \
        in out.getvalue()


def test_pydotprint_shades_nodes_by_time_share():
    x = T.vector("x")
    f = theano.function([x], T.exp(x).sum(), profile=True, mode=NO_REWRITES)
    f(np.ones(10 ** 5))
    text = graph_to_dot(f)
    shares = [float(s) for s in re.findall(r"\\n([0-9.]+)%", text)]
    assert len(shares) == 2 and sum(shares) == pytest.approx(100, abs=0.2)


def test_print_at_exit_when_the_config_asks():
    x = T.vector("x")
    p1 = theano.function([x], x * 2, profile=ProfileStats("first")).profile
    p2 = theano.function([x], x + 2, profile=ProfileStats("second")).profile
    p1.calls = p2.calls = 1                 # as if called
    out = io.StringIO()
    print_at_exit(out)
    assert out.getvalue() == ""             # neither profile nor print_global_stats set
    with change_flags(print_global_stats=True):
        print_at_exit(out)
    text = out.getvalue()
    assert "Function profile: first" in text and "Function profile: second" in text
    assert "Function profile: sum of the" in text


def test_profiles_print_at_interpreter_exit():
    script = ("import numpy, cytensor as theano, cytensor.tensor as T\n"
              "x = T.vector('x')\n"
              "f = theano.function([x], T.exp(x), name='at_exit')\n"
              "f(numpy.ones(3))\n")
    env = dict(os.environ, CYTENSOR_FLAGS="profile=True")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Function profile: at_exit\n  Calls: 1," in result.stderr
