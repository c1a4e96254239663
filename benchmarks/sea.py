"""Online learning in the SEA model: regret of optimistic OMD from stochastic to adversarial streams.

The experiment of Chen et al. (arXiv 2302.04552) on the streams of
``eqsolve.problems.sea``: a grid of streams mixing stochastic noise
``sigma = (1 - theta) s`` and adversarial variation ``drift = theta s``
(``theta = 0`` purely stochastic, ``theta = 1`` purely adversarial: a
switching oblivious adversary), each played by

* ``optimistic OMD`` -- :class:`eqsolve.OnlineOptimistic` (hint = last gradient),
* ``OMD`` -- the same learner without hints (online gradient / mirror descent),
* ``optimistic FTRL`` -- follow the regularised leader with the same hint and
  the same self-confident (or strongly convex) regularisation, the algorithm
  analysed by Sachs et al.,

with every regret computed exactly by the stream (closed-form comparators):

* convex (linear losses on the unit ball, Euclidean, and on the simplex,
  entropic): regret against the best fixed point of the observed losses,
  plotted against ``sqrt(sigma^2_{1:T}) + sqrt(Sigma^2_{1:T})`` over horizons
  T; fitted log-log slope, theory 1;
* strongly convex (quadratics, curvature 1, on the ball): regret against
  ``log(sigma^2_{1:T} + Sigma^2_{1:T})``; fitted slope of that line and the
  log-log slope against ``sigma^2 + Sigma^2`` (theory 0: logarithmic growth);
* dynamic regret of constant-step learners against the path length of the
  per-round minimisers (random-walk optimum);
* optimism against plain OMD on predictable (periodic) drift;
* constants: the default :class:`eqsolve.OnlineOptimistic` (no step, no ``L``:
  it estimates the smoothness online) against the textbook self-confident
  optimistic OMD that knows ``L`` (:class:`TextbookOOMD`, written here from
  the formula, computed in the same run) on
  :math:`F_t(x) = \\tfrac12\\|x - c_t\\|^2` over :math:`[-1, 1]^{10}`, T = 3000
  (Gaussian gradient noise 0.1; a slowly drifting optimum; a random walk) and
  on the grid's linear and strongly convex streams; ratio of regrets, target
  at most 1.5.

Regret figures count rounds and losses, not time, so they do not depend on
the machine's load.  Writes ``benchmarks/results/sea.json`` and ``sea.png``::

    python benchmarks/sea.py [--quick]
"""

from __future__ import annotations

import math
import sys

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.methods.online import STABILITY, geometry_diameter
from eqsolve.problems import sea

LEARNERS = ("optimistic OMD", "OMD", "optimistic FTRL")
SHORT = {"optimistic OMD": "OOMD", "OMD": "OMD", "optimistic FTRL": "OFTRL"}


