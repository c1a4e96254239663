"""Extensive-form games: certified NashConv against time and iterations, against OpenSpiel and HiGHS.

For each game (OpenSpiel's Kuhn and Leduc poker, liar's dice with 6- and
7-sided dice, imperfect-information Goofspiel with 5 and 6 cards made
turn-based, a small Battleship), in one run:

* eqsolve's methods -- ``cfr`` (predictive CFR+, CFR+, DCFR) and, on the
  smaller games, ``mirror_prox`` and ``optimistic`` with the dilated entropy
  -- solve to the game's target NashConv; every figure is the *certified*
  NashConv of the returned point (:meth:`ExtensiveFormGame.certify`, equal
  to OpenSpiel's NashConv up to rounding: tested).  Their certified history
  gives NashConv against time; the ``last`` and ``average`` iterates are
  also followed separately for a fixed number of iterations (NashConv
  against iterations).
* OpenSpiel's C++ CFR+ (``pyspiel.CFRPlusSolver``) runs on the same game;
  its average policy is certified with the same certificate at checkpoints
  spaced by a factor ``1.25`` in iterations, and its time to the target is
  the solver's own time (certification excluded) at the first checkpoint
  below the target.  OpenSpiel's Python DCFR runs where it fits in
  ``--openspiel-limit`` seconds.
* HiGHS (``scipy.optimize.linprog(method="highs")``) solves the
  sequence-form LP ``max f^T v s.t. F^T v <= A^T x, E x = e, x >= 0``; the
  primal ``x`` and the duals of the ``F^T v <= A^T x`` rows (player 2's plan)
  are certified.

The ratios printed are OpenSpiel's and HiGHS's time over each method's time
to the same certified NashConv, measured in the same run.  Time nothing
while other jobs use the CPU: the load before and after is recorded.

Usage::

    python benchmarks/efg.py                  # every game (several minutes)
    python benchmarks/efg.py --games kuhn leduc
    python benchmarks/efg.py --quick          # Kuhn and Leduc, short budgets

Results: ``benchmarks/results/efg.json`` and ``efg.png`` (``efg_quick.*``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

import _harness as harness
import eqsolve as eq

GAMES = {
    "kuhn": ("kuhn_poker", 1e-6),
    "leduc": ("leduc_poker", 2e-4),
    "leduc_1e-6": ("leduc_poker", 1e-6),
    "liars_dice": ("liars_dice", 1e-3),
    "goofspiel5": ("turn_based_simultaneous_game(game=goofspiel(imp_info=True,num_cards=5,"
                   "points_order=descending))", 1e-3),
    "goofspiel6": ("turn_based_simultaneous_game(game=goofspiel(imp_info=True,num_cards=6,"
                   "points_order=descending))", 1e-3),
    "battleship": ("battleship(board_width=2,board_height=2,ship_sizes=[1],ship_values=[1],"
                   "num_shots=2,allow_repeated_shots=False)", 1e-4),
    "liars_dice7": ("liars_dice(numdice=1,dice_sides=7)", 1e-3),
}
#: (label, method, options); the entropic prox methods run on games up to SMALL sequences
METHODS = (("pcfr+", "cfr", {"variant": "pcfr+"}), ("cfr+", "cfr", {"variant": "cfr+"}),
           ("dcfr", "cfr", {"variant": "dcfr"}), ("mirror_prox", "mirror_prox", {}),
           ("optimistic", "optimistic", {}))
SMALL = 5000

DEFAULTS = {"games": tuple(GAMES), "time_limit": 120.0, "openspiel_limit": 120.0,
            "curve_iterations": 2000}
QUICK = {"games": ("kuhn", "leduc"), "time_limit": 3.0, "openspiel_limit": 2.0,
         "curve_iterations": 50}


def sequence_form_lp(game):
    """``(c, A_ub, b_ub, A_eq, b_eq, bounds)`` of player 1's sequence-form LP."""
    def constraints(tp):
        rows, cols, vals = [0], [0], [1.0]
        for i in range(tp.n_sets):
            rows += [i + 1] * (int(tp.sizes[i]) + 1)
            cols += [int(tp.parents[i])] + list(range(tp.start[i], tp.start[i] + tp.sizes[i]))
            vals += [-1.0] + [1.0] * int(tp.sizes[i])
        return sp.csr_matrix((vals, (rows, cols)), shape=(tp.n_sets + 1, tp.dim))

    E, F = constraints(game.X), constraints(game.Y)
    n, k = game.X.dim, game.Y.n_sets + 1
    c = np.zeros(n + k)
    c[n] = -1.0                                   # maximise v_0
    A_ub = sp.hstack([-game.A.T, F.T]).tocsr()
    A_eq = sp.hstack([E, sp.csr_matrix((E.shape[0], k))]).tocsr()
    b_eq = np.zeros(E.shape[0])
    b_eq[0] = 1.0
    bounds = [(0, None)] * n + [(None, None)] * k
    return c, A_ub, np.zeros(game.Y.dim), A_eq, b_eq, bounds


