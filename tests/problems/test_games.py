"""MatrixGame and BimatrixGame: solver values against HiGHS, known equilibria, certificates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import eqsolve as eq
from eqsolve.problems import zoo

from ..conftest import lp_value, random_simplex_point

METHODS = ["extragradient", "mirror_prox"]

# multiples of 1/64 in [-10, 10]: zeros, ties and degenerate games stay in, while entries
# HiGHS silently drops (|a| <= 1e-9, its small_matrix_value) stay out of the reference LP
entries = st.integers(-640, 640).map(lambda k: k / 64.0)
shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))
games = shapes.flatmap(lambda s: arrays(np.float64, s, elements=entries))


@settings(max_examples=200)
@given(A=games, method=st.sampled_from(METHODS))
def test_value_agrees_with_highs_within_certified_gap(A, method):
    """200 random games of mixed shapes, degenerate ones included (zero rows, ties, tiny
    entries): |x^T A y - v_LP| <= gap and v_LP in the certified bracket, converged or not."""
    game = eq.MatrixGame(A)
    res = eq.solve(game, method=method, tol=1e-7, max_iter=3000)
    v = lp_value(A)
    lo, hi = res.certificate.details["value_bounds"]
    scale = 1e-12 * (1 + np.abs(A).max())  # LP solver's own rounding
    assert lo - scale <= v <= hi + scale
    assert abs(res.value - v) <= res.residual + scale
    assert res.residual == eq.certify(game, res.z).value


@pytest.mark.parametrize("method, options, tol", [
    ("extragradient", {}, 1e-8),
    ("mirror_prox", {"geometry": "euclidean"}, 1e-8),
    ("pdhg", {}, 1e-8),
    # entropic geometry: sublinear when the equilibrium has zero entries
    ("mirror_prox", {"geometry": "entropic"}, 1e-4),
])
def test_random_games_converge_and_match_highs(method, options, tol, rng):
    for _ in range(25):
        m, n = rng.integers(2, 30, size=2)
        A = rng.uniform(-1, 1, size=(m, n))
        res = eq.solve(eq.MatrixGame(A), method=method, tol=tol, max_iter=100_000, **options)
        assert res.converged, (m, n, res)
        assert abs(res.value - lp_value(A)) <= res.residual


@settings(max_examples=100)
@given(A=games, seed=st.integers(0, 2**32 - 1))
def test_gap_bounds_error_at_random_points(A, seed):
    """Soundness away from solver outputs: random (x, y) in the simplices."""
    rng = np.random.default_rng(seed)
    m, n = A.shape
    x = random_simplex_point(rng, m, sparse=bool(seed % 2))
    y = random_simplex_point(rng, n, sparse=bool(seed % 3 == 0))
    game = eq.MatrixGame(A)
    cert = eq.certify(game, (x, y))
    v = lp_value(A)
    payoff = x @ A @ y
    tiny = 1e-12 * (1 + np.abs(A).max())
    assert cert.value >= abs(payoff - v) - tiny
    # the two regrets by brute force over pure strategies
    row_regret = max(A[i] @ y for i in range(m)) - payoff
    col_regret = payoff - min(x @ A[:, j] for j in range(n))
    assert cert.value >= row_regret + col_regret - tiny
    lo, hi = cert.details["value_bounds"]
    assert lo - tiny <= v <= hi + tiny


@pytest.mark.parametrize("method", METHODS)
def test_matching_pennies_and_rps_from_random_starts(method, rng):
    for game, k in [(zoo.matching_pennies(), 2), (zoo.rock_paper_scissors(), 3)]:
        x0, y0 = random_simplex_point(rng, k), random_simplex_point(rng, k)
        res = eq.solve(game, method=method, x0=(x0, y0), tol=1e-10, max_iter=50_000)
        assert res.converged
        assert abs(res.value) <= res.residual
        # the unique equilibrium is uniform; the gap bounds the distance for these games
        assert np.abs(res.x - 1 / k).max() < 1e-4
        assert np.abs(res.y - 1 / k).max() < 1e-4


@pytest.mark.parametrize("method", METHODS)
def test_pure_saddle_point(method):
    res = eq.solve(zoo.pure_saddle_game(), method=method, tol=1e-10, max_iter=50_000)
    assert res.converged
    assert abs(res.value - 2.0) <= res.residual
    assert res.x[1] > 1 - 1e-6 and res.y[0] > 1 - 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_non_square_game_with_known_mixed_equilibrium(method):
    game, v, xs, ys = zoo.skewed_game()
    res = eq.solve(game, method=method, tol=1e-11, max_iter=50_000)
    assert res.converged, res
    assert abs(res.value - v) <= res.residual
    np.testing.assert_allclose(res.x, xs, atol=1e-8)
    np.testing.assert_allclose(res.y, ys, atol=1e-8)


@pytest.mark.parametrize("method", METHODS)
def test_float32_is_honoured(method):
    game = zoo.random_matrix_game(12, 9, seed=3, dtype=np.float32)
    res = eq.solve(game, method=method, tol=1e-4)
    assert res.converged
    assert res.x.dtype == np.float32 and res.y.dtype == np.float32
    v = lp_value(np.asarray(game.A, dtype=np.float64))
    assert abs(res.value - v) <= res.residual


def test_larger_random_game_against_highs():
    game = zoo.random_matrix_game(60, 80, seed=5)
    res = eq.solve(game, method="extragradient", tol=1e-8, max_iter=100_000)
    assert res.converged
    v = lp_value(game.A)
    assert abs(res.value - v) <= res.residual


# ---------------------------------------------------------------- bimatrix
def test_bimatrix_nash_gap_matches_brute_force(rng):
    for _ in range(50):
        m, n = rng.integers(1, 7, size=2)
        A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
        x, y = random_simplex_point(rng, m), random_simplex_point(rng, n)
        cert = eq.certify(eq.BimatrixGame(A, B), (x, y))
        row = max(A[i] @ y for i in range(m)) - x @ A @ y
        col = max(x @ B[:, j] for j in range(n)) - x @ B @ y
        assert cert.kind == "nash_gap"
        assert cert.value >= row + col >= 0
        assert cert.value - (row + col) < 1e-12


def test_bimatrix_pure_equilibrium_and_zero_sum_reduction(rng):
    pd = zoo.prisoners_dilemma()
    assert eq.certify(pd, np.array([0.0, 1.0, 0.0, 1.0])).value < 1e-12
    assert eq.certify(pd, np.array([1.0, 0.0, 1.0, 0.0])).value >= 4.0  # (cooperate, cooperate)
    assert pd.monotone is False
    A = rng.normal(size=(4, 5))
    x, y = random_simplex_point(rng, 4), random_simplex_point(rng, 5)
    bi = eq.certify(eq.BimatrixGame(A, -A), (x, y))
    zs = eq.certify(eq.MatrixGame(A), (x, y))
    assert eq.BimatrixGame(A, -A).monotone is True
    assert abs(bi.value - zs.value) < 1e-12


def test_bimatrix_solve_warns_and_certifies():
    pd = zoo.prisoners_dilemma()
    res = eq.solve(pd, method="mirror_prox", tol=1e-8, max_iter=5000)
    assert any("not monotone" in w for w in res.warnings)
    # dominant strategies: the flow finds (defect, defect) and says so exactly
    assert res.converged
    assert res.residual == eq.certify(pd, res.z).value
