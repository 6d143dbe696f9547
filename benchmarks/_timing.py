"""The one timer of the benchmark scripts: medians of interleaved rounds.

This machine's speed changes from one second to the next (other processes,
the memory bandwidth, where the two vCPUs run).  Timing the implementations
in turns, round after round, puts them all under the same conditions, and
the median over the rounds drops the rounds a disturbance hit.
"""
import statistics
import time


def calls_filling(fn, args, seconds):
    """How many calls of ``fn(*args)`` take about ``seconds`` (at least one),
    counted after a first, warm-up call."""
    fn(*args)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(*args)
        calls += 1
    return max(1, calls)


def interleaved_medians(steps, *args, **options):
    """{name: median seconds per call} of each of ``steps`` ({name: function}),
    over ``interleaved_rounds``."""
    return {name: statistics.median(t)
            for name, t in interleaved_rounds(steps, *args, **options).items()}


def interleaved_rounds(steps, args=(), rounds=9, calls=None, seconds_per_round=0.05,
                       inputs=None, pause=0.0):
    """{name: [seconds per call in each round]} of each of ``steps`` ({name: function}).

    Each round times every step in turn, ``calls`` calls each, or with
    calls=None as many as take about ``seconds_per_round`` (counted once,
    before the rounds).  The steps get ``args``, or, given ``inputs`` (a
    list of argument tuples), ``inputs[r % len(inputs)]`` in round r, so
    nothing can cache a result.  ``pause`` seconds of sleep come first: the
    thread pools of a peer timed before (JAX, PyTorch) spin for a while
    after their last call and would take the cores.
    """
    inputs = [tuple(args)] if inputs is None else [tuple(a) for a in inputs]
    time.sleep(pause)
    per_step = {}
    for name, fn in steps.items():
        if calls is None:
            per_step[name] = calls_filling(fn, inputs[0], seconds_per_round)
        else:
            fn(*inputs[0])
            per_step[name] = calls
    times = {name: [] for name in steps}
    for r in range(rounds):
        args = inputs[r % len(inputs)]
        for name, fn in steps.items():
            n = per_step[name]
            start = time.perf_counter()
            for _ in range(n):
                fn(*args)
            times[name].append((time.perf_counter() - start) / n)
    return times


def median_time(fn, **options):
    """Median seconds per call of one function (``interleaved_rounds``'s options)."""
    return interleaved_medians({"": fn}, **options)[""]
