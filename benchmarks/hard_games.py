"""Benchmark: the hard-games zoo -- eqsolve's matrix-game methods against HiGHS, same run.

For every game of ``eq.zoo.hard_games`` (offset, scaled, row/column-scaled,
duplicated, near-tie, rank-deficient, Hilbert-like, degenerate and the
smallest shapes) this script measures, in one run on one machine, the
iterations and wall time each method needs to a certified duality gap of
``rel_tol * spread`` (``spread = max A - min A``, so every game is asked the
same relative accuracy), and the same for HiGHS' dual simplex and interior
point (``scipy.optimize.linprog``) and PDLP (``highspy``, when installed), each
judged by the certified gap of the point it returns (``game.certify``), never
by its status.

The figures checked (``summary``): every game reaches its tolerance with the
default method; the offset and scaled games' iterations over their unshifted
game's (target <= 1.2); the row/column-scaled game's time over the uniform
game's (target <= 3); each eqsolve time over the best HiGHS time.

Usage::

    python benchmarks/hard_games.py                 # 60 x 40 games, 3 seeds (~3 min idle, 2 cores)
    python benchmarks/hard_games.py --quick         # 12 x 10, one seed (tests)
    python benchmarks/hard_games.py --replot benchmarks/results/hard_games.json

Results: ``benchmarks/results/hard_games.json`` and ``hard_games.png``.
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np

import _harness as harness
import eqsolve as eq
from matrix_games import _dual_to_y, _highs_lp, _simplex

DEFAULTS = {"size": (60, 40), "seeds": (0, 1, 2), "rel_tol": 1e-6, "time_limit": 20.0,
            "methods": ("pdhg", "extragradient", "halpern")}
QUICK = {"size": (12, 10), "seeds": (0,), "rel_tol": 1e-6, "time_limit": 5.0,
         "methods": ("pdhg", "extragradient")}


def _tol(game, rel_tol):
    return rel_tol * game.spread if game.spread > 0 else 1e-12


def run_method(game, method, rel_tol, time_limit):
    t0 = time.perf_counter()
    res = eq.solve(game, method=method, tol=_tol(game, rel_tol), max_iter=10**7,
                   time_limit=time_limit)
    return {"solver": method, "kind": "eqsolve", "status": res.status, "converged": res.converged,
            "iterations": res.iterations, "oracle_calls": res.oracle_calls,
            "time_s": time.perf_counter() - t0,
            "relative_gap": res.residual / game.spread if game.spread > 0 else res.residual}


def _judge(game, x, y, rel_tol):
    cert = game.certify(np.concatenate([_simplex(x), _simplex(y)]))
    return float(cert.value), bool(cert.value <= _tol(game, rel_tol))


def run_linprog(game, method, rel_tol, time_limit):
    from scipy.optimize import linprog

    A = np.asarray(game.A, dtype=np.float64)
    t0 = time.perf_counter()
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.hstack([-A.T, np.ones((n, 1))]), b_ub=np.zeros(n),
                  A_eq=np.hstack([np.ones((1, m)), np.zeros((1, 1))]), b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method=method,
                  options={"time_limit": float(time_limit)})
    wall = time.perf_counter() - t0
    out = {"solver": method, "kind": "highs", "time_s": wall, "converged": False,
           "iterations": int(getattr(res, "nit", 0) or 0), "relative_gap": None}
    if res.x is not None:
        gap, ok = _judge(game, res.x[:m], _dual_to_y(res.ineqlin.marginals), rel_tol)
        out.update(relative_gap=gap / game.spread if game.spread > 0 else gap, converged=ok)
    return out


def run_pdlp(game, rel_tol, time_limit):
    import highspy

    A = np.asarray(game.A, dtype=np.float64)
    m, n = A.shape
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "pdlp")
    h.setOptionValue("kkt_tolerance", float(rel_tol))
    h.setOptionValue("time_limit", float(time_limit))
    h.passModel(_highs_lp(A))
    h.run()
    sol, info = h.getSolution(), h.getInfo()
    out = {"solver": "highs-pdlp", "kind": "highs", "time_s": time.perf_counter() - t0,
           "converged": False, "iterations": int(info.pdlp_iteration_count), "relative_gap": None}
    x, d = np.asarray(sol.col_value), np.asarray(sol.row_dual)
    if sol.value_valid and sol.dual_valid and x.size == m + 1:
        gap, ok = _judge(game, x[:m], _dual_to_y(d[:n]), rel_tol)
        out.update(relative_gap=gap / game.spread if game.spread > 0 else gap, converged=ok)
    return out


def run(size=DEFAULTS["size"], seeds=DEFAULTS["seeds"], rel_tol=1e-6, time_limit=20.0,
        methods=DEFAULTS["methods"]):
    record = harness.begin("hard_games", {"size": list(size), "seeds": list(seeds),
                                          "rel_tol": rel_tol, "time_limit": time_limit,
                                          "methods": list(methods)})
    has_pdlp = importlib.util.find_spec("highspy") is not None
    # first calls (imports, caches) outside the timed runs
    warm = eq.zoo.random_matrix_game(8, seed=99)
    for method in methods:
        eq.solve(warm, method=method, tol=1e-3)
    run_linprog(warm, "highs-ds", 1e-3, 5.0)
    games = []
    for seed in seeds:
        for h in eq.zoo.hard_games(seed=seed, size=tuple(size)):
            runs = [run_method(h.game, m, rel_tol, time_limit) for m in methods]
            runs += [run_linprog(h.game, m, rel_tol, time_limit) for m in ("highs-ds", "highs-ipm")]
            if has_pdlp:
                runs.append(run_pdlp(h.game, rel_tol, time_limit))
            games.append({"name": h.name, "seed": seed, "base": h.base,
                          "shape": list(h.game.A.shape), "runs": runs})
    return harness.finish(record, {"games": games}, summarize(games, methods[0]))


def summarize(games, default):
    by = {(g["name"], g["seed"]): g for g in games}

    def run_of(g, solver):
        return next(r for r in g["runs"] if r["solver"] == solver)

    iters_ratio, time_ratio, vs_highs = {}, {}, {}
    for g in games:
        d = run_of(g, default)
        key = f"{g['name']}/{g['seed']}"
        if g["base"]:
            base = run_of(by[(g["base"], g["seed"])], default)
            iters_ratio[key] = d["iterations"] / max(base["iterations"], 1)
        if g["name"] == "row_column_scaled":
            base = run_of(by[("uniform", g["seed"])], default)
            time_ratio[key] = d["time_s"] / base["time_s"]
        highs = [r["time_s"] for r in g["runs"] if r["kind"] == "highs" and r["converged"]]
        if highs:
            vs_highs[key] = d["time_s"] / min(highs)
    return {"default_method": default,
            "every_game_converged": all(run_of(g, default)["converged"] for g in games),
            "not_converged": [f"{g['name']}/{g['seed']}" for g in games
                              if not run_of(g, default)["converged"]],
            "offset_scaled_iterations_over_base": iters_ratio,
            "row_column_scaled_time_over_uniform": time_ratio,
            "time_over_best_highs": vs_highs}


def report(record):
    s = record["summary"]
    print(f"default method {s['default_method']}: every game converged: "
          f"{s['every_game_converged']} {s['not_converged'] or ''}")
    for label in ("offset_scaled_iterations_over_base", "row_column_scaled_time_over_uniform"):
        vals = s[label]
        if vals:
            print(f"{label}: max {max(vals.values()):.2f} ({len(vals)} games)")
    for g in record["results"]["games"]:
        cells = "  ".join(f"{r['solver']}: {r['iterations']} it {r['time_s'] * 1e3:.0f} ms"
                          f"{'' if r['converged'] else ' (not reached)'}" for r in g["runs"])
        print(f"{g['name']:>18s}/{g['seed']}  {cells}")


def plot(record, path):
    plt = harness.pyplot()
    games = record["results"]["games"]
    solvers = [r["solver"] for r in games[0]["runs"]]
    labels = [f"{g['name']}/{g['seed']}" for g in games]
    fig, ax = plt.subplots(figsize=(max(8, 0.45 * len(games)), 4.5))
    width = 0.8 / len(solvers)
    for k, solver in enumerate(solvers):
        t = [next(r for r in g["runs"] if r["solver"] == solver) for g in games]
        ax.bar(np.arange(len(games)) + k * width, [r["time_s"] for r in t], width,
               label=solver, hatch=None)
    ax.set_yscale("log")
    ax.set_ylabel(f"time to gap {record['parameters']['rel_tol']:g} x spread (s)")
    ax.set_xticks(np.arange(len(games)) + 0.4, labels, rotation=70, fontsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    harness.save_png(fig, path)


def main(argv=None) -> int:
    return harness.main(argv, benchmark="hard_games", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report)


if __name__ == "__main__":
    raise SystemExit(main())
