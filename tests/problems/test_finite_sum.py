"""FiniteSumVI: components against their mean, exact constants, honest certificates, bad input."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.problems import zoo
from tests.conftest import lp_value, random_simplex_point


def random_affine(rng, n, d, monotone=True):
    M = rng.normal(size=(n, d, d))
    if monotone:
        M = M - M.transpose(0, 2, 1) + 0.3 * np.eye(d)  # skew + identity: strongly monotone
        M += 0.5 * rng.normal(size=(n, d, d)) / np.sqrt(n)
        M -= (np.linalg.eigvalsh(0.5 * (M.mean(0) + M.mean(0).T))[0] - 0.1) * np.eye(d)
    return M, rng.normal(size=(n, d))


@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 10_000))
def test_affine_operator_is_the_mean_of_its_components(n, d, seed):
    rng = np.random.default_rng(seed)
    M, q = random_affine(rng, n, d)
    fs = eq.FiniteSumVI.affine(M, q)
    z = rng.normal(size=d)
    per = np.stack([M[i] @ z + q[i] for i in range(n)])
    np.testing.assert_allclose(fs.operator(z), per.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fs.components(np.arange(n), z), per, rtol=1e-12, atol=1e-12)
    S = rng.choice(n, size=max(1, n // 2), replace=False)
    np.testing.assert_allclose(fs.sample_mean(S, z), per[S].mean(0), rtol=1e-12, atol=1e-12)
    u = rng.normal(size=d)
    diff = np.stack([M[i] @ u + q[i] for i in S]).mean(0) - per[S].mean(0)
    np.testing.assert_allclose(fs.sample_mean_diff(S, u, z), diff, rtol=1e-10, atol=1e-10)


@given(st.integers(2, 10), st.integers(1, 5), st.integers(0, 10_000))
def test_affine_constants_are_exact_bounds(n, d, seed):
    rng = np.random.default_rng(seed)
    M, q = random_affine(rng, n, d)
    fs = eq.FiniteSumVI.affine(M, q)
    assert fs.monotone is True
    assert fs.lipschitz == pytest.approx(np.linalg.norm(M.mean(0), 2), rel=1e-12)
    for _ in range(20):
        u, v = rng.normal(size=d), rng.normal(size=d)
        h = u - v
        ms = np.mean([np.sum((M[i] @ h) ** 2) for i in range(n)])
        assert ms <= fs.lipschitz_avg ** 2 * (h @ h) * (1 + 1e-12)
        if fs.cocoercivity is not None:
            assert ms <= fs.cocoercivity * (h @ (M.mean(0) @ h)) * (1 + 1e-9)
    # tightness: the top eigenvector of mean M_i^T M_i attains L_avg
    Q = np.einsum("nij,nik->jk", M, M) / n
    w, V = np.linalg.eigh(Q)
    assert fs.lipschitz_avg == pytest.approx(np.sqrt(w[-1]), rel=1e-9)


def test_non_monotone_components_are_flagged():
    M = np.stack([np.diag([1.0, -2.0]), np.diag([1.0, -2.0])])
    fs = eq.FiniteSumVI.affine(M, np.zeros((2, 2)))
    assert fs.monotone is False and fs.cocoercivity is None


def test_callable_components_with_and_without_batch_agree():
    rng = np.random.default_rng(0)
    M, q = random_affine(rng, 7, 3)
    plain = eq.FiniteSumVI(lambda i, z: M[i] @ z + q[i], 7, 3)
    batched = eq.FiniteSumVI(lambda i, z: M[i] @ z + q[i], 7, 3,
                             F_batch=lambda idx, z: M[idx] @ z + q[idx])
    z = rng.normal(size=3)
    np.testing.assert_allclose(plain.operator(z), batched.operator(z), rtol=1e-12)
    np.testing.assert_allclose(plain.operator(z), (M @ z + q).mean(0), rtol=1e-12)
    assert plain.lipschitz is None and plain.lipschitz_avg is None


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 10_000))
def test_matrix_game_split_has_the_game_operator_as_mean(m, nc, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(-1, 1, size=(m, nc))
    fs, game = eq.FiniteSumVI.from_matrix_game(A), eq.MatrixGame(A)
    z = np.concatenate([random_simplex_point(rng, m), random_simplex_point(rng, nc)])
    np.testing.assert_allclose(fs.operator(z), game.operator(z), atol=1e-14)
    N = max(m, nc)
    per = fs.components(np.arange(N), z)
    np.testing.assert_allclose(per.mean(0), game.operator(z), atol=1e-13)
    S = rng.choice(N, size=max(1, N // 2), replace=False)
    np.testing.assert_allclose(fs.sample_mean(S, z), per[S].mean(0), atol=1e-13)
    # mean-square Lipschitz bound of the split holds on random directions
    for _ in range(5):
        h = rng.normal(size=m + nc)
        ms = np.mean(np.sum(fs.components(np.arange(N), h) ** 2, axis=1))
        assert ms <= fs.lipschitz_avg ** 2 * (h @ h) * (1 + 1e-12)
    # on the product of simplices the gap function is the game's duality gap
    gap = fs.certify(z).details["gap_function"]
    assert gap >= game.certify(z).value - 1e-12
    assert gap == pytest.approx(game.certify(z).value, abs=1e-12)


def _exact_natural_residual_sq(M, q, z, lo, hi):
    """||z - clip(z - F(z))||^2 in exact rational arithmetic, F the exact mean."""
    n, d, _ = M.shape
    total = Fraction(0)
    for j in range(d):
        Fj = sum((sum(Fraction(M[i, j, k]) * Fraction(z[k]) for k in range(d)) + Fraction(q[i, j])
                  for i in range(n)), Fraction(0)) / n
        t = Fraction(z[j]) - Fj
        t = min(max(t, Fraction(lo)), Fraction(hi))
        total += (Fraction(z[j]) - t) ** 2
    return total


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 10_000), st.booleans())
def test_certificate_bounds_the_exact_residual(n, d, seed, boxed):
    rng = np.random.default_rng(seed)
    M, q = random_affine(rng, n, d)
    M *= 10.0 ** rng.integers(-3, 4)
    dom = eq.Box(-1.0, 1.0, dim=d) if boxed else None
    fs = eq.FiniteSumVI.affine(M, q, dom)
    z = rng.uniform(-1, 1, size=d)
    cert = fs.certify(z)
    lo, hi = (-1.0, 1.0) if boxed else (-np.inf, np.inf)
    exact = _exact_natural_residual_sq(M, q, z, lo if boxed else -10**300, hi if boxed else 10**300)
    assert Fraction(cert.value) ** 2 >= exact


def test_certificate_is_zero_at_a_closed_form_solution():
    # F_i(z) = a_i (z - c): mean a (z - c) with a the mean of the a_i; on [-1, 1]^d the
    # solution is clip(c)
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 2.0, size=6)
    c = np.array([0.3, -2.0, 5.0])
    M = a[:, None, None] * np.eye(3)
    q = -a[:, None] * c
    fs = eq.FiniteSumVI.affine(M, q, eq.Box(-1.0, 1.0, dim=3))
    sol = np.clip(c, -1, 1)
    assert fs.certify(sol).value < 1e-13
    assert fs.certify(sol + np.array([0.1, 0, 0])).value >= 0.1 * a.mean() * (1 - 1e-12) - 1e-12


def test_policeman_burglar_matches_the_recorded_numbers():
    g = zoo.policeman_burglar(500, seed=1)
    assert np.linalg.norm(g.A, 2) == pytest.approx(492.33, abs=0.01)
    assert np.linalg.norm(g.A) == pytest.approx(493.07, abs=0.01)
    assert lp_value(g.A) == pytest.approx(2.2794, abs=1e-4)
    assert np.array_equal(zoo.policeman_burglar(50, seed=4).A, zoo.policeman_burglar(50, seed=4).A)


def test_caller_arrays_are_copied_not_mutated():
    rng = np.random.default_rng(1)
    M, q = random_affine(rng, 4, 3)
    M0, q0 = M.copy(), q.copy()
    fs = eq.FiniteSumVI.affine(M, q)
    z = rng.normal(size=3)
    z0 = z.copy()
    before = fs.operator(z)
    fs.certify(z)
    fs.sample_mean_diff([0, 2], z, 2 * z)
    assert np.array_equal(M, M0) and np.array_equal(q, q0) and np.array_equal(z, z0)
    M[:] = 0.0  # later edits by the caller do not reach the problem
    np.testing.assert_array_equal(fs.operator(z), before)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (([np.eye(2), np.eye(3)], np.zeros((2, 2))), {}, ValueError, "same shape"),
    ((np.eye(2)[None], [np.zeros(2), np.zeros(3)]), {}, ValueError, "q's components"),
    ((np.zeros((0, 2, 2)), np.zeros((0, 2))), {}, ValueError, "n >= 1"),
    (([], []), {}, ValueError, "at least one component"),
    ((np.full((2, 2, 2), np.nan), np.zeros((2, 2))), {}, ValueError, "M contains 8 NaN"),
    ((np.ones((2, 2, 2)), np.full((2, 2), np.inf)), {}, ValueError, "q contains infinite"),
    ((np.ones((2, 2, 3)), np.zeros((2, 2))), {}, ValueError, "square matrices"),
    ((np.ones((2, 2, 2)), np.zeros((3, 2))), {}, ValueError, r"q must have shape \(2, 2\)"),
    ((np.ones((2, 2, 2)), np.zeros((2, 2)), eq.Reals(3)), {}, ValueError, "dimension 3"),
])
def test_bad_affine_input_is_refused_clearly(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        eq.FiniteSumVI.affine(*args, **kwargs)


def test_bad_callable_input_is_refused_clearly():
    with pytest.raises(TypeError, match="F_i must be a callable"):
        eq.FiniteSumVI(None, 3, 2)
    with pytest.raises(ValueError, match="n must be >= 1"):
        eq.FiniteSumVI(lambda i, z: z, 0, 2)
    with pytest.raises(TypeError, match="n must be an integer"):
        eq.FiniteSumVI(lambda i, z: z, 2.5, 2)
    with pytest.raises(TypeError, match="F_batch must be callable"):
        eq.FiniteSumVI(lambda i, z: z, 2, 2, F_batch=3)
    bad = eq.FiniteSumVI(lambda i, z: np.zeros(3), 2, 2)
    with pytest.raises(ValueError, match=r"each component must have shape \(2,\)"):
        bad.operator(np.zeros(2))
    with pytest.raises(ValueError, match="L_avg must be > 0"):
        eq.FiniteSumVI(lambda i, z: z, 2, 2, L_avg=-1.0)
    with pytest.raises(ValueError, match="A contains infinite"):
        eq.FiniteSumVI.from_matrix_game([[1.0, np.inf]])
