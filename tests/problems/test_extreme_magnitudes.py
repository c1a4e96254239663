"""Finite inputs at the edge of float64: no warning leaks, no NaN answer, and a clear error
where a quantity cannot be represented."""

import warnings

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.domains import Box, Simplex
from eqsolve.problems import NormalFormGame
from eqsolve.problems.differentiable import QuadraticGame
from eqsolve.problems.finite_sum import FiniteSumVI

SCALE = 1e307


def _matrix(rng):
    return rng.uniform(-1.0, 1.0, size=(6, 5)) * SCALE


def _problem_for(name, A):
    """The 1e307-scaled problem each method takes (a matrix game where it accepts one)."""
    if name == "vr_halpern":
        return FiniteSumVI.from_matrix_game(A), {}
    if name == "two_timescale_extragradient":
        return eq.Saddle(lambda x, y: A @ y, lambda x, y: -(A.T @ x), Simplex(6), Simplex(5)), {}
    if name == "cfr":
        # the matrix game as an extensive-form game: one information set a player
        padded = np.zeros((A.shape[0] + 1, A.shape[1] + 1))
        padded[1:, 1:] = A
        return eq.ExtensiveFormGame(padded, parents=([0], [0]), sizes=([A.shape[0]], [A.shape[1]])), {}
    if name in ("projected_euler", "rk4"):
        return eq.MatrixGame(A), {"step": 1e-308}
    return eq.MatrixGame(A), {}


@pytest.mark.parametrize("name", sorted(eq.METHODS))
def test_every_method_on_a_1e307_game_neither_warns_nor_returns_nan(name, rng):
    A = _matrix(rng)
    before = A.copy()
    problem, kw = _problem_for(name, A)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = eq.solve(problem, method=name, max_iter=200, **kw)
        except TypeError as exc:
            # methods for other problem classes (preference and power-control games) say so
            assert "PreferenceGame" in str(exc) or "PowerControlGame" in str(exc)
            return
    assert np.all(np.isfinite(res.z)), (name, res.status)
    assert res.certificate is None or not np.isnan(res.certificate.value)
    np.testing.assert_array_equal(A, before)


def test_norm_bounds_at_1e307_are_finite_and_rigorous(rng):
    A = _matrix(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L = eq.MatrixGame(A).lipschitz
        B = eq.BimatrixGame(A, -A)
        assert B.monotone
    assert np.isfinite(L)
    assert L >= np.linalg.norm(A / SCALE, 2) * SCALE * (1 - 1e-12)


def test_an_unrepresentable_norm_bound_names_the_matrix():
    # a checkerboard of +-1.5e308 (a constant matrix would be centred to zero first)
    A = np.where(np.add.outer(np.arange(40), np.arange(40)) % 2 == 0, 1.5e308, -1.5e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"A is too large for float64.*1\.8e308"):
            eq.MatrixGame(A).lipschitz
        with pytest.raises(ValueError, match=r"B is too large for float64"):
            eq.BimatrixGame(np.ones((40, 40)), A)


def test_quadratic_game_entries_beyond_the_certificates_range_name_J():
    J = np.array([[0.1, 1.0], [0.005, 0.1]]) * 1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"J has an entry of magnitude 1e\+308.*at most"):
            QuadraticGame(J, blocks=[1, 1])
        with pytest.raises(ValueError, match=r"c has an entry"):
            QuadraticGame(np.eye(2), [1e300, 0.0], blocks=[1, 1])
        # just inside the range: the certificate runs without a warning
        g = QuadraticGame(np.array([[1.0, 0.5], [-0.5, 1.0]]) * 1e153, blocks=[1, 1])
        cert = eq.small_gain(g, [Box(-1, 1, dim=1), Box(-1, 1, dim=1)])
    assert "certified" in str(cert).lower()


def test_normal_form_games_at_1e307_certify_quietly(rng):
    U = rng.uniform(-1, 1, size=(3, 3, 2, 2)) * SCALE
    g = NormalFormGame(U)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cert = g.certify(g.initial_point())
    assert np.isfinite(cert.value) and cert.value >= 0
