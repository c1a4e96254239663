"""The reference path is array-API generic: it runs on array_api_strict and matches NumPy."""

import numpy as np
import pytest

import eqsolve as eq

xps = pytest.importorskip("array_api_strict")

METHODS = ["extragradient", "mirror_prox"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matrix_game_on_array_api_strict_matches_numpy(method, dtype):
    A = np.random.default_rng(1).uniform(-1, 1, size=(7, 5)).astype(dtype)
    tol = 1e-9 if dtype == "float64" else 1e-4
    res_s = eq.solve(eq.MatrixGame(xps.asarray(A)), method=method, tol=tol)
    res_n = eq.solve(eq.MatrixGame(A), method=method, tol=tol)
    assert res_s.backend == "array_api_strict"
    assert isinstance(res_s.x, type(xps.asarray([1.0])))
    assert res_s.x.dtype == getattr(xps, dtype)
    assert res_s.converged and res_n.converged
    assert res_s.iterations == res_n.iterations
    np.testing.assert_allclose(np.asarray(res_s.z), res_n.z, rtol=0, atol=1e-12 if dtype == "float64" else 1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_vi_on_box_and_ball_with_strict_arrays(method):
    target = xps.asarray([2.0, 0.5, -3.0])
    for dom, sol in [(eq.Box(-1.0, 1.0, dim=3), [1.0, 0.5, -1.0]),
                     (eq.Ball(3, radius=1.0), np.array([2.0, 0.5, -3.0]) / np.linalg.norm([2.0, 0.5, -3.0]))]:
        vi = eq.VI(lambda z: z - target, dom)
        res = eq.solve(vi, x0=xps.zeros(3, dtype=xps.float64), method=method, tol=1e-10)
        assert res.converged
        np.testing.assert_allclose(np.asarray(res.z), sol, atol=1e-8)


def test_simplex_projection_and_certify_on_strict_arrays():
    d = eq.Simplex(4)
    p = d.project(xps.asarray([0.3, -1.0, 2.0, 0.9]))
    np.testing.assert_allclose(np.asarray(p), [0.0, 0.0, 1.0, 0.0])
    p = d.project(xps.asarray([0.5, 0.5, 0.5, -0.5]))
    np.testing.assert_allclose(np.asarray(p), [1 / 3, 1 / 3, 1 / 3, 0.0], atol=1e-15)
    game = eq.MatrixGame(xps.asarray([[1.0, -1.0], [-1.0, 1.0]]))
    cert = eq.certify(game, (xps.asarray([0.5, 0.5]), xps.asarray([0.5, 0.5])))
    assert cert.value < 1e-12
