"""Iterative water-filling: schedules, NumPy against Numba, and per-user cvxpy best responses.

One command writes ``benchmarks/results/water_filling.json`` and ``.png``::

    python benchmarks/water_filling.py            # Q in {10, 100}, N in {64, 256}
    python benchmarks/water_filling.py --quick    # small sizes, for tests

Instances: ``zoo.random_geometry_power_control(Q, N, area=20 sqrt(Q), path_loss=3.5)``
(constant user density, 6-tap Rayleigh fading, SNR 10 dB).  For every size,
schedule and kernel backend it records the iterations (sweeps), best responses
and wall time to a certified NE residual of 1e-10 (certification included, as
a user would see it; the best of a few solves), and the time of one sweep
alone (median and minimum of repeated sweeps; the kernel, without
certification).

The memory floor is one streaming read of the game's coupling array (the
normalised gains, ``Q^2 N`` doubles, what every sweep and certification
reads): the fastest of a NumPy row-block sum and, with Numba, a compiled
vectorised sum, measured in the same run.  Each path's time to tolerance is
divided by ``(sweeps + certificates) x floor`` -- a solve that read the
gains once per sweep and once per certificate and did nothing else would
score 1 (the simultaneous schedule certifies with the interference its sweep
formed, so its certificates read nothing and it can score below 1) -- and one
sweep and one certification are reported in floors too.
Ratios are taken between paths measured in the same run.  cvxpy (Clarabel) solves a few single-user
best responses of the same instance; its time per best response is compared
with a sweep's time per user.  The load average is recorded: timings on a
shared machine are only comparable within one run.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.backend import HAS_NUMBA
from eqsolve.problems import zoo

SCHEDULES = ("simultaneous", "sequential", "asynchronous")
TOL = 1e-10


def instance(Q, N, seed=0):
    return zoo.random_geometry_power_control(Q, N, area=20.0 * np.sqrt(Q), path_loss=3.5,
                                             seed=seed)


def _best(f, repeats):
    f()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.min(ts))


def memory_floor(game, repeats):
    """Seconds of one streaming read of ``game.coupling`` (the best of NumPy and compiled sums)."""
    flat = game.coupling.reshape(-1)
    block = 512 if flat.size % 512 == 0 else game.N
    reads = {"numpy": lambda: flat.reshape(-1, block).sum(axis=0)}
    if HAS_NUMBA:
        from numba import njit

        @njit(cache=False, fastmath={"reassoc"})
        def _sum(a):
            acc = 0.0
            for i in range(a.size):
                acc += a[i]
            return acc

        reads["numba"] = lambda: _sum(flat)
    times = {k: _best(f, max(3 * repeats, 10)) for k, f in reads.items()}
    return min(times.values()), times


def certify_time(game, repeats):
    """Seconds of one certification from scratch, and given the interference (simultaneous)."""
    z = game.initial_point()
    c = game.interference(z.reshape(game.Q, game.N))
    return (_best(lambda: game.certify(z), repeats),
            _best(lambda: game.certify(z, interference=c), repeats))


def sweep_times(game, schedule, backend, repeats):
    """Median and minimum seconds of one sweep (kernel only), from the start point on."""
    steps = eq.methods.iterate(game, "water_filling", schedule=schedule, backend=backend)
    next(steps)
    next(steps)  # warm-up (Numba: load the compiled kernels)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        next(steps)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), float(np.min(ts))


def cvxpy_best_responses(game, users):
    """Seconds per single-user best response with cvxpy, and its distance to water-filling."""
    import cvxpy as cp

    p = game.initial_point().reshape(game.Q, game.N)
    c = game.interference(p)
    wf = game.best_response(p)
    times, errs = [], []
    for q in users:
        x = cp.Variable(game.N)
        prob = cp.Problem(cp.Maximize(cp.sum(cp.log(c[q] + x))), [x >= 0, cp.sum(x) <= game.budgets[q]])
        t = time.perf_counter()
        prob.solve(solver=cp.CLARABEL)
        times.append(time.perf_counter() - t)
        errs.append(float(np.max(np.abs(x.value - wf[q]))))
    return float(np.median(times)), float(max(errs))


def strong_interference(Q=10, N=64):
    """Undamped Jacobi against damped and sequential IWF on a dense geometry (rho >> 1)."""
    game = zoo.random_geometry_power_control(Q, N, area=3.0 * np.sqrt(Q), seed=0)
    out = {"Q": Q, "N": N, "spectral_radius": game.contraction()["rho"], "runs": {}}
    for label, opts in (("simultaneous", {}), ("simultaneous, damping 0.5", {"damping": 0.5}),
                        ("sequential", {"schedule": "sequential"})):
        res = eq.solve(game, "water_filling", tol=TOL, max_iter=3000, **opts)
        out["runs"][label] = {"status": res.status, "iterations": res.iterations,
                              "residual": res.residual}
    return out


DEFAULT_SIZES = ((10, 64), (10, 256), (100, 64), (100, 256))


def run(sizes=DEFAULT_SIZES, repeats=10, cvx_users=3) -> dict:
    """Every size, schedule and backend, the cvxpy comparison, strong interference; the record."""
    sizes = [(int(Q), int(N)) for Q, N in sizes]
    record = harness.begin("water_filling", {"sizes": sizes, "repeats": repeats,
                                             "cvx_users": cvx_users, "tol": TOL})
    backends = ("numpy", "numba") if HAS_NUMBA else ("numpy",)
    out = {"sizes": {}}
    for Q, N in sizes:
        game = instance(Q, N)
        con = game.contraction()
        floor, reads = memory_floor(game, repeats)
        cert, cert_given = certify_time(game, repeats)
        entry = {"Q": Q, "N": N, "spectral_radius": con["rho"], "contraction_factor": con["factor"],
                 "floor_s": floor, "floor_reads_s": reads, "certify_s": cert,
                 "certify_given_interference_s": cert_given, "runs": {}, "history": {}}
        for schedule in SCHEDULES:
            hist = eq.solve(game, "water_filling", schedule=schedule, tol=TOL, max_iter=2000,
                            check_every=1)
            entry["history"][schedule] = {"iteration": hist.history["iteration"],
                                          "residual": hist.history["residual"]}
            for backend in backends:
                sweep_times(game, schedule, backend, 1)  # compile / load before timing
                wall = math.inf
                for _ in range(max(2, repeats // 3)):  # the best of a few solves
                    t = time.perf_counter()
                    res = eq.solve(game, "water_filling", schedule=schedule, backend=backend,
                                   tol=TOL, max_iter=2000)
                    wall = min(wall, time.perf_counter() - t)
                med, best = sweep_times(game, schedule, backend, repeats)
                entry["runs"][f"{schedule}/{backend}"] = {
                    "status": res.status, "iterations": res.iterations, "residual": res.residual,
                    "best_responses": res.oracle_calls, "certifications": res.certify_calls,
                    "seconds_to_tol": wall, "sweep_median_s": med, "sweep_min_s": best,
                    "certificates": len(res.history["iteration"]),
                    "to_tol_over_floor": wall / ((res.iterations + len(res.history["iteration"]))
                                                 * floor),
                    "sweep_over_floor": best / floor,
                }
        try:
            cvx_t, cvx_err = cvxpy_best_responses(game, range(min(cvx_users, Q)))
            entry["cvxpy"] = {"seconds_per_best_response": cvx_t, "max_abs_error_vs_wf": cvx_err}
        except ImportError:
            entry["cvxpy"] = None
        out["sizes"][f"{Q}x{N}"] = entry
    out["strong_interference"] = strong_interference()
    return harness.finish(record, out, summarize(out))


def summarize(results) -> dict:
    """Times over the memory floor, Numba's speed-up per size and schedule, and cvxpy's time
    over a sweep's time per user."""
    speedup, cvxpy, floor = {}, {}, {}
    for name, e in results["sizes"].items():
        floor[name] = {key: r["to_tol_over_floor"] for key, r in e["runs"].items()}
        floor[name]["certify"] = e["certify_s"] / e["floor_s"]
        floor[name]["certify_given_interference"] = e["certify_given_interference_s"] / e["floor_s"]
        speedup[name] = {}
        for s in SCHEDULES:
            a, b = e["runs"].get(f"{s}/numpy"), e["runs"].get(f"{s}/numba")
            if a and b:
                speedup[name][s] = {"sweep_min": a["sweep_min_s"] / b["sweep_min_s"],
                                    "sweep_median": a["sweep_median_s"] / b["sweep_median_s"],
                                    "to_tol": a["seconds_to_tol"] / b["seconds_to_tol"]}
        if e["cvxpy"]:
            cvxpy[name] = {k: e["cvxpy"]["seconds_per_best_response"]
                           / (e["runs"][f"simultaneous/{k}"]["sweep_min_s"] / e["Q"])
                           for k in ("numpy", "numba") if f"simultaneous/{k}" in e["runs"]}
    return {"to_tol_over_floor": floor, "numba_speedup": speedup,
            "cvxpy_over_water_filling_per_user": cvxpy}


