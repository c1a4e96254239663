"""Benchmark: eqsolve's methods against HiGHS (IPM and PDLP) on dense random matrix games.

For each size n (square n x n games from ``eq.zoo.random_matrix_game``,
uniform[-1, 1] entries) this script measures, in one run on one machine:

* every method in ``eq.METHODS`` (and the :data:`VARIANTS` of pdhg: its float64 path, a
  float32 game): ONE solve with ``tol=1e-4`` and a time
  limit; the times / iterations / oracle calls to certified duality gap 1e-3
  and 1e-4 are read from ``res.history`` (the first certification checkpoint at
  or below each target; checkpoints come about every 5 % of the iterations, at
  most every 100, so a time can overshoot the true crossing by up to ~5 %);
* HiGHS interior point through ``scipy.optimize.linprog(method="highs-ipm")``;
* HiGHS PDLP through ``highspy`` (``solver="pdlp"``), once per ``kkt_tolerance``
  of a ladder (PDLP ignores ``pdlp_optimality_tolerance``); the ladder goes on
  to tighter tolerances while the certified gap is still above 1e-4.

Every baseline is judged by the TRUE certified duality gap of the point it
returns (``game.certify``), with x from the primal solution and y from the
duals of the ``A^T x >= v`` rows, both clipped at 0 and renormalised onto the
simplex -- never by the solver's status.  Baseline wall times include building
the model from the dense matrix; eqsolve wall times include building the
``MatrixGame`` from the same matrix.

Timing caveat: on a shared 2-core machine numpy's OpenBLAS (2 threads by
default) slows down 5-15x per iteration when other processes compete for the
cores, HiGHS much less; each run records the load average before and after it
and its CPU time.  Setting ``OPENBLAS_NUM_THREADS=1`` makes the eqsolve timings
far more stable under load (the machine record keeps the variable).

Usage::

    python benchmarks/matrix_games.py                    # n = 500, 1000, 2000; 60 s limit
    python benchmarks/matrix_games.py --sizes 300 600 --time-limit 20
    python benchmarks/matrix_games.py --sizes 2000 4000 --methods pdhg "pdhg[float64 iterations]" "pdhg[float32 game]"
    python benchmarks/matrix_games.py --quick            # smoke run (n = 40)
    python benchmarks/matrix_games.py --replot benchmarks/results/matrix_games.json

Results: ``benchmarks/results/matrix_games.json`` and ``matrix_games.png``
(``matrix_games_quick.*`` for ``--quick``), in the schema of ``_harness.py``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import _harness as harness
import eqsolve as eq

TARGETS = (1e-3, 1e-4)
DEFAULT_SIZES = (500, 1000, 2000)
PDLP_KKT_LADDER = (1e-3, 1e-4, 1e-5, 1e-6)


# --------------------------------------------------------------------------- helpers

def _simplex(v) -> np.ndarray:
    """Clip at 0 and renormalise onto the probability simplex (uniform if nothing is left)."""
    v = np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    s = v.sum()
    return v / s if s > 0 else np.full(v.shape, 1.0 / v.size)


def _dual_to_y(d) -> np.ndarray:
    """y from the duals of the n inequality rows; the sign convention is whichever has the mass."""
    d = np.asarray(d, dtype=np.float64)
    pos, neg = np.clip(d, 0, None).sum(), np.clip(-d, 0, None).sum()
    return _simplex(d if pos >= neg else -d)


def _certify(game, x, y) -> dict:
    cert = game.certify(np.concatenate([_simplex(x), _simplex(y)]))
    lo, hi = cert.details["value_bounds"]
    return {"gap": float(cert.value), "value_lower": float(lo), "value_upper": float(hi)}


def _first_reach(hist: dict, target: float, offset: float):
    """First checkpoint of ``hist`` with residual <= target, or None."""
    for k, r in enumerate(hist["residual"]):
        if r <= target:
            return {"time_s": hist["elapsed"][k] + offset, "iterations": hist["iteration"][k],
                    "oracle_calls": hist["oracle_calls"][k], "gap": r}
    return None


def _key(t: float) -> str:
    return f"{t:.0e}"


# --------------------------------------------------------------------------- eqsolve

#: named variants of a method: (method, options, dtype of the game handed to it)
VARIANTS = {
    # pdhg's float64 path (its default iterates on a float32 copy first)
    "pdhg[float64 iterations]": ("pdhg", {"mixed_precision": False}, np.float64),
    # the user's own float32 game (certified in float64)
    "pdhg[float32 game]": ("pdhg", {}, np.float32),
}


def run_eqsolve(A, method: str, time_limit: float, tol: float = min(TARGETS)) -> dict:
    """One solve with ``method`` (a registered name or a :data:`VARIANTS` key); times to each
    target read from its history."""
    name, options, dtype = VARIANTS.get(method, (method, {}, None))
    if dtype is not None:
        A = A.astype(dtype)
    t0 = time.perf_counter()
    game = eq.MatrixGame(A)
    res = eq.solve(game, method=name, tol=tol, max_iter=10**9, time_limit=time_limit, **options)
    wall = time.perf_counter() - t0
    setup = max(0.0, wall - res.elapsed)  # building the game + configure, before the driver's clock
    hist = res.history
    # before the first iteration: the game, the method's start (norm, scaling, copies) and
    # the first certificate
    start = setup + hist["elapsed"][0]
    out = {
        "start_s": start,
        "start_fraction": start / wall if wall > 0 else None,
        "solver": method,
        "kind": "eqsolve",
        "status": res.status,
        "wall_s": wall,
        "setup_s": setup,
        "iterations": res.iterations,
        "oracle_calls": res.oracle_calls,
        "certify_calls": res.certify_calls,
        "gap": float(min(hist["residual"])),
        "final_gap": float(res.residual),
        "final_point": res.certificate.point,
        "info": {k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
                 for k, v in res.info.items()},
        "targets": {_key(t): _first_reach(hist, t, setup) for t in TARGETS},
        "history": {
            "iteration": list(hist["iteration"]),
            "residual": [float(r) for r in hist["residual"]],
            "elapsed": [float(e) + setup for e in hist["elapsed"]],
            "oracle_calls": list(hist["oracle_calls"]),
        },
    }
    return out


# --------------------------------------------------------------------------- HiGHS

def run_highs_ipm(A, time_limit: float) -> dict:
    """HiGHS IPM via linprog on max v s.t. A^T x >= v 1, sum x = 1, x >= 0."""
    from scipy.optimize import linprog

    game = eq.MatrixGame(A)
    t0 = time.perf_counter()
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A.T, np.ones((n, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs-ipm",
                  options={"time_limit": float(time_limit)})
    wall = time.perf_counter() - t0
    out = {"solver": "highs-ipm", "kind": "highs", "status": f"{res.status}: {res.message}",
           "wall_s": wall, "iterations": int(getattr(res, "nit", 0) or 0), "gap": None}
    marg = getattr(getattr(res, "ineqlin", None), "marginals", None)
    if res.x is not None and marg is not None and np.all(np.isfinite(res.x)):
        out.update(_certify(game, res.x[:m], _dual_to_y(marg)))
        out["solver_value"] = float(-res.fun)
    out["targets"] = {_key(t): ({"time_s": wall, "iterations": out["iterations"], "gap": out["gap"]}
                                if out["gap"] is not None and out["gap"] <= t else None)
                      for t in TARGETS}
    return out


def _highs_lp(A):
    """The same LP as a column-wise highspy model (x columns then v)."""
    import highspy

    m, n = A.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + 1, n + 1
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    lp.col_cost_ = cost
    lp.col_lower_ = np.r_[np.zeros(m), -inf]
    lp.col_upper_ = np.full(m + 1, inf)
    lp.row_lower_ = np.r_[np.zeros(n), 1.0]
    lp.row_upper_ = np.r_[np.full(n, inf), 1.0]
    # column i of x: A[i, :] in rows 0..n-1, then 1 in the sum row; column v: -1 in rows 0..n-1
    values = np.r_[np.hstack([A, np.ones((m, 1))]).ravel(), -np.ones(n)]
    index = np.r_[np.tile(np.arange(n + 1, dtype=np.int32), m), np.arange(n, dtype=np.int32)]
    start = np.r_[np.arange(0, m * (n + 1) + 1, n + 1), m * (n + 1) + n].astype(np.int32)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = values
    return lp


def run_highs_pdlp(A, kkt_tolerance: float, time_limit: float) -> dict:
    """HiGHS PDLP via highspy at one ``kkt_tolerance``."""
    import highspy

    game = eq.MatrixGame(A)
    m, n = A.shape
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "pdlp")
    h.setOptionValue("kkt_tolerance", float(kkt_tolerance))
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(_highs_lp(A))
    build = time.perf_counter() - t0
    h.run()
    wall = time.perf_counter() - t0
    sol, info = h.getSolution(), h.getInfo()
    out = {"solver": f"highs-pdlp(kkt={kkt_tolerance:.0e})", "kind": "highs",
           "kkt_tolerance": kkt_tolerance, "status": h.modelStatusToString(h.getModelStatus()),
           "wall_s": wall, "build_s": build, "iterations": int(info.pdlp_iteration_count),
           "gap": None}
    x, d = np.asarray(sol.col_value), np.asarray(sol.row_dual)
    if sol.value_valid and sol.dual_valid and x.size == m + 1 and d.size == n + 1:
        out.update(_certify(game, x[:m], _dual_to_y(d[:n])))
        out["solver_value"] = float(x[m])
    out["targets"] = {_key(t): ({"time_s": wall, "iterations": out["iterations"], "gap": out["gap"]}
                                if out["gap"] is not None and out["gap"] <= t else None)
                      for t in TARGETS}
    return out


# --------------------------------------------------------------------------- driver

def _supports_games(name: str) -> bool:
    """Whether the registered method accepts a MatrixGame (others raise TypeError)."""
    try:
        eq.METHODS[name].configure(eq.zoo.matching_pennies())
    except TypeError:
        return False
    return True


def _warm_up(methods):
    """Pay import and first-call costs outside the timed runs."""
    small = eq.zoo.random_matrix_game(20, seed=12345).A
    # pdhg projects with the compiled kernel from 1024 strategies on: load it (per dtype)
    large = eq.zoo.random_matrix_game(600, seed=12345).A
    for m in methods:
        name, options, dtype = VARIANTS.get(m, (m, {}, None))
        for A in (small, large) if name == "pdhg" else (small,):
            eq.solve(eq.MatrixGame(A if dtype is None else A.astype(dtype)), method=name,
                     tol=1e-3, max_iter=200, **options)
    A = small
    run_highs_ipm(A, 10.0)
    run_highs_pdlp(A, 1e-3, 10.0)


def _measured(fn, *args):
    """``fn(*args)`` with the load average before/after and the process CPU time it used.

    CPU time well below ~wall time, or a load above the core count, flags a run
    that competed with other processes (OpenBLAS threads then slow down a lot).
    """
    load0, cpu0 = harness.loadavg(), time.process_time()
    r = fn(*args)
    r["cpu_s"] = time.process_time() - cpu0
    r["load_before"], r["load_after"] = load0, harness.loadavg()
    return r


def run(sizes=DEFAULT_SIZES, time_limit: float = 60.0, *, seed: int = 0, methods=None,
        pdlp_ladder=PDLP_KKT_LADDER, baselines: bool = True, verbose: bool = False) -> dict:
    """Run the benchmark; return its record (nothing is written)."""
    if methods is None:
        methods = [m for m in eq.METHODS if _supports_games(m)] + list(VARIANTS)
    methods = list(methods)
    say = print if verbose else (lambda *a, **k: None)
    record = harness.begin("matrix_games", {
        "sizes": [int(n) for n in sizes], "time_limit": float(time_limit), "seed": seed,
        "methods": methods, "pdlp_ladder": list(pdlp_ladder), "baselines": baselines,
        "targets": list(TARGETS), "eqsolve_tol": min(TARGETS),
        "instance": "eq.zoo.random_matrix_game(n, seed=seed), uniform[-1, 1]"})
    results = {"sizes": []}
    _warm_up(methods)
    for n in sizes:
        A = eq.zoo.random_matrix_game(int(n), seed=seed).A
        entry = {"n": int(n), "load_before": harness.loadavg(), "runs": []}
        for m in methods:
            say(f"n={n}: {m} ...", flush=True)
            r = _measured(run_eqsolve, A, m, time_limit)
            say(f"   {r['status']}, gap {r['gap']:.3g}, {r['iterations']} it, {r['wall_s']:.2f} s", flush=True)
            entry["runs"].append(r)
        if baselines:
            say(f"n={n}: highs-ipm ...", flush=True)
            r = _measured(run_highs_ipm, A, time_limit)
            say(f"   {r['status']}, gap {r['gap']}, {r['wall_s']:.2f} s", flush=True)
            entry["runs"].append(r)
            for kkt in pdlp_ladder:
                say(f"n={n}: highs-pdlp kkt={kkt:.0e} ...", flush=True)
                r = _measured(run_highs_pdlp, A, kkt, time_limit)
                say(f"   {r['status']}, gap {r['gap']}, {r['iterations']} it, {r['wall_s']:.2f} s", flush=True)
                entry["runs"].append(r)
                # tighten only while the 1e-4 target is not met and time is left
                if (r["gap"] is not None and r["gap"] <= min(TARGETS)) or r["wall_s"] >= time_limit:
                    break
        # best HiGHS time to each target, and every run's ratio to it
        best = {}
        for t in TARGETS:
            ts = [r["targets"][_key(t)]["time_s"] for r in entry["runs"]
                  if r["kind"] == "highs" and r["targets"][_key(t)] is not None]
            best[_key(t)] = min(ts) if ts else None
        entry["best_highs_time_s"] = best
        for r in entry["runs"]:
            r["ratio_vs_best_highs"] = {
                k: (r["targets"][k]["time_s"] / best[k] if r["targets"][k] and best[k] else None)
                for k in best}
        entry["load_after"] = harness.loadavg()
        results["sizes"].append(entry)
    return harness.finish(record, results, summarize(results))


def summarize(results: dict) -> dict:
    """Per size: the best HiGHS time to each target and every solver's ratio to it."""
    return {"best_highs_time_s": {str(e["n"]): e["best_highs_time_s"] for e in results["sizes"]},
            "ratio_vs_best_highs": {str(e["n"]): {r["solver"]: r["ratio_vs_best_highs"]
                                                  for r in e["runs"]}
                                    for e in results["sizes"]},
            # the share of a solve spent before its first iteration
            "start_fraction": {str(e["n"]): {r["solver"]: r["start_fraction"]
                                             for r in e["runs"] if r["kind"] == "eqsolve"}
                               for e in results["sizes"]}}


