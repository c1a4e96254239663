"""pdhg's setup and precision: the Lanczos norm, Ruiz only where it helps, float32 iterations
certified in float64, and tolerances below the certificate's rounding floor."""

from fractions import Fraction

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.certificates.residuals import gamma
from eqsolve.methods.pdhg_halpern import (diagonal_scaling, lanczos_norm, power_start,
                                          tangent_normal)
from eqsolve.problems import zoo


def exact_gap(A, z):
    """``max_i (A y)_i - min_j (A^T x)_j`` at the float point, in rational arithmetic."""
    m = A.shape[0]
    Af = [[Fraction(float(a)) for a in row] for row in A]
    x = [Fraction(float(v)) for v in z[:m]]
    y = [Fraction(float(v)) for v in z[m:]]
    Ay = [sum(a * v for a, v in zip(row, y)) for row in Af]
    xA = [sum(Af[i][j] * x[i] for i in range(m)) for j in range(len(y))]
    return max(Ay) - min(xA)


# -- the step's norm ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(40, 30), (7, 60), (1, 5), (5, 1)])
def test_lanczos_norm_is_a_close_lower_estimate_of_the_tangent_norm(shape):
    A = np.random.default_rng(sum(shape)).normal(size=shape)
    m, n = shape
    normal = tangent_normal(np, lambda v: A @ v, lambda v: A.T @ v)
    est, steps = lanczos_norm(np, normal, power_start(np, n, np.float64), 60)
    # the restriction PDHG sees: both sums kept
    Pm = np.eye(m) - np.ones((m, m)) / m
    Pn = np.eye(n) - np.ones((n, n)) / n
    true = np.linalg.norm(Pm @ A @ Pn, 2)
    assert est <= true * (1 + 1e-12)
    assert est >= true * (1 - 1e-3)
    assert 1 <= steps <= 60


def test_lanczos_norm_of_a_zero_or_constant_matrix_is_zero():
    for A in (np.zeros((4, 3)), np.full((4, 3), 7.0)):
        normal = tangent_normal(np, lambda v: A @ v, lambda v: A.T @ v)
        est, _ = lanczos_norm(np, normal, power_start(np, 3, np.float64), 30)
        assert est == pytest.approx(0.0, abs=1e-12)


def test_lanczos_norm_beats_the_power_iteration_for_the_same_products():
    from eqsolve.methods.pdhg_halpern import power_norm

    A = zoo.random_matrix_game(300, 300, seed=1).A
    normal = tangent_normal(np, lambda v: A @ v, lambda v: A.T @ v)
    v0 = power_start(np, 300, np.float64)
    est, steps = lanczos_norm(np, normal, v0, 30)
    true = lanczos_norm(np, normal, v0, 200, rtol=0.0)[0]
    power = float(power_norm(np, normal, v0, steps))
    assert true - est < 0.1 * (true - power)


# -- Ruiz where it helps -----------------------------------------------------------------

def test_auto_preconditioning_skips_ruiz_on_an_even_game_after_one_pass():
    g = zoo.random_matrix_game(60, 50, seed=0)
    row, col, passes = diagonal_scaling(np, g.A, g.centre, "auto")
    assert row is None and col is None and passes == 1
    res = eq.solve(g, tol=1e-6)
    assert res.converged and res.info["precondition"] == "none"
    assert res.info["scaling_passes"] == 1


def test_auto_preconditioning_equilibrates_a_row_and_column_scaled_game():
    g = zoo.row_column_scaled_game(30, 20, seed=1)
    auto = diagonal_scaling(np, g.A, g.centre, "auto")
    ruiz = diagonal_scaling(np, g.A, g.centre, "ruiz")
    np.testing.assert_array_equal(auto[0], ruiz[0])
    np.testing.assert_array_equal(auto[1], ruiz[1])
    res = eq.solve(g, tol=1e-6 * g.spread)
    assert res.converged and res.info["precondition"] == "ruiz"


def test_an_unknown_preconditioner_is_a_clear_error():
    with pytest.raises(ValueError, match="precondition must be one of .*'auto'"):
        eq.solve(zoo.random_matrix_game(4, 3, seed=0), precondition="jacobi")


# -- mixed precision ---------------------------------------------------------------------

def test_float32_iterations_certified_in_float64_take_the_float64_iterations():
    g = zoo.random_matrix_game(300, 250, seed=2)
    mixed = eq.solve(g, tol=1e-4, polish=False)
    full = eq.solve(g, tol=1e-4, polish=False, mixed_precision=False)
    assert mixed.converged and full.converged
    assert mixed.info["mixed_precision"] and mixed.info["float64_from"] is None
    assert abs(mixed.iterations - full.iterations) <= 3
    assert mixed.z.dtype == np.float64
    # the certificate is the user's game's, in float64, at the returned point
    assert mixed.residual == eq.certify(g, mixed.z).value
    assert mixed.certificate.rounding < 1e-12
    # a few float64 certificates, not one per iteration
    assert mixed.certify_calls <= 12


