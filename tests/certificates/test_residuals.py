"""The rounding allowance makes certificates honest bounds of the exact-arithmetic residual."""

from fractions import Fraction

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.certificates import KINDS, Certificate
from eqsolve.problems import zoo

from ..conftest import random_simplex_point


def exact_gap(A, x, y):
    """Duality gap of the float point (x, y) normalised onto the simplex, in rational arithmetic."""
    A = [[Fraction(float(a)) for a in row] for row in np.asarray(A, dtype=np.float64)]
    xs = [max(Fraction(float(v)), Fraction(0)) for v in x]
    ys = [max(Fraction(float(v)), Fraction(0)) for v in y]
    sx, sy = sum(xs), sum(ys)
    xs, ys = [v / sx for v in xs], [v / sy for v in ys]
    m, n = len(xs), len(ys)
    Ay = [sum(A[i][j] * ys[j] for j in range(n)) for i in range(m)]
    xA = [sum(xs[i] * A[i][j] for i in range(m)) for j in range(n)]
    return max(Ay) - min(xA)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_duality_gap_bounds_the_exact_gap(dtype, rng):
    for trial in range(30):
        m, n = rng.integers(1, 9, size=2)
        A = (rng.uniform(-1, 1, size=(m, n)) * 10.0 ** rng.integers(-3, 4)).astype(dtype)
        x = random_simplex_point(rng, m).astype(dtype)
        y = random_simplex_point(rng, n).astype(dtype)
        cert = eq.certify(eq.MatrixGame(A), (x, y))
        assert cert.value >= float(exact_gap(A, x, y))
        assert cert.rounding > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_solver_certificates_bound_exact_gap(dtype):
    """At near-equilibria the gap is tiny and rounding matters most."""
    for seed in range(4):
        game = zoo.random_matrix_game(6, 5, seed=seed, dtype=dtype)
        res = eq.solve(game, method="extragradient", tol=1e-12 if dtype == np.float64 else 1e-5,
                       max_iter=20_000)
        assert res.residual >= float(exact_gap(game.A, res.x, res.y))


def test_certificate_object():
    game = zoo.matching_pennies()
    cert = eq.certify(game, (np.array([1.0, 0.0]), np.array([0.5, 0.5])))
    assert isinstance(cert, Certificate)
    assert cert.kind == "duality_gap" and cert.point == "given"
    assert cert.value == pytest.approx(1.0)
    assert cert.bounds == KINDS["duality_gap"]
    d = cert.to_dict()
    assert d["kind"] == "duality_gap" and isinstance(d["details"]["value_bounds"], list)
    assert "duality_gap" in str(cert)


def test_operator_norm_and_natural_residual_closed_forms():
    vi = eq.VI(lambda z: 2.0 * z - 1.0, eq.Reals(3), mu=2.0)
    z = np.array([0.0, 1.0, 2.0])
    cert = eq.certify(vi, z)
    assert cert.kind == "operator_norm"
    assert cert.value == pytest.approx(np.sqrt(1 + 1 + 9))
    assert cert.details["distance_bound"] >= np.linalg.norm(z - 0.5)
    box = eq.Box(0.0, 1.0, dim=3)
    vi = eq.VI(lambda z: z + 1.0, box)  # solution z = 0
    cert = eq.certify(vi, np.array([0.5, 0.0, 1.0]))
    # z - P(z - F z) = z - P(-1) = z
    assert cert.value == pytest.approx(np.linalg.norm([0.5, 0.0, 1.0]))
    # gap function: <F z, z> + max_w <-F z, w> = <F z, z> since -F z < 0
    assert cert.details["gap_function"] == pytest.approx(0.5 * 1.5 + 1.0 * 2.0)


def test_forward_backward_residual_bounds_the_inclusion_residual(rng):
    """v in (F + N_Z)(z_hat): check membership directly on a box, and soundness of the bound."""
    from eqsolve.certificates import forward_backward_residual

    inst = zoo.affine_vi(10, seed=3, domain="box", mu=0.2)
    box = inst.problem.domain
    for _ in range(30):
        z = rng.uniform(-2, 2, size=10)
        eta = float(rng.uniform(0.1, 2.0))
        z_hat, bound = forward_backward_residual(inst.problem, z, eta)
        assert box.contains(z_hat)
        # dist(0, F(z_hat) + N_box(z_hat)) in closed form on a box
        g = inst.F(z_hat)
        at_lo, at_hi = z_hat <= box.lower, z_hat >= box.upper
        r = np.where(at_lo, np.minimum(g, 0.0), np.where(at_hi, np.maximum(g, 0.0), g))
        assert bound >= np.linalg.norm(r) * (1 - 1e-12)
        # and with mu-strong monotonicity it bounds the distance to the solution
        assert np.linalg.norm(z_hat - inst.solution) <= bound / inst.mu * (1 + 1e-9)