# --------------------------------------------------------------------------- output

def _fmt_t(tgt):
    return f"{tgt['time_s']:.3g} s" if tgt else "not reached"


def _fmt_r(x):
    return f"{x:.2f}x" if x is not None else "-"


def format_table(record: dict) -> str:
    results = record["results"]
    k3, k4 = _key(TARGETS[0]), _key(TARGETS[1])
    head = ("n", "solver", f"t(gap<={k3})", f"t(gap<={k4})", "iters", "gap reached",
            f"ratio@{k3}", f"ratio@{k4}")
    rows = []
    for e in results["sizes"]:
        for r in e["runs"]:
            t4 = r["targets"][k4]
            if r["kind"] == "eqsolve":
                iters = f"{t4['iterations']}" if t4 else f"{r['iterations']}*"
            else:
                iters = str(r["iterations"])
            gap = f"{r['gap']:.2e}" if r["gap"] is not None else "none"
            rows.append((str(e["n"]), r["solver"], _fmt_t(r["targets"][k3]), _fmt_t(t4), iters, gap,
                         _fmt_r(r["ratio_vs_best_highs"][k3]), _fmt_r(r["ratio_vs_best_highs"][k4])))
    w = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.rjust(w[i]) if i != 1 else c.ljust(w[i]) for i, c in enumerate(cells))
    out = [line(head), line(tuple("-" * x for x in w))] + [line(r) for r in rows]
    out.append(f"iters: eqsolve iterations to gap {k4} (* = total, target not reached); HiGHS: "
               "IPM / PDLP iterations of that run. ratio = time / best HiGHS time to the same "
               "certified gap at that n.")
    return "\n".join(out)


