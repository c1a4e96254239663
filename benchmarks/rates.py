"""Last-iterate and ergodic rates: certified residual against iterations and operator evaluations.

One command writes ``benchmarks/results/rates.png`` and ``rates.json``::

    python benchmarks/rates.py            # full panels (about a minute on 2 cores)
    python benchmarks/rates.py --quick    # short runs, for tests

Each panel is a canonical problem; each curve one registered method run
*without restarts* (so the measured slope is the method's own rate), plotted
log-log against iterations (upper plot of the panel) and operator evaluations
(lower plot); the panels form a grid of three columns.  The
theoretical slope of each method on that problem class is drawn as a dashed
guide over the curve's last decade, and the slope fitted on the last decade
of the curve is recorded beside it in the JSON.  Methods that do not support a
panel's problem are skipped (and listed).

Add a panel by appending a :class:`Panel` to :data:`PANELS` (later method
families add theirs here).
"""

from __future__ import annotations

import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.problems import zoo


@dataclass
class Panel:
    """A problem, the methods to run on it, and the theory to draw."""

    name: str
    title: str
    make: Callable[[], object]
    #: method -> (options, theoretical slope or None, label of the guarantee)
    runs: dict = field(default_factory=dict)
    #: method -> problem -> guaranteed per-iteration factor (linear rates), drawn dashed
    factors: dict = field(default_factory=dict)
    #: label -> (runner(problem, iters) -> history, theoretical slope, guarantee): curves that
    #: are not one solve (online learners in self-play)
    custom: dict = field(default_factory=dict)


def _bilinear():
    rng = np.random.default_rng(0)
    n = 20
    B = rng.normal(size=(n, n)) / np.sqrt(n)
    J = np.block([[np.zeros((n, n)), B], [-B.T, np.zeros((n, n))]])
    b = rng.normal(size=2 * n)
    return eq.VI(lambda z: J @ z + b, eq.Reals(2 * n), L=float(np.linalg.norm(J, 2)), monotone=True)


def _cocoercive():
    # symmetric PSD S with eigenvalues spread log-uniformly over [1e-6, 1] and a unit-norm
    # solution spread over all eigenvectors: the O(1/k) regime of Halpern spans the window
    rng = np.random.default_rng(1)
    n = 30
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    S = (Q * np.logspace(-6, 0, n)) @ Q.T
    sol = Q @ (np.ones(n) / np.sqrt(n))
    b = -S @ sol
    return eq.VI(lambda z: S @ z + b, eq.Reals(n), L=1.0, monotone=True)


def _strongly_monotone():
    return zoo.affine_vi(30, seed=2, domain="box", mu=0.05).problem


def _preference():
    from eqsolve.problems import random_preferences

    return eq.PreferenceGame(random_preferences(100, seed=4), beta=0.1)


def _local_minimax():
    # f = -x^2 + 2xy - y^2/2: nonconvex in x, Schur complement 2 > 0 (local minimax at 0);
    # simultaneous timescales leave it (the EG Jacobian has eigenvalues with Re < 0)
    return eq.Saddle(lambda x, y: -2.0 * x + 2.0 * y, lambda x, y: 2.0 * x - y, 1, 1)


NO_RESTART = {"restart": False}


def _power_control():
    # moderate interference: rho(S^max) ~ 0.88 < 1, so the contraction factor is certified
    return zoo.rayleigh_power_control(8, 32, distance_ratio=5.0, path_loss=4.0, seed=0)


def _rho_w(problem):
    return problem.contraction()["factor"]


