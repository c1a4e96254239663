"""CFR+, DCFR and predictive CFR+ on the vectorised treeplex."""

import math

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.methods import iterate
from eqsolve.methods.cfr import CFRPlus, DCFR, PredictiveCFRPlus

VARIANTS = ["pcfr+", "cfr+", "dcfr"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_converge_with_certified_points(variant):
    game = eq.zoo.random_tree_game(seed=11, depth=5)
    res = eq.solve(game, method="cfr", variant=variant, tol=1e-4, max_iter=50_000,
                   backend="numpy")
    assert res.converged
    assert res.residual == game.certify(res.z, point=res.certificate.point).value
    assert game.domain.contains(res.z)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("alternate", [True, False])
def test_numba_kernel_matches_the_numpy_reference(variant, alternate):
    pytest.importorskip("numba")
    game = eq.zoo.random_tree_game(seed=5, depth=6)
    runs = []
    for backend in ("numpy", "numba"):
        m = eq.METHODS["cfr"].configure(game, variant=variant, backend=backend,
                                        alternate=alternate)
        states = iterate(game, m)
        for _ in range(60):
            _, _, s = next(states)
        runs.append(s)
    a, b = runs
    for field in ("x", "y", "Rx", "Ry", "sx", "sy"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-9, atol=1e-12,
                                   err_msg=field)


def test_rm_plus_meets_the_cfr_regret_bound():
    """Uniform averages of simultaneous RM+ CFR: NashConv(avg_T) <= sum over players of
    Delta * sum_I sqrt(|A(I)|) / sqrt(T) (laminar regret decomposition, RM+ bound per set),
    Delta the range of the counterfactual values (at most twice the largest payoff)."""
    game = eq.zoo.random_tree_game(seed=2, depth=5)
    delta = 2.0 * float(np.abs(game.A).sum(axis=0).max() + np.abs(game.A).sum(axis=1).max())
    const = sum(delta * float(np.sqrt(tp.sizes).sum()) for tp in game.treeplexes)
    m = CFRPlus(alternate=False, average_power=0.0, backend="numpy")
    states = iterate(game, m)
    next(states)
    for t in range(1, 401):
        _, _, s = next(states)
        if t in (10, 50, 400):
            avg = np.concatenate([s.sx, s.sy]) / s.wsum
            assert game.certify(avg).value <= const / math.sqrt(t)


def test_options_are_checked():
    game = eq.zoo.random_tree_game(seed=1, depth=3)
    with pytest.raises(ValueError, match="variant must be one of"):
        eq.solve(game, method="cfr", variant="cfr-")
    with pytest.raises(TypeError, match="alternate must be True or False"):
        eq.solve(game, method="cfr", alternate="yes")
    with pytest.raises(ValueError, match="average_power"):
        eq.solve(game, method="cfr", average_power=-1.0)
    with pytest.raises(ValueError, match="backend must be 'numpy' or 'numba'"):
        eq.METHODS["cfr"].configure(game, backend="cupy")
    with pytest.raises(ValueError, match="beta must be finite"):
        eq.solve(game, method="cfr", variant="dcfr", beta=math.inf)
    with pytest.raises(TypeError, match="regret minimisation runs on games in sequence form"):
        eq.solve(eq.zoo.random_matrix_game(3), method="cfr")


def test_defaults_of_the_variants():
    game = eq.zoo.random_tree_game(seed=1, depth=3)
    assert isinstance(eq.METHODS["cfr"].configure(game), PredictiveCFRPlus)
    d = eq.METHODS["cfr"].configure(game, variant="dcfr")
    assert isinstance(d, DCFR) and (d.alpha, d.beta, d.average_power) == (1.5, 0.0, 2.0)
    assert eq.METHODS["cfr"].configure(game, variant="cfr+").average_power == 1.0


def test_leduc_reaches_high_accuracy():
    pytest.importorskip("pyspiel")
    pytest.importorskip("numba")
    game = eq.ExtensiveFormGame.from_openspiel("leduc_poker")
    res = eq.solve(game, tol=1e-6, max_iter=60_000)
    assert res.converged and res.residual <= 1e-6
