"""Optimistic mirror descent: ergodic bound with the budgeted adaptive test, online regret."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.methods import OnlineOptimistic
from eqsolve.problems import zoo


@pytest.mark.parametrize("geometry", ["entropic", "euclidean"])
@pytest.mark.parametrize("adaptive", [False, True])
def test_ergodic_gap_bound(geometry, adaptive):
    game = zoo.random_matrix_game(14, 10, seed=1)
    theta = (np.log(14) + np.log(10)) if geometry == "entropic" else 0.5 * ((1 - 1 / 14) + (1 - 1 / 10))
    for T in (20, 200, 2000):
        res = eq.solve(game, method="optimistic", geometry=geometry, adaptive=adaptive,
                       output="average", tol=0, max_iter=T, check_every=T, restart=False)
        assert res.residual <= theta / res.info["step_sum"]


def test_one_evaluation_per_iteration_with_fixed_step():
    game = zoo.random_matrix_game(8, seed=0)
    res = eq.solve(game, method="optimistic", adaptive=False, tol=0, max_iter=100,
                   check_every=100, restart=False, output="last")
    assert res.oracle_calls == 100 + 1


def test_last_iterate_converges_on_strongly_monotone_vi():
    inst = zoo.affine_vi(15, seed=2, mu=0.3)
    res = eq.solve(inst.problem, method="optimistic", tol=1e-10, output="last")
    assert res.converged
    assert np.linalg.norm(res.z - inst.solution) <= res.certificate.details["distance_bound"]


def test_online_regret_is_exact_and_sublinear():
    rng = np.random.default_rng(0)
    learner = OnlineOptimistic(eq.Simplex(5), step=0.1)
    losses, played = [], []
    base = rng.normal(size=5)
    for t in range(400):
        x = learner.play()
        g = base + 0.1 * np.sin(t / 10) * rng.normal(size=5)  # slowly varying: hints help
        learner.observe(g)
        losses.append(g)
        played.append(x)
    G = np.sum(losses, axis=0)
    exact = sum(g @ x for g, x in zip(losses, played)) - G.min()
    assert learner.regret == pytest.approx(exact, rel=1e-12, abs=1e-12)
    assert learner.regret < 0.1 * 400
    with pytest.raises(RuntimeError, match="play"):
        learner.observe(np.ones(5))