def run_highs(game, time_limit):
    from scipy.optimize import linprog

    c, A_ub, b_ub, A_eq, b_eq, bounds = sequence_form_lp(game)
    t0 = time.perf_counter()
    out = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs",
                  options={"time_limit": time_limit})
    elapsed = time.perf_counter() - t0
    if out.x is None:
        return {"solver": "highs", "status": out.message, "time": elapsed, "nash_conv": None}
    x = np.maximum(out.x[: game.X.dim], 0.0)
    y = np.maximum(-out.ineqlin.marginals, 0.0)
    cert = game.certify(np.concatenate([x, y]))
    return {"solver": "highs", "status": "optimal" if out.status == 0 else out.message,
            "time": elapsed, "nash_conv": cert.value, "value": -out.fun}


def _plans_from_openspiel(game, table):
    strategy = {key: dict(probs) for key, probs in table.items()}
    return game.plans_from_behavior(strategy)


def _checkpointed(step, certify, target, time_limit):
    """Run ``step()`` until ``certify()`` (at checkpoints 1.25x apart in iterations) is at
    most ``target`` or the solver's own time (certification excluded) reaches ``time_limit``."""
    iters, solve_time, history, next_check = 0, 0.0, [], 1
    while solve_time < time_limit:
        t0 = time.perf_counter()
        step()
        solve_time += time.perf_counter() - t0
        iters += 1
        if iters >= next_check:
            next_check = max(iters + 1, int(math.ceil(iters * 1.25)))
            nc = certify()
            history.append((iters, solve_time, nc))
            if nc <= target:
                break
    return {"iterations": iters, "time": solve_time,
            "reached": bool(history) and history[-1][2] <= target,
            "nash_conv": history[-1][2] if history else None,
            "time_per_iteration": solve_time / max(iters, 1),
            "history": {"iteration": [h[0] for h in history], "elapsed": [h[1] for h in history],
                        "residual": [h[2] for h in history]}}


def run_openspiel_cfr_plus(game, os_game, target, time_limit):
    """OpenSpiel's C++ CFR+, its average policy certified by eqsolve's certificate."""
    import pyspiel

    solver = pyspiel.CFRPlusSolver(os_game)

    def certify():
        table = solver.tabular_average_policy().policy_table()
        return game.certify(_plans_from_openspiel(game, table)).value

    return {"solver": "openspiel_cfr+",
            **_checkpointed(solver.evaluate_and_update_policy, certify, target, time_limit)}


def run_openspiel_dcfr(game, os_game, target, time_limit):
    """OpenSpiel's Python DCFR (dict loops over the tree), certified at checkpoints."""
    from open_spiel.python.algorithms import discounted_cfr

    solver = discounted_cfr.DCFRSolver(os_game)
    keys = list(game.behavior(game.initial_point()))

    def certify():
        pol = solver.average_policy()
        table = {key: {a: float(p) for a, p in enumerate(pol.policy_for_key(key))}
                 for key in keys}
        return game.certify(_plans_from_openspiel(game, table)).value

    return {"solver": "openspiel_dcfr_python",
            **_checkpointed(solver.evaluate_and_update_policy, certify, target, time_limit)}