class OptimisticFTRL:
    """Optimistic FTRL on linearised losses, with the interface of :class:`eqsolve.OnlineOptimistic`.

    Convex: :math:`x_t = \\arg\\min_x \\langle G_{t-1} + M_t, x\\rangle + D_\\psi(x, x_1)/\\eta_t`,
    which is the geometry's prox step from the first point with the
    cumulative gradient, and the self-confident :math:`\\eta_t` of the OMD
    learner.  Strongly convex (Euclidean): the leader of the quadratic
    surrogates :math:`\\langle g_s, x\\rangle + \\frac\\lambda2\\|x - x_s\\|^2`
    plus :math:`\\frac{cL}2\\|x - x_1\\|^2` -- a projection in closed form.
    """

    def __init__(self, domain, *, geometry, lipschitz, strong_convexity=0.0):
        self.domain, self.lam = domain, strong_convexity
        self.geo = domain.geometry(geometry)
        self.x1 = (np.full(domain.dim, 1.0 / domain.dim) if geometry == "entropic"
                   else domain.project(np.zeros(domain.dim)))
        self.u1 = self.geo.init(self.x1)
        self.entropic = geometry == "entropic"
        self.D = geometry_diameter(domain, geometry)
        self.r = STABILITY * lipschitz
        self.cap = 1.0 / self.r if self.r > 0 else math.inf
        self.delta = (self.r * self.D) ** 2 if self.r > 0 else None
        self.G = np.zeros(domain.dim)
        self.xsum = np.zeros(domain.dim)
        self.err, self.last, self.t = 0.0, np.zeros(domain.dim), 0

    def _sq(self, v):
        return float(np.max(np.abs(v))) ** 2 if self.entropic else float(v @ v)

    def play(self):
        m = self.last
        if self.lam > 0:
            t = self.t
            num = self.lam * self.xsum - self.G - m + self.r * self.x1
            self.x = self.domain.project(num / (self.lam * t + max(self.r, self.lam)))
        else:
            if self.delta is None:
                self.x = self.x1 if not np.any(m) else None
                if self.x is None:
                    self.delta = self._sq(m)
            if self.delta is not None:
                eta = min(self.cap, self.D / math.sqrt(self.delta + self.err))
                self.x = self.geo.point(self.geo.step(self.u1, self.G + m, eta))
        self.m = m
        return self.x

    def observe(self, g):
        e = self._sq(g - self.m)
        if self.delta is None and self.lam == 0:
            s = e if e > 0 else self._sq(g)
            self.delta = s if s > 0 else None
        self.err += e
        self.G = self.G + g
        self.xsum = self.xsum + self.x
        self.last = g
        self.t += 1


def make(name, domain, geometry, L, lam=0.0, step=None):
    if name == "optimistic FTRL":
        return OptimisticFTRL(domain, geometry=geometry, lipschitz=L, strong_convexity=lam)
    return eq.OnlineOptimistic(domain, step, geometry=geometry, lipschitz=L, strong_convexity=lam,
                               hint="last" if name == "optimistic OMD" else "none")


def play(stream, learner):
    xs = np.empty((stream.T, stream.dim))
    for t in range(stream.T):
        x = learner.play()
        xs[t] = x
        learner.observe(stream.sample_grad(t, x))
    return xs


def checkpoints(T, n):
    return sorted({int(round(v)) for v in np.geomspace(T / 16, T, n)})


def _fit(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = (x > 0) & (y > 0)
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0]) if ok.sum() >= 2 else None


def grid(kind, domain, geometry, T, seeds, dim, thetas, n_check, learners):
    """Regret on the theta grid at every checkpoint, averaged over seeds."""
    Ts = checkpoints(T, n_check)
    rows = []
    for theta in thetas:
        regs = {k: np.zeros(len(Ts)) for k in learners}
        xs_axis = np.zeros(len(Ts))
        for seed in range(seeds):
            if kind == "convex":
                s = sea.sea_quadratic(T, dim, domain=domain, curvature=0.0, sigma=1.0 - theta,
                                      drift=theta, variation="switching", period=2, scale=0.0,
                                      seed=1000 * seed + int(100 * theta))
            else:
                s = sea.sea_quadratic(T, dim, domain=domain, curvature=1.0, sigma=1.0 - theta,
                                      drift=theta, variation="switching", period=2, scale=0.5,
                                      seed=1000 * seed + int(100 * theta))
            for name, spec in learners.items():
                xs = play(s, make(spec["learner"], s.domain, geometry, s.lipschitz, spec["lam"]))
                regs[name] += np.array([s.static_regret(xs[:n], realized=True).value for n in Ts])
            if kind == "convex":
                xs_axis += [math.sqrt(s.sigma2_upto(n)) + math.sqrt(s.Sigma2_upto(n)) for n in Ts]
            else:
                xs_axis += [s.sigma2_upto(n) + s.Sigma2_upto(n) for n in Ts]
        rows.append({"theta": theta, "sigma": 1.0 - theta, "drift": theta, "T": Ts,
                     "x": (xs_axis / seeds).tolist(),
                     "regret": {k: (v / seeds).tolist() for k, v in regs.items()}})
    return rows