def plot(record: dict, path) -> None:
    plt = harness.pyplot()
    results, params, machine = record["results"], record["parameters"], record["machine"]
    entries = results["sizes"]
    fig, axes = plt.subplots(1, len(entries), figsize=(5.2 * len(entries), 4.4), squeeze=False)
    colors = {m: f"C{i}" for i, m in enumerate(params["methods"])}
    floor = 1e-6
    for ax, e in zip(axes[0], entries):
        for r in e["runs"]:
            if r["kind"] == "eqsolve":
                h = r["history"]
                t = np.maximum(np.asarray(h["elapsed"]), 1e-3)
                ax.loglog(t, np.maximum(h["residual"], floor), color=colors[r["solver"]],
                          lw=1.5, label=r["solver"])
            elif r["solver"] == "highs-ipm":
                if r["gap"] is not None:
                    ax.loglog(r["wall_s"], max(r["gap"], floor), "k*", ms=13, label="HiGHS IPM")
                    ax.annotate(f"IPM gap {r['gap']:.1e}", (r["wall_s"], max(r["gap"], floor)),
                                textcoords="offset points", xytext=(-20, 9), fontsize=7)
                else:
                    ax.axvline(r["wall_s"], color="k", ls=":", label="HiGHS IPM (no solution)")
            else:
                if r["gap"] is not None:
                    ax.loglog(r["wall_s"], max(r["gap"], floor), "s", color="C3", mfc="none", ms=8,
                              label="HiGHS PDLP")
                    ax.annotate(f"kkt {r['kkt_tolerance']:.0e}", (r["wall_s"], max(r["gap"], floor)),
                                textcoords="offset points", xytext=(6, 4), fontsize=7, color="C3")
        for t in TARGETS:
            ax.axhline(t, color="grey", ls="--", lw=0.8)
        load = e["load_before"][0] if e.get("load_before") else None
        ax.set_title(f"n = {e['n']}" + (f"  (load {load:.1f})" if load is not None else ""))
        ax.set_xlabel("wall time [s]")
        ax.set_ylabel("certified duality gap")
        ax.grid(True, which="major", alpha=0.3)
        hs, ls = ax.get_legend_handles_labels()
        uniq = dict(zip(ls, hs))
        ax.legend(uniq.values(), uniq.keys(), fontsize=8, loc="lower left")
    date = (machine["date"] or "date not recorded")[:10]
    fig.suptitle(f"Dense uniform[-1,1] matrix games, one run each, time limit "
                 f"{params['time_limit']:g} s ({date}, "
                 f"{machine['cpu_count']} cores); gaps below {floor:g} drawn at {floor:g}",
                 fontsize=9)
    fig.tight_layout()
    harness.save_png(fig, path, dpi=110)


def report(record: dict) -> None:
    print()
    print(format_table(record))


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="game sizes n (n x n)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per solver run (60)")
    p.add_argument("--seed", type=int, default=None, help="instance seed (0)")
    p.add_argument("--methods", nargs="+", default=None,
                   help="eqsolve methods (default: every one that takes a matrix game), and "
                        f"variants: {', '.join(VARIANTS)}")


DEFAULTS = {"sizes": DEFAULT_SIZES, "time_limit": 60.0, "verbose": True}
#: the CI smoke size: one small game, the first rung of the PDLP ladder
QUICK = {"sizes": (40,), "time_limit": 2.0, "pdlp_ladder": (1e-3,), "verbose": True}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="matrix_games", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
