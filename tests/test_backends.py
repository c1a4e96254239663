"""Backend selection: arrays decide, ``backend=`` overrides, clear errors when one is missing."""

import gc
import tracemalloc

import numpy as np
import pytest

import eqsolve as eq
from eqsolve import backend as bk
from eqsolve.problems import zoo


def test_arrays_decide_by_default():
    res = eq.solve(zoo.random_matrix_game(8, 6, seed=1), tol=1e-6)
    assert res.backend == "numpy" and isinstance(res.z, np.ndarray)


def test_backend_argument_is_checked():
    game = zoo.random_matrix_game(8, 6, seed=1)
    with pytest.raises(ValueError, match=r"backend must be one of \('numpy', 'numba', 'cupy'\)"):
        eq.solve(game, backend="jax")
    with pytest.raises(TypeError, match="backend must be a string or None"):
        eq.solve(game, backend=3)
    # a method without a Numba path says where one exists
    with pytest.raises(ValueError, match="method 'halpern' has no numba path.*optimistic, pdhg"):
        if not bk.HAS_NUMBA:
            pytest.skip("numba not installed")
        eq.solve(game, method="halpern", backend="numba")


def test_missing_packages_and_gpu_are_reported(monkeypatch):
    game = zoo.random_matrix_game(8, 6, seed=1)
    monkeypatch.setattr(bk, "HAS_NUMBA", False)
    with pytest.raises(bk.BackendUnavailableError, match=r"needs Numba.*eqsolve\[numba\]"):
        eq.solve(game, backend="numba")
    if bk.gpu_available():
        pytest.skip("a GPU is present: the no-GPU errors cannot be observed here")
    with pytest.raises(bk.BackendUnavailableError, match="backend='cupy' needs"):
        eq.solve(game, backend="cupy")


def test_numpy_backend_is_a_no_op_on_host_arrays():
    game = zoo.random_matrix_game(8, 6, seed=1)
    a = eq.solve(game, tol=1e-8)
    b = eq.solve(game, tol=1e-8, backend="numpy")
    np.testing.assert_array_equal(a.z, b.z)


def test_problems_without_arrays_to_move_refuse_cupy(monkeypatch):
    # pretend a GPU exists to reach the problem check
    monkeypatch.setattr(bk, "HAS_CUPY", True)
    monkeypatch.setattr(bk, "gpu_available", lambda: True)
    vi = zoo.affine_vi(4, seed=0).problem
    with pytest.raises(TypeError, match="needs VI built from cupy arrays"):
        eq.solve(vi, backend="cupy")


@pytest.mark.parametrize("method,options,copy", [("pdhg", {"mixed_precision": False}, 0.0),
                                                  ("extragradient", {}, 0.0),
                                                  # the float32 copy pdhg iterates on
                                                  ("pdhg", {}, 0.5)])
def test_a_solve_holds_no_copy_of_the_payoff_matrix(method, options, copy):
    """Peak extra memory O(m + n), not O(mn): no copy of A (tracemalloc sees NumPy buffers),
    but for mixed precision's float32 copy (half of A), held by the solve only."""
    rng = np.random.default_rng(3)
    A = rng.uniform(-1, 1, size=(1500, 1000))
    game = eq.MatrixGame(A)
    # imports and compiled kernels are loaded once per process: not a copy of A
    eq.solve(eq.MatrixGame(A[:600, :500]), method=method, max_iter=2, **options)
    tracemalloc.start()
    game.lipschitz  # the norm bounds work on row chunks
    eq.solve(game, method=method, max_iter=30, tol=1e-12, **options)
    gc.collect()  # a game and its cached structure refer to each other
    now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < (copy + 0.2) * A.nbytes, f"peak {peak} bytes vs A {A.nbytes} bytes"
    assert now < 0.2 * A.nbytes  # nothing kept after the solve
