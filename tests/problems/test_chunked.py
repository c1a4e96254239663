"""Chunked (row-blocked, out-of-core, distributed) matrix games.

The references are the same games on in-memory NumPy arrays: a chunked game
must follow the same iterates (to rounding) for the same number of
iterations, with its passes over ``A`` counted exactly.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.problems.chunked import ChunkedMatrix, NpyRows

#: the in-memory game's path a chunked game follows: its own dtype throughout (an
#: in-memory game iterates on a float32 copy first by default, which a chunked game, whose
#: entries are only streamed, has no room to keep)
FLOAT64_PATH = {"mixed_precision": False}


def _game(seed=0, m=30, n=20):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n))


def _saddle(seed=3):
    # a pure saddle point at (3, 5) under noise: pdhg takes a few dozen iterations
    rng = np.random.default_rng(seed)
    A = 0.3 * rng.standard_normal((30, 20))
    A[3, :] += 1.0
    A[:, 5] -= 1.0
    return A


class CountingSource:
    """A sliceable matrix that counts the rows read (a pass reads all ``m``)."""

    def __init__(self, A):
        self.A, self.shape, self.dtype, self.rows_read = A, A.shape, A.dtype, 0

    def __getitem__(self, key):
        block = self.A[key]
        self.rows_read += block.shape[0]
        return block

    @property
    def passes(self):
        return self.rows_read / self.shape[0]


# -- products ------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 9), n=st.integers(1, 9), rows=st.integers(1, 10), seed=st.integers(0, 99),
       threads=st.sampled_from([1, 3]))
def test_products_match_dense(m, n, rows, seed, threads):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    C = ChunkedMatrix(A, block_rows=rows, threads=threads)
    x, y = rng.standard_normal(m), rng.standard_normal(n)
    ATx, Ay = C.products(x, y)
    np.testing.assert_allclose(ATx, A.T @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Ay, A @ y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C.normal(y), A.T @ (A @ y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C.matvec(y), A @ y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C.rmatvec(x), A.T @ x, rtol=1e-12, atol=1e-12)
    s = C.stats
    assert s.amax == np.abs(A).max() and s.min == A.min() and s.max == A.max()
    assert s.spectral_bound >= np.linalg.norm(A, 2) * (1 - 1e-12)
    assert C.passes == 5      # the scan and the four products
    np.testing.assert_allclose(C.products(x, y)[0], A.T @ x, rtol=1e-12, atol=1e-12)


def test_construction_is_one_pass_and_checks_finiteness():
    src = CountingSource(_game())
    game = eq.MatrixGame(ChunkedMatrix(src, block_rows=7))
    game.amax, game.lipschitz, game.lipschitz_entropic  # from the construction scan
    assert src.passes == 1
    bad = _game()
    bad[4, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        eq.MatrixGame(ChunkedMatrix(bad, block_rows=7))
    with pytest.raises(ValueError, match="block_rows"):
        ChunkedMatrix(bad, block_rows=0)
    with pytest.raises(ValueError, match="non-empty"):
        ChunkedMatrix(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="real numbers"):
        ChunkedMatrix(np.zeros((2, 2), dtype=complex))


def test_pdhg_passes_are_counted_exactly():
    A = _game()
    src = CountingSource(A)
    game = eq.MatrixGame(ChunkedMatrix(src, block_rows=8))
    res = eq.solve(game, tol=1e-6, polish=False)
    ref = eq.solve(eq.MatrixGame(A), tol=1e-6, polish=False, **FLOAT64_PATH)
    assert res.converged and res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    # the start: Ruiz's passes (its first step comes from the construction scan), two
    # passes per Lanczos step (the tangent projection sits between the product with A
    # and the one with A^T) and one for the products at z0; then two per iteration (x+
    # needs A y+ before A^T x+ can start)
    scaling = res.info["scaling_passes"]
    assert 1 <= scaling <= eq.methods.pdhg_halpern.RUIZ_ITERS - 1
    expected = scaling + 2 * res.info["norm_steps"] + 1 + 2 * res.iterations
    assert res.info["passes"] == expected
    assert src.passes == 1 + expected


def test_a_given_step_skips_the_power_iterations():
    """The step of an earlier solve restarts pdhg without power iterations, same iterates."""
    A = _game()
    first = eq.solve(eq.MatrixGame(ChunkedMatrix(A, block_rows=8)), tol=1e-6, polish=False)
    src = CountingSource(A)
    res = eq.solve(eq.MatrixGame(ChunkedMatrix(src, block_rows=8)), tol=1e-6,
                   step=first.info["step"], polish=False)
    assert res.iterations == first.iterations
    np.testing.assert_array_equal(res.z, first.z)
    assert res.info["passes"] == res.info["scaling_passes"] + 1 + 2 * res.iterations
    assert src.passes == 1 + res.info["passes"]


@pytest.mark.parametrize("method", ["extragradient", "mirror_prox", "optimistic"])
def test_an_operator_evaluation_is_one_pass(method):
    """F(x, y) = (-A y, A^T x) is the fused pair: one pass per evaluation."""
    A = _game()
    src = CountingSource(A)
    game = eq.MatrixGame(ChunkedMatrix(src, block_rows=8))
    # the same first step for both (a chunked game's Lipschitz bound is not centred)
    step = dict(step=1.0 / game.lipschitz, adaptive=True)
    res = eq.solve(game, method=method, max_iter=40, **step)
    ref = eq.solve(eq.MatrixGame(A), method=method, max_iter=40, **step)
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    assert res.iterations == ref.iterations
    assert res.info["passes"] == res.oracle_calls + res.certify_calls
    assert src.passes == 1 + res.info["passes"]


def test_dense_games_report_no_passes():
    res = eq.solve(eq.MatrixGame(_game()), max_iter=5)
    assert "passes" not in res.info


# -- sources ---------------------------------------------------------------------
def test_npy_and_memmap_inputs(tmp_path):
    A = _saddle()
    ref = eq.solve(eq.MatrixGame(A), tol=1e-9)
    path = tmp_path / "A.npy"
    np.save(path, A)
    games = [eq.MatrixGame.from_npy(path, block_rows=7),
             eq.MatrixGame.from_npy(path, block_rows=7, page_cache=False),
             eq.MatrixGame(np.load(path, mmap_mode="r")),
             eq.MatrixGame(np.memmap(tmp_path / "raw", dtype=np.float64, mode="w+",
                                     shape=A.shape))]
    games[3].A.engine.source[:] = A      # written through the memmap itself
    games[3] = eq.MatrixGame(games[3].A.engine.source)
    for game in games:
        assert game.kind == "chunked"
        res = eq.solve(game, tol=1e-9)
        assert res.converged and res.iterations == ref.iterations
        np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
        copy = pickle.loads(pickle.dumps(game))
        assert len(pickle.dumps(game)) < A.nbytes     # the source, not the data
        assert copy.A.passes == 0                     # its scan came with it
        np.testing.assert_array_equal(eq.solve(copy, tol=1e-9).z, res.z)


def test_npy_rows_read_what_the_memmap_reads(tmp_path):
    A = np.random.default_rng(5).standard_normal((23, 17)).astype(np.float32)
    np.save(tmp_path / "A.npy", A)
    rows = NpyRows(tmp_path / "A.npy")
    assert rows.shape == A.shape and rows.dtype == A.dtype
    for r0, r1 in ((0, 23), (3, 9), (22, 23), (5, 5), (20, 40)):
        np.testing.assert_array_equal(rows[r0:r1], A[r0:r1])
    with pytest.raises(TypeError, match="contiguous row ranges"):
        rows[::2]
    game = eq.MatrixGame.from_npy(tmp_path / "A.npy", page_cache=False, block_rows=4)
    copy = pickle.loads(pickle.dumps(game))
    assert isinstance(copy.A.engine.source, NpyRows)
    np.save(tmp_path / "F.npy", np.asfortranarray(A))
    with pytest.raises(ValueError, match="Fortran-order"):
        NpyRows(tmp_path / "F.npy")
    rows.close()


def test_zarr_input(tmp_path):
    zarr = pytest.importorskip("zarr")
    A = _saddle()
    z = zarr.open_array(str(tmp_path / "A.zarr"), mode="w", shape=A.shape, chunks=(8, 20),
                        dtype="float64")
    z[:] = A
    game = eq.MatrixGame.from_zarr(tmp_path / "A.zarr", block_rows=8)
    ref = eq.solve(eq.MatrixGame(A), tol=1e-9)
    res = eq.solve(game, tol=1e-9)
    assert res.converged and res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    assert len(pickle.dumps(game)) < A.nbytes
    np.testing.assert_array_equal(eq.solve(pickle.loads(pickle.dumps(game)), tol=1e-9).z, res.z)


def test_hdf5_input(tmp_path):
    h5py = pytest.importorskip("h5py")
    A = _saddle()
    with h5py.File(tmp_path / "A.h5", "w") as f:
        f["payoff"] = A
    game = eq.MatrixGame.from_hdf5(tmp_path / "A.h5", "payoff", block_rows=8)
    res = eq.solve(game, tol=1e-9)
    np.testing.assert_allclose(res.z, eq.solve(eq.MatrixGame(A), tol=1e-9).z, atol=1e-10)
    with pytest.raises(KeyError, match="no dataset 'missing'"):
        eq.MatrixGame.from_hdf5(tmp_path / "A.h5", "missing")


def test_bimatrix_game_on_chunked_matrices(tmp_path):
    rng = np.random.default_rng(4)
    A, B = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    dense = eq.BimatrixGame(A, B)
    chunked = eq.BimatrixGame(ChunkedMatrix(A, block_rows=2), ChunkedMatrix(B, block_rows=4))
    z = dense.initial_point()
    np.testing.assert_allclose(chunked.operator(z), dense.operator(z), atol=1e-14)
    assert chunked.certify(z).value == pytest.approx(dense.certify(z).value, abs=1e-14)
    res = eq.solve(chunked, max_iter=30)
    assert res.info["passes"] == 2 * (res.oracle_calls + res.certify_calls)   # A and B each
    np.testing.assert_allclose(res.z, eq.solve(dense, max_iter=30).z, atol=1e-10)
    with pytest.raises(TypeError, match="stays on the host"):
        chunked.to_backend("cupy")


# -- dask --------------------------------------------------------------------------
def test_dask_game_graph_does_not_grow():
    """The iterates stay NumPy: each pass computes a graph of the same size."""
    da = pytest.importorskip("dask.array")
    A = _game()
    game = eq.MatrixGame(da.from_array(A, chunks=(8, 10)))
    assert game.A.engine.name == "dask"
    sizes = {}
    for k, (_, _, state) in enumerate(eq.methods.iterate(game, "pdhg")):
        if k in (20, 200):
            sizes[k] = game.A.graph_size()
        if k == 200:
            break
    assert sizes[20] == sizes[200] > 0
    ref = next(itertools.islice(eq.methods.iterate(eq.MatrixGame(A), "pdhg"), 200, None))
    np.testing.assert_allclose(state.t[0], ref[2].t[0], atol=1e-10)


def test_dask_arrays_are_refused_where_unsupported():
    da = pytest.importorskip("dask.array")
    P = da.from_array(eq.problems.random_preferences(3, seed=0))
    with pytest.raises(TypeError, match="MatrixGame and BimatrixGame only"):
        eq.PreferenceGame(P, beta=0.1)
    with pytest.raises(TypeError, match="MatrixGame and BimatrixGame only"):
        eq.FiniteSumVI.from_matrix_game(da.from_array(_game()))
    vi = eq.VI(lambda z: da.from_array(np.asarray(z)) - 0.5, eq.Box(0.0, 1.0, dim=2))
    with pytest.raises(TypeError, match="MatrixGame and BimatrixGame only"):
        eq.solve(vi, max_iter=3)
    with pytest.raises(TypeError, match="MatrixGame and BimatrixGame only"):
        eq.certify(eq.MatrixGame(_game()), da.from_array(np.full(50, 0.05)))


def test_solve_many_in_process():
    games = [eq.MatrixGame(_saddle(s)) for s in (0, 3)]
    many = eq.solve_many(games, tol=1e-8)
    for game, res in zip(games, many):
        one = eq.solve(game, tol=1e-8)
        assert res.iterations == one.iterations
        np.testing.assert_array_equal(res.z, one.z)
    with pytest.raises(TypeError, match="eqsolve problem"):
        eq.solve_many([np.eye(2)])
    with pytest.raises(TypeError, match="Client"):
        eq.solve_many(games, client="tcp://nowhere")


def test_extreme_magnitudes_keep_a_finite_norm_bound():
    A = _game() * 1e200            # squares overflow; the l1 / l-infinity bound remains
    C = ChunkedMatrix(A, block_rows=7)
    assert np.isinf(C.stats.fro2)
    assert np.linalg.norm(A / 1e200, 2) * 1e200 <= C.stats.spectral_bound < np.inf
    with pytest.raises(ValueError, match="too large for float64"):
        ChunkedMatrix(np.full((4, 4), 1e308), block_rows=2).stats.spectral_bound


# -- the scan, the scaled norms and the dense game's defaults ----------------------
def _hard(seed=0, m=300, n=200, dtype=np.float64):
    """Columns on scales from 1 to 50 around an offset: Ruiz's scaling matters."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, n)) * np.linspace(1.0, 50.0, n) + 7.0).astype(dtype)