def dynamic(T, seeds, dim, drifts):
    """Dynamic regret of constant-step learners (step 1/(4L)) against the path length."""
    rows = []
    for drift in drifts:
        out = {"drift": drift, "path_length": 0.0, "Sigma2": 0.0,
               "dynamic_regret": {"optimistic OMD": 0.0, "OMD": 0.0}}
        for seed in range(seeds):
            s = sea.sea_quadratic(T, dim, domain="ball", curvature=1.0, drift=drift,
                                  variation="random_walk", scale=0.2, seed=7 + seed)
            out["path_length"] += s.path_length / seeds
            out["Sigma2"] += s.Sigma2 / seeds
            for name in out["dynamic_regret"]:
                xs = play(s, make(name, s.domain, "euclidean", s.lipschitz,
                                  step=1.0 / (STABILITY * s.lipschitz)))
                out["dynamic_regret"][name] += s.dynamic_regret(xs).value / seeds
        rows.append(out)
    return rows


def predictable(T, dim):
    """Optimism against plain OMD when the variation is predictable (periodic drift)."""
    rows = []
    for variation in ("slow", "fast"):
        for sigma in (0.0, 0.1):
            s = sea.sea_quadratic(T, dim, domain="ball", sigma=sigma, drift=1.0, variation=variation,
                                  scale=0.0, seed=3)
            r = {name: s.static_regret(play(s, make(name, s.domain, "euclidean", 0.0)),
                                       realized=True).value for name in ("optimistic OMD", "OMD")}
            rows.append({"variation": variation, "sigma": sigma, "Sigma2": s.Sigma2,
                         "regret": r, "optimism_better": bool(r["optimistic OMD"] < r["OMD"])})
    return rows


class TextbookOOMD:
    """Self-confident optimistic OMD that knows the smoothness ``L`` (the reference).

    :math:`x_t = P(\\hat x_t - \\eta_t M_t)`, :math:`\\hat x_{t+1} = P(\\hat x_t - \\eta_t g_t)`,
    :math:`M_t = g_{t-1}`, :math:`\\eta_t = \\min\\{1/(4L), D/\\sqrt{\\sum_{s<t}\\|g_s - M_s\\|_*^2}\\}`
    (the cap alone while the sum is zero; with ``L = 0`` the first step uses the
    first nonzero error), Euclidean projections, or the entropic step (softmax,
    l_inf dual norm) on the simplex.
    """

    def __init__(self, domain, L):
        self.domain, self.L = domain, L
        self.entropic = isinstance(domain, eq.Simplex)
        self.D = geometry_diameter(domain, "entropic" if self.entropic else "euclidean")
        n = domain.dim
        self.u = np.full(n, -math.log(n)) if self.entropic else domain.project(np.zeros(n))
        self.last = np.zeros(n)
        self.err = 0.0

    def _eta(self):
        cap = 1.0 / (4.0 * self.L) if self.L > 0 else math.inf
        return min(cap, self.D / math.sqrt(self.err)) if self.err > 0 else cap

    def _move(self, u, g, eta):
        if self.entropic:
            w = u - eta * g
            return w - (np.max(w) + math.log(np.sum(np.exp(w - np.max(w)))))
        return self.domain.project(u - eta * g)

    def play(self):
        self.eta = self._eta()
        if not math.isfinite(self.eta):          # no scale yet: a zero hint does not move
            self.x = np.exp(self.u) if self.entropic else self.u
        else:
            v = self._move(self.u, self.last, self.eta)
            self.x = np.exp(v) if self.entropic else v
        return self.x

    def observe(self, g):
        e = g - self.last
        sq = float(np.max(np.abs(e))) ** 2 if self.entropic else float(e @ e)
        self.err += sq
        eta = self.eta if math.isfinite(self.eta) else self._eta()
        if math.isfinite(eta):
            self.u = self._move(self.u, g, eta)
        self.last = g


