"""The one-pass (A y, A^T x) kernel against NumPy's two BLAS products, and MatrixGame(fused=)."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.backend import BackendUnavailableError
from eqsolve.certificates.residuals import gamma
from eqsolve.problems import games

pytest.importorskip("numba")
dn = pytest.importorskip("eqsolve.problems._dense_numba")

DTYPES = (np.float64, np.float32)


def assert_products_close(A, x, y, ATx, Ay):
    """Both products within twice the rounding bound of a dot product of their length.

    The bound ``gamma_k sum_j |A_ij| |y_j|`` holds for any summation order, so it
    holds for the kernel and for BLAS alike; their difference is at most twice it.
    """
    A64 = np.asarray(A, dtype=np.float64)
    eps = float(np.finfo(A.dtype).eps)
    ref_Ay, ref_ATx = A64 @ np.asarray(y, np.float64), A64.T @ np.asarray(x, np.float64)
    tol_Ay = 2 * gamma(A.shape[1], eps) * (np.abs(A64) @ np.abs(np.asarray(y, np.float64))) + 1e-300
    tol_ATx = 2 * gamma(A.shape[0], eps) * (np.abs(A64).T @ np.abs(np.asarray(x, np.float64))) + 1e-300
    assert Ay.dtype == A.dtype and ATx.dtype == A.dtype
    assert Ay.shape == (A.shape[0],) and ATx.shape == (A.shape[1],)
    assert np.all(np.abs(Ay - ref_Ay) <= tol_Ay)
    assert np.all(np.abs(ATx - ref_ATx) <= tol_ATx)


shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


@settings(max_examples=60, deadline=None)
@given(shapes, st.sampled_from(DTYPES), st.sampled_from("CF"), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_fused_products_match_blas(shape, dtype, order, threads, seed):
    rng = np.random.default_rng(seed)
    A = np.asarray(rng.uniform(-1e3, 1e3, size=shape), dtype=dtype, order=order)
    x, y = rng.normal(size=shape[0]).astype(dtype), rng.normal(size=shape[1]).astype(dtype)
    if order == "C":
        Ay, ATx = dn.fused_products(A, y, x, threads=threads)
    else:
        ATx, Ay = dn.fused_products(A.T, x, y, threads=threads)
    assert_products_close(A, x, y, ATx, Ay)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 9000), (9000, 1), (7, 9000), (3, 4096), (5, 4097), (513, 300)])
@pytest.mark.parametrize("threads", [None, 1, 2, 5])
def test_fused_products_wide_tall_and_split(shape, dtype, threads, rng):
    # wider than COLUMN_BLOCK (several column blocks, a ragged last one), rows fewer
    # than threads, row counts that leave a remainder after the blocks of four
    A = rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
    x, y = rng.dirichlet(np.ones(shape[0])).astype(dtype), rng.dirichlet(np.ones(shape[1])).astype(dtype)
    Ay, ATx = dn.fused_products(A, y, x, threads=threads)
    assert_products_close(A, x, y, ATx, Ay)


@pytest.mark.parametrize("shape", ["square", "wide"])
def test_parallel_build_for_a_large_matrix(shape, rng):
    # square: rows split over the threads; wide: columns split
    n = int(np.sqrt(dn.PARALLEL_BYTES / 8)) + 8
    m, n = (n, n) if shape == "square" else (9, dn.PARALLEL_BYTES // 8)
    A = rng.uniform(-1.0, 1.0, size=(m, n))
    x, y = rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n))
    Ay, ATx = dn.fused_products(A, y, x)
    assert_products_close(A, x, y, ATx, Ay)
    Ay1, ATx1 = dn.fused_products(A, y, x, threads=1)
    np.testing.assert_allclose(Ay, Ay1, rtol=0, atol=1e-13)
    np.testing.assert_allclose(ATx, ATx1, rtol=0, atol=1e-13)


def test_zeros_and_non_finite_vectors(rng):
    A = rng.uniform(-1.0, 1.0, size=(6, 5))
    Ay, ATx = dn.fused_products(np.zeros((6, 5)), np.ones(5), np.ones(6))
    assert np.all(Ay == 0.0) and np.all(ATx == 0.0)
    Ay, ATx = dn.fused_products(A, np.zeros(5), np.zeros(6))
    assert np.all(Ay == 0.0) and np.all(ATx == 0.0)
    # a diverged iterate must give non-finite products, as BLAS does (no finite-math flags)
    y = np.ones(5)
    y[2] = np.nan
    x = np.ones(6)
    x[0] = np.inf
    Ay, ATx = dn.fused_products(A, y, x)
    assert np.all(np.isnan(Ay)) and not np.any(np.isfinite(ATx))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", "CF")
def test_game_products_fused_against_reference(dtype, order, rng):
    A = np.asarray(rng.uniform(-2.0, 3.0, size=(37, 23)), dtype=dtype, order=order)
    A.setflags(write=False)  # read-only input
    fused, ref = eq.MatrixGame(A, fused=True), eq.MatrixGame(A, fused=False)
    assert fused.fused and not ref.fused
    z = np.concatenate([rng.dirichlet(np.ones(37)), rng.dirichlet(np.ones(23))]).astype(dtype)
    z_before = z.copy()
    assert_products_close(A, z[:37], z[37:], *fused.products(z[:37], z[37:]))
    np.testing.assert_allclose(fused.operator(z), ref.operator(z), rtol=0,
                               atol=4 * 40 * np.finfo(dtype).eps * 3.0)
    # strided vectors (every other entry of a longer array) are taken as they are
    w = np.repeat(z, 2)
    assert_products_close(A, w[: 2 * 37 : 2], w[2 * 37 :: 2],
                          *fused.products(w[: 2 * 37 : 2], w[2 * 37 :: 2]))
    np.testing.assert_array_equal(z, z_before)
    # another dtype than A's (a float64 iterate on a float32 game) keeps NumPy's promotion
    if dtype == np.float32:
        ATx, Ay = fused.products(z[:37].astype(np.float64), z[37:].astype(np.float64))
        assert ATx.dtype == Ay.dtype == np.float64


def test_default_is_on_only_where_it_pays(monkeypatch, rng):
    A = rng.uniform(-1.0, 1.0, size=(40, 30))
    assert not eq.MatrixGame(A).fused  # below FUSED_MIN_BYTES
    monkeypatch.setattr(games, "FUSED_MIN_BYTES", A.nbytes)
    assert eq.MatrixGame(A).fused and eq.MatrixGame(np.asfortranarray(A)).fused
    assert not eq.MatrixGame(A, fused=False).fused
    assert not eq.MatrixGame(A[:, ::2]).fused  # strided view: BLAS, no copy of A
    assert not eq.MatrixGame(A.astype(np.float16)).fused
    assert not eq.MatrixGame(np.stack([A, A])).fused  # a batch: stacked matmuls
    monkeypatch.setattr(games, "HAS_NUMBA", False)
    assert not eq.MatrixGame(A).fused


def test_fused_option_errors(monkeypatch, rng):
    import scipy.sparse as sp

    A = rng.uniform(-1.0, 1.0, size=(8, 6))
    with pytest.raises(TypeError, match="fused must be True, False or None, got str"):
        eq.MatrixGame(A, fused="yes")
    with pytest.raises(ValueError, match="fused=True needs A as a dense NumPy array, got a sparse matrix"):
        eq.MatrixGame(sp.csr_matrix(A), fused=True)
    with pytest.raises(ValueError, match="fused=True needs A in float32 or float64, got float16"):
        eq.MatrixGame(A.astype(np.float16), fused=True)
    with pytest.raises(ValueError, match="C- or F-contiguous, got a strided view"):
        eq.MatrixGame(A[::2], fused=True)
    monkeypatch.setattr(games, "HAS_NUMBA", False)
    with pytest.raises(BackendUnavailableError, match="fused=True needs Numba"):
        eq.MatrixGame(A, fused=True)
    assert not eq.MatrixGame(A).fused and not eq.MatrixGame(A, fused=False).fused


def test_pickled_game_loaded_without_numba(monkeypatch, rng):
    A = rng.uniform(-1.0, 1.0, size=(8, 6))
    monkeypatch.setattr(games, "FUSED_MIN_BYTES", A.nbytes)
    auto, forced = pickle.dumps(eq.MatrixGame(A)), pickle.dumps(eq.MatrixGame(A, fused=True))
    monkeypatch.setattr(games, "HAS_NUMBA", False)
    monkeypatch.setattr(games, "_KERNELS", {})
    g = pickle.loads(auto)
    assert not g.fused
    np.testing.assert_allclose(g.operator(g.initial_point()), eq.MatrixGame(A, fused=False).operator(
        g.initial_point()), rtol=0, atol=1e-15)
    g = pickle.loads(forced)
    with pytest.raises(BackendUnavailableError, match="fused=True needs Numba"):
        g.operator(g.initial_point())


def test_option_travels_with_the_game(rng):
    A = rng.uniform(-1.0, 1.0, size=(3, 8, 6))
    batch = eq.MatrixGame(A, fused=True)
    assert not batch.fused and batch.game(1).fused
    g = pickle.loads(pickle.dumps(eq.MatrixGame(A[0], fused=True)))
    assert g.fused and g.to_backend("numpy").fused
    assert not eq.MatrixGame(A[0], fused=False).to_backend("numpy").fused


METHODS = ("mirror_prox", "extragradient", "optimistic", "pdhg", "halpern")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", "CF")
def test_iterates_and_certificates_agree_with_the_reference(method, order, rng):
    A = np.asarray(rng.uniform(-1.0, 1.0, size=(60, 45)), order=order)
    A[:, 0] += 0.3  # an offset column: not a symmetric game
    fused, ref = eq.MatrixGame(A, fused=True), eq.MatrixGame(A, fused=False)
    kw = dict(method=method, tol=1e-300, max_iter=400, check_every=50)
    rf, rr = eq.solve(fused, **kw), eq.solve(ref, **kw)
    assert rf.iterations == rr.iterations and rf.oracle_calls == rr.oracle_calls
    np.testing.assert_allclose(rf.z, rr.z, rtol=0, atol=1e-10)
    assert rf.residual == pytest.approx(rr.residual, rel=1e-6, abs=1e-12)
    # the certificate at the returned point, recomputed by the reference game, agrees
    # within the rounding allowance both carry
    c = ref.certify(rf.z)
    assert abs(rf.residual - c.value) <= 2 * c.rounding + 1e-12


def exact_gap(A, x, y):
    """max_i (A y)_i - min_j (A^T x)_j in exact rational arithmetic."""
    Af = [[Fraction(float(a)) for a in row] for row in A]
    xf, yf = [Fraction(float(v)) for v in x], [Fraction(float(v)) for v in y]
    up = max(sum(a * b for a, b in zip(row, yf)) for row in Af)
    lo = min(sum(Af[i][j] * xf[i] for i in range(len(xf))) for j in range(len(yf)))
    return up - lo


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(1, 7), st.integers(1, 7)), st.sampled_from(DTYPES), st.sampled_from("CF"),
       st.floats(1e-3, 1e3), st.integers(0, 2**32 - 1))
def test_fused_certificate_bounds_the_exact_gap(shape, dtype, order, scale, seed):
    rng = np.random.default_rng(seed)
    A = np.asarray(rng.uniform(-scale, scale, size=shape) + scale / 3, dtype=dtype, order=order)
    game = eq.MatrixGame(A, fused=True)
    x, y = rng.dirichlet(np.ones(shape[0])).astype(dtype), rng.dirichlet(np.ones(shape[1])).astype(dtype)
    assert game.fused
    cert = game.certify(np.concatenate([x, y]))
    assert cert.value >= exact_gap(A, x, y)


@settings(max_examples=40, deadline=None)
@given(shapes, st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_float32_entries_with_float64_vectors_sum_in_float64(shape, threads, seed):
    """The widened pass a float32 game's certificate uses: float64 products, float64's bound."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(-3, 3, size=shape).astype(np.float32)
    x, y = rng.dirichlet(np.ones(shape[0])), rng.dirichlet(np.ones(shape[1]))
    Ay, ATx = dn.fused_products(A, y, x, threads=threads)
    assert Ay.dtype == ATx.dtype == np.float64
    A64 = A.astype(np.float64)  # exact
    eps = 2.0 ** -52
    assert np.all(np.abs(Ay - A64 @ y) <= 2 * gamma(shape[1], eps) * (np.abs(A64) @ y) + 1e-300)
    assert np.all(np.abs(ATx - A64.T @ x) <= 2 * gamma(shape[0], eps) * (np.abs(A64).T @ x) + 1e-300)


@pytest.mark.parametrize("order", "CF")
def test_a_float32_games_certificate_is_the_same_fused_or_not(order, rng):
    A = np.asarray(rng.uniform(-1, 1, size=(40, 30)), dtype=np.float32, order=order)
    z = np.concatenate([rng.dirichlet(np.ones(40)), rng.dirichlet(np.ones(30))]).astype(np.float32)
    fused, plain = eq.MatrixGame(A, fused=True), eq.MatrixGame(A, fused=False)
    cf, cp = fused.certify(z), plain.certify(z)
    assert cf.rounding == pytest.approx(cp.rounding, rel=1e-12)
    assert cf.value == pytest.approx(cp.value, abs=4 * cp.rounding)
    x = [Fraction(float(v)) for v in z[:40]]
    y = [Fraction(float(v)) for v in z[40:]]
    Af = [[Fraction(float(a)) for a in row] for row in A]
    exact = max(sum(a * v for a, v in zip(row, y)) for row in Af) - min(
        sum(Af[i][j] * x[i] for i in range(40)) for j in range(30))
    assert cf.value >= float(exact)
