"""Certified bounds for linear programs and bilinear saddle problems, with rounding allowances.

Every function here returns bounds that hold for the exact arithmetic
quantity, given computed matrix products and the entrywise bounds
``|fl(K v) - K v| <= gamma_k |K| |v|`` of Higham [1]_ (any summation order),
which the callers bound by ``max_j |K_ij| * ||v||_1`` row by row (or column
by column).  They work on host NumPy vectors.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
   SIAM (2002), section 3.1.
"""

from __future__ import annotations

import math

import numpy as np

from .residuals import gamma

__all__ = ["EPS", "product_error", "interval_box_min", "sum_down", "sum_up",
           "reduced_cost_split", "box_conjugate_up", "simplex_conjugate_up"]

#: float64's machine epsilon (the unit roundoff is half of it)
EPS = float(np.finfo(np.float64).eps)


def product_error(absmax, v_l1: float, k: int, extra=0.0):
    """Entrywise bound on the error of ``fl(K v)`` (plus ``extra``, e.g. an added vector).

    ``absmax[i] = max_j |K_ij|`` for the entries the product sums (``k`` of
    them at most): ``|fl(Kv)_i - (Kv)_i| <= gamma_k (|K||v|)_i <= gamma_k
    absmax_i ||v||_1``.  ``v_l1`` as computed is inflated by ``gamma_k``
    (its own sum), and one more rounding of an added ``extra`` vector is
    covered by ``gamma_{k+2}``.
    """
    g = gamma(k + 2, EPS)
    return g * (absmax * (v_l1 * (1.0 + g)) + np.abs(extra))


def _g(r, lower, upper):
    """``min_{x in [l, u]} r x`` per entry (``0 * inf`` read as 0), computed."""
    with np.errstate(invalid="ignore"):
        # 0 * inf is NaN in the branch not taken; r == 0 takes neither
        return np.where(r > 0, r * lower, np.where(r < 0, r * upper, 0.0))


def interval_box_min(r_lo, r_hi, lower, upper, finite: bool = False):
    """Entrywise lower bounds on ``min_{x_j in [l_j, u_j]} r_j x_j`` over ``r_j in [r_lo, r_hi]``.

    ``r -> min_x r x`` is concave (a minimum of linear functions of ``r``), so
    over an interval it is smallest at an end; each product is rounded down
    by one ulp.  Entries are ``-inf`` where an infinite bound meets a
    possible cost of the wrong sign.  ``finite=True`` says every bound is
    finite: the minimum of the bilinear ``r x`` over the box is then the
    smallest of its four corners (fewer passes over the vectors).
    """
    if finite:
        low = np.minimum(np.minimum(r_lo * lower, r_lo * upper),
                         np.minimum(r_hi * lower, r_hi * upper))
    else:
        low = np.minimum(_g(r_lo, lower, upper), _g(r_hi, lower, upper))
    return low - (EPS / 2.0) * np.abs(low)


def sum_down(terms) -> float:
    """A lower bound on the exact sum of float ``terms`` (``-inf`` when one is)."""
    terms = np.asarray(terms, dtype=np.float64)
    if terms.size == 0:
        return 0.0
    if np.any(terms == -np.inf):
        return -math.inf
    s = float(np.sum(terms))
    return s - gamma(terms.size + 1, EPS) * float(np.sum(np.abs(terms)))


def sum_up(terms) -> float:
    """An upper bound on the exact sum of float ``terms`` (``inf`` when one is)."""
    return -sum_down(-np.asarray(terms, dtype=np.float64))


def reduced_cost_split(r, delta, lower, upper):
    """Split computed reduced costs ``r`` (error ``<= delta``) into a feasible part and the rest.

    A dual point is feasible for the box ``[l, u]`` when ``r_j >= 0`` wherever
    ``u_j = inf`` and ``r_j <= 0`` wherever ``l_j = -inf``.  Returns
    ``(lo, hi, infeasibility)``: the interval ``[lo, hi]`` of the admissible
    reduced costs within ``delta`` of ``r`` (the interval is clipped to the
    admissible sign; where it misses it entirely, ``[0, 0]``), and the largest
    distance any exact reduced cost may lie from the admissible set (rounded
    up).  With it, ``sum interval_box_min(lo, hi, l, u)`` is a rigorous bound
    for the LP whose cost differs from ``c`` by at most ``infeasibility`` in
    every entry.
    """
    lo, hi = r - delta, r + delta
    up_inf, down_inf = np.isinf(upper), np.isinf(lower)
    bad = np.zeros(r.shape)
    # u = inf: the cost must be >= 0
    bad = np.where(up_inf, np.maximum(bad, -lo), bad)
    lo = np.where(up_inf, np.maximum(lo, 0.0), lo)
    hi = np.where(up_inf, np.maximum(hi, 0.0), hi)
    # l = -inf: the cost must be <= 0
    bad = np.where(down_inf, np.maximum(bad, hi), bad)
    lo = np.where(down_inf, np.minimum(lo, 0.0), lo)
    hi = np.where(down_inf, np.minimum(hi, 0.0), hi)
    inf = float(np.max(bad)) if bad.size else 0.0
    return lo, hi, max(inf, 0.0) * (1.0 + EPS)


def box_conjugate_up(s, delta, lower, upper, quad, lin, l1):
    """Upper bound on ``sup_{w in [l, u]} sum_j s_j w_j - h_j(w_j)`` for a bounded box.

    ``h_j(w) = quad_j w^2 / 2 + lin_j w + l1_j |w|`` (``quad, l1 >= 0``), ``s``
    known to within ``delta``.  Each one-dimensional concave maximum is
    attained at an end of the interval, at 0, or at the clipped stationary
    point, so the largest value over those points is the exact maximum for
    the computed ``s``; a change of ``s`` by ``delta`` moves it by at most
    ``delta * max(|l|, |u|)``.  Returns ``(bound, maximiser)``.
    """
    cands = [lower, upper, np.clip(np.zeros_like(s), lower, upper)]
    with np.errstate(divide="ignore", invalid="ignore"):
        for sign in (1.0, -1.0):
            a = s - lin - sign * l1
            stat = np.where(quad > 0, a / np.where(quad > 0, quad, 1.0), 0.0)
            cands.append(np.clip(stat, lower, upper))
    best = None
    arg = None
    for w in cands:
        val = s * w - (0.5 * quad * w * w + lin * w + l1 * np.abs(w))
        if best is None:
            best, arg = val, w
        else:
            take = val > best
            best, arg = np.where(take, val, best), np.where(take, w, arg)
    radius = np.maximum(np.abs(lower), np.abs(upper))
    # each value has 6 roundings of terms at most |s w| + |h(w)|
    mag = np.abs(s * arg) + 0.5 * quad * arg * arg + np.abs(lin * arg) + l1 * np.abs(arg)
    terms = best + delta * radius + gamma(6, EPS) * mag
    return sum_up(terms), arg


def simplex_conjugate_up(s, delta, radius: float, lin):
    """Upper bound on ``sup_{w in r Delta} (s - lin)^T w = r max_j (s_j - lin_j)``, ``s`` within ``delta``."""
    t = s - lin
    j = int(np.argmax(t))
    top = float(np.max(t + delta + (EPS / 2.0) * np.abs(t)))
    return radius * top * (1.0 + EPS) if top > 0 else radius * top * (1.0 - EPS), j