#: (name, stream keyword arguments, regret kind) of the constants experiment
CONSTANT_REGIMES = (
    ("noise 0.1", dict(domain="box", dim=10, curvature=1.0, sigma=0.1, scale=0.5), "dynamic"),
    ("slow drift", dict(domain="box", dim=10, curvature=1.0, drift=0.5, variation="slow",
                        scale=0.5), "dynamic"),
    ("random walk", dict(domain="box", dim=10, curvature=1.0, drift=0.01,
                         variation="random_walk", scale=0.5), "dynamic"),
    ("linear, noise 0.1 (box)", dict(domain="box", dim=10, curvature=0.0, sigma=0.1, scale=0.5),
     "static"),
    ("linear, ball, theta 0.5", dict(domain="ball", dim=5, curvature=0.0, sigma=0.5, drift=0.5,
                                     variation="switching", period=2, scale=0.0), "static"),
    ("linear, simplex, theta 0.5", dict(domain="simplex", dim=5, curvature=0.0, sigma=0.5,
                                        drift=0.5, variation="switching", period=2, scale=0.0),
     "static"),
    ("quadratic, ball, theta 0.5", dict(domain="ball", dim=5, curvature=1.0, sigma=0.5,
                                        drift=0.5, variation="switching", period=2, scale=0.5),
     "static"),
)


def constants(T, seeds):
    """Default OnlineOptimistic (L estimated) against the textbook learner that knows L."""
    rows = []
    for name, kw, kind in CONSTANT_REGIMES:
        out = {"regime": name, "regret": kind, "default": 0.0, "reference": 0.0, "OGD": 0.0,
               "lipschitz": None, "lipschitz_estimate": 0.0}
        for seed in range(seeds):
            params = dict(kw)
            s = sea.sea_quadratic(T, params.pop("dim"), seed=seed, **params)
            out["lipschitz"] = s.lipschitz

            def regret(xs):
                return (s.dynamic_regret(xs).value if kind == "dynamic"
                        else s.static_regret(xs, realized=True).value)

            learner = eq.OnlineOptimistic(s.domain)
            out["default"] += regret(play(s, learner)) / seeds
            out["lipschitz_estimate"] += learner.lipschitz_estimate / seeds
            out["reference"] += regret(play(s, TextbookOOMD(s.domain, s.lipschitz))) / seeds
            out["OGD"] += regret(play(s, eq.OnlineOptimistic(s.domain, hint="none"))) / seeds
        out["ratio"] = out["default"] / out["reference"] if out["reference"] > 0 else None
        rows.append(out)
    return rows


CONVEX = {k: {"learner": k, "lam": 0.0} for k in LEARNERS}
STRONG = {**{k: {"learner": k, "lam": 1.0} for k in LEARNERS},
          "optimistic OMD, convex step": {"learner": "optimistic OMD", "lam": 0.0}}