def plot(record, path):
    plt = harness.pyplot()
    tol = record["parameters"]["tol"]
    sizes = record["results"]["sizes"]
    fig, axes = plt.subplots(1, len(sizes) + 1, figsize=(4.4 * (len(sizes) + 1), 4), squeeze=False)
    for ax, (name, e) in zip(axes[0], sizes.items()):
        for i, (schedule, h) in enumerate(e["history"].items()):
            ax.semilogy(h["iteration"], h["residual"], color=f"C{i}", label=schedule)
        f = e["contraction_factor"]
        h = e["history"]["simultaneous"]
        if f < 1:
            ks = np.arange(0, max(h["iteration"]) + 1)
            ax.semilogy(ks, h["residual"][0] * f ** ks, "k--", lw=1, label=f"rho_w^t, rho_w={f:.3f}")
        ax.axhline(tol, color="gray", lw=0.5)
        ax.set_title(f"Q x N = {name}, rho(S^max) = {e['spectral_radius']:.3g}", fontsize=9)
        ax.set_xlabel("sweeps (asynchronous: ticks)")
        ax.set_ylabel("certified NE residual")
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    ax = axes[0, -1]
    name = list(sizes)[-1]
    runs = sizes[name]["runs"]
    xs = np.arange(len(SCHEDULES))
    for j, backend in enumerate(("numpy", "numba")):
        vals = [runs.get(f"{s}/{backend}", {}).get("sweep_min_s", np.nan) * 1e3 for s in SCHEDULES]
        ax.bar(xs + 0.4 * j, vals, 0.4, label=backend)
    ax.set_xticks(xs + 0.2, SCHEDULES, fontsize=8)
    ax.set_ylabel("ms per sweep (min)")
    ax.set_title(f"one sweep at {name}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    harness.save_png(fig, path, dpi=110)


def report(record) -> None:
    results, machine = record["results"], record["machine"]
    print(f"load average {machine['load_before']} -> {machine['load_after']}")
    for name, e in results["sizes"].items():
        f = e["floor_s"]
        print(f"{name}: rho(S^max) {e['spectral_radius']:.3g}, rho_w {e['contraction_factor']:.3g}; "
              f"memory floor (one read of the gains) {f * 1e3:.3f} ms "
              f"({', '.join(f'{k} {v * 1e3:.3f}' for k, v in e['floor_reads_s'].items())}); "
              f"one certification {e['certify_s'] / f:.2f} floors, given the interference "
              f"{e['certify_given_interference_s'] / f:.2f}")
        for key, r in e["runs"].items():
            print(f"  {key:26s} {r['status']:9s} {r['iterations']:4d} sweeps {r['certificates']:4d} "
                  f"certs {r['seconds_to_tol'] * 1e3:8.2f} ms to tol = {r['to_tol_over_floor']:5.2f} x "
                  f"floor   sweep {r['sweep_min_s'] * 1e3:7.3f} ms min ({r['sweep_over_floor']:5.2f} "
                  f"floors) {r['sweep_median_s'] * 1e3:7.3f} ms median")
        for s in SCHEDULES:
            a, b = e["runs"].get(f"{s}/numpy"), e["runs"].get(f"{s}/numba")
            if a and b:
                print(f"  numba speed-up {s:13s} sweep {a['sweep_min_s'] / b['sweep_min_s']:5.2f}x (min) "
                      f"{a['sweep_median_s'] / b['sweep_median_s']:5.2f}x (median), to tol "
                      f"{a['seconds_to_tol'] / b['seconds_to_tol']:5.2f}x")
        if e["cvxpy"]:
            per_user = {k: e["runs"][f"simultaneous/{k}"]["sweep_min_s"] / e["Q"]
                        for k in ("numpy", "numba") if f"simultaneous/{k}" in e["runs"]}
            ratios = ", ".join(f"{k} {e['cvxpy']['seconds_per_best_response'] / v:.0f}x faster"
                               for k, v in per_user.items())
            print(f"  cvxpy best response {e['cvxpy']['seconds_per_best_response'] * 1e3:.1f} ms "
                  f"(max |x - WF| {e['cvxpy']['max_abs_error_vs_wf']:.1e}); water-filling per user: {ratios}")
    e = results["strong_interference"]
    print(f"strong interference {e['Q']}x{e['N']}, rho(S^max) {e['spectral_radius']:.3g}: " + "; ".join(
        f"{k} {r['status']} after {r['iterations']} sweeps" for k, r in e["runs"].items()))


def add_arguments(p) -> None:
    p.add_argument("--repeats", type=int, default=None, help="timed sweeps per path (10)")


DEFAULTS = {}
#: one 4 x 16 instance, 3 timed sweeps, one cvxpy best response
QUICK = {"sizes": ((4, 16),), "repeats": 3, "cvx_users": 1}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="water_filling", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
