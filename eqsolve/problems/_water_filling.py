"""Water-filling: the exact best response of a power-control user, and its rounding bound.

For one user with normalised interference-plus-noise levels :math:`c \\ge 0`
(carriers), budget :math:`P > 0` and per-carrier caps :math:`u \\ge 0`, the
water-filling allocation is

.. math:: p_k = [\\mu - c_k]_0^{u_k}, \\qquad \\sum_k p_k = P,

i.e. the Euclidean projection of :math:`-c` onto
:math:`\\{0 \\le p \\le u,\\ \\sum_k p_k = P\\}`.  Without caps the water level
:math:`\\mu` is exact by sorting :math:`c`; with caps it is exact from the
sorted :math:`2N` breakpoints of the piecewise-linear map
:math:`\\mu \\mapsto \\sum_k [\\mu - c_k]_0^{u_k}`.

References
----------
.. [1] W. Yu, G. Ginis and J. M. Cioffi, "Distributed multiuser power control for
   digital subscriber lines", IEEE JSAC 20 (2002) 1105-1115.
.. [2] D. P. Palomar and J. R. Fonollosa, "Practical algorithms for a family of
   waterfilling solutions", IEEE Trans. Signal Process. 53 (2005) 686-695.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import to_float
from ..certificates.residuals import gamma
from ..domains import Domain

__all__ = ["water_fill", "water_fill_rounding", "CappedSimplex"]


def water_fill(c, budgets, caps=None):
    """Water-filling allocations of every user (rows of ``c``) and their water levels.

    Parameters
    ----------
    c : (Q, N) ndarray
        Normalised interference-plus-noise levels, ``c >= 0``.
    budgets : (Q,) ndarray
        Power budgets ``P_q > 0``; every allocation sums to its budget.
    caps : (Q, N) ndarray, optional
        Per-carrier caps ``0 <= u <= P_q`` (``sum_k u_qk >= P_q``).

    Returns
    -------
    p : (Q, N) ndarray
        :math:`p_{qk} = [\\mu_q - c_{qk}]_0^{u_{qk}}`.
    mu : (Q,) ndarray
        Water levels (not unique when caps make the sum plateau at ``P_q``;
        any level on the plateau gives the same allocation).

    Examples
    --------
    >>> p, mu = water_fill(np.array([[0.1, 0.5, 2.0]]), np.array([1.0]))
    >>> p.round(6).tolist(), round(float(mu[0]), 6)
    ([[0.7, 0.3, 0.0]], 0.8)
    """
    mu = _level_sorted(c, budgets) if caps is None else _level_breakpoints(c, budgets, caps)
    p = mu[:, None] - c
    p = np.maximum(p, 0.0) if caps is None else np.clip(p, 0.0, caps)
    return p, mu


def _level_sorted(c, budgets):
    # mu_m = (P + sum of the m smallest c) / m; the level is mu_m for the largest m with
    # mu_m > c_(m) (those m form a prefix; the last one is taken should rounding break it)
    n = c.shape[-1]
    cs = np.sort(c, axis=-1)
    mus = (budgets[:, None] + np.cumsum(cs, axis=-1)) / np.arange(1, n + 1, dtype=c.dtype)
    valid = mus > cs
    last = n - 1 - np.argmax(valid[:, ::-1], axis=-1)
    return mus[np.arange(c.shape[0]), last]


def _level_breakpoints(c, budgets, caps):
    # S(mu) = sum_k clip(mu - c_k, 0, u_k) is piecewise linear, slope +1 after c_k and -1
    # after c_k + u_k; accumulate S over the sorted kinks and interpolate where it meets P
    q, n = c.shape
    kinks = np.concatenate([c, c + caps], axis=1)
    order = np.argsort(kinks, axis=1, kind="stable")
    ks = np.take_along_axis(kinks, order, axis=1)
    delta = np.where(order < n, 1.0, -1.0)
    slope = np.cumsum(delta, axis=1)  # slope on (ks_j, ks_{j+1})
    S = np.zeros_like(ks)
    S[:, 1:] = np.cumsum(slope[:, :-1] * np.diff(ks, axis=1), axis=1)
    hit = S >= budgets[:, None]
    J = np.argmax(hit, axis=1)
    rows = np.arange(q)
    prev = np.maximum(J - 1, 0)
    s_prev = np.maximum(slope[rows, prev], 1.0)
    mu = ks[rows, prev] + (budgets - S[rows, prev]) / s_prev
    # the caps sum to P (up to rounding) when S never reaches it: everything at its cap
    return np.where(hit.any(axis=1), mu, ks[:, -1])


def water_fill_rounding(c, mu, budgets, terms: int, eps: float = float(np.finfo(np.float64).eps)):
    """Per-user bound on ``||fl(WF(c_hat)) - WF(c)||_2`` (the exact best response).

    ``c_hat`` is ``c`` computed in floating point as a sum of ``terms`` nonnegative
    products, so :math:`|\\hat c_k - c_k| \\le \\gamma_{terms}\\, \\hat c_k/(1-\\gamma)`.
    Water-filling is a projection (1-Lipschitz) and ignores levels above the water
    level (clipping :math:`c` at any :math:`M \\ge \\mu` changes nothing), so only
    carriers with :math:`\\hat c_k \\le 2\\hat\\mu` count (the factor 2 covers the
    level's own rounding by many orders of magnitude).  The level is a sum of at
    most :math:`2N` nonnegative terms, hence within :math:`\\gamma_{2N+4}(P + 2\\hat\\mu)`
    of the exact one, and each entry :math:`\\mu - c_k` adds one rounding.

    Examples
    --------
    >>> c = np.array([[0.1, 0.5, 2.0]]); p, mu = water_fill(c, np.array([1.0]))
    >>> bool(water_fill_rounding(c, mu, np.array([1.0]), 3)[0] < 1e-13)
    True
    """
    n = c.shape[-1]
    g_c = gamma(terms + 1, eps)
    near = np.where(c <= 2.0 * np.abs(mu)[:, None], c, 0.0)
    err_c = g_c * np.sqrt(np.sum(near * near, axis=1)) / (1.0 - g_c)
    err_mu = gamma(2 * n + 4, eps) * (budgets + 2.0 * np.abs(mu)) + eps * np.abs(mu)
    return 2.0 * (err_c + math.sqrt(n) * err_mu)


class CappedSimplex(Domain):
    """The capped simplex :math:`\\{p : 0 \\le p \\le u,\\ \\sum_k p_k = P\\}` (caps may be 0).

    Examples
    --------
    >>> D = CappedSimplex(np.array([0.5, 1.0, 0.0]), 1.0)
    >>> D.project(np.array([1.0, 0.0, 5.0])).round(6).tolist()
    [0.5, 0.5, 0.0]
    """

    bounded = True

    def __init__(self, caps, budget: float):
        self.caps = np.asarray(caps, dtype=np.float64)
        self.dim = self.caps.shape[0]
        self.budget = float(budget)

    def project(self, z):
        p, _ = water_fill(-np.asarray(z, dtype=np.float64)[None, :], np.array([self.budget]),
                          self.caps[None, :])
        return p[0]

    def _violation(self, z) -> float:
        z = np.asarray(z, dtype=np.float64)
        out = max(to_float(np.max(-z)), to_float(np.max(z - self.caps)), 0.0)
        return max(out, abs(to_float(np.sum(z)) - self.budget) / self.dim)

    def support(self, g):
        # greedy: fill the carriers with the largest g up to their caps
        g = np.asarray(g, dtype=np.float64)
        order = np.argsort(-g, kind="stable")
        cum = np.cumsum(self.caps[order])
        take = np.minimum(self.caps[order], np.maximum(self.budget - (cum - self.caps[order]), 0.0))
        return float(np.dot(take, g[order]))

    def __repr__(self):
        return f"CappedSimplex({self.dim}, budget={self.budget:g})"
