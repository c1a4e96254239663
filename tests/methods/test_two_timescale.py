"""Two-timescale extragradient, and the second-order check of the point it returns."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.analysis.second_order import second_order_check


def quadratic(A, B, C):
    """f = x^T A x / 2 + x^T B y + y^T C y / 2 (A, C symmetric)."""
    A, B, C = (np.atleast_2d(np.asarray(M, dtype=float)) for M in (A, B, C))
    nx, ny = B.shape
    return eq.Saddle(lambda x, y: A @ x + B @ y, lambda x, y: B.T @ x + C @ y, nx, ny), (A, B, C)


def test_timescale_separation_stabilises_a_local_minimax_point():
    # f = -x^2 + 2xy - y^2/2: nonconvex in x; Schur complement -2 + 4 = 2 > 0 (local minimax at 0)
    s, H = quadratic([[-2.0]], [[2.0]], [[-1.0]])
    z0 = np.array([0.3, -0.2])
    fast = eq.solve(s, method="two_timescale_extragradient", x0=z0, tau=1.0, step=0.05,
                    tol=1e-10, max_iter=3000)
    slow = eq.solve(s, method="two_timescale_extragradient", x0=z0, tau=10.0, step=0.05,
                    tol=1e-10, max_iter=20_000)
    assert not fast.converged  # simultaneous timescales leave the point (eigenvalues Re < 0)
    assert slow.converged and slow.certificate.kind == "operator_norm"
    np.testing.assert_allclose(slow.z, 0.0, atol=1e-9)
    check = second_order_check(s, slow.z, hessian=lambda x, y: H)
    assert check.passed and check.source.startswith("exact")
    assert check.lambda_min_schur == pytest.approx(2.0)


def test_stability_matches_the_spectral_radius_of_the_linear_eg_map():
    """For quadratic games EG is linear: z -> (I - eta L J + eta^2 (L J)^2) z."""
    s, (A, B, C) = quadratic([[-2.0]], [[2.0]], [[-1.0]])
    J = np.array([[A[0, 0], B[0, 0]], [-B[0, 0], -C[0, 0]]])
    for tau in (1.0, 1.5, 3.0, 10.0):
        LJ = np.diag([1 / tau, 1.0]) @ J
        eta = 0.05
        M = np.eye(2) - eta * LJ + eta**2 * LJ @ LJ
        rho = max(abs(np.linalg.eigvals(M)))
        res = eq.solve(s, method="two_timescale_extragradient", x0=np.array([0.3, -0.2]),
                       tau=tau, step=eta, growth=1.0, tol=1e-9, max_iter=20_000)
        assert res.converged == (rho < 1), (tau, rho, res.status)


def test_nonlinear_saddle_and_bad_problems():
    # f = cos(x) + x y - y^2 (local minimax near 0 since Schur = -1 + 1/2... check numerically)
    s = eq.Saddle(lambda x, y: -np.sin(x) + y, lambda x, y: x - 2 * y, 1, 1)
    res = eq.solve(s, method="two_timescale_extragradient", x0=np.array([0.2, 0.1]), tau=20.0,
                   tol=1e-9, max_iter=50_000)
    assert res.residual == eq.certify(s, res.z).value
    with pytest.raises(TypeError, match="Saddle"):
        eq.solve(eq.zoo.matching_pennies(), method="two_timescale_extragradient")
    with pytest.raises(ValueError, match="tau must be >= 1"):
        eq.solve(s, method="two_timescale_extragradient", tau=0.5)