def run_method(game, label, method, options, target, time_limit):
    res = eq.solve(game, method=method, tol=target, max_iter=10 ** 7, time_limit=time_limit,
                   **options)
    return {"solver": label, "status": res.status, "iterations": res.iterations,
            "time": res.elapsed, "nash_conv": res.residual, "point": res.certificate.point,
            "reached": res.residual <= target,
            "history": {"iteration": list(res.history["iteration"]),
                        "elapsed": list(res.history["elapsed"]),
                        "residual": list(res.history["residual"])}}


def iteration_curves(game, method, options, iterations):
    """Certified NashConv of the last and average iterates against iterations."""
    out = {}
    for output in ("last", "average"):
        res = eq.solve(game, method=method, tol=0, max_iter=iterations, output=output,
                       **options)
        out[output] = {"iteration": list(res.history["iteration"]),
                       "residual": list(res.history["residual"])}
    return out


def run(games=DEFAULTS["games"], time_limit=DEFAULTS["time_limit"],
        openspiel_limit=DEFAULTS["openspiel_limit"],
        curve_iterations=DEFAULTS["curve_iterations"]) -> dict:
    import pyspiel

    record = harness.begin("efg", {"games": list(games), "time_limit": time_limit,
                                   "openspiel_limit": openspiel_limit,
                                   "curve_iterations": curve_iterations,
                                   "targets": {g: GAMES[g][1] for g in games},
                                   "strings": {g: GAMES[g][0] for g in games}})
    # compile the kernels once, outside every timing
    eq.solve(eq.zoo.random_tree_game(seed=7), method="cfr", max_iter=3)
    entries = {}
    for name in games:
        string, target = GAMES[name]
        os_game = pyspiel.load_game(string)
        t0 = time.perf_counter()
        game = eq.ExtensiveFormGame.from_openspiel(os_game)
        build = time.perf_counter() - t0
        entry = {"sequences": [game.X.dim, game.Y.dim], "entries": int(game.A.nnz),
                 "build_time": build, "target": target, "runs": [], "load_before": harness.loadavg()}
        print(f"{name}: {game.X.dim} x {game.Y.dim} sequences, {game.A.nnz} entries, "
              f"built in {build:.2f} s", flush=True)
        for label, method, options in METHODS:
            if method != "cfr" and max(game.X.dim, game.Y.dim) > SMALL:
                continue
            r = run_method(game, label, method, options, target, time_limit)
            entry["runs"].append(r)
            print(f"  {label:12s} {r['status']:9s} {r['iterations']:7d} it  {r['time']:8.3f} s  "
                  f"NashConv {r['nash_conv']:.2e}", flush=True)
        r = run_openspiel_cfr_plus(game, os_game, target, openspiel_limit)
        entry["runs"].append(r)
        print(f"  openspiel C++ CFR+ {r['iterations']} it {r['time']:.3f} s NashConv "
              f"{r['nash_conv']:.2e}", flush=True)
        if max(game.X.dim, game.Y.dim) <= SMALL:
            r = run_openspiel_dcfr(game, os_game, target, openspiel_limit / 4)
            entry["runs"].append(r)
            print(f"  openspiel python DCFR {r['iterations']} it {r['time']:.3f} s NashConv "
                  f"{r['nash_conv']:.2e}", flush=True)
        r = run_highs(game, time_limit)
        entry["runs"].append(r)
        print(f"  HiGHS {r['status']} {r['time']:.3f} s NashConv {r['nash_conv']}", flush=True)
        if curve_iterations and max(game.X.dim, game.Y.dim) <= SMALL:
            entry["curves"] = {label: iteration_curves(game, method, options, curve_iterations)
                               for label, method, options in METHODS}
        entry["load_after"] = harness.loadavg()
        entries[name] = entry
    return harness.finish(record, {"games": entries}, summarize({"games": entries}))