PANELS = [
    Panel("bilinear", "bilinear (skew) VI, unconstrained: ||F(z)||", _bilinear, {
        "extragradient": ({**NO_RESTART, "output": "last"}, -0.5, "EG last iterate O(1/sqrt k)"),
        "optimistic": ({**NO_RESTART, "output": "last"}, -0.5, "OG last iterate O(1/sqrt k)"),
        "halpern": ({**NO_RESTART, "variant": "feg"}, -1.0, "FEG O(1/k)"),
    }),
    Panel("matrix_game", "random 60x60 matrix game: duality gap", lambda: zoo.random_matrix_game(60, seed=3), {
        "extragradient": ({**NO_RESTART, "output": "average"}, -1.0, "ergodic O(1/k)"),
        "mirror_prox": ({**NO_RESTART, "output": "average"}, -1.0, "ergodic O(1/k)"),
        "optimistic": ({**NO_RESTART, "output": "average"}, -1.0, "ergodic O(1/k)"),
        "pdhg": ({"variant": "adaptive", "restart": False, "output": "average"}, -1.0, "ergodic O(1/k)"),
        "pdhg (Halpern, restarted)": ({"method": "pdhg"}, None, "linear (sharp problem)"),
        "pdhg (fixed-step CP)": ({"method": "pdhg", "variant": "fixed", "output": "average"},
                                 -1.0, "Chambolle-Pock ergodic O(1/k)"),
    }),
    Panel("cocoercive", "cocoercive linear VI: ||F(z)||", _cocoercive, {
        "halpern": ({**NO_RESTART, "variant": "halpern"}, -1.0, "Halpern O(1/k) (Lieder)"),
        "extragradient": ({**NO_RESTART, "output": "last"}, -0.5, "EG last iterate O(1/sqrt k)"),
    }),
    Panel("strongly_monotone", "strongly monotone affine VI on a box: natural residual",
          _strongly_monotone, {
              "extragradient": ({**NO_RESTART, "output": "last"}, None, "linear"),
              "optimistic": ({**NO_RESTART, "output": "last"}, None, "linear"),
              "mirror_prox": ({**NO_RESTART, "output": "last"}, None, "linear"),
          }),
    Panel("nonconvex_minimax", "nonconvex-nonconcave quadratic (local minimax at 0): ||grad f||",
          _local_minimax, {
              "two_timescale_extragradient": ({**NO_RESTART, "tau": 10.0, "step": 0.05,
                                               "growth": 1.0, "x0": [0.3, -0.2]},
                                              None, "locally linear for tau large (Chae et al.)"),
              "extragradient (tau = 1)": ({**NO_RESTART, "method": "two_timescale_extragradient",
                                           "tau": 1.0, "step": 0.05, "growth": 1.0,
                                           "x0": [0.3, -0.2]}, None, "leaves the point"),
          }),
    Panel("preference", "preference game |Y|=100, beta=0.1: exploitability E_beta", _preference, {
        "nash_mp": ({}, None, "linear, KL <= (1+2 beta)^(-N/2)"),
        "nash_md": ({}, -1.0, "Nash-MD O(1/k)"),
        "optimistic": ({**NO_RESTART, "geometry": "entropic"}, None, "OMWU (adaptive)"),
    }),
    Panel("water_filling", "power control 8 users x 32 carriers: NE residual per sweep",
          _power_control, {
              "water_filling (simultaneous)": ({"method": "water_filling"}, None,
                                               "linear, factor <= rho_w (Scutari et al.)"),
              "water_filling (sequential)": ({"method": "water_filling", "schedule": "sequential"},
                                             None, "linear, factor <= rho_w"),
          }, factors={"water_filling (simultaneous)": _rho_w, "water_filling (sequential)": _rho_w}),
]


def _sgn_toy():
    # the SGN mini-toy with a nonzero equilibrium: not monotone, certified by Small-Gain Nash
    return eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], [1.0, -2.0], blocks=[1, 1])


_SGN_Q = eq.small_gain(_sgn_toy()).euler_factor()
PANELS.append(
    Panel("small_gain", "SGN mini-toy (non-monotone): ||F(x)||, certified projected Euler",
          _sgn_toy, {
              "projected_euler": ({**NO_RESTART, "theory_factor": _SGN_Q},
                                  None, f"certified factor q = {_SGN_Q:.4f}/it in M(w)"),
              "rk4": ({**NO_RESTART}, None, "rigorous RK4 step (linear F)"),
          }))


def _finite_sum_game():
    return eq.FiniteSumVI.from_matrix_game(zoo.policeman_burglar(30, seed=1).A)