def run(T: int = 4000, seeds: int = 4, dim: int = 5, thetas=(0.0, 0.25, 0.5, 0.75, 1.0),
        n_check: int = 5, drifts=(0.002, 0.005, 0.01, 0.02, 0.05), constants_T: int = 3000,
        constants_seeds: int = 4) -> dict:
    record = harness.begin("sea", {"T": T, "seeds": seeds, "dim": dim, "thetas": list(thetas),
                                   "n_check": n_check, "drifts": list(drifts),
                                   "stability_constant": STABILITY, "constants_T": constants_T,
                                   "constants_seeds": constants_seeds,
                                   "constants_target_ratio": 1.5})
    res = {"convex": {"ball": grid("convex", "ball", "euclidean", T, seeds, dim, thetas, n_check,
                                   CONVEX),
                      "simplex": grid("convex", "simplex", "entropic", T, seeds, dim, thetas,
                                      n_check, CONVEX)},
           "strongly_convex": grid("strong", "ball", "euclidean", T, seeds, dim, thetas, n_check,
                                   STRONG),
           "dynamic": dynamic(T, max(1, seeds // 2), dim, drifts),
           "predictable": predictable(T, dim),
           "constants": constants(constants_T, constants_seeds)}
    return harness.finish(record, res, summarize(res))


def summarize(res) -> dict:
    out = {"convex_slope": {}, "strongly_convex": {}}
    for dom, rows in res["convex"].items():
        out["convex_slope"][dom] = {}
        for k in rows[0]["regret"]:
            x = sum((r["x"] for r in rows), [])
            y = sum((r["regret"][k] for r in rows), [])
            out["convex_slope"][dom][k] = {"pooled": _fit(x, y), "theory": 1.0,
                                           "per_theta": [_fit(r["x"], r["regret"][k]) for r in rows]}
    rows = res["strongly_convex"]
    for k in rows[0]["regret"]:
        x = np.array(sum((r["x"] for r in rows), []))
        y = np.array(sum((r["regret"][k] for r in rows), []))
        per = [float(np.polyfit(np.log(r["x"]), r["regret"][k], 1)[0]) for r in rows]
        out["strongly_convex"][k] = {"loglog_slope": _fit(x, y), "theory_loglog": 0.0,
                                     "slope_vs_log": per}
    dyn = res["dynamic"]
    P = [r["path_length"] for r in dyn]
    out["dynamic_slope"] = {k: _fit(P, [r["dynamic_regret"][k] for r in dyn])
                            for k in dyn[0]["dynamic_regret"]}
    out["optimism_better_on_predictable_drift"] = [r["optimism_better"] for r in res["predictable"]]
    if "constants" in res:
        ratios = {r["regime"]: r["ratio"] for r in res["constants"]}
        out["constants_ratio"] = ratios
        out["constants_within_1.5x"] = {k: (v is not None and v <= 1.5) for k, v in ratios.items()}
    return out


def plot(record, path):
    plt = harness.pyplot()
    res = record["results"]
    fig, axes = plt.subplots(3, 2, figsize=(11, 12.5))
    marks = {"optimistic OMD": "o-", "OMD": "s--", "optimistic FTRL": "^:",
             "optimistic OMD, convex step": "x-."}
    for ax, dom in zip(axes[0], ("ball", "simplex")):
        for i, r in enumerate(res["convex"][dom]):
            for k, v in r["regret"].items():
                ax.loglog(r["x"], np.maximum(v, 1e-3), marks[k], color=f"C{i}", ms=4, lw=1,
                          label=k if i == 0 else None)
        xs = np.array(sum((r["x"] for r in res["convex"][dom]), []))
        g = np.geomspace(xs.min(), xs.max(), 10)
        ax.loglog(g, g * 0.8, "k-", lw=0.8, alpha=0.5, label="slope 1")
        sl = record["summary"]["convex_slope"][dom]
        ax.set_title(f"convex (linear losses, {dom}): slopes "
                     + ", ".join(f"{SHORT[k]} {v['pooled']:.2f}" for k, v in sl.items()),
                     fontsize=8)
        ax.set_xlabel("sqrt(sigma^2_1:T) + sqrt(Sigma^2_1:T)   (colour: theta, 0 = stochastic)")
        ax.set_ylabel("regret (realised losses)")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    ax = axes[1, 0]
    for i, r in enumerate(res["strongly_convex"]):
        for k, v in r["regret"].items():
            ax.plot(np.log(r["x"]), v, marks[k], color=f"C{i}", ms=4, lw=1,
                    label=k if i == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("log(sigma^2_1:T + Sigma^2_1:T)")
    ax.set_ylabel("regret")
    ax.set_title("strongly convex quadratics on the ball", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    ax = axes[1, 1]
    dyn = res["dynamic"]
    P = [r["path_length"] for r in dyn]
    for k in dyn[0]["dynamic_regret"]:
        ax.loglog(P, [max(r["dynamic_regret"][k], 1e-6) for r in dyn], marks[k], label=k)
    ax.set_xlabel("path length of the minimisers")
    ax.set_ylabel("dynamic regret")
    ax.set_title("dynamic regret, constant step 1/(4L), random-walk optimum: slopes "
                 + ", ".join(f"{v:.2f}" for v in record["summary"]["dynamic_slope"].values()),
                 fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    rows = res.get("constants", [])
    ax, ax2 = axes[2]
    if rows:
        names = [r["regime"] for r in rows]
        ratios = [r["ratio"] if r["ratio"] is not None else np.nan for r in rows]
        y = np.arange(len(rows))
        ax.barh(y, ratios, color=["C2" if (v <= 1.5) else "C3" for v in ratios])
        ax.axvline(1.5, color="k", ls="--", lw=1, label="target 1.5")
        ax.axvline(1.0, color="k", lw=0.6)
        ax.set_yticks(y, names, fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("regret of default OnlineOptimistic / textbook OOMD knowing L")
        ax.set_title(f"constants: L estimated online, T = {record['parameters']['constants_T']}",
                     fontsize=9)
        ax.legend(fontsize=7)
        w = 0.27
        for k, (key, lab) in enumerate((("default", "default (L estimated)"),
                                        ("reference", "textbook, L known"), ("OGD", "OGD"))):
            ax2.barh(y + (k - 1) * w, [abs(r[key]) for r in rows], height=w, label=lab)
        ax2.set_yticks(y, names, fontsize=7)
        ax2.set_xscale("log")
        ax2.set_xlabel("|regret| (dynamic for the box quadratics, static otherwise)")
        ax2.legend(fontsize=7)
    else:
        ax.axis("off")
        ax2.axis("off")
    fig.suptitle(f"SEA model, T = {record['parameters']['T']}, "
                 f"{record['parameters']['seeds']} seeds per point")
    fig.tight_layout()
    harness.save_png(fig, path, dpi=100)


def report(record) -> None:
    s = record["summary"]
    for dom, sl in s["convex_slope"].items():
        print(f"convex/{dom}: log-log slope of regret vs sqrt(sigma2)+sqrt(Sigma2) (theory 1): "
              + ", ".join(f"{k} {v['pooled']:.3f}" for k, v in sl.items()))
    print("strongly convex: log-log slope vs sigma2+Sigma2 (theory 0: logarithmic): "
          + ", ".join(f"{k} {v['loglog_slope']:.3f}" for k, v in s["strongly_convex"].items()))
    print("dynamic: log-log slope of dynamic regret vs path length: "
          + ", ".join(f"{k} {v:.3f}" for k, v in s["dynamic_slope"].items()))
    for r in record["results"]["predictable"]:
        print(f"predictable drift {r['variation']:4s} sigma={r['sigma']}: regret "
              + ", ".join(f"{k} {v:.2f}" for k, v in r["regret"].items()))
    for r in record["results"]["convex"]["ball"]:
        o, p = r["regret"]["optimistic OMD"][-1], r["regret"]["OMD"][-1]
        print(f"ball theta={r['theta']:.2f}: final regret optimistic/plain = {o / p:.3f}")
    for r in record["results"].get("constants", []):
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.3f}"
        print(f"constants {r['regime']:28s} {r['regret']:7s} regret: default {r['default']:9.3f} "
              f"(L estimate {r['lipschitz_estimate']:.3g}, true {r['lipschitz']:g}), textbook "
              f"knowing L {r['reference']:9.3f}, OGD {r['OGD']:9.3f}; ratio {ratio}")


DEFAULTS = {}
QUICK = {"T": 300, "seeds": 1, "thetas": (0.0, 1.0), "n_check": 3,
         "drifts": (0.005, 0.05), "constants_T": 300, "constants_seeds": 1}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="sea", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report)


if __name__ == "__main__":
    sys.exit(main())