def summarize(results) -> dict:
    out = {}
    for name, entry in results["games"].items():
        runs = {r["solver"]: r for r in entry["runs"]}
        ours = [r for r in entry["runs"] if r["solver"] in {m[0] for m in METHODS}
                and r.get("reached")]
        best = min(ours, key=lambda r: r["time"]) if ours else None
        os_run, hi = runs.get("openspiel_cfr+"), runs.get("highs")
        row = {"best_method": best["solver"] if best else None,
               "best_time": best["time"] if best else None}
        if best and os_run:
            # a run that did not reach the target gives a lower bound on the ratio
            row["speedup_vs_openspiel_cfr+"] = os_run["time"] / best["time"]
            row["openspiel_reached"] = os_run["reached"]
        if best and hi and hi.get("nash_conv") is not None:
            row["speedup_vs_highs"] = hi["time"] / best["time"]
        out[name] = row
    return out


def plot(record, path):
    plt = harness.pyplot()
    games = record["results"]["games"]
    names = list(games)
    fig, axes = plt.subplots(2, len(names), figsize=(4.2 * len(names), 7.5), squeeze=False)
    for j, name in enumerate(names):
        entry = games[name]
        ax = axes[0, j]
        for r in entry["runs"]:
            h = r.get("history")
            if h and h["elapsed"]:
                t = np.maximum(np.asarray(h["elapsed"], float), 1e-4)
                ax.loglog(t, np.maximum(np.asarray(h["residual"], float), 1e-16), label=r["solver"])
            elif r["solver"] == "highs" and r.get("nash_conv") is not None:
                ax.loglog([r["time"]], [max(r["nash_conv"], 1e-16)], "k*", ms=10, label="HiGHS LP")
        ax.axhline(entry["target"], color="grey", lw=0.8, ls=":")
        ax.set_title(f"{name} ({entry['sequences'][0]} seq.)")
        ax.set_xlabel("seconds")
        ax.set_ylabel("certified NashConv")
        ax.legend(fontsize=6)
        ax = axes[1, j]
        curves = entry.get("curves", {})
        for label, c in curves.items():
            for output, style in (("last", "--"), ("average", "-")):
                it = np.maximum(np.asarray(c[output]["iteration"], float), 1)
                ax.loglog(it, np.maximum(np.asarray(c[output]["residual"], float), 1e-16), style,
                          label=f"{label} {output}")
        if curves:
            it = np.logspace(0, math.log10(max(2, record["parameters"]["curve_iterations"])), 20)
            r0 = max(c["average"]["residual"][0] for c in curves.values())
            ax.loglog(it, r0 / np.sqrt(it), "k:", lw=0.8, label="1/sqrt(T)")
            ax.loglog(it, r0 / it, "k-.", lw=0.8, label="1/T")
        ax.set_xlabel("iterations")
        ax.set_ylabel("certified NashConv")
        ax.legend(fontsize=5, ncol=2)
    fig.tight_layout()
    harness.save_png(fig, path)


def report(record) -> None:
    for name, row in record["summary"].items():
        parts = [f"{name}: best {row['best_method']} {row['best_time']}"]
        for key in ("speedup_vs_openspiel_cfr+", "speedup_vs_highs"):
            if key in row:
                parts.append(f"{key} {row[key]:.1f}x")
        print("  ".join(str(p) for p in parts))


def _add_arguments(parser):
    parser.add_argument("--games", nargs="+", choices=list(GAMES), default=None)
    parser.add_argument("--time-limit", dest="time_limit", type=float, default=None)
    parser.add_argument("--openspiel-limit", dest="openspiel_limit", type=float, default=None)
    parser.add_argument("--curve-iterations", dest="curve_iterations", type=int, default=None)


def main(argv=None) -> int:
    return harness.main(argv, benchmark="efg", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=_add_arguments)


if __name__ == "__main__":
    raise SystemExit(main())
