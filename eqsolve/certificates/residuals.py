"""Exact residuals evaluated at a point, with a floating-point allowance.

These functions depend only on the backend and the domains, so problems can
use them to certify their own points.  Each returns Python floats: the
residual as computed and a rigorous upper bound on its rounding error, so that
``computed + rounding`` bounds the exact-arithmetic residual.

The rounding bounds use the standard dot-product error bound
:math:`|\\mathrm{fl}(a^\\top y) - a^\\top y| \\le \\gamma_k |a|^\\top |y|`,
:math:`\\gamma_k = k u / (1 - k u)`, valid for any summation order (so for
blocked BLAS kernels too) [1]_.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
   SIAM (2002), section 3.1.
"""

from __future__ import annotations

from ..backend import finfo_eps, namespace, to_float

__all__ = [
    "gamma",
    "simplex_defect",
    "gap_allowance",
    "matrix_game_gap",
    "bimatrix_nash_gap",
    "natural_residual",
    "gap_function",
    "operator_norm",
    "forward_backward_residual",
]


def _tiny(eps: float) -> float:
    """The smallest subnormal of the floating type whose machine epsilon is ``eps``."""
    return 2.0 ** -149 if eps > 2.0 ** -30 else 2.0 ** -1074


def gamma(k: int, eps: float) -> float:
    """Higham's :math:`\\gamma_k` for unit roundoff ``eps / 2``."""
    u = eps / 2
    ku = k * u
    return ku / (1.0 - ku) if ku < 0.5 else float("inf")


def simplex_defect(xp, x):
    """l1 distance bound from ``x`` to the probability simplex: ``2||x^-||_1 + |sum(x) - 1|``.

    Over the last axis: a float for a vector, one value per row for a stack.
    """
    neg = xp.sum(xp.maximum(-x, xp.zeros_like(x)), axis=-1)
    d = 2.0 * neg + xp.abs(xp.sum(x, axis=-1) - 1.0)
    return to_float(d) if x.ndim == 1 else d


def gap_allowance(amax, defect, upper, lower, m: int, n: int, eps: float):
    """Rounding allowance of a computed duality gap ``upper - lower`` of an m x n game.

    The products ``A y`` and ``A^T x`` are off by at most ``gamma_n`` and
    ``gamma_m`` times ``max|A_ij|`` (for strategies summing to one), the
    strategies' simplex ``defect`` moves the bracket by ``amax * defect``, and
    the subtraction by ``eps (|upper| + |lower|)``.  Elementwise: floats, or one
    value per game of a batch.
    """
    # plus an absolute term for underflow: in gradual underflow each operation may add
    # up to half the smallest subnormal, which no relative bound covers (subnormal payoffs)
    return amax * ((gamma(n, eps) + gamma(m, eps)) * (1.0 + defect) + defect) + eps * (
        abs(upper) + abs(lower)) + (m + n + 4) * _tiny(eps)


def matrix_game_gap(xp, A, x, y, Ay, ATx, amax: float):
    """Duality gap of the matrix game ``x^T A y`` (row player maximises).

    Parameters
    ----------
    A : (m, n) array
    x, y : mixed strategies of the row and column players
    Ay, ATx : ``A @ y`` and ``A.T @ x`` (already computed by the caller)
    amax : ``max |A_ij|``

    Returns
    -------
    gap, rounding, lower, upper : float
        ``upper = max_i (A y)_i`` and ``lower = min_j (x^T A)_j`` bracket the
        value of the game; ``gap = upper - lower``.  ``rounding`` bounds the
        error from finite precision and from ``x, y`` sitting off the simplex
        by rounding (their defect in l1 norm).
    """
    m, n = A.shape
    upper = to_float(xp.max(Ay))
    lower = to_float(xp.min(ATx))
    eps = finfo_eps(xp, Ay.dtype)
    defect = simplex_defect(xp, x) + simplex_defect(xp, y)
    rounding = gap_allowance(amax, defect, upper, lower, m, n, eps)
    return upper - lower, rounding, lower, upper


