"""VI and Saddle: affine monotone VIs with known solutions, certificates and distance bounds."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo

METHODS = ["extragradient", "mirror_prox"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("domain", ["box", "orthant"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_affine_vi_known_solution(method, domain, seed):
    inst = zoo.affine_vi(25, seed=seed, domain=domain, mu=0.2)
    res = eq.solve(inst.problem, method=method, tol=1e-9, max_iter=20_000)
    assert res.converged, res
    assert res.certificate.kind == "natural_residual"
    err = np.linalg.norm(res.z - inst.solution)
    # the certified distance bound (1 + L)/mu * residual must hold
    assert err <= res.certificate.details["distance_bound"]
    assert err < 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_merely_monotone_affine_vi(method):
    inst = zoo.affine_vi(15, seed=4, domain="box", mu=0.0, skew=3.0)
    res = eq.solve(inst.problem, method=method, tol=1e-7, max_iter=50_000)
    assert res.converged, res
    assert "distance_bound" not in res.certificate.details  # no mu, no distance claim


def test_distance_bounds_hold_at_random_points(rng):
    """Soundness of both residuals away from solver outputs."""
    for seed in range(10):
        inst = zoo.affine_vi(12, seed=seed, domain="box", mu=0.3)
        gap_vi = eq.VI(inst.F, inst.problem.domain, L=inst.L, mu=inst.mu, residual="gap_function")
        for _ in range(20):
            z = rng.uniform(-1, 1, size=12)
            if rng.random() < 0.5:
                z = (z + 9 * inst.solution) / 10  # near the solution too
            err = np.linalg.norm(z - inst.solution)
            c_nat = eq.certify(inst.problem, z)
            c_gap = eq.certify(gap_vi, z)
            assert c_nat.details["distance_bound"] >= err * (1 - 1e-12)
            assert c_gap.details["distance_bound"] >= err * (1 - 1e-12)
            # the gap function is >= <F(z*), z - z*> >= 0 for monotone F
            assert c_gap.value >= inst.q @ (z - inst.solution) - 1e-12


def test_gap_function_reported_on_bounded_domains():
    inst = zoo.affine_vi(8, seed=1, domain="box")
    assert "gap_function" in eq.certify(inst.problem, np.zeros(8)).details
    inst = zoo.affine_vi(8, seed=1, domain="orthant")
    assert "gap_function" not in eq.certify(inst.problem, np.ones(8)).details
    with pytest.raises(ValueError, match="bounded domain"):
        eq.VI(inst.F, inst.problem.domain, residual="gap_function")


@pytest.mark.parametrize("method", METHODS)
def test_unconstrained_bilinear_quadratic_saddle(method, rng):
    """f(x, y) = mu/2 |x|^2 + x^T B y - mu/2 |y|^2 - b^T x; solution in closed form."""
    mu, n = 0.5, 6
    B = rng.normal(size=(n, n))
    b = rng.normal(size=n)
    s = eq.Saddle(lambda x, y: mu * x + B @ y - b, lambda x, y: B.T @ x - mu * y, n, n,
                  f=lambda x, y: 0.5 * mu * x @ x + x @ B @ y - 0.5 * mu * y @ y - b @ x,
                  mu=mu)
    # optimality: mu x + B y = b, B^T x = mu y
    K = np.block([[mu * np.eye(n), B], [B.T, -mu * np.eye(n)]])
    sol = np.linalg.solve(K, np.concatenate([b, np.zeros(n)]))
    res = eq.solve(s, method=method, tol=1e-10, max_iter=50_000)
    assert res.converged
    assert res.certificate.kind == "operator_norm"
    assert np.linalg.norm(res.z - sol) <= res.certificate.details["distance_bound"]
    np.testing.assert_allclose(res.x, sol[:n], atol=1e-8)
    assert res.value == pytest.approx(s.value(sol), abs=1e-8)


def test_box_constrained_saddle_gap_bounds_duality_gap(rng):
    """For convex-concave f the gap function bounds max_y' f(x, y') - min_x' f(x', y)."""
    n = 3
    B = rng.normal(size=(n, n))
    box = eq.Box(-1.0, 1.0, dim=n)
    f = lambda x, y: 0.5 * x @ x + x @ B @ y - 0.5 * y @ y  # noqa: E731
    s = eq.Saddle(lambda x, y: x + B @ y, lambda x, y: B.T @ x - y, box, box, f=f)
    grid = np.array(np.meshgrid(*[np.linspace(-1, 1, 9)] * n)).reshape(n, -1).T
    for _ in range(10):
        x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        cert = eq.certify(s, (x, y))
        # brute force on a grid gives a lower bound on the true duality gap
        dual_gap_lb = max(f(x, yy) for yy in grid) - min(f(xx, y) for xx in grid)
        assert cert.details["gap_function"] >= dual_gap_lb - 1e-12


def test_vi_operator_shape_checked():
    vi = eq.VI(lambda z: np.zeros(3), eq.Reals(2))
    with pytest.raises(ValueError, match="F returned"):
        eq.solve(vi)
