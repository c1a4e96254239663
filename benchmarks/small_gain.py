"""Small-Gain Nash: the paper's test games, certified margins and steps against the true limits.

One command writes ``benchmarks/results/small_gain.{json,png}``::

    python benchmarks/small_gain.py            # full (d = 64, 30 random games, 20 Markov seeds)
    python benchmarks/small_gain.py --quick    # small sizes, for tests

Panels: the mini-toy's timescale band; the d = 64 LQ family over lambda
(Euclidean margin, SGN margin, true margin in the metric; certified Euler and
RK4 steps against the true stability limits); the random LQ ensemble (SGN
margin against the true one); the tabular Markov game (natural policy
gradient at half the certified step against Euclidean PG at the same step,
KL Lyapunov function).  Timings: the certificate against one dense
eigendecomposition of the same Jacobian, measured in the same run.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.analysis.small_gain import margin
from eqsolve.problems import zoo


def euler_limit(J) -> float:
    """Largest stable Euler step, min 2 Re(l)/|l|^2 (0 when an eigenvalue has Re <= 0)."""
    lam = np.linalg.eigvals(J)
    return max(float(np.min(2 * lam.real / np.abs(lam) ** 2)), 0.0)


def rk4_limit(J, beta, points=80) -> float:
    """Largest h in (0, 4/beta] with spectral radius of the RK4 matrix < 1.

    The authors' scan (80 points), then bisection between the last stable and
    the first unstable grid point.
    """
    lam = np.linalg.eigvals(J)

    def stable(h):
        z = -h * lam
        return np.max(np.abs(1 + z + z ** 2 / 2 + z ** 3 / 6 + z ** 4 / 24)) < 1

    grid = np.linspace(4 / beta / points, 4 / beta, points)
    ok = [stable(h) for h in grid]
    if not ok[0]:
        return 0.0
    i = ok.index(False) if False in ok else len(grid) - 1
    lo, hi = grid[max(i - 1, 0)], grid[i]
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return float(lo)


def row(game):
    c = eq.small_gain(game)
    return {"euclidean_margin": c.euclidean_margin, "alpha_sgn": c.alpha,
            "alpha_true": c.true_margin, "beta": c.beta, "certified": c.certified,
            "euler_sgn": c.euler_step_max, "euler_true": euler_limit(game.J),
            "rk4_guideline": c.rk4["guideline_step"], "rk4_rigorous": c.rk4["rigorous_step_max"],
            "rk4_true": rk4_limit(game.J, c.beta)}


def mini_toy():
    g = zoo.sgn_mini_toy()
    out = row(g)
    c = eq.small_gain(g)
    out.update(weights=c.weights.tolist(), band=c.band,
               alpha_unit_weights=margin(c.constants.K, [1.0, 1.0]))
    rs = np.geomspace(1, 1e5, 300)
    out["band_curve"] = {"r": rs.tolist(), "alpha": [margin(c.constants.K, [1, r]) for r in rs]}
    return out


def lq_family(d, lams):
    rows = []
    for lam in lams:
        r = row(zoo.sgn_lq_game(float(lam), d=d))
        rows.append({"lambda": float(lam), **r})
    cert = [r["lambda"] for r in rows if r["certified"]]
    return {"d": d, "rows": rows, "largest_certified_lambda": max(cert),
            "theory_threshold": 1 / np.sqrt(10 * 0.05)}


def step_sweep(d, points=16, steps=800, mults=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 6, 8)):
    """Euler on the LQ game (lambda = 1) at multiples of the certified step, 16 random starts.

    Records the worst per-step contraction of ||x_k||_M: at most q(h) inside the
    certified range, growing past the true limit (5.83x at lambda = 1).
    """
    g = zoo.sgn_lq_game(1.0, d=d)
    c = eq.small_gain(g)
    X0 = np.random.default_rng(1).standard_normal((points, d))
    out = []
    for m in mults:
        h = m * c.euler_step_max
        X, worst = X0.copy(), 0.0
        for _ in range(steps):
            Xn = X - h * X @ g.J.T
            num = np.array([c.metric_norm(x) for x in Xn])
            den = np.array([c.metric_norm(x) for x in X])
            worst = max(worst, float(np.max(num / den)))
            X = Xn / den.max()  # rescaled: only the ratios matter, no overflow
        out.append({"multiplier": m, "step": h, "worst_factor": worst,
                    "certified_factor": c.euler_factor(h) if m < 1 else None})
    return {"lambda": 1.0, "h_sgn": c.euler_step_max, "true_limit": euler_limit(g.J),
            "rows": out}


def random_ensemble(games, d, lam_idx=range(0, 61, 10)):
    lams = np.linspace(0, 2.5, 61)[list(lam_idx)]
    out = []
    for s in range(games):
        for lam in lams:
            g = zoo.sgn_random_lq_game(float(lam), seed=12345 + 1000 * s, d=d)
            out.append({"seed": 12345 + 1000 * s, "lambda": float(lam), **row(g)})
    cert = [r for r in out if r["certified"]]
    return {"rows": out, "certified_fraction": len(cert) / len(out),
            "median_alpha_ratio": float(np.median([r["alpha_sgn"] / r["alpha_true"] for r in cert]))
            if cert else None,
            "euclid_monotone_fraction": float(np.mean([r["euclidean_margin"] > 0 for r in out]))}


def markov(seeds, steps):
    g = zoo.sgn_markov_game()
    star = eq.solve(g, method="projected_euler", geometry="metric", step=0.05,
                    x0=np.array([3.0, -2.0, 3.0, -2.0]), tol=1e-12, max_iter=50_000).z
    region = [eq.Box(star[:2] - 0.1, star[:2] + 0.1), eq.Box(star[2:] - 0.1, star[2:] + 0.1)]
    cert = eq.small_gain(g, region, geometry="metric")
    eta = 0.5 * cert.euler_step_max
    curves = {"npg": [], "pg": []}
    rng = np.random.default_rng(0)
    for _ in range(seeds):
        x0 = star + rng.uniform(-0.1, 0.1, size=4)
        for name, geo in (("npg", "metric"), ("pg", "euclidean")):
            x, V = x0.copy(), []
            for _ in range(steps):
                Fx = g.operator(x)
                if geo == "metric":
                    G = g.metric(x)
                    Fx = np.concatenate([np.linalg.solve(Gi, f) for Gi, f in zip(G, g.players(Fx))])
                x = x - eta * Fx
                V.append(g.kl_lyapunov(x, star, cert.weights))
            curves[name].append(V)
    med = {k: np.median(np.array(v), axis=0).tolist() for k, v in curves.items()}
    # step sweep eta / eta_max in logspace(-1, 1, 20): NPG converges far beyond the bound
    sweep = []
    x0 = star + np.array([0.05, -0.05, 0.08, 0.02])
    for f in np.logspace(-1, 1, 20 if seeds > 3 else 5):
        res = eq.solve(g, method="projected_euler", certificate=cert, step=f * cert.euler_step_max,
                       x0=x0, tol=1e-10, max_iter=2000)
        sweep.append({"eta_over_max": float(f), "status": res.status, "iterations": res.iterations})
    return {"equilibrium": star.tolist(), "certificate": cert.to_dict(), "eta": eta,
            "step_sweep": sweep,
            "median_lyapunov": med,
            "final_lyapunov": {k: v[-1] for k, v in med.items()}}


def timing(d=64, reps=5):
    g = zoo.sgn_lq_game(1.0, d=d)
    t = time.perf_counter()
    for _ in range(reps):
        eq.small_gain(g)
    t_cert = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        np.linalg.eigvalsh((g.J + g.J.T) / 2)
    t_eig = (time.perf_counter() - t) / reps
    return {"d": d, "certificate_s": t_cert, "eigvalsh_s": t_eig, "ratio": t_cert / t_eig}


def plot(record, path):
    plt = harness.pyplot()
    res = record["results"]
    fig, ax = plt.subplots(2, 3, figsize=(15, 8))
    mt = res["mini_toy"]
    a = ax[0, 0]
    a.semilogx(mt["band_curve"]["r"], mt["band_curve"]["alpha"])
    a.axvspan(mt["band"]["r_lo"], mt["band"]["r_hi"], color="g", alpha=0.15, label="certified band")
    a.axhline(0, c="r", lw=0.8)
    a.set_ylim(-3, 0.6)
    a.set(title="mini-toy: margin vs r = w2/w1", xlabel="r")
    a.legend(fontsize=7)
    rows = res["lq"]["rows"]
    lam = [r["lambda"] for r in rows]
    a = ax[0, 1]
    for k, lab in (("euclidean_margin", "Euclidean"), ("alpha_sgn", "SGN alpha_*"),
                   ("alpha_true", "true margin in M")):
        a.plot(lam, [r[k] for r in rows], label=lab)
    a.axhline(0, c="k", lw=0.8)
    a.axvline(res["lq"]["theory_threshold"], ls=":", c="gray")
    a.set(title=f"LQ d={res['lq']['d']}: margins", xlabel="lambda", ylim=(-2, 1.1))
    a.legend(fontsize=7)
    a = ax[0, 2]
    for k, lab in (("euler_sgn", "Euler SGN 2a/b^2"), ("euler_true", "Euler true"),
                   ("rk4_rigorous", "RK4 rigorous"), ("rk4_guideline", "RK4 guideline 2.5/b"),
                   ("rk4_true", "RK4 true")):
        a.plot(lam, [r[k] if r[k] is not None and r["certified"] else np.nan for r in rows],
               label=lab)
    a.set(title="LQ: certified steps vs true limits", xlabel="lambda")
    a.legend(fontsize=7)
    a = ax[1, 0]
    ens = [r for r in res["random"]["rows"] if r["certified"]]
    a.scatter([r["alpha_true"] for r in ens], [r["alpha_sgn"] for r in ens], s=8)
    m = max([r["alpha_true"] for r in ens] + [1])
    a.plot([0, m], [0, m], "k--", lw=0.8)
    a.set(title="random LQ ensemble: SGN vs true margin", xlabel="true", ylabel="SGN")
    a = ax[1, 1]
    for k, lab in (("npg", "natural PG (Fisher)"), ("pg", "Euclidean PG")):
        a.semilogy(np.maximum(res["markov"]["median_lyapunov"][k], 1e-17), label=lab)
    a.set(title=f"Markov game, eta = {res['markov']['eta']:.3g}: KL Lyapunov",
          xlabel="iteration")
    a.legend(fontsize=7)
    ax[1, 2].axis("off")
    ax[1, 2].text(0, 0.5, "\n".join([
        f"mini-toy alpha* = {mt['alpha_sgn']:.5f}, beta = {mt['beta']:.5f}",
        f"band ({mt['band']['r_lo']:.2f}, {mt['band']['r_hi']:.2f}), r* = {mt['band']['r_opt']:.0f}",
        f"LQ largest certified lambda = {res['lq']['largest_certified_lambda']:.4f}"
        f" (theory < {res['lq']['theory_threshold']:.4f})",
        f"random: certified {res['random']['certified_fraction']:.0%},"
        f" Euclidean-monotone {res['random']['euclid_monotone_fraction']:.0%}",
        f"certificate / eigvalsh time: {res['timing']['ratio']:.1f}x"]), fontsize=9)
    fig.tight_layout()
    harness.save_png(fig, path, dpi=100)


def run(quick=False):
    """The full study, or (``quick``) d = 8 with fewer games, seeds and steps; returns the record."""
    d = 8 if quick else 64
    record = harness.begin("small_gain", {"quick": quick, "d": d})
    lams = np.linspace(0, 2.5, 11 if quick else 61)
    res = {"mini_toy": mini_toy(), "lq": lq_family(d, lams),
           "step_sweep": step_sweep(d),
           "random": random_ensemble(3 if quick else 30, d, range(0, 61, 20 if quick else 10)),
           "markov": markov(3 if quick else 20, 200 if quick else 2000),
           "timing": timing(d)}
    return harness.finish(record, res, summarize(res))


def summarize(res) -> dict:
    """The paper's headline numbers: mini-toy margin, LQ threshold, ensemble, Markov, timing."""
    mt, mk = res["mini_toy"], res["markov"]
    return {"mini_toy_alpha": mt["alpha_sgn"], "mini_toy_beta": mt["beta"],
            "mini_toy_band": [mt["band"]["r_lo"], mt["band"]["r_hi"]],
            "lq_largest_certified_lambda": res["lq"]["largest_certified_lambda"],
            "lq_theory_threshold": res["lq"]["theory_threshold"],
            "random_certified_fraction": res["random"]["certified_fraction"],
            "random_median_alpha_ratio": res["random"]["median_alpha_ratio"],
            "markov_final_lyapunov": mk["final_lyapunov"],
            "certificate_over_eigvalsh": res["timing"]["ratio"]}