def bimatrix_nash_gap(xp, x, y, Ay, BTx, amax: float, bmax: float):
    """Nash gap of the bimatrix game (both players maximise).

    ``(max_i (A y)_i - x^T A y) + (max_j (B^T x)_j - x^T B y)``.

    Returns
    -------
    gap, rounding, (row_gain, col_gain, row_payoff, col_payoff) : float, float, tuple
    """
    m, n = Ay.shape[0], BTx.shape[0]
    row_pay = to_float(xp.sum(x * Ay))
    col_pay = to_float(xp.sum(y * BTx))
    row_gain = to_float(xp.max(Ay)) - row_pay
    col_gain = to_float(xp.max(BTx)) - col_pay
    eps = finfo_eps(xp, Ay.dtype)
    defect = simplex_defect(xp, x) + simplex_defect(xp, y)
    k = m + n
    rounding = (amax + bmax) * (2.0 * gamma(k, eps) * (1.0 + defect) + 2.0 * defect)
    return row_gain + col_gain, rounding, (row_gain, col_gain, row_pay, col_pay)


def natural_residual(domain, z, Fz):
    """Natural residual :math:`\\|z - \\Pi_Z(z - F(z))\\|_2`.

    The rounding allowance covers the subtraction and the projection
    (a few ulps of ``||z|| + ||F(z)||``); errors inside a user's ``F`` are the
    user's and cannot be bounded here.
    """
    xp = namespace(z)
    r = z - domain.project(z - Fz)
    val = to_float(xp.linalg.vector_norm(r))
    eps = finfo_eps(xp, z.dtype)
    scale = to_float(xp.linalg.vector_norm(z)) + to_float(xp.linalg.vector_norm(Fz))
    return val, 4.0 * eps * scale


def gap_function(domain, z, Fz):
    """Gap function :math:`\\max_{w \\in Z} \\langle F(z), z - w\\rangle = \\langle F(z), z\\rangle + \\sigma_Z(-F(z))`.

    Finite on bounded domains; ``inf`` when the domain is unbounded in the
    direction ``-F(z)``.
    """
    xp = namespace(z)
    val = to_float(xp.sum(Fz * z) + domain.support(-Fz))
    eps = finfo_eps(xp, z.dtype)
    # the support value's own sum is bounded by sigma_Z(|F(z)|) on bounded sets
    bound = domain.support(xp.abs(Fz)) if domain.bounded else domain.support(-Fz)
    scale = to_float(xp.sum(xp.abs(Fz * z))) + abs(to_float(bound))
    rounding = gamma(2 * z.shape[0] + 2, eps) * scale
    return max(val, 0.0), rounding


def operator_norm(Fz):
    """:math:`\\|F(z)\\|_2`, with a relative rounding allowance."""
    xp = namespace(Fz)
    val = to_float(xp.linalg.vector_norm(Fz))
    return val, gamma(Fz.shape[0] + 1, finfo_eps(xp, Fz.dtype)) * val


def forward_backward_residual(problem, z, eta: float = 1.0, Fz=None):
    """Forward-backward point and its certified inclusion residual (ALGORITHMS.md section 1.1).

    With :math:`\\hat z = \\Pi_Z(z - \\eta F(z))` the prox optimality condition gives
    :math:`v = (z - \\hat z)/\\eta - F(z) + F(\\hat z) \\in (F + N_Z)(\\hat z)`, so
    :math:`\\operatorname{dist}(0, (F + N_Z)(\\hat z)) \\le \\|v\\|` -- a certificate for
    the feasible point :math:`\\hat z` of the inclusion :math:`0 \\in F + N_Z`, for any
    monotone or not F.  Costs two evaluations of F (one if ``Fz`` is given).

    Returns
    -------
    z_hat : array
        The certified point (in the domain).
    bound : float
        :math:`\\|v\\|` plus a rounding allowance.

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> vi = eq.VI(lambda z: z - 2.0, eq.Box(0.0, 1.0, dim=2))
    >>> z_hat, bound = forward_backward_residual(vi, np.array([0.5, 1.0]))
    >>> z_hat.tolist(), round(bound, 12)
    ([1.0, 1.0], 0.0)
    """
    xp = namespace(z)
    if Fz is None:
        Fz = problem.operator(z)
    z_hat = problem.domain.project(z - eta * Fz)
    v = (z - z_hat) / eta - Fz + problem.operator(z_hat)
    val = to_float(xp.linalg.vector_norm(v))
    eps = finfo_eps(xp, z.dtype)
    scale = (to_float(xp.linalg.vector_norm(z)) + to_float(xp.linalg.vector_norm(z_hat))) / eta \
        + 2.0 * to_float(xp.linalg.vector_norm(Fz))
    return z_hat, val + 4.0 * eps * scale
