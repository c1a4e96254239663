"""The Numba kernels against the array-API reference path (agreement to 1e-12 in float64)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import eqsolve as eq
from eqsolve.domains import Simplex
from eqsolve.methods import METHODS
from eqsolve.methods.pdhg_batch import project_rows
from eqsolve.problems import zoo

nk = pytest.importorskip("eqsolve.methods._numba_kernels")

finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)


@given(arrays(np.float64, st.integers(1, 40), elements=finite), st.floats(0.1, 10.0))
def test_simplex_projection_matches_reference(v, radius):
    ref = Simplex(v.shape[0], radius).project(v)
    np.testing.assert_allclose(nk.simplex_project(v, radius), ref, rtol=0, atol=1e-12 * max(1.0, np.abs(v).max()))


def test_simplex_projection_ties_and_rows(rng):
    V = np.round(rng.normal(size=(50, 17)), 1)  # many ties
    V[0] = 0.3
    ref = project_rows(eq.backend.namespace(V), V)
    np.testing.assert_allclose(nk.simplex_project_rows(V, 1.0), ref, atol=1e-12)
    for b in range(5):
        np.testing.assert_allclose(ref[b], Simplex(17).project(V[b]), atol=1e-12)
    big = rng.normal(size=(2048, 600))  # large enough for the parallel build
    np.testing.assert_allclose(nk.simplex_project_rows(big, 2.0), project_rows(eq.backend.namespace(big), big, 2.0),
                               atol=1e-12)


@given(st.integers(1, 30), st.floats(1e-3, 50.0), st.floats(0.2, 5.0), st.integers(0, 10_000))
def test_entropic_step_matches_reference(n, eta, radius, seed):
    rng = np.random.default_rng(seed)
    geo = Simplex(n, radius).geometry("entropic")
    u = geo.init(rng.dirichlet(np.ones(n)) * radius)
    g = rng.normal(size=n) * 10
    ref = geo.step(u, g, eta)
    np.testing.assert_allclose(nk.entropic_step(u, g, eta, math.log(radius)), ref, rtol=0,
                               atol=1e-12 * max(1.0, np.abs(ref).max()))


def _batch_state(game, backend):
    stepper = METHODS["pdhg"].configure(game, backend=backend).batched(game)
    return stepper, stepper.init(game, game.initial_point())


# float32: the kernel accumulates in float64, so after a few steps a restart
# decision (a threshold test) may differ and the trajectories part: one step
@pytest.mark.parametrize("dtype,tol,steps", [(np.float64, 1e-12, 80), (np.float32, 2e-5, 1)])
@pytest.mark.parametrize("running", ["most", "few"])  # masked full-batch / gathered reference
def test_batched_pdhg_kernel_matches_reference_step(rng, dtype, tol, steps, running):
    A = rng.uniform(-1, 1, size=(12, 7, 9)).astype(dtype)
    game = eq.MatrixGame(A)
    m_np, s_np = _batch_state(game, None)
    m_nb, s_nb = _batch_state(game, "numba")
    active = np.ones(12, dtype=bool) if running == "most" else np.zeros(12, dtype=bool)
    active[[2, 5]] = False  # frozen games must not move
    if running == "few":
        active[[0, 7, 11]] = True
    frozen_before = s_nb.x[2].copy()
    tol_b = np.full(12, 1e-300)
    # 80 iterations cross the k > 64 epoch rule and some restarts; in two chunks
    for chunk in (steps // 2, steps - steps // 2):
        m_np.advance(game, s_np, active, chunk, tol_b, 10_000)
        m_nb.advance(game, s_nb, active, chunk, tol_b, 10_000)
    for name in ("x", "y", "ATx", "Ay", "tx", "ty", "tATx", "tAy", "ax", "ay", "bx", "by", "bAy"):
        np.testing.assert_allclose(getattr(s_nb, name), getattr(s_np, name), atol=tol, err_msg=name)
    for name in ("k", "restarts", "it", "best_it"):
        np.testing.assert_array_equal(getattr(s_nb, name), getattr(s_np, name), err_msg=name)
    np.testing.assert_allclose(s_nb.best_gap, s_np.best_gap, rtol=tol * 10, atol=tol)
    np.testing.assert_allclose(m_nb.gaps(game, s_nb), m_np.gaps(game, s_np), atol=tol)
    np.testing.assert_array_equal(s_nb.x[2], frozen_before)
    assert s_np.it[2] == 0 and s_np.it[0] == steps
    assert steps == 1 or s_np.restarts.max() > 0


def test_batched_kernel_stops_each_game_at_its_tolerance(rng):
    A = rng.uniform(-1, 1, size=(6, 10, 10))
    game = eq.MatrixGame(A)
    m_np, s_np = _batch_state(game, None)
    m_nb, s_nb = _batch_state(game, "numba")
    tol_b = np.array([1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-300])
    active = np.ones(6, dtype=bool)
    m_np.advance(game, s_np, active, 500, tol_b, 10_000)
    m_nb.advance(game, s_nb, active, 500, tol_b, 10_000)
    np.testing.assert_array_equal(s_nb.it, s_np.it)
    assert s_np.it[5] == 500  # tol 1e-300 is never reached
    reached = s_np.best_gap <= tol_b
    assert reached[:3].all()
    assert np.all(s_np.it[reached] == s_np.best_it[reached])  # stopped right when it got there


def test_numba_mirror_prox_follows_the_reference_iterates():
    game = zoo.random_matrix_game(15, 11, seed=4)
    for method, geometry in (("mirror_prox", "entropic"), ("mirror_prox", "euclidean"),
                             ("extragradient", "euclidean"), ("optimistic", "entropic")):
        kw = dict(method=method, geometry=geometry, max_iter=60, tol=1e-14, adaptive=False,
                  output="last", restart=False)
        ref = eq.solve(game, **kw)
        fast = eq.solve(game, backend="numba", **kw)
        np.testing.assert_allclose(fast.z, ref.z, atol=1e-12)
        assert fast.oracle_calls == ref.oracle_calls


def test_numba_pdhg_single_game_converges_like_reference():
    game = zoo.random_matrix_game(40, 30, seed=9)
    ref = eq.solve(game, tol=1e-8)
    fast = eq.solve(game, tol=1e-8, backend="numba")
    assert ref.converged and fast.converged
    assert fast.iterations == ref.iterations
    np.testing.assert_allclose(fast.z, ref.z, atol=1e-10)


def test_kernel_restart_constants_are_the_reference_ones():
    from eqsolve.methods import pdhg_halpern

    assert nk.EPOCH_FRACTION == pdhg_halpern.EPOCH_FRACTION
    assert nk.MIN_EPOCH == pdhg_halpern.MIN_EPOCH