def report(record) -> None:
    res = record["results"]
    mt = res["mini_toy"]
    print(f"mini-toy: alpha* {mt['alpha_sgn']:.5f}  beta {mt['beta']:.5f}  Euclid "
          f"{mt['euclidean_margin']:.3f}  Euler SGN/true {mt['euler_sgn']:.4f}/{mt['euler_true']:.4f}"
          f"  RK4 guideline/rigorous/true {mt['rk4_guideline']:.4f}/{mt['rk4_rigorous']:.4f}/"
          f"{mt['rk4_true']:.4f}  band ({mt['band']['r_lo']:.2f}, {mt['band']['r_hi']:.2f})"
          f" r* {mt['band']['r_opt']:.1f}  alpha(1,1) {mt['alpha_unit_weights']:.3f}")
    for r in res["lq"]["rows"]:
        if any(abs(r["lambda"] - v) < 1e-9 for v in (0.0, 1.0, 1.25, 1.5, 2.5)) or abs(
                r["lambda"] - 0.2083) < 1e-3:
            print(f"LQ lambda {r['lambda']:.3f}: Euclid {r['euclidean_margin']:+.3f} alpha* "
                  f"{r['alpha_sgn']:+.4f} beta {r['beta']:.4f} Euler SGN/true {r['euler_sgn']:.4f}/"
                  f"{r['euler_true']:.4f} RK4 rig/guide/true {r['rk4_rigorous'] or 0:.4f}/"
                  f"{r['rk4_guideline']:.4f}/{r['rk4_true']:.4f}")
    print(f"LQ: largest certified lambda {res['lq']['largest_certified_lambda']:.4f} "
          f"(theory: certified iff lambda < {res['lq']['theory_threshold']:.4f})")
    for r in res["step_sweep"]["rows"]:
        cf = r["certified_factor"]
        print(f"LQ lambda 1, Euler at {r['multiplier']:>4} x h_SGN: worst factor in M "
              f"{r['worst_factor']:.4f}" + (f" (certified {cf:.4f})" if cf is not None else ""))
    rnd = res["random"]
    print(f"random ensemble: certified {rnd['certified_fraction']:.1%}, Euclidean-monotone "
          f"{rnd['euclid_monotone_fraction']:.1%}, median alpha_sgn/alpha_true "
          f"{rnd['median_alpha_ratio']:.3f}")
    mk = res["markov"]
    print(f"Markov: verdict {mk['certificate']['verdict']}, alpha {mk['certificate']['alpha']:.4f}, "
          f"beta {mk['certificate']['beta']:.4f}, eta {mk['eta']:.4g}; median final KL Lyapunov "
          f"NPG {mk['final_lyapunov']['npg']:.2e} vs PG {mk['final_lyapunov']['pg']:.2e}")
    conv = [r["eta_over_max"] for r in mk["step_sweep"] if r["status"] == "converged"]
    print(f"Markov NPG from a point of the region: {len(conv)}/{len(mk['step_sweep'])} steps of "
          f"the sweep eta/eta_max in [0.1, 10] converge (certified: eta/eta_max < 1)")
    t = res["timing"]
    load = record["machine"]["load_after"]
    load = "not recorded" if not load or load[0] is None else f"{load[0]:.2f}"
    print(f"timing (load {load}): certificate {t['certificate_s'] * 1e3:.2f} ms = "
          f"{t['ratio']:.1f}x one eigvalsh at d = {t['d']}")


DEFAULTS = {"quick": False}
QUICK = {"quick": True}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="small_gain", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report)


if __name__ == "__main__":
    sys.exit(main())
