"""Batched matrix games: a (B, m, n) stack solved together, each game certified and stopped alone."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.backend import HAS_NUMBA
from tests.conftest import lp_value


@pytest.fixture
def stack(rng):
    A = rng.uniform(-1, 1, size=(10, 6, 8))
    A[0] = 0.0
    A[0, 2, 3] = 1.0  # a pure saddle point: converges at once
    return A


def test_batch_structure_and_views(stack):
    g = eq.MatrixGame(stack)
    assert g.batch == 10 and (g.m, g.n) == (6, 8)
    assert np.shares_memory(g.game(3).A, stack)  # a view, not a copy
    Z = g.initial_point()
    assert Z.shape == (10, 14)
    F = g.operator(Z)
    for b in (0, 4, 9):
        np.testing.assert_allclose(F[b], g.game(b).operator(Z[b]), atol=1e-15)
    np.testing.assert_allclose(g.amax, np.abs(stack).max(axis=(1, 2)))
    assert g.lipschitz >= max(np.linalg.norm(a, 2) for a in stack)
    cert = g.certify(Z)
    per_game = [g.game(b).certify(Z[b]).value for b in range(10)]
    assert cert.value == max(per_game) and len(cert.details["games"]) == 10
    with pytest.raises(IndexError, match="out of range"):
        g.game(10)
    with pytest.raises(ValueError, match="needs a batch"):
        g.game(0).game(0)


@pytest.mark.parametrize("backend", [None, pytest.param("numba", marks=pytest.mark.skipif(
    not HAS_NUMBA, reason="numba not installed"))])
def test_each_game_is_certified_and_stopped_on_its_own(stack, backend):
    g = eq.MatrixGame(stack)
    res = eq.solve(g, tol=1e-7, max_iter=20_000, backend=backend)
    assert res.converged and len(res.games) == 10
    iters = [r.iterations for r in res.games]
    assert iters[0] <= 1 and len(set(iters)) > 3  # games stop at their own iteration
    assert res.iterations == max(iters)
    for b, r in enumerate(res.games):
        assert r.converged and r.residual <= 1e-7
        # the per-game certificate is the single-game one at the returned point
        # (from the step's products, which may be summed in another order)
        assert r.certificate.value == pytest.approx(g.game(b).certify(r.z).value, rel=1e-6)
        lo, hi = r.certificate.details["value_bounds"]
        v = lp_value(stack[b])
        assert lo <= v <= hi
        np.testing.assert_array_equal(res.z[b], r.z)
    assert res.residual == max(r.residual for r in res.games)
    assert res.value.shape == (10,)
    assert "10 converged" in res.summary()
    d = res.to_dict()
    assert len(d["games"]) == 10 and len(d["value"]) == 10


def test_unconverged_games_report_their_status(rng):
    A = rng.uniform(-1, 1, size=(4, 30, 30))
    A[1] = 0.0
    A[1, 0, 0] = 1.0
    res = eq.solve(eq.MatrixGame(A), tol=1e-12, max_iter=5)
    statuses = [r.status for r in res.games]
    assert statuses[1] == "converged" and statuses.count("max_iter") == 3
    assert res.status == "max_iter" and not res.converged
    assert all(r.iterations == 5 for i, r in enumerate(res.games) if i != 1)
    for r in res.games:  # honest: not converged means residual above tol
        assert r.converged == (r.residual <= 1e-12)


def test_batch_does_not_mutate_and_accepts_x0(stack):
    before = stack.copy()
    g = eq.MatrixGame(stack)
    x0 = g.initial_point()
    x0_before = x0.copy()
    eq.solve(g, x0=x0, tol=1e-5)
    np.testing.assert_array_equal(stack, before)
    np.testing.assert_array_equal(x0, x0_before)
    bad = x0.copy()
    bad[3, 0] = 5.0
    with pytest.raises(ValueError, match=r"x0\[3\] lies outside"):
        eq.solve(g, x0=bad)
    with pytest.raises(ValueError, match="shape"):
        eq.solve(g, x0=x0[:, :5])


def test_single_game_methods_refuse_a_batch(stack):
    g = eq.MatrixGame(stack)
    with pytest.raises(TypeError, match="one game at a time.*pdhg"):
        eq.solve(g, method="mirror_prox")
    with pytest.raises(ValueError, match="variant='halpern' only"):
        eq.solve(g, variant="adaptive")


def test_four_dimensional_payoffs_are_refused():
    with pytest.raises(ValueError, match=r"A must be a matrix \(m, n\) or a stack"):
        eq.MatrixGame(np.zeros((2, 2, 2, 2)))


def test_float32_batch_keeps_dtype(stack):
    res = eq.solve(eq.MatrixGame(stack.astype(np.float32)), tol=1e-4)
    assert res.z.dtype == np.float32 and res.converged


@pytest.mark.parametrize("option", [dict(check_every=5), dict(restart=False), dict(restart=True),
                                    dict(output="last")])
def test_batch_refuses_driver_options_it_cannot_honour(stack, option):
    game = eq.MatrixGame(stack)
    name = next(iter(option))
    with pytest.raises(ValueError, match=rf"{name}= does not apply to a batch of games"):
        eq.solve(game, tol=1e-6, **option)
    assert eq.solve(game, tol=1e-6, output="best").converged  # the batch's own rule


def test_batch_callback_gets_a_certificate_and_can_stop(stack):
    game = eq.MatrixGame(stack)
    seen = []

    def callback(progress):
        seen.append(progress)
        return len(seen) == 2

    res = eq.solve(game, tol=1e-12, max_iter=10_000, callback=callback)
    assert len(seen) == 2 and res.status == "stopped"
    p = seen[-1]
    assert p.certificate.kind == "duality_gap" and p.certificate.value == p.residual
    residuals = p.certificate.details["residuals"]
    assert residuals.shape == (game.batch,) and p.residual == residuals.max()
    assert p.z.shape == (game.batch, game.dim)
    # the running games stop where the callback stopped them, the others keep their status
    assert all(g.status in ("stopped", "converged") for g in res.games)


def test_batch_history_and_progress_bar_come_from_the_one_loop(stack):
    res = eq.solve(eq.MatrixGame(stack), tol=1e-8, progress=True)
    h = res.history
    assert set(h) >= {"iteration", "residual", "elapsed", "oracle_calls", "running"}
    assert len(h["iteration"]) == len(h["running"]) and h["running"][-1] == 0
