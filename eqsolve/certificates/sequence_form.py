"""The certified duality gap of a zero-sum game in sequence form (NashConv).

For realisation plans ``x`` (maximiser) and ``y`` (minimiser) over treeplexes
``X`` and ``Y`` and the chance-weighted payoff matrix ``A``,

.. math::

    \\operatorname{gap}(x, y) = \\max_{x' \\in X} x'^\\top A y - \\min_{y' \\in Y} x^\\top A y',

both best responses computed bottom-up (:meth:`eqsolve.treeplex.Treeplex.support`).
It is the sum of both players' best-response gains -- OpenSpiel's NashConv
for a zero-sum game (its exploitability is half of it) -- and the game value
lies between the two terms.
"""

from __future__ import annotations

import math

from ..backend import finfo_eps, namespace, to_float
from .residuals import gamma

__all__ = ["sequence_form_gap", "sequence_form_nash_conv"]

#: the smallest subnormal float64 (the sequence form is computed in float64)
_TINY = 2.0 ** -1074


def sequence_form_gap(X, Y, x, y, Ay, ATx, absAy, absATx, *, k_rows: int, k_cols: int,
                      defect: float = 0.0):
    """Gap, rounding allowance and value bracket of ``(x, y)``.

    Parameters
    ----------
    X, Y : Treeplex
    x, y : realisation plans, each computed from a behaviour strategy that sums
        to one at every information set up to rounding (``Treeplex.reach``)
    Ay, ATx : ``A @ y`` and ``A.T @ x`` as computed
    absAy, absATx : ``|A| @ |y|`` and ``|A|.T @ |x|`` (the rounding scale)
    k_rows, k_cols : the most stored entries in a row / column of ``A``
    defect : an allowance for the distance of the given point from the plans
        certified (added as is)

    Returns
    -------
    gap, rounding, lower, upper : float
        ``upper = max_x' x'^T A y`` and ``lower = min_y' x^T A y'`` as
        computed; ``rounding`` bounds, for any summation order, the error of
        both (products: Higham's gamma_k with k the entries per row plus the
        rounding of ``x``, ``y`` as products of behaviour probabilities along
        a path and of ``A``'s entries from exact values; the bottom-up sums:
        gamma over the most sequences a pure plan plays) plus ``defect``.
    """
    xp = namespace(Ay)
    eps = finfo_eps(xp, Ay.dtype)
    upper = to_float(X.support(Ay))
    lower = -to_float(Y.support(-ATx))
    # a plan's entries: products of <= depth+1 behaviour probabilities, each the
    # quotient of a sum of <= width terms; both relative errors are gamma-sized
    cx = (int(X.sizes.max(initial=1)) + 2) * (len(X.levels) + 1)
    cy = (int(Y.sizes.max(initial=1)) + 2) * (len(Y.levels) + 1)
    s1 = to_float(X.support(absAy))
    s2 = to_float(Y.support(absATx))
    rnd = ((gamma(k_rows + cy + 1, eps) + gamma(X.plan_size + 1, eps)) * s1
           + (gamma(k_cols + cx + 1, eps) + gamma(Y.plan_size + 1, eps)) * s2)
    # the supports of |A||y| are computed in floating point too (second order)
    rnd *= 1.0 + gamma(max(X.plan_size, Y.plan_size) + 2, eps)
    # gradual underflow adds up to half the smallest subnormal an operation (subnormal payoffs)
    rnd += eps * (abs(upper) + abs(lower)) + defect + (X.dim + Y.dim + k_rows + k_cols) * _TINY
    gap = upper - lower
    if not math.isfinite(gap):
        rnd = math.inf
    return gap, rnd, lower, upper


def sequence_form_nash_conv(X, Y, x, y, Ay, BTx, absAy, absBTx, *, k_rows: int, k_cols: int,
                            defect: float = 0.0):
    """NashConv of a general-sum game in sequence form (payoffs ``x^T A y``, ``x^T B y``).

    Returns ``(value, rounding, (gain1, gain2), (payoff1, payoff2))`` with
    ``gain1 = max_x' x'^T A y - x^T A y`` and ``gain2 = max_y' x^T B y' - x^T B y``;
    ``rounding`` bounds the error of both best responses and both payoffs
    (each payoff's dot product adds gamma over the plan's length, scaled by
    the same best-response value of ``|A||y|`` that bounds it).
    """
    xp = namespace(Ay)
    eps = finfo_eps(xp, Ay.dtype)
    upper1 = to_float(X.support(Ay))
    upper2 = to_float(Y.support(BTx))
    payoff1 = to_float(xp.sum(x * Ay))
    payoff2 = to_float(xp.sum(y * BTx))
    cx = (int(X.sizes.max(initial=1)) + 2) * (len(X.levels) + 1)
    cy = (int(Y.sizes.max(initial=1)) + 2) * (len(Y.levels) + 1)
    s1 = to_float(X.support(absAy))
    s2 = to_float(Y.support(absBTx))
    rnd = ((2 * gamma(k_rows + cy + 1, eps) + gamma(X.plan_size + 1, eps) + gamma(X.dim, eps)) * s1
           + (2 * gamma(k_cols + cx + 1, eps) + gamma(Y.plan_size + 1, eps) + gamma(Y.dim, eps))
           * s2)
    rnd *= 1.0 + gamma(max(X.plan_size, Y.plan_size, X.dim, Y.dim) + 2, eps)
    gain1, gain2 = upper1 - payoff1, upper2 - payoff2
    rnd += (2 * eps * (abs(upper1) + abs(payoff1) + abs(upper2) + abs(payoff2)) + defect
            + 2 * (X.dim + Y.dim + k_rows + k_cols) * _TINY)
    value = gain1 + gain2
    if not math.isfinite(value):
        rnd = math.inf
    return value, rnd, (gain1, gain2), (payoff1, payoff2)