_PB_F = float(np.linalg.norm(zoo.policeman_burglar(30, seed=1).A))
PANELS.append(
    Panel("finite_sum", "policeman-burglar n=30 as a finite sum: natural residual (x: epochs)",
          _finite_sum_game, {
              "vr_halpern (Alg 2)": ({**NO_RESTART, "method": "vr_halpern", "variant": "monotone",
                                      "step": np.sqrt(30) / _PB_F, "seed": 0}, -1.0,
                                     "inexact Halpern O(1/k)"),
              # default step 1/L_avg: the paper's 5/||A||_F oscillates at this small n
              "vr_halpern (Alg 1)": ({**NO_RESTART, "method": "vr_halpern", "variant": "cocoercive",
                                      "seed": 0}, None, "no rate (game not cocoercive)"),
              "halpern (EAG)": ({**NO_RESTART, "method": "halpern", "variant": "eag"}, None,
                                "O(1/k) unconstrained only"),
          }))



def _self_play(step):
    """Two online optimistic learners in self-play: the certified gap of their average play.

    Each round both play, then observe their own loss gradient; the duality gap of
    the running average is certified at roughly geometric checkpoints.  One round
    is one evaluation of F.
    """

    def runner(game, iters):
        m = game.m
        X = eq.OnlineOptimistic(eq.Simplex(m), step=step)
        Y = eq.OnlineOptimistic(eq.Simplex(game.n), step=step)
        total = np.zeros(game.dim)
        h = {"iteration": [], "oracle_calls": [], "residual": []}
        checks = set(np.unique(np.geomspace(1, iters, 200).astype(int)).tolist())
        for t in range(1, iters + 1):
            z = np.concatenate([X.play(), Y.play()])
            F = game.operator(z)
            X.observe(F[:m])
            Y.observe(F[m:])
            total += z
            if t in checks:
                h["iteration"].append(t)
                h["oracle_calls"].append(t)
                h["residual"].append(eq.certify(game, total / t).value)
        return h

    return runner


PANELS.append(
    Panel("online_self_play", "online optimistic learners in self-play, random 60x60 game: "
          "duality gap of the average play", lambda: zoo.random_matrix_game(60, seed=3),
          custom={
              "OnlineOptimistic (self-confident step)": (_self_play(None), -1.0,
                                                         "O(1/T) (RVU, Syrgkanis et al.)"),
              "OnlineOptimistic (step 0.1)": (_self_play(0.1), -1.0, "O(1/T)"),
          }))

PANELS.append(
    Panel("extensive_form", "random extensive-form game (chance, hidden information): certified "
          "NashConv", lambda: zoo.random_tree_game(seed=8, depth=7), {
              "optimistic": ({"output": "last"}, None,
                             "dilated OMWU last iterate: linear (unique equilibrium)"),
              "mirror_prox": ({"output": "last"}, None, "dilated-entropy mirror prox, last iterate"),
              "cfr (pcfr+, last)": ({"method": "cfr", "output": "last"}, None,
                                    "predictive CFR+ last iterate"),
              "cfr (cfr+, average)": ({"method": "cfr", "variant": "cfr+", "output": "average"},
                                      -0.5, "CFR+ average O(1/sqrt T)"),
          }))


def _cce_self_play(game, iters):
    """Optimistic hedge for every player (``eq.correlated_equilibrium(method="self_play")``):
    the certified CCE gap of the empirical joint play (the largest average regret)."""
    res = eq.correlated_equilibrium(game, "cce", method="self_play", max_rounds=iters,
                                    tol=1e-300)
    h = res.history
    return {"iteration": h["rounds"], "oracle_calls": h["rounds"], "residual": h["gap"],
            "theory_shape": "log(T)/T"}


PANELS.append(
    Panel("cce_self_play", "3 players, random 4x4x4 game, optimistic hedge in self-play: "
          "CCE gap of the empirical joint play",
          lambda: eq.NormalFormGame(np.random.default_rng(7).uniform(size=(3, 4, 4, 4))),
          custom={"optimistic hedge (OnlineOptimistic, entropic)": (
              _cce_self_play, -1.0, "O(log T / T) (Daskalakis, Fishelson, Golowich)")}))

