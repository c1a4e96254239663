"""Extragradient and mirror prox against their theory (Nemirovski 2004).

For a monotone Lipschitz F and accepted steps eta_t, the weighted average of
the half-iterates satisfies gap(z_bar_T) <= Theta / sum_t eta_t with
Theta = max_u D(u, z_0).  On a matrix game from the uniform start:
entropic Theta = log m + log n; Euclidean Theta = ((1 - 1/m) + (1 - 1/n)) / 2.
"""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo


def theta(game, geometry):
    m, n = game.m, game.n
    if geometry == "entropic":
        return np.log(m) + np.log(n)
    return 0.5 * ((1 - 1 / m) + (1 - 1 / n))


@pytest.mark.parametrize("geometry", ["entropic", "euclidean"])
@pytest.mark.parametrize("adaptive", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ergodic_gap_meets_the_O_1_over_T_bound(geometry, adaptive, seed):
    game = zoo.random_matrix_game(15, 11, seed=seed)
    for T in (10, 100, 1000):
        res = eq.solve(game, method="mirror_prox", geometry=geometry, adaptive=adaptive,
                       output="average", tol=0, max_iter=T, check_every=T, restart=False)
        bound = theta(game, geometry) / res.info["step_sum"]
        assert res.residual <= bound, (T, res.residual, bound)
        if not adaptive:
            L = game.lipschitz_entropic if geometry == "entropic" else game.lipschitz
            assert res.info["step_sum"] == pytest.approx(T / L)


def test_extragradient_ergodic_bound():
    game = zoo.random_matrix_game(9, 13, seed=7)
    for T in (30, 300):
        res = eq.solve(game, method="extragradient", output="average", tol=0,
                       max_iter=T, check_every=T, restart=False)
        assert res.residual <= theta(game, "euclidean") / res.info["step_sum"]


def test_extragradient_last_iterate_converges_linearly_on_strongly_monotone_vi():
    inst = zoo.affine_vi(20, seed=3, domain="box", mu=0.5)
    res = eq.solve(inst.problem, method="extragradient", adaptive=False, tol=0,
                   max_iter=400, check_every=20, output="last", restart=False)
    r = np.array(res.history["residual"][1:])
    # geometric decrease: each 20-iteration block contracts by a factor bounded away from 1
    ratios = r[1:] / r[:-1]
    ratios = ratios[r[1:] > 1e-13]
    assert ratios.size > 3 and ratios.max() < 0.9


def test_adaptive_step_needs_no_lipschitz_constant():
    inst = zoo.affine_vi(10, seed=5, domain="box", mu=0.1)
    vi = eq.VI(inst.F, inst.problem.domain)  # no L, no mu
    for method in ("extragradient", "mirror_prox"):
        res = eq.solve(vi, method=method, tol=1e-9)
        assert res.converged and res.info["adaptive"]
        assert np.linalg.norm(res.z - inst.solution) < 1e-6


def test_extragradient_rejects_entropic_geometry():
    with pytest.raises(ValueError, match="mirror_prox"):
        eq.solve(zoo.matching_pennies(), method="extragradient", geometry="entropic")


def test_mixed_geometry_on_product_of_simplex_and_box():
    # a saddle over a simplex (x) and a box (y): entropic on x, Euclidean on y
    rng = np.random.default_rng(0)
    B = rng.normal(size=(4, 3))
    s = eq.Saddle(lambda x, y: B @ y, lambda x, y: B.T @ x - y, eq.Simplex(4), eq.Box(-1, 1, dim=3))
    res = eq.solve(s, method="mirror_prox", tol=1e-9, max_iter=50_000)
    assert res.converged and res.info["geometry"] == "mixed"
    assert abs(res.x.sum() - 1) < 1e-12 and np.all(res.x >= 0)
