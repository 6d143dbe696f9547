"""What calling a compiled function costs beyond its kernels (issues 10 and 15).

    python benchmarks/bench_call_overhead.py [--rounds N] [--quick]

O1  ``f(v) = v + 1`` on 10 doubles: almost nothing but the call
U1  one in-place shared update, ``s <- s + x`` on 10 doubles, no output
S1  one SGD step of the book-form MLP 64-100-10 (tanh), batch 32, float32,
    loss ``-T.mean(T.log(p)[T.arange(y.shape[0]), y])`` (28 nodes)

Each case runs cytensor against NumPy by hand, PyTensor and PyTorch eager
(those installed), all in this one process and in alternation: every round
times a batch of calls of each in turn, and the figure printed is the
median over rounds, so a load that comes and goes hits all of them alike.

Then issue 15's per-call budget for S1: a call costs at most 1.2x the sum
of its nodes' own times plus 1 us a node.  The nodes' times come from a
profiled copy of the step (``profile=True``), whose "Python overhead" (the
call outside its schedule) is printed too; the budget is checked on the
median unprofiled call, since the profile's clocks around each node cost
time themselves.  Printed met / not met, with the machine's load, which
the figures depend on.
"""
import argparse
import os

import numpy as np

import bench_small_models as small
from _timing import interleaved_medians
import cytensor
from cytensor.debug.profiling import ProfileStats

O1_TARGET_US = 2.0          # issue 10 / bench.py's O1 targets
O1_PYTENSOR_RATIO = 0.6
BUDGET_FACTOR, BUDGET_PER_NODE = 1.2, 1e-6    # issue 15 item 2


def load_line():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


# ---------------------------------------------------------------------------
# The cases, one (steps, arguments) pair each
# ---------------------------------------------------------------------------

def o1_case():
    v = np.arange(10.0)
    steps = {"cytensor": _symbolic_o1(cytensor), "numpy": lambda a: a + 1}
    pytensor = small._try_import("pytensor")
    if pytensor is not None:
        steps["pytensor"] = _symbolic_o1(pytensor)
    torch = small._try_import("torch")
    if torch is not None:
        tv = torch.from_numpy(v)
        steps["torch"] = lambda a: tv + 1
    return steps, (v,)


def _symbolic_o1(lib):
    import_tensor(lib)
    v = lib.tensor.dvector("v")
    return lib.function([v], v + 1)


def u1_case():
    x = np.ones(10)
    steps = {"cytensor": _symbolic_u1(cytensor)}
    state = np.zeros(10)
    steps["numpy"] = lambda a: np.add(state, a, out=state)
    pytensor = small._try_import("pytensor")
    if pytensor is not None:
        steps["pytensor"] = _symbolic_u1(pytensor)
    torch = small._try_import("torch")
    if torch is not None:
        ts, tx = torch.zeros(10, dtype=torch.float64), torch.from_numpy(x)
        steps["torch"] = lambda a: ts.add_(tx)
    return steps, (x,)


def _symbolic_u1(lib):
    import_tensor(lib)
    s = lib.shared(np.zeros(10), name="s")
    x = lib.tensor.dvector("x")
    return lib.function([x], [], updates=[(s, s + x)])


def s1_case():
    params, x, y = small.model_data(64, 100, 32)
    steps = {"cytensor": small.cytensor_step(params), "cytensor profiled": profiled_s1(params)}
    for name, make in (("numpy", small.numpy_step), ("pytensor", small.pytensor_step),
                       ("torch", small.torch_step)):
        step = make(params)
        if step is not None:
            steps[name] = step
    small.check_same_losses(steps, (x, y))
    return steps, (x, y)


def profiled_s1(params):
    """The cytensor S1 step with profile=True: timed in the same rounds as
    the others, so that its nodes' times are measured under the same load."""
    stats = ProfileStats("S1", atexit_print=False)
    return small.symbolic_step(
        cytensor, cytensor.grad,
        lambda *args, **kwargs: cytensor.function(*args, profile=stats, **kwargs),
        cytensor.shared, params, None, None)


def import_tensor(lib):
    """``lib.tensor`` loaded (PyTensor does not import it with the package)."""
    __import__(lib.__name__ + ".tensor")


# ---------------------------------------------------------------------------
# The per-call budget of issue 15
# ---------------------------------------------------------------------------

def s1_budget(profiled, plain_seconds):
    """(lines to print, met): the budget, from the profiled copy of the step."""
    stats = profiled.profile
    n_nodes = len(profiled.schedule.nodes)
    call, in_schedule, in_nodes = stats.per_call()
    budget = BUDGET_FACTOR * in_nodes + BUDGET_PER_NODE * n_nodes
    lines = [f"S1 per-call budget ({n_nodes} nodes): <= {BUDGET_FACTOR} x the nodes' "
             f"{in_nodes * 1e6:.1f} us + {BUDGET_PER_NODE * 1e6:.0f} us a node "
             f"= {budget * 1e6:.1f} us",
             f"  profile: {call * 1e6:.1f} us a call, Python overhead of the call "
             f"{(call - in_schedule) * 1e6:.1f} us, schedule loop and clocks "
             f"{(in_schedule - in_nodes) * 1e6:.1f} us",
             f"  plain (unprofiled) call: {plain_seconds * 1e6:.1f} us, "
             f"{(plain_seconds - in_nodes) / n_nodes * 1e6:.2f} us a node above the nodes"]
    met = plain_seconds <= budget
    return lines, met


# ---------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    print(f"{load_line()}, {os.cpu_count()} CPUs, "
          f"cytensor threads {cytensor.kernels.get_num_threads()}")
    verdicts, medians, profiled = [], {}, None
    for case, make in (("O1 v + 1, 10 doubles", o1_case),
                       ("U1 in-place shared update s <- s + x, 10 doubles", u1_case),
                       ("S1 book-form MLP step 64-100-10, batch 32", s1_case)):
        steps, call_args = make()
        medians[case] = times = interleaved_medians(steps, call_args, rounds)
        profiled = steps.get("cytensor profiled", profiled)
        print(case)
        ours = times["cytensor"]
        for name, t in times.items():
            ratio = "" if name == "cytensor" else f"   cytensor / {name} = {ours / t:.2f}"
            print(f"  {name:>17}: {t * 1e6:10.2f} us{ratio}")
    o1 = medians["O1 v + 1, 10 doubles"]
    verdicts.append(f"O1 <= {O1_TARGET_US} us: {o1['cytensor'] * 1e6:.2f} us "
                    + ("met" if o1["cytensor"] * 1e6 <= O1_TARGET_US else "NOT met"))
    if "pytensor" in o1:
        ratio = o1["cytensor"] / o1["pytensor"]
        verdicts.append(f"O1 <= {O1_PYTENSOR_RATIO}x pytensor: {ratio:.2f} "
                        + ("met" if ratio <= O1_PYTENSOR_RATIO else "NOT met"))
    lines, met = s1_budget(profiled, medians["S1 book-form MLP step 64-100-10, batch 32"]
                           ["cytensor"])
    print("\n".join(lines))
    verdicts.append("S1 per-call budget: " + ("met" if met else "NOT met"))
    print("targets:")
    for line in verdicts:
        print("  " + line)
    print(f"at the end: {load_line()}")


if __name__ == "__main__":
    main()
