"""CuPy (GPU) paths against the NumPy reference; skipped cleanly where no CUDA GPU is visible."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.backend import gpu_available
from eqsolve.problems import zoo

pytestmark = pytest.mark.skipif(not gpu_available(), reason="needs CuPy and a CUDA GPU")


@pytest.fixture
def cp():
    import cupy

    return cupy


@pytest.mark.parametrize("method", ["pdhg", "mirror_prox", "extragradient", "optimistic"])
def test_cupy_arrays_in_cupy_arrays_out(cp, method):
    game = zoo.random_matrix_game(30, 20, seed=5)
    ref = eq.solve(game, method=method, tol=1e-7, max_iter=100_000)
    gpu = eq.solve(eq.MatrixGame(cp.asarray(game.A)), method=method, tol=1e-7, max_iter=100_000)
    assert gpu.backend == "cupy" and isinstance(gpu.z, cp.ndarray)
    assert gpu.converged and ref.converged
    assert abs(gpu.value - ref.value) <= 2e-7
    # the certificate holds on the host, in NumPy, at the GPU's point
    assert game.certify(cp.asnumpy(gpu.z)).value <= 1e-7 * (1 + 1e-6)


def test_backend_cupy_moves_a_numpy_game(cp):
    game = zoo.random_matrix_game(30, 20, seed=6)
    res = eq.solve(game, backend="cupy", tol=1e-8)
    assert res.backend == "cupy" and res.converged
    assert isinstance(game.A, np.ndarray)  # the caller's game is untouched


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batched_games_on_the_gpu_match_the_host(cp, dtype):
    A = np.random.default_rng(7).uniform(-1, 1, size=(64, 16, 16)).astype(dtype)
    tol = 1e-6 if dtype == "float64" else 1e-3
    host = eq.solve(eq.MatrixGame(A), tol=tol)
    dev = eq.solve(eq.MatrixGame(cp.asarray(A)), tol=tol)
    assert host.converged and dev.converged
    np.testing.assert_allclose(cp.asnumpy(dev.value), host.value, atol=2 * tol)
    assert [g.status for g in dev.games] == ["converged"] * 64


def test_preference_game_on_the_gpu(cp):
    from eqsolve.problems import random_preferences

    P = random_preferences(12, seed=2)
    ref = eq.solve(eq.PreferenceGame(P, 0.2), tol=1e-8)
    gpu = eq.solve(eq.PreferenceGame(cp.asarray(P), 0.2), tol=1e-8)
    assert gpu.converged
    np.testing.assert_allclose(cp.asnumpy(gpu.z), ref.z, atol=1e-6)
