"""Nash mirror prox on a batch of preference games: one loop, each game stopped on its own."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import random_preferences


@pytest.fixture
def batch():
    return eq.PreferenceGame(random_preferences(10, batch=5, seed=4), 0.1)


def test_each_game_has_its_own_certificate_status_and_iterations(batch):
    res = eq.solve(batch, method="nash_mp", tol=1e-9)
    assert res.converged and len(res.games) == 5
    assert res.x.shape == (5, 10) and res.z.shape == (5, 10)
    for b, r in enumerate(res.games):
        assert r.converged and r.residual <= 1e-9
        assert r.certificate.value == batch.game(b).certify(r.z).value
        assert r.oracle_calls == 2 * r.iterations + 1
    assert res.iterations == max(r.iterations for r in res.games)
    assert res.residual == max(r.residual for r in res.games)
    assert res.certificate.kind == "exploitability"
    # the joint certificate of the stacked point agrees game by game
    joint = batch.certify(np.reshape(res.z, -1))
    np.testing.assert_allclose(joint.details["per_game"], [r.residual for r in res.games], rtol=1e-6)


def test_per_game_iterates_are_the_joint_iterates(batch):
    """Until a game stops it moves exactly as in the joint Nash-MP step (same eta)."""
    from eqsolve.methods import METHODS, Oracle

    res = eq.solve(batch, method="nash_mp", tol=1e-9)
    m = METHODS["nash_mp"].configure(batch)
    s = m.init(batch, Oracle(batch), batch.initial_point())
    trajectory = [np.exp(s.logpi)]
    for _ in range(res.iterations):
        s = m.step(batch, Oracle(batch), s)
        trajectory.append(np.exp(s.logpi))
    for b, r in enumerate(res.games):
        k = r.info["certified_iteration"]
        np.testing.assert_allclose(r.z, trajectory[k][b], atol=1e-13)


def test_unconverged_games_say_so(batch):
    res = eq.solve(batch, method="nash_mp", tol=1e-14, max_iter=3)
    assert [r.status for r in res.games] == ["max_iter"] * 5
    assert all(r.iterations == 3 for r in res.games) and not res.converged


def test_methods_without_a_per_game_loop_solve_the_batch_jointly(batch):
    res = eq.solve(batch, method="mirror_prox", tol=1e-8)
    assert res.games is None and res.converged and res.z.shape == (50,)
    sampled = eq.solve(batch, method="nash_mp", samples=50, seed=0, tol=1e-2, max_iter=50)
    assert sampled.games is None  # one generator for all games: the joint solve


def test_game_accessor(batch):
    g = batch.game(2)
    assert g.batch is None and g.n == 10
    assert np.shares_memory(g.P, batch.P)
    with pytest.raises(IndexError, match="out of range"):
        batch.game(5)
    with pytest.raises(ValueError, match="needs a batch"):
        g.game(0)
