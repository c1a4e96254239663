"""Benchmark: the assignment LP -- adaptive PDHG, fixed-step Chambolle-Pock, HiGHS, exact.

For ``eq.zoo.assignment(n, seed)`` (costs uniform on [0, 1], the LP of the
n x n assignment polytope, ``n^2`` variables and ``2n`` sparse equalities)
this script measures in one run:

* eqsolve's ``pdhg`` as first-order methods alone (``adaptive``, ``fixed`` =
  Chambolle-Pock with ``tau sigma ||M||^2 < 1``, and ``halpern`` with its
  adaptive primal weight, all without polish) and with its defaults
  (``default``: Halpern PDHG whose polish solves the LP restricted to the
  columns of small reduced cost with HiGHS, priced on the whole LP):
  iterations and time to a certified relative gap
  ``(hi - lo) / (1 + |hi| + |lo|)`` of 1e-4 and 1e-6 with the primal
  infeasibility below the same fraction of ``1 + ||b||_inf`` (read from each
  checkpoint's certificate by a callback; the time includes the start);
* HiGHS dual simplex and interior point (``scipy.optimize.linprog``) and
  PDLP (``highspy``, when installed) on the same LP, at their defaults (the
  fastest of them is "HiGHS' fastest method"), and the dual simplex without
  presolve (which costs more than the simplex on this LP);
* ``scipy.optimize.linear_sum_assignment`` (exact, Hungarian-type).

Every certified bracket is checked against the exact optimum ``opt``:
``lo <= opt`` (weak duality, rigorous), and ``opt <= hi + 4 n eps max C``
with ``eps`` the certified primal infeasibility (a nonnegative X whose row and
column sums are within ``eps`` of 1 is within ``4 n eps`` in l1 of a doubly
stochastic matrix: Altschuler, Weed and Rigollet, 2017, Lemma 7).

Each solver run stops at ``time_limit`` seconds (default 120); a level it
did not reach by then is recorded as None.

Usage::

    python benchmarks/assignment.py               # n = 50, 100, 200, 500
    python benchmarks/assignment.py --quick       # n = 12 (tests)

Results: ``benchmarks/results/assignment.json`` and ``assignment.png``.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np

import _harness as harness
import eqsolve as eq

LEVELS = (1e-4, 1e-6)
#: the pdhg configurations, by label
CONFIGS = {"adaptive": {"variant": "adaptive"}, "fixed": {"variant": "fixed"},
           "halpern": {"variant": "halpern", "polish": False}, "default": {}}


def _rel_infeasibility(cert):
    return cert.details["primal_infeasibility"] / 2.0  # 1 + ||b||_inf = 2


def check_bracket(cert, opt, n, cmax):
    """Assert what the certificate claims about the exact optimum ``opt``."""
    lo, hi = cert.details["objective_bounds"]
    eps = cert.details["primal_infeasibility"]
    assert lo <= opt, (lo, opt)
    assert opt <= hi + 4.0 * n * eps * cmax * (1.0 + 1e-12), (opt, hi, eps)


def run_pdhg(lp, label, opt, n, max_iter, time_limit):
    cmax = float(np.max(lp.c))
    reached = {}
    checked = [0]
    t0 = time.perf_counter()

    def watch(p):
        cert = p.certificate
        check_bracket(cert, opt, n, cmax)
        checked[0] += 1
        gap = cert.details["relative_gap"]
        for level in LEVELS:
            if level not in reached and gap <= level and _rel_infeasibility(cert) <= level:
                reached[level] = {"iterations": p.iteration, "time_s": time.perf_counter() - t0}
        return min(LEVELS) in reached

    res = eq.solve(lp, method="pdhg", tol=0, max_iter=max_iter, time_limit=time_limit,
                   callback=watch, **CONFIGS[label])
    check_bracket(res.certificate, opt, n, cmax)
    return {"solver": f"pdhg-{label}", "status": res.status, "iterations": res.iterations,
            "options": CONFIGS[label], "primal_weight": res.info.get("primal_weight"),
            "polished_iteration": res.info.get("polished_iteration"),
            "time_s": time.perf_counter() - t0, "brackets_checked": checked[0],
            "reached": {str(k): v for k, v in reached.items()},
            "final_relative_gap": res.certificate.details["relative_gap"]}


def run_linprog(lp, method, opt, time_limit, presolve=True):
    from scipy.optimize import linprog

    t0 = time.perf_counter()
    res = linprog(lp.c, A_eq=lp.K, b_eq=lp.b, bounds=(0.0, 1.0), method=method,
                  options={"time_limit": float(time_limit), "presolve": presolve})
    wall = time.perf_counter() - t0
    ok = res.status == 0 and abs(res.fun - opt) <= 1e-6 * (1.0 + abs(opt))
    return {"solver": method if presolve else f"{method}-no-presolve", "time_s": wall,
            "status": int(res.status), "objective_ok": bool(ok)}


def run_pdlp(lp, opt, time_limit, tol=1e-4):
    import highspy

    n_var, m = lp.n, lp.m
    A = lp.K.tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "pdlp")
    h.setOptionValue("kkt_tolerance", float(tol))
    h.setOptionValue("time_limit", float(time_limit))
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n_var, m
    model.col_cost_ = lp.c
    model.col_lower_ = np.zeros(n_var)
    model.col_upper_ = np.ones(n_var)
    model.row_lower_ = lp.b
    model.row_upper_ = lp.b
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr.astype(np.int32)
    model.a_matrix_.index_ = A.indices.astype(np.int32)
    model.a_matrix_.value_ = A.data
    t0 = time.perf_counter()
    h.passModel(model)
    h.run()
    wall = time.perf_counter() - t0
    obj = h.getInfo().objective_function_value
    return {"solver": "highs-pdlp", "time_s": wall, "kkt_tolerance": tol,
            "iterations": int(h.getInfo().pdlp_iteration_count),
            "objective_error": abs(obj - opt)}


def run(sizes=(50, 100, 200, 500), seed=0, max_iter=200_000, time_limit=120.0,
        variants=("adaptive", "fixed", "halpern", "default")) -> dict:
    from scipy.optimize import linear_sum_assignment

    record = harness.begin("assignment", {"sizes": list(sizes), "seed": seed,
                                          "max_iter": max_iter, "time_limit": time_limit,
                                          "variants": list(variants), "levels": list(LEVELS)})
    has_pdlp = importlib.util.find_spec("highspy") is not None
    warm = eq.zoo.assignment(4, seed=99)  # imports and caches outside the timed runs
    eq.solve(warm, tol=1e-3)
    results = {}
    for n in sizes:
        lp = eq.zoo.assignment(n, seed=seed)
        C = lp.c.reshape(n, n)
        t0 = time.perf_counter()
        r, c = linear_sum_assignment(C)
        exact_time = time.perf_counter() - t0
        opt = float(C[r, c].sum())
        runs = [run_pdhg(lp, v, opt, n, max_iter, time_limit) for v in variants]
        runs += [run_linprog(lp, m, opt, time_limit) for m in ("highs-ds", "highs-ipm")]
        # HiGHS' presolve costs more than the simplex on this LP: the option a tuned
        # user would turn off
        runs.append(run_linprog(lp, "highs-ds", opt, time_limit, presolve=False))
        if has_pdlp:
            runs.append(run_pdlp(lp, opt, time_limit))
        results[str(n)] = {"optimum": opt, "linear_sum_assignment_s": exact_time, "runs": runs}
        print(f"n = {n}: done", flush=True)
    summary = {}
    for n, entry in results.items():
        by = {run["solver"]: run for run in entry["runs"]}
        highs = [by[m]["time_s"] for m in ("highs-ds", "highs-ipm", "highs-pdlp") if m in by]
        row = {"fastest_highs_s": min(highs),
               "highs_ds_no_presolve_s": by["highs-ds-no-presolve"]["time_s"]}
        for v in variants:
            for level in LEVELS:
                got = by[f"pdhg-{v}"]["reached"].get(str(level))
                row[f"{v}_iterations_{level:g}"] = None if got is None else got["iterations"]
                row[f"{v}_time_{level:g}"] = None if got is None else got["time_s"]
        a, f = row.get("adaptive_iterations_0.0001"), row.get("fixed_iterations_0.0001")
        row["adaptive_fewer_iterations_than_fixed"] = (None if a is None or f is None
                                                       else bool(a < f))
        for v in ("adaptive", "halpern", "default"):
            t = row.get(f"{v}_time_0.0001")
            row[f"{v}_time_over_fastest_highs"] = None if t is None else t / min(highs)
        t = row.get("default_time_0.0001")
        row["default_time_over_highs_ds_no_presolve"] = (
            None if t is None else t / row["highs_ds_no_presolve_s"])
        summary[n] = row
    return harness.finish(record, results, summary)


def report(record) -> None:
    for n, row in record["summary"].items():
        print(f"n = {n}: fastest HiGHS {row['fastest_highs_s']:.3g} s, dual simplex without "
              f"presolve {row['highs_ds_no_presolve_s']:.3g} s")
        for key, v in row.items():
            if key not in ("fastest_highs_s", "highs_ds_no_presolve_s"):
                print(f"   {key}: {v}")


def plot(record, path) -> None:
    plt = harness.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    sizes = [int(n) for n in record["summary"]]
    variants = record["parameters"]["variants"]
    for v in variants:
        for level, style in zip(LEVELS, ("-", "--")):
            key = f"{level:g}"
            it = [record["summary"][str(n)].get(f"{v}_iterations_{key}") for n in sizes]
            tm = [record["summary"][str(n)].get(f"{v}_time_{key}") for n in sizes]
            axes[0].plot(sizes, [np.nan if i is None else i for i in it], style, marker="o",
                         label=f"{v}, gap {key}")
            axes[1].plot(sizes, [np.nan if t is None else t for t in tm], style, marker="o",
                         label=f"{v}, gap {key}")
    for solver in ("highs-ds", "highs-ipm", "highs-pdlp", "highs-ds-no-presolve"):
        ts = []
        for n in sizes:
            by = {r["solver"]: r for r in record["results"][str(n)]["runs"]}
            ts.append(by[solver]["time_s"] if solver in by else np.nan)
        axes[1].plot(sizes, ts, ":", marker="s", label=solver)
    axes[1].plot(sizes, [record["results"][str(n)]["linear_sum_assignment_s"] for n in sizes],
                 ":", marker="x", label="linear_sum_assignment")
    for ax, label in zip(axes, ("iterations", "seconds")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    axes[0].set_title("iterations to the certified relative gap", fontsize=9)
    axes[1].set_title("time (same run)", fontsize=9)
    harness.save_png(fig, path)


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="n (50 100 200 500)")
    p.add_argument("--max-iter", dest="max_iter", type=int, default=None)
    p.add_argument("--time-limit", dest="time_limit", type=float, default=None,
                   help="seconds per solver run (120): a level not reached by then is None")


DEFAULTS = {}
QUICK = {"sizes": (12,), "max_iter": 20_000, "time_limit": 30.0}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="assignment", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
