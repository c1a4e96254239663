"""Loss streams of the stochastically extended adversarial (SEA) model, with exact regret.

In the SEA model [1]_ nature picks, at round ``t``, a distribution whose
*expected* loss :math:`F_t` is convex and smooth; the learner plays
:math:`x_t`, then observes a sample :math:`\\nabla f_t(x_t)`.  The two
quantities that interpolate between stochastic and adversarial online
learning are

.. math::

    \\sigma^2_{1:T} = \\sum_t \\max_x \\mathbb{E}\\|\\nabla f_t(x) - \\nabla F_t(x)\\|^2,
    \\qquad
    \\Sigma^2_{1:T} = \\sum_{t=2}^{T} \\sup_x \\|\\nabla F_t(x) - \\nabla F_{t-1}(x)\\|^2 .

The streams here are built so that both are known in closed form: the
gradient of :math:`F_t` moves by a shift that does not depend on ``x``
(quadratic losses :math:`F_t(x) = \\frac a2\\|x\\|^2 + \\langle v_t, x\\rangle`;
logistic losses on a fixed design whose labels drift), and the noise is
additive Gaussian with :math:`\\mathbb{E}\\|\\xi_t\\|^2 = \\sigma^2`
exactly.  The noise is drawn once from the seed, so the realised losses
:math:`f_t(x) = F_t(x) + \\langle \\xi_t, x\\rangle` are the same for every
learner that plays the stream.

Adversarial variation (the motion of :math:`v_t`, or of the labels):
``"fixed"``, ``"slow"`` / ``"fast"`` periodic drift (period ``T/2`` or 8
rounds unless ``period`` is given), ``"switching"`` between two states
(flipping with probability ``1/period`` each round: an oblivious adversary
whose switch times are drawn from the seed), and ``"random_walk"`` (for quadratics, a random walk of
the unconstrained optimum).  ``drift`` sets its size, ``sigma`` the noise,
independently.

Regret (:meth:`SEAStream.static_regret`, :meth:`SEAStream.dynamic_regret`)
is exact for quadratic losses (closed-form comparators: projections for
``a > 0``, the support function for linear losses) and bracketed for
logistic ones: the comparator is a convex solve whose Frank-Wolfe gap
bounds its suboptimality, and that gap is part of the reported interval.

References
----------
.. [1] S. Sachs, H. Hadiji, T. van Erven and C. Guzman, "Between stochastic and
   adversarial online convex optimization: improved regret bounds via
   smoothness", NeurIPS 2022.
.. [2] S. Chen, Y.-J. Zhang, W.-W. Tu, P. Zhao and L. Zhang, "Optimistic online
   mirror descent for bridging stochastic and adversarial online convex
   optimization", ICML 2023 (arXiv:2302.04552).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..domains import Ball, Box, Domain, Product, Simplex

__all__ = ["SEAStream", "Regret", "sea_quadratic", "sea_logistic", "VARIATIONS", "linear_minimiser"]

#: the adversarial patterns a stream can follow
VARIATIONS = ("fixed", "slow", "fast", "switching", "random_walk")
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Regret:
    """A regret figure: ``lower <= regret <= upper``.

    ``value`` is the regret against the computed comparator(s), which are
    feasible, so it never exceeds the true regret; ``upper`` adds the
    comparator solver's certified suboptimality (zero for closed forms) and
    ``rounding`` is the floating-point allowance included in both ends.
    """

    value: float
    lower: float
    upper: float
    accuracy: float
    rounding: float
    rounds: int


def linear_minimiser(domain: Domain, v: np.ndarray) -> np.ndarray:
    """A point of ``domain`` minimising :math:`\\langle v, x\\rangle` (ties: the lowest index).

    Examples
    --------
    >>> linear_minimiser(Simplex(3), np.array([2.0, -1.0, -1.0]))
    array([0., 1., 0.])
    """
    if isinstance(domain, Simplex):
        x = np.zeros(domain.dim)
        x[int(np.argmin(v))] = domain.radius
        return x
    if isinstance(domain, Box):
        lo, hi = np.broadcast_to(domain.lower, (domain.dim,)), np.broadcast_to(domain.upper, (domain.dim,))
        return np.where(v > 0, lo, np.where(v < 0, hi, np.where(np.isfinite(lo), lo, 0.0)))
    if isinstance(domain, Ball):
        nrm = float(np.linalg.norm(v))
        return domain.center.copy() if nrm == 0 else domain.center - domain.radius * v / nrm
    if isinstance(domain, Product):
        return np.concatenate([linear_minimiser(b, v[s]) for b, s in zip(domain.blocks, domain.slices)])
    raise TypeError(f"no linear minimiser for {domain!r}; use a Box, Ball, Simplex or a Product of them")


def _domain(kind, dim: int) -> Domain:
    if isinstance(kind, Domain):
        if kind.dim != dim:
            raise ValueError(f"domain has dimension {kind.dim}, expected dim={dim}")
        if not kind.bounded:
            raise ValueError(f"domain must be bounded (a comparator must exist), got {kind!r}")
        return kind
    if kind == "box":
        return Box(-1.0, 1.0, dim=dim)
    if kind == "ball":
        return Ball(dim, radius=1.0)
    if kind == "simplex":
        return Simplex(dim)
    raise ValueError(f"domain must be 'box', 'ball', 'simplex' or a bounded Domain, got {kind!r}")


def _pattern(rng, T: int, variation: str, period) -> np.ndarray:
    """Scalar drift profile ``p_t`` (T,) of the given shape, amplitude one per unit of drift."""
    t = np.arange(T, dtype=np.float64)
    if variation == "fixed":
        return np.zeros(T)
    if variation in ("slow", "fast"):
        P = period if period is not None else (max(T / 2.0, 2.0) if variation == "slow" else 8.0)
        return np.sin(2.0 * math.pi * t / P)
    if variation == "switching":
        # a two-state Markov chain flipping with probability 1/period per round
        # (mean dwell time period; period=2 gives independent fair signs)
        P = float(period) if period is not None else max(T / 8.0, 1.0)
        flips = rng.random(T) < 1.0 / P
        flips[0] = False
        return np.where(np.cumsum(flips) % 2 == 0, 1.0, -1.0)
    raise AssertionError(variation)


def _check_common(T, dim, sigma, drift, variation, period):
    for name, v in (("T", T), ("dim", dim)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    for name, v in (("sigma", sigma), ("drift", drift)):
        if not (isinstance(v, (int, float, np.floating)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if variation not in VARIATIONS:
        raise ValueError(f"variation must be one of {VARIATIONS}, got {variation!r}")
    if period is not None and not (isinstance(period, (int, float)) and not isinstance(period, bool)
                                   and math.isfinite(period) and period >= 1):
        raise ValueError(f"period must be a number of rounds >= 1, got {period!r}")


def _random_direction(rng, dim):
    w = rng.standard_normal(dim)
    return w / max(np.linalg.norm(w), 1e-300)


def _noise(rng, T, dim, sigma):
    # N(0, sigma^2/d I): E||xi||^2 = sigma^2 exactly, the same at every x
    return rng.standard_normal((T, dim)) * (sigma / math.sqrt(dim))


@dataclass(frozen=True, eq=False)
class SEAStream:
    """A finite SEA loss stream with its variation measures and exact regret.

    Built by :func:`sea_quadratic` or :func:`sea_logistic`; round indices run
    from 0 to ``T - 1``.  ``grad(t, x)`` is :math:`\\nabla F_t(x)`,
    ``sample_grad(t, x)`` the observed :math:`\\nabla f_t(x)`.

    Attributes
    ----------
    sigma2 : float
        :math:`\\sigma^2_{1:T} = T\\sigma^2` (exact: the noise law is the same at every x).
    Sigma2 : float
        :math:`\\Sigma^2_{1:T}` (exact: the gradient shift does not depend on x).
    path_length : float
        :math:`\\sum_{t\\ge 2}\\|x^*_t - x^*_{t-1}\\|` of the per-round minimisers
        (exact for quadratic streams; see :attr:`path_length_exact`).
    """

    domain: Domain
    loss: str
    T: int
    sigma: float
    drift: float
    variation: str
    curvature: float
    V: np.ndarray | None          # quadratic: (T, d) linear parts v_t
    features: np.ndarray | None   # logistic: (K, d) design
    weights: np.ndarray | None    # logistic: (K,) sample weights (sum 1)
    labels: np.ndarray | None     # logistic: (T, K) soft labels in (0, 1)
    noise: np.ndarray             # (T, d)
    seed: object = None

    @property
    def dim(self) -> int:
        return self.domain.dim

    # ----------------------------------------------------------- the losses
    def _shift(self) -> np.ndarray:
        """(T, d) the x-independent part of the gradient of F_t."""
        if self.loss == "quadratic":
            return self.V
        return -(self.labels * self.weights) @ self.features

    def value(self, t: int, x) -> float:
        """:math:`F_t(x)`."""
        x = np.asarray(x, dtype=np.float64)
        if self.loss == "quadratic":
            return float(0.5 * self.curvature * (x @ x) + self.V[t] @ x)
        z = self.features @ x
        return float(self.weights @ (np.logaddexp(0.0, z) - self.labels[t] * z))

    def grad(self, t: int, x) -> np.ndarray:
        """:math:`\\nabla F_t(x)`."""
        x = np.asarray(x, dtype=np.float64)
        if self.loss == "quadratic":
            return self.curvature * x + self.V[t]
        z = self.features @ x
        return ((_sigmoid(z) - self.labels[t]) * self.weights) @ self.features

    def sample_value(self, t: int, x) -> float:
        """The realised loss :math:`f_t(x) = F_t(x) + \\langle\\xi_t, x\\rangle`."""
        return self.value(t, x) + float(self.noise[t] @ np.asarray(x, dtype=np.float64))

    def sample_grad(self, t: int, x) -> np.ndarray:
        """The observed gradient :math:`\\nabla f_t(x) = \\nabla F_t(x) + \\xi_t`."""
        return self.grad(t, x) + self.noise[t]

    @property
    def lipschitz(self) -> float:
        """Smoothness constant L of every F_t (and f_t) in the Euclidean norm."""
        if self.loss == "quadratic":
            return float(self.curvature)
        s = np.sqrt(self.weights)[:, None] * self.features
        return 0.25 * float(np.linalg.norm(s, 2)) ** 2

    @property
    def strong_convexity(self) -> float:
        """Strong-convexity modulus of every F_t in the Euclidean norm (0 for logistic)."""
        return float(self.curvature) if self.loss == "quadratic" else 0.0

    # ----------------------------------------------------------- SEA measures
    @property
    def sigma2(self) -> float:
        return self.T * self.sigma ** 2

    def sigma2_upto(self, T: int) -> float:
        return T * self.sigma ** 2

    def Sigma2_upto(self, T: int) -> float:
        d = np.diff(self._shift()[:T], axis=0)
        return float(np.sum(d * d))

    @property
    def Sigma2(self) -> float:
        return self.Sigma2_upto(self.T)

    @property
    def Sigma2_max(self) -> float:
        d = np.diff(self._shift(), axis=0)
        return float(np.max(np.sum(d * d, axis=1))) if self.T > 1 else 0.0

    @property
    def path_length_exact(self) -> bool:
        return self.loss == "quadratic"

    def minimisers(self, realized: bool = False):
        """Per-round minimisers of F_t (or f_t) over the domain, and their certified gaps."""
        if self.loss == "quadratic":
            lin = self.V + self.noise if realized else self.V
            if self.curvature > 0:
                pts = np.stack([self.domain.project(-v / self.curvature) for v in lin])
            else:
                pts = np.stack([linear_minimiser(self.domain, v) for v in lin])
            return pts, np.zeros(self.T)
        zero = np.zeros(self.dim)
        sols = [self._solve(self.labels[t][None, :], self.noise[t] if realized else zero)
                for t in range(self.T)]
        return np.stack([s[0] for s in sols]), np.array([s[1] for s in sols])

    def path_length_upto(self, T: int) -> float:
        pts, _ = self.minimisers()
        return float(np.sum(np.linalg.norm(np.diff(pts[:T], axis=0), axis=1)))

    @property
    def path_length(self) -> float:
        return self.path_length_upto(self.T)

    # ----------------------------------------------------------- regret
    def _losses(self, xs, realized):
        xs = np.asarray(xs, dtype=np.float64)
        if xs.ndim != 2 or xs.shape[1] != self.dim or not 1 <= xs.shape[0] <= self.T:
            raise ValueError(f"xs must be the played points, shape (n, {self.dim}) with "
                             f"1 <= n <= T = {self.T}; got shape {xs.shape}")
        n = xs.shape[0]
        if self.loss == "quadratic":
            lin = self.V[:n] + (self.noise[:n] if realized else 0.0)
            vals = 0.5 * self.curvature * np.sum(xs * xs, axis=1) + np.sum(lin * xs, axis=1)
        else:
            z = xs @ self.features.T
            vals = (np.logaddexp(0.0, z) - self.labels[:n] * z) @ self.weights
            if realized:
                vals = vals + np.sum(self.noise[:n] * xs, axis=1)
        return xs, n, vals

    def cumulative_value(self, n: int, x, realized: bool = False) -> float:
        """:math:`\\sum_{t<n} F_t(x)` (or of the f_t)."""
        x = np.asarray(x, dtype=np.float64)
        if self.loss == "quadratic":
            lin = self.V[:n].sum(axis=0) + (self.noise[:n].sum(axis=0) if realized else 0.0)
            return float(0.5 * n * self.curvature * (x @ x) + lin @ x)
        z = self.features @ x
        out = float(self.weights @ (n * np.logaddexp(0.0, z) - self.labels[:n].sum(axis=0) * z))
        return out + (float(self.noise[:n].sum(axis=0) @ x) if realized else 0.0)

    def best_fixed(self, n: int | None = None, realized: bool = False):
        """The best fixed point for rounds ``0..n-1`` and its certified suboptimality."""
        n = self.T if n is None else n
        if self.loss == "quadratic":
            lin = self.V[:n].sum(axis=0) + (self.noise[:n].sum(axis=0) if realized else 0.0)
            if self.curvature > 0:
                # sum_t F_t = (n a / 2)||x||^2 + <lin, x> = (n a / 2)||x + lin/(n a)||^2 + const
                return self.domain.project(-lin / (n * self.curvature)), 0.0
            return linear_minimiser(self.domain, lin), 0.0
        extra = self.noise[:n].sum(axis=0) / n if realized else np.zeros(self.dim)
        x, gap = self._solve(self.labels[:n], extra)
        return x, n * gap

    def static_regret(self, xs, realized: bool = False) -> Regret:
        """Regret of the points ``xs`` (rounds ``0..len(xs)-1``) against the best fixed point.

        ``realized=False`` measures the expected losses F_t (the SEA pseudo-regret,
        an unbiased estimate of the expected regret against the best fixed point of
        the F_t); ``realized=True`` the observed losses f_t.
        """
        xs, n, vals = self._losses(xs, realized)
        xstar, gap = self.best_fixed(n, realized)
        comp = self.cumulative_value(n, xstar, realized)
        value = float(np.sum(vals)) - comp
        rnd = self._rounding(n, np.sum(np.abs(vals)) + abs(comp))
        return Regret(value, value - rnd, value + gap + rnd, gap, rnd, n)

    def dynamic_regret(self, xs, realized: bool = False) -> Regret:
        """Regret of ``xs`` against the per-round minimisers :math:`x^*_t`."""
        xs, n, vals = self._losses(xs, realized)
        pts, gaps = self.minimisers(realized)
        _, _, comp = self._losses(pts[:n], realized)
        value = float(np.sum(vals) - np.sum(comp))
        gap = float(np.sum(gaps[:n]))
        rnd = self._rounding(n, np.sum(np.abs(vals)) + np.sum(np.abs(comp)))
        return Regret(value, value - rnd, value + gap + rnd, gap, rnd, n)

    def _rounding(self, n, scale) -> float:
        # each loss value costs O(d) flops, then two sums of n terms: gamma_k * sum |terms|
        k = 2 * n + 4 * self.dim + 8
        return float(k * _EPS / (1 - k * _EPS) * scale) + 1e-300

    # ----------------------------------------------------------- logistic comparator
    def _solve(self, labels, extra, iters: int = 3000):
        """Minimise ``mean_t F_t(x) + <extra, x>`` over the domain (rounds in ``labels``).

        Accelerated projected gradient with the smoothness constant; returns the
        point and its Frank-Wolfe gap, an upper bound on its suboptimality.
        """
        labels = np.atleast_2d(labels)
        bbar = labels.mean(axis=0)
        A, w = self.features, self.weights

        def grad(x):
            return ((_sigmoid(A @ x) - bbar) * w) @ A + extra

        L = max(self.lipschitz, 1e-12)
        x = self.domain.project(np.zeros(self.dim))
        y, tk = x.copy(), 1.0
        for _ in range(iters):
            x_new = self.domain.project(y - grad(y) / L)
            t_new = 0.5 * (1 + math.sqrt(1 + 4 * tk * tk))
            y = x_new + ((tk - 1) / t_new) * (x_new - x)
            x, tk = x_new, t_new
        g = grad(x)
        # f(x) - f* <= <g, x - x*> <= <g, x> + support(-g)   (convexity)
        gap = float(g @ x + self.domain.support(-g))
        scale = float(np.abs(g) @ (np.abs(x) + 1.0)) + 1.0
        return x, max(gap, 0.0) + 8 * self.dim * _EPS * scale


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def sea_quadratic(T: int, dim: int = 5, *, domain="ball", curvature: float = 0.0,
                  sigma: float = 0.0, drift: float = 0.0, variation: str = "fixed",
                  period=None, scale: float = 1.0, seed=0) -> SEAStream:
    """Quadratic SEA stream :math:`F_t(x) = \\frac a2\\|x\\|^2 + \\langle v_t, x\\rangle`.

    ``curvature = a = 0`` gives linear losses (convex, smooth, not strongly
    convex: the worst case of the convex rate), ``a > 0`` strongly convex
    ones with optimum :math:`\\Pi_X(-v_t/a)`.  The base shift ``v`` has norm
    ``scale``; the drift moves ``v_t`` along a random unit direction by
    ``drift * p_t`` (periodic, switching) or by a random walk with steps of
    norm about ``drift`` (``"random_walk"``).

    Parameters
    ----------
    T, dim : int
        Rounds and dimension.
    domain : {"box", "ball", "simplex"} or Domain
        ``[-1, 1]^d``, the unit ball, the probability simplex, or any bounded domain.
    curvature : float
        ``a >= 0``.
    sigma : float
        Noise level: :math:`\\mathbb{E}\\|\\xi_t\\|^2 = \\sigma^2`.
    drift : float
        Size of the adversarial variation.
    variation : {"fixed", "slow", "fast", "switching", "random_walk"}
    period : float, optional
        Period of ``"slow"``/``"fast"`` drift, mean dwell time of ``"switching"``
        (at least 1; default ``T/8``).
    scale : float
        Norm of the base shift ``v``.
    seed : int or numpy.random.Generator

    Examples
    --------
    >>> s = sea_quadratic(100, 3, curvature=1.0, sigma=0.5, drift=0.1, variation="fast", seed=1)
    >>> s.sigma2, round(s.Sigma2, 6) == round(float(np.sum(np.diff(s.V, axis=0) ** 2)), 6)
    (25.0, True)
    """
    _check_common(T, dim, sigma, drift, variation, period)
    if not (math.isfinite(curvature) and curvature >= 0):
        raise ValueError(f"curvature must be a finite number >= 0, got {curvature!r}")
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    dom = _domain(domain, dim)
    v0 = scale * _random_direction(rng, dim)
    if variation == "random_walk":
        steps = rng.standard_normal((T, dim)) * (drift / math.sqrt(dim))
        steps[0] = 0.0
        V = v0 + np.cumsum(steps, axis=0)
    else:
        V = v0 + drift * _pattern(rng, T, variation, period)[:, None] * _random_direction(rng, dim)
    return SEAStream(dom, "quadratic", int(T), float(sigma), float(drift), variation,
                     float(curvature), V, None, None, None, _noise(rng, T, dim, sigma), seed)


def sea_logistic(T: int, dim: int = 5, *, domain="ball", samples: int = 20, sigma: float = 0.0,
                 drift: float = 0.0, variation: str = "fixed", period=None, seed=0) -> SEAStream:
    """Logistic SEA stream on a fixed design whose soft labels drift.

    :math:`F_t(x) = \\sum_k w_k [\\log(1 + e^{\\langle a_k, x\\rangle}) - b_{t,k}\\langle a_k, x\\rangle]`
    with ``samples`` rows :math:`a_k` (standard normal, divided by
    :math:`\\sqrt d`), weights :math:`w_k = 1/K` and labels
    :math:`b_{t,k} = \\mathrm{sigmoid}(\\beta_k + \\mathrm{drift}\\cdot p_{t,k})`.
    The gradient moves by :math:`-A^\\top W (b_t - b_{t-1})`, the same at every
    x, so :math:`\\Sigma^2_{1:T}` is exact; the comparators are convex solves
    whose certified gaps enter the regret bounds.  Options as :func:`sea_quadratic`.

    Examples
    --------
    >>> s = sea_logistic(50, 3, sigma=0.1, drift=1.0, variation="switching", seed=2)
    >>> r = s.static_regret(np.zeros((50, 3)))
    >>> r.lower <= r.value <= r.upper and r.accuracy < 1e-6
    True
    """
    _check_common(T, dim, sigma, drift, variation, period)
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    dom = _domain(domain, dim)
    A = rng.standard_normal((samples, dim)) / math.sqrt(dim)
    beta = rng.standard_normal(samples)
    if variation == "random_walk":
        steps = rng.standard_normal((T, samples)) * drift / math.sqrt(samples)
        steps[0] = 0.0
        P = np.cumsum(steps, axis=0)
    else:
        P = drift * _pattern(rng, T, variation, period)[:, None] * rng.choice([-1.0, 1.0], samples)
    labels = _sigmoid(beta + P)
    return SEAStream(dom, "logistic", int(T), float(sigma), float(drift), variation, 0.0, None,
                     A, np.full(samples, 1.0 / samples), labels, _noise(rng, T, dim, sigma), seed)