def test_mixed_precision_switches_to_float64_for_a_tight_tolerance():
    g = zoo.random_matrix_game(120, 100, seed=3)
    res = eq.solve(g, tol=1e-10, polish=False, max_iter=20_000)
    assert res.converged and res.residual <= 1e-10
    assert res.info["float64_from"] is not None
    assert res.certificate.value >= float(exact_gap(g.A, res.z))


def test_a_float32_game_reaches_a_tolerance_below_its_float32_rounding():
    g64 = zoo.random_matrix_game(300, 300, seed=4)
    g = eq.MatrixGame(g64.A.astype(np.float32))
    m, n = g.m, g.n
    float32_floor = float(np.max(np.abs(g.A))) * (gamma(m, 2.0 ** -23) + gamma(n, 2.0 ** -23))
    tol = 1e-5
    assert tol < float32_floor  # out of reach of a float32 certificate
    res = eq.solve(g, tol=tol, polish=False, max_iter=20_000)
    assert res.converged and res.residual <= tol
    assert res.z.dtype == np.float32
    assert res.certificate.value >= float(exact_gap(g.A, res.z))


def test_float32_certificates_of_float32_games_are_sound_on_small_games():
    rng = np.random.default_rng(5)
    for _ in range(20):
        A = rng.uniform(-3, 3, size=rng.integers(1, 8, size=2)).astype(np.float32)
        g = eq.MatrixGame(A)
        res = eq.solve(g, tol=1e-6, max_iter=500)
        assert res.z.dtype == np.float32
        assert res.certificate.value >= float(exact_gap(A, res.z))


def test_the_float32_copy_is_of_the_centred_payoffs():
    g = eq.MatrixGame(zoo.random_matrix_game(30, 20, seed=6).A + 1e6)
    c = g.working("float32")
    assert c.A.dtype == np.float32
    np.testing.assert_allclose(c.A, g.A - g.centre, atol=1e-6)
    assert g.working("float64") is g
    base = eq.solve(eq.MatrixGame(g.A - 1e6), tol=1e-6, polish=False)
    shifted = eq.solve(g, tol=1e-6, polish=False)
    assert shifted.converged and shifted.iterations <= base.iterations + 2


def test_games_out_of_float32_range_iterate_in_float64():
    huge = eq.MatrixGame(np.array([[1e300, -1e300], [-1e300, 1e300]]))
    assert huge.working_dtypes == ("float64",)
    res = eq.solve(huge, tol=1e-6 * huge.spread)
    assert res.converged and not res.info.get("mixed_precision", False)
    assert np.all(np.isfinite(res.z))


def test_mixed_precision_option_errors():
    with pytest.raises(TypeError, match="mixed_precision must be True, False or None"):
        eq.solve(zoo.random_matrix_game(4, 3, seed=0), mixed_precision="yes")
    batch = eq.MatrixGame(np.stack([zoo.random_matrix_game(4, 3, seed=s).A for s in range(2)]))
    with pytest.raises(ValueError, match="mixed_precision=True iterates on a float32 copy"):
        eq.solve(batch, mixed_precision=True)
    import scipy.sparse as sp

    sparse = eq.MatrixGame(sp.random_array((10, 8), density=0.5, random_state=0, format="csr"))
    with pytest.raises(ValueError, match="leave mixed_precision unset"):
        eq.solve(sparse, mixed_precision=True)


# -- the rounding floor ------------------------------------------------------------------

def test_a_tolerance_below_the_rounding_floor_ends_at_once():
    g = zoo.random_matrix_game(200, 150, seed=7)
    floor = g.rounding_floor()
    assert 0 < floor < 1e-12
    res = eq.solve(g, tol=floor / 2)
    assert res.status == "tol_below_floor" and res.iterations == 0
    assert res.info["rounding_floor"] == floor
    assert any(f"{floor:.3e}" in w for w in res.warnings)
    assert "rounding floor" in res.message
    # every certificate's allowance is at least the floor
    assert res.certificate.rounding >= floor


def test_tol_zero_runs_to_the_budget():
    g = zoo.random_matrix_game(20, 15, seed=8)
    res = eq.solve(g, tol=0, max_iter=37, polish=False)
    assert res.status == "max_iter" and res.iterations == 37
    with pytest.raises(ValueError, match="tol"):
        eq.solve(g, tol=-1.0)