FLOOR = 1e-12  # below this the residual is rounding, not rate


def _fit_slope(x, y):
    """Log-log slope over the last decade of iterations (above the rounding floor)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = (x > 0) & (y > FLOOR)
    keep &= x >= x[keep].max() / 10 if keep.any() else keep
    if keep.sum() < 3:
        return None
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def _fit_factor(x, y):
    """Per-iteration contraction factor exp(d log r / dk) above the rounding floor (linear rates)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = (y > FLOOR) & (x > 0)
    if keep.sum() < 3:
        return None
    return float(np.exp(np.polyfit(x[keep], np.log(y[keep]), 1)[0]))


def run(iters: int = 3000, panels=None) -> dict:
    """Run every panel (or the given :class:`Panel` list); return the record (writes nothing)."""
    panels = list(panels or PANELS)
    record = harness.begin("rates", {"iters": iters, "panels": [p.name for p in panels]})
    out = {"panels": {}}
    for panel in panels:
        problem = panel.make()
        entry = {"title": panel.title, "curves": {}, "skipped": []}
        for label, (options, slope, guarantee) in panel.runs.items():
            options = dict(options)
            method = options.pop("method", label)
            factor = options.pop("theory_factor", None)
            try:
                t = time.perf_counter()
                res = eq.solve(problem, method=method, tol=0, max_iter=iters, check_every=1,
                               **options)
                wall = time.perf_counter() - t
            except (TypeError, ValueError) as exc:
                entry["skipped"].append(f"{label}: {exc}")
                continue
            h = res.history
            # finite sums: evaluations in epochs (component evaluations / n), so sampled
            # components count as well as full passes
            evals = ([c / problem.n_components for c in h["component_calls"]]
                     if "component_calls" in h else h["oracle_calls"])
            entry["curves"][label] = {
                "iteration": h["iteration"], "oracle_calls": evals,
                "residual": h["residual"], "theory_slope": slope, "guarantee": guarantee,
                "measured_slope": _fit_slope(h["iteration"], h["residual"]) if slope is not None
                else None,
                "measured_factor": _fit_factor(h["iteration"], h["residual"]) if slope is None
                else None,
                "seconds": wall,
                "theory_factor": factor if factor is not None else (
                    panel.factors[label](problem) if label in panel.factors else None),
            }
        for label, (runner, slope, guarantee) in panel.custom.items():
            t = time.perf_counter()
            h = runner(problem, iters)
            entry["curves"][label] = {
                "iteration": h["iteration"], "oracle_calls": h["oracle_calls"],
                "residual": h["residual"], "theory_slope": slope, "guarantee": guarantee,
                "measured_slope": _fit_slope(h["iteration"], h["residual"]),
                "measured_factor": None, "seconds": time.perf_counter() - t,
                "theory_factor": None, "theory_shape": h.get("theory_shape"),
            }
        out["panels"][panel.name] = entry
    return harness.finish(record, out, summarize(out))


def summarize(results: dict) -> dict:
    """Per panel and curve: the fitted slope or factor beside the theory, and the last residual."""
    return {name: {label: {"measured_slope": c["measured_slope"], "theory_slope": c["theory_slope"],
                           "measured_factor": c.get("measured_factor"),
                           "theory_factor": c.get("theory_factor"),
                           "final_residual": c["residual"][-1] if c["residual"] else None}
                   for label, c in entry["curves"].items()}
            for name, entry in results["panels"].items()}


COLUMNS = 3


