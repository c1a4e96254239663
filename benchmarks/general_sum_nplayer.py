"""N-player Nash equilibria: eqsolve's logit path (with its polish) against Gambit's solvers.

Games: random 3 x 3 x 3 and 2 x 2 x 2 x 2 games (integer payoffs uniform in
[-50, 50], seeded) and Gambit's three-player catalog games (when pygambit is
installed).  The catalog's tree games (Selten's horse, ...) are solved by
every solver in their reduced strategic form: eqsolve reads a three-player
tree that way, and Gambit is given the same table (built exactly from it), so
that both answer with mixed strategy profiles of one game.  Solvers, each timed on the same game in the same run and each
answer certified by ``NormalFormGame.certify`` (the Nash gap of the exact
game, rounding included) against the target 1e-8:

* ``eqsolve logit`` -- ``eqsolve.solve(game, tol=1e-8)`` (the NormalFormGame
  default: logit QRE path following, Newton polish on the support);
* ``eqsolve extragradient`` -- the former default, a first-order method with
  no guarantee on general-sum games (``eg_max_iter`` iterations, 20,000);
* ``gambit logit`` -- ``pygambit.nash.logit_solve(game, maxregret=r)``;
* ``gambit simpdiv`` -- ``pygambit.nash.simpdiv_solve(uniform start, maxregret=r)``;
* ``gambit gnm`` -- ``pygambit.nash.gnm_solve(game)`` (all equilibria it
  finds on its ray; the best certified one is scored).

Gambit's ``maxregret`` is relative to the payoff range and bounds each
player's regret, while the certificate sums the players' gains: ``r = 1e-8 /
(N * range)`` asks Gambit for the same accuracy (its answers are certified
here, not trusted).  Times are the best of ``repeats`` runs (wall clock,
``time.perf_counter``).  Writes ``benchmarks/results/general_sum_nplayer.json``
and ``.png``::

    python benchmarks/general_sum_nplayer.py [--quick]
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.problems import NormalFormGame

TARGET = 1e-8
SOLVERS = ("eqsolve logit", "eqsolve extragradient", "gambit logit", "gambit simpdiv",
           "gambit gnm")


def _gambit():
    try:
        import pygambit
    except ImportError:
        return None
    return pygambit


def games(shapes, seeds, catalog):
    """``(family, name, NormalFormGame, pygambit game or None)``."""
    gbt = _gambit()
    out = []
    for shape in shapes:
        family = "x".join(map(str, shape))
        for seed in range(seeds):
            U = np.random.default_rng(seed).integers(-50, 51, size=(len(shape),) + tuple(shape))
            game = NormalFormGame(U)
            gg = gbt.StrategicGame.from_arrays(*[u.tolist() for u in U]) if gbt else None
            out.append((family, f"{family} seed {seed}", game, gg))
    if catalog and gbt is not None:
        from eqsolve.io.interop import from_pygambit

        for slug in list(gbt.catalog.games(n_players=3)["Game"])[:catalog]:
            gg = gbt.catalog.load(slug)
            game = from_pygambit(gg)
            if not hasattr(gg, "get_strategies") or hasattr(gg, "get_histories"):
                # a tree: eqsolve reads its reduced strategic form, so Gambit gets that table
                # too (its tree solvers would answer in behaviour strategies of the agent form,
                # another problem); the payoffs go over exactly
                gg = strategic_form(gbt, game)
            out.append(("catalog (3 players)", slug, game, gg))
    return out


def strategic_form(gbt, game):
    """A pygambit table game with exactly the payoffs of ``game`` (a NormalFormGame)."""
    exact = game.exact_payoffs
    table = getattr(gbt, "StrategicGame", gbt.Game)
    return table.from_arrays(*[
        np.vectorize(lambda v: gbt.Rational(v.numerator, v.denominator), otypes=[object])(u)
        for u in exact])


def _profile(gg, e):
    return np.concatenate([[float(e[p][s]) for s in gg.get_strategies(p)] for p in gg.players])


def _timed(fn, repeats):
    best, value = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def solve_one(solver, game, gg, repeats, eg_max_iter=20_000):
    """``{"time", "gap", "reached", ...}`` for one solver on one game (``None`` if unavailable)."""
    N = game.num_players
    spread = max(float(np.ptp(u)) for u in np.asarray(game.payoffs)) or 1.0
    if solver == "eqsolve logit":
        t, res = _timed(lambda: eq.solve(game, tol=TARGET), repeats)
        return {"time": t, "gap": res.residual, "status": res.status,
                "iterations": res.iterations}
    if solver == "eqsolve extragradient":
        t, res = _timed(lambda: eq.solve(game, method="extragradient", tol=TARGET,
                                         max_iter=eg_max_iter), 1)
        return {"time": t, "gap": res.residual, "status": res.status,
                "iterations": res.iterations}
    gbt = _gambit()
    if gbt is None or gg is None:
        return None
    r = TARGET / (N * spread)
    if solver == "gambit logit":
        t, res = _timed(lambda: gbt.nash.logit_solve(gg, maxregret=r), repeats)
        profiles = [res.equilibrium] if res.equilibrium is not None else []
    elif solver == "gambit simpdiv":
        start = gg.mixed_strategy_profile(rational=True)
        rr = Fraction(r).limit_denominator(10**15)
        t, res = _timed(lambda: gbt.nash.simpdiv_solve(start, maxregret=gbt.Rational(
            rr.numerator, rr.denominator)), repeats)
        profiles = [res.equilibrium] if res.equilibrium is not None else []
    else:
        t, res = _timed(lambda: gbt.nash.gnm_solve(gg), repeats)
        profiles = list(res.equilibria)
    gaps = [game.certify(_profile(gg, e)).value for e in profiles]
    return {"time": t, "gap": min(gaps) if gaps else None, "found": len(gaps)}


def run(shapes=((3, 3, 3), (2, 2, 2, 2)), seeds: int = 10, catalog: int = 10,
        repeats: int = 3, eg_max_iter: int = 20_000) -> dict:
    record = harness.begin("general_sum_nplayer", {
        "shapes": [list(s) for s in shapes], "seeds": seeds, "catalog": catalog,
        "repeats": repeats, "eg_max_iter": eg_max_iter, "target": TARGET,
        "payoffs": "integers uniform in [-50, 50]",
        "gambit": getattr(_gambit(), "__version__", None)})
    # pay the compiled kernels' loading (and Gambit's first call) before anything is timed
    for _, _, game, gg in games(shapes, 1, 1):
        for solver in SOLVERS:
            solve_one(solver, game, gg, 1, 50)
    rows = []
    for family, name, game, gg in games(shapes, seeds, catalog):
        row = {"family": family, "game": name, "shape": list(game.shape), "solvers": {}}
        for solver in SOLVERS:
            out = solve_one(solver, game, gg, repeats, eg_max_iter)
            if out is not None:
                out["reached"] = out["gap"] is not None and out["gap"] <= TARGET
                row["solvers"][solver] = out
        rows.append(row)
    results = {"games": rows}
    return harness.finish(record, results, summarize(results))


def summarize(results) -> dict:
    """Per family and solver: games reached, median time; eqsolve logit / gambit logit time."""
    out = {}
    families = sorted({r["family"] for r in results["games"]})
    for fam in families:
        rows = [r for r in results["games"] if r["family"] == fam]
        fam_out = {}
        for solver in SOLVERS:
            got = [r["solvers"][solver] for r in rows if solver in r["solvers"]]
            if not got:
                continue
            fam_out[solver] = {
                "games": len(got), "reached": sum(g["reached"] for g in got),
                "median_time": float(np.median([g["time"] for g in got])),
                "worst_gap": max((g["gap"] for g in got if g["gap"] is not None), default=None)}
        ratios = [r["solvers"]["eqsolve logit"]["time"] / r["solvers"]["gambit logit"]["time"]
                  for r in rows if "gambit logit" in r["solvers"]
                  and r["solvers"]["gambit logit"]["time"] > 0]
        if ratios:
            fam_out["time_ratio_eqsolve_logit_to_gambit_logit"] = {
                "median": float(np.median(ratios)), "max": float(np.max(ratios))}
        out[fam] = fam_out
    return out


def plot(record, path):
    plt = harness.pyplot()
    rows = record["results"]["games"]
    families = sorted({r["family"] for r in rows})
    fig, axes = plt.subplots(1, len(families), figsize=(5.2 * len(families), 4.2), squeeze=False)
    for ax, fam in zip(axes[0], families):
        sub = [r for r in rows if r["family"] == fam]
        for k, solver in enumerate(SOLVERS):
            pts = [(r["solvers"][solver]["time"], r["solvers"][solver]["gap"]) for r in sub
                   if solver in r["solvers"] and r["solvers"][solver]["gap"] is not None]
            if pts:
                t, g = np.array(pts).T
                ax.loglog(t, np.maximum(g, 1e-17), "os^vD"[k], color=f"C{k}", label=solver,
                          alpha=0.75)
        ax.axhline(TARGET, color="k", ls="--", lw=1, label="target 1e-8")
        ax.set_xlabel("seconds (best of repeats)")
        ax.set_ylabel("certified Nash gap")
        ax.set_title(fam, fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("N-player Nash equilibria: time and certified gap")
    fig.tight_layout()
    harness.save_png(fig, path, dpi=100)


def report(record) -> None:
    for fam, entry in record["summary"].items():
        for solver, s in entry.items():
            if solver.startswith("time_ratio"):
                print(f"{fam:22s} eqsolve logit / gambit logit time: median {s['median']:.3g}, "
                      f"max {s['max']:.3g}")
                continue
            gap = "n/a" if s["worst_gap"] is None else f"{s['worst_gap']:.2e}"
            print(f"{fam:22s} {solver:22s} reached {s['reached']}/{s['games']}, median "
                  f"{1e3 * s['median_time']:8.2f} ms, worst certified gap {gap}")


#: the recorded run (the run() defaults, ten games a family and 20,000 extragradient
#: iterations, take over ten minutes); every catalog game (there are five)
DEFAULTS = {"seeds": 4, "catalog": 10, "repeats": 1, "eg_max_iter": 500}
#: two games per random family, every catalog game (tree games included), one timing each,
#: extragradient to 1000
QUICK = {"seeds": 2, "catalog": 10, "repeats": 1, "eg_max_iter": 1000}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="general_sum_nplayer", doc=__doc__, run=run,
                        defaults=DEFAULTS, quick=QUICK, plot=plot, report=report)


if __name__ == "__main__":
    sys.exit(main())
