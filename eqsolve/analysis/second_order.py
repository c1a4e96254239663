"""A second-order test of local minimax points, for the points first-order methods return.

:func:`second_order_check` tests the refined second-order condition at a
point of :math:`\\min_x \\max_y f(x, y)`: :math:`\\lambda_{\\max}(\\nabla^2_{yy} f) \\le 0`
and :math:`S_{res} = P(A - B C^\\dagger B^\\top)P \\succeq 0` on range(P), with
:math:`A = \\nabla^2_{xx} f`, :math:`B = \\nabla^2_{xy} f`, :math:`C = \\nabla^2_{yy} f`,
:math:`P` the projector onto :math:`\\{v : Q^\\top B^\\top v = 0\\}` and :math:`Q` a
basis of :math:`\\ker C` (the restricted Schur complement; reduces to the
classical :math:`A - BC^{-1}B^\\top` when C is nonsingular).  It complements
``two_timescale_extragradient``, whose certificate is first-order only.

References
----------
.. [1] C. Jin, P. Netrapalli and M. Jordan, "What is local optimality in
   nonconvex-nonconcave minimax optimization?", ICML 2020.
.. [2] J. Chae, K. Kim and D. Kim, "Two-timescale extragradient for finding local
   minimax points", ICLR 2024 (arXiv:2305.16242).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["second_order_check", "SecondOrderCheck"]


@dataclass(frozen=True)
class SecondOrderCheck:
    """Outcome of :func:`second_order_check` (every number reported, nothing claimed beyond them)."""

    lambda_max_yy: float
    lambda_min_schur: float
    passed: bool
    tol: float
    source: str
    message: str


def _fd_jacobian(G, z, h):
    d = z.shape[0]
    J = np.empty((d, d))
    for i in range(d):
        e = np.zeros(d)
        e[i] = h * max(1.0, abs(z[i]))
        J[:, i] = (G(z + e) - G(z - e)) / (2 * e[i])
    return J


def second_order_check(saddle, point, *, hessian=None, tol=1e-6) -> SecondOrderCheck:
    """Refined second-order condition for a local minimax point (small problems, dense).

    Parameters
    ----------
    saddle : Saddle
    point : array or (x, y)
    hessian : callable, optional
        ``hessian(x, y) -> (Hxx, Hxy, Hyy)``; by default central finite
        differences of the gradients (then labelled approximate).
    tol : float
        Eigenvalues within ``tol`` of zero count as zero (kernel of C, and the
        sign tests).

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> s = eq.Saddle(lambda x, y: x - y, lambda x, y: -x - y, 1, 1)  # x^2/2 - xy - y^2/2
    >>> second_order_check(s, np.zeros(2)).passed
    True
    """
    z = np.asarray(saddle.check_point("point", point), dtype=np.float64)
    nx = saddle.nx
    x, y = z[:nx], z[nx:]
    if hessian is not None:
        Hxx, Hxy, Hyy = (np.asarray(h, dtype=np.float64) for h in hessian(x, y))
        source = "exact (user Hessian)"
    else:
        # F = (grad_x f, -grad_y f): flipping the y block gives the gradient of f (exactly)
        sign = np.concatenate([np.ones(nx), -np.ones(z.shape[0] - nx)])

        def G(v):
            return sign * np.asarray(saddle.operator(v), dtype=np.float64)

        J = _fd_jacobian(G, z, np.sqrt(np.finfo(np.float64).eps))
        Hxx, Hxy, Hyy = J[:nx, :nx], J[:nx, nx:], J[nx:, nx:]
        source = "approximate (finite differences)"
    A, B, C = (Hxx + Hxx.T) / 2, Hxy, (Hyy + Hyy.T) / 2
    wc, Vc = np.linalg.eigh(C)
    lam_yy = float(wc[-1])
    kernel = np.abs(wc) <= tol
    Cpinv = (Vc[:, ~kernel] / wc[~kernel]) @ Vc[:, ~kernel].T
    S = A - B @ Cpinv @ B.T
    W = B @ Vc[:, kernel]  # directions in x coupled to ker C
    if W.shape[1]:
        u, sv, _ = np.linalg.svd(W, full_matrices=True)
        rank = int(np.sum(sv > tol))
        U = u[:, rank:]  # orthonormal basis of range(P) = {v : W^T v = 0}
    else:
        U = np.eye(nx)
    lam_s = float(np.linalg.eigvalsh(U.T @ S @ U)[0]) if U.shape[1] else math.inf
    passed = lam_yy <= tol and lam_s >= -tol
    msg = (f"lambda_max(grad_yy f) = {lam_yy:.3g} {'<=' if lam_yy <= tol else '>'} {tol:g}; "
           f"lambda_min(restricted Schur) = {lam_s:.3g} {'>=' if lam_s >= -tol else '<'} {-tol:g}: "
           + ("the second-order condition for a local minimax point holds"
              if passed else "NOT a certified local minimax point"))
    return SecondOrderCheck(lam_yy, lam_s, passed, tol, source, msg)