def plot(record: dict, path) -> None:
    """One panel per problem in a grid of :data:`COLUMNS` columns.

    Each panel stacks the residual against iterations over the residual against
    operator evaluations (same colours, same residual axis); the legend of each
    panel names its methods with their fitted slope or factor, and one legend
    for the whole figure explains the line styles.
    """
    plt = harness.pyplot()
    from matplotlib.lines import Line2D

    panels = record["results"]["panels"]
    rows = -(-len(panels) // COLUMNS)
    fig = plt.figure(figsize=(5.2 * COLUMNS, 6.2 * rows + 0.8), layout="constrained")
    cells = np.atleast_1d(fig.subfigures(rows, COLUMNS)).ravel()
    for cell, (name, entry) in zip(cells, panels.items()):
        axes = cell.subplots(2, 1, sharey=True)
        cell.suptitle("\n".join(textwrap.wrap(entry["title"], 52)), fontsize=10)
        for row, (ax, xkey) in enumerate(zip(axes, ("iteration", "oracle_calls"))):
            for i, (label, c) in enumerate(entry["curves"].items()):
                x = np.maximum(np.asarray(c[xkey], float), 1.0)
                r = np.asarray(c["residual"], float)
                color = f"C{i}"
                slope, factor = c["measured_slope"], c.get("measured_factor")
                tag = (f"{label} (fit {slope:+.2f})" if slope is not None else
                       f"{label} (factor {factor:.4f}/it)" if factor is not None else label)
                ax.loglog(x, r, color=color, label=tag)
                if c["theory_slope"] is not None and r.size > 1:
                    # anchor the guide where the slope is fitted: the last decade
                    i0 = int(np.searchsorted(x, x[-1] / 10))
                    x0, r0 = x[i0], r[i0]
                    xs = np.array([x0, x[-1]])
                    ax.loglog(xs, r0 * (xs / x0) ** c["theory_slope"], "--", color=color, lw=1,
                              alpha=0.7)
                if c.get("theory_shape") == "log(T)/T" and r.size > 1:
                    # the theory's shape C log(T) / T, matched to the curve at its last point
                    xs = np.geomspace(max(x[0], 2.0), x[-1], 50)
                    g = np.log(xs) / xs
                    ax.loglog(xs, r[-1] * g / (np.log(x[-1]) / x[-1]), "-.", color="k", lw=1,
                              alpha=0.7, label="C log(T)/T" if row == 0 else None)
                if c.get("theory_factor") is not None and row == 0 and r.size > 1:
                    # a guaranteed linear rate q^k from the first residual (for SGN the bound
                    # holds in M(w), up to the constant sqrt(w_max/w_min))
                    ks = np.asarray(c["iteration"], float)
                    guide = r[0] * c["theory_factor"] ** ks
                    keep = guide >= FLOOR
                    ax.loglog(np.maximum(ks[keep], 1.0), guide[keep], ":", color=color, lw=1)
            ax.set_xlabel("iterations" if row == 0 else "operator evaluations", fontsize=8)
            ax.set_ylabel("certified residual", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=7)
    for cell in cells[len(panels):]:
        cell.set_visible(False)
    styles = [Line2D([], [], color="k", label="certified residual"),
              Line2D([], [], color="k", ls="--", lw=1, label="theoretical slope (last decade)"),
              Line2D([], [], color="k", ls=":", lw=1, label="guaranteed factor q^k")]
    fig.legend(handles=styles, loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    fig.suptitle(f"eqsolve: certified residuals and theoretical rates "
                 f"({record['parameters']['iters']} iterations, no restarts unless named)",
                 fontsize=12)
    harness.save_png(fig, path, dpi=110)


def report(record: dict) -> None:
    for name, entry in record["results"]["panels"].items():
        print(f"{name}:")
        for label, c in entry["curves"].items():
            if c["theory_slope"] is None:
                f = c["measured_factor"]
                fit = "n/a" if f is None else f"contraction factor {f:.4f} per iteration"
                if c.get("theory_factor") is not None:
                    fit += f" (contraction bound rho_w = {c['theory_factor']:.4f})"
            else:
                fit = (f"slope fit {c['measured_slope']:+.2f}" if c["measured_slope"] is not None
                       else "slope n/a") + f", theory {c['theory_slope']:+.2f}"
            print(f"  {label:28s} final {c['residual'][-1]:.2e}  {fit}  ({c['guarantee']})")
        for s in entry["skipped"]:
            print(f"  skipped {s}")


def add_arguments(p) -> None:
    p.add_argument("--iters", type=int, default=None, help="iterations per curve (3000)")


DEFAULTS = {"iters": 3000}
#: 300 iterations per curve, every panel
QUICK = {"iters": 300}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="rates", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