def _reference_stats(A):
    A = np.asarray(A, dtype=np.float64)
    B = np.abs(A)
    return (A.min(1), A.max(1), B.sum(1), A.min(0), A.max(0), B.sum(0), float(np.sum(B * B)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kernel", [False, True])
def test_scan_and_scaled_norms_match_their_definitions(monkeypatch, dtype, kernel):
    """The Numba kernels and the NumPy path compute the same quantities: minima, maxima
    and Ruiz's scaled maxima bit for bit, sums to rounding."""
    from eqsolve.problems import chunked

    if kernel:
        pytest.importorskip("numba")
        monkeypatch.setattr(chunked, "KERNEL_MIN_ENTRIES", 0)
    else:
        monkeypatch.setattr(chunked, "HAS_NUMBA", False)
    rng = np.random.default_rng(1)
    A = (rng.standard_normal((37, 23)) * 3 + 1).astype(dtype)
    rows, cols = chunked.scan_block(A)
    ref = _reference_stats(A)
    for got, want in zip((rows[0], rows[1], cols.col_min, cols.col_max), ref[:2] + ref[3:5]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(rows[2], ref[2], rtol=1e-13)
    np.testing.assert_allclose(cols.col_abs, ref[5], rtol=1e-13)
    assert cols.fro2 == pytest.approx(ref[6], rel=1e-13)
    c = dtype(0.37)
    dr = rng.uniform(0.5, 2.0, 37).astype(dtype)
    dc = rng.uniform(0.5, 2.0, 23).astype(dtype)
    V = np.abs(A - c) * dc[None, :] * dr[:, None]     # Ruiz's formula, in A's dtype
    r, k = chunked.scaled_block(A, 0.37, dr, dc, "max")
    np.testing.assert_array_equal(r, V.max(1))
    np.testing.assert_array_equal(k, V.max(0))
    assert r.dtype == dtype
    r, k = chunked.scaled_block(A, 0.37, dr, dc, "sum")
    V64 = V.astype(np.float64)
    np.testing.assert_allclose(r, V64.sum(1), rtol=1e-13)
    np.testing.assert_allclose(k, V64.sum(0), rtol=1e-13)
    with pytest.raises(ValueError, match="reduce must be"):
        chunked.scaled_block(A, 0.0, dr, dc, "min")
    # a NaN or an infinity anywhere fails the finite check, whichever path scanned it
    for bad in (np.nan, np.inf, -np.inf):
        B = A.copy()
        B[17, 5] = bad
        assert not chunked.MatrixStats.from_parts(*chunked.scan_block(B)).finite


@pytest.mark.parametrize("rows", [7, 64, 300])
def test_dense_and_chunked_games_have_the_same_stats(rows):
    A = _hard()
    dense, chunked = eq.MatrixGame(A), eq.MatrixGame(ChunkedMatrix(A, block_rows=rows))
    d, c = dense.saddle.stats, chunked.saddle.stats
    assert d is dense.stats and c is chunked.A.stats
    assert (d.finite, d.min, d.max) == (c.finite, c.min, c.max) == (True, A.min(), A.max())
    for name in ("row_min", "row_max", "col_min", "col_max"):
        np.testing.assert_array_equal(getattr(d, name), getattr(c, name))
    for name in ("row_abs", "col_abs"):
        np.testing.assert_allclose(getattr(d, name), getattr(c, name), rtol=1e-13)
    assert d.fro2 == pytest.approx(c.fro2, rel=1e-13)
    np.testing.assert_array_equal(c.row_amax, np.abs(A).max(1))
    np.testing.assert_array_equal(c.col_amax, np.abs(A).max(0))
    assert d.spectral_bound == pytest.approx(c.spectral_bound, rel=1e-13)
    v = np.ones(A.shape[1])
    assert d.spectral_bound >= np.linalg.norm(A @ v) / np.linalg.norm(v)   # a lower bound
    assert eq.MatrixGame(np.stack([A, A])).stats is None            # a batch: none


def test_the_first_ruiz_step_comes_from_the_scan():
    """At ``D_r = D_c = I`` the centred maxima follow from the row and column ranges: no
    pass, and bit for bit what a pass computes."""
    A = _hard()
    C = ChunkedMatrix(A, block_rows=9)
    c = eq.MatrixGame(A).centre
    ones_r, ones_c = np.ones(A.shape[0]), np.ones(A.shape[1])
    before = C.passes
    r, k = C.scaled_norms(c, ones_r, ones_c, "max")
    assert C.passes == before
    V = np.abs(A - c)
    np.testing.assert_array_equal(r, V.max(1))
    np.testing.assert_array_equal(k, V.max(0))
    r2, k2 = C.scaled_norms(c, ones_r, ones_c, "sum")               # sums need the pass
    assert C.passes == before + 1
    np.testing.assert_allclose(r2, V.sum(1), rtol=1e-13)
    with pytest.raises(ValueError, match="dr and dc must have shapes"):
        C.scaled_norms(c, ones_c, ones_c, "max")


def test_submatrix_reads_the_rows_taken():
    A = _hard()
    src = CountingSource(A)
    C = ChunkedMatrix(src, block_rows=50)
    rows, cols = np.array([250, 3, 4, 120]), np.array([7, 0, 199])
    np.testing.assert_array_equal(C.submatrix(rows, cols), A[rows][:, cols])
    assert C.passes == 2 and src.passes <= 2
    with pytest.raises(ValueError, match="cols must be"):
        C.submatrix(rows, np.array([200]))


@pytest.mark.parametrize("engine, rows", [("local", 7), ("local", 64), ("local", 300),
                                          ("threads", 64), ("kernels", 64), ("dask", 128)])
def test_default_pdhg_follows_the_dense_game(monkeypatch, engine, rows):
    """Default options: the dense game's Ruiz scaling, power iterations, step and polish,
    so the same iterations to the same iterates."""
    if engine == "kernels":
        # the compiled scan and scaled norms on every block (the dense game's too)
        pytest.importorskip("numba")
        from eqsolve.problems import chunked

        monkeypatch.setattr(chunked, "KERNEL_MIN_ENTRIES", 0)
    A = _hard()
    ref = eq.solve(eq.MatrixGame(A), tol=1e-6, max_iter=3000, **FLOAT64_PATH)
    if engine == "dask":
        da = pytest.importorskip("dask.array")
        import dask

        with dask.config.set(scheduler="synchronous"):
            game = eq.MatrixGame(da.from_array(A, chunks=(rows, 100)))
            res = eq.solve(game, tol=1e-6, max_iter=3000)
    else:
        game = eq.MatrixGame(ChunkedMatrix(A, block_rows=rows,
                                           threads=2 if engine == "threads" else 1))
        res = eq.solve(game, tol=1e-6, max_iter=3000)
    assert res.info["precondition"] == ref.info["precondition"] == "ruiz"
    assert res.info["step"] == ref.info["step"]
    assert res.status == ref.status and res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)
    assert res.info.get("polish_attempts") == ref.info.get("polish_attempts")


@pytest.mark.parametrize("variant, precondition", [("halpern", "ruiz_pock_chambolle"),
                                                   ("fixed", "pock_chambolle"),
                                                   ("adaptive", "ruiz")])
def test_every_preconditioner_streams_to_the_dense_scalings(variant, precondition):
    A = _hard(seed=2, m=60, n=45)
    opts = dict(variant=variant, precondition=precondition, max_iter=200, tol=1e-7)
    ref = eq.solve(eq.MatrixGame(A), **opts)
    res = eq.solve(eq.MatrixGame(ChunkedMatrix(A, block_rows=11)), **opts)
    assert res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-10)


def test_float32_chunked_game_follows_the_dense_one():
    A = _hard(seed=4, m=80, n=60, dtype=np.float32)
    ref = eq.solve(eq.MatrixGame(A), tol=1e-3, max_iter=500, **FLOAT64_PATH)
    res = eq.solve(eq.MatrixGame(ChunkedMatrix(A, block_rows=13)), tol=1e-3, max_iter=500)
    assert res.z.dtype == ref.z.dtype and res.iterations == ref.iterations
    np.testing.assert_allclose(res.z, ref.z, atol=1e-5)
