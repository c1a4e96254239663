"""Correlated and coarse correlated equilibria (analysis/correlated.py), checked exactly."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.analysis.correlated import deviation_gains
from eqsolve.problems import NormalFormGame


def profiles(shape):
    return list(itertools.product(*[range(s) for s in shape]))


def exact_max_gain(game, mu, kind):
    """Largest deviation gain of ``mu`` (clipped at 0, normalised exactly) in Fractions."""
    U = game.exact_payoffs
    shape = game.shape
    w = {p: max(Fraction(float(mu[p])), Fraction(0)) for p in profiles(shape)}
    tot = sum(w.values())
    w = {p: v / tot for p, v in w.items()}
    best = None
    for i in range(game.num_players):
        froms = range(shape[i]) if kind == "ce" else [None]
        for a in froms:
            for b in range(shape[i]):
                g = Fraction(0)
                for p, m in w.items():
                    if m == 0 or (a is not None and p[i] != a):
                        continue
                    dev = list(p)
                    dev[i] = b
                    g += m * (U[(i,) + tuple(dev)] - U[(i,) + p])
                best = g if best is None else max(best, g)
    return best


def independent_lp(game, kind, weights):
    """The CE/CCE welfare LP written profile by profile (dense, no vectorisation)."""
    from scipy.optimize import linprog

    U = np.asarray(game.payoffs)
    shape = game.shape
    profs = profiles(shape)
    rows = []
    for i in range(game.num_players):
        devs = ([(a, b) for a in range(shape[i]) for b in range(shape[i]) if a != b]
                if kind == "ce" else [(None, b) for b in range(shape[i])])
        for a, b in devs:
            row = []
            for p in profs:
                if a is not None and p[i] != a:
                    row.append(0.0)
                    continue
                dev = list(p)
                dev[i] = b
                row.append(U[(i,) + tuple(dev)] - U[(i,) + p])
            rows.append(row)
    c = [-sum(weights[i] * U[(i,) + p] for i in range(game.num_players)) for p in profs]
    res = linprog(c, A_ub=np.array(rows), b_ub=np.zeros(len(rows)), A_eq=np.ones((1, len(profs))),
                  b_eq=[1.0], bounds=(0, None), method="highs")
    return -res.fun


@pytest.mark.parametrize("kind", ["ce", "cce"])
@pytest.mark.parametrize("shape, seed", [((3, 3), 0), ((2, 3, 2), 1), ((3, 3, 3), 2),
                                         ((2, 2, 2, 2), 3)])
def test_lp_solutions_meet_the_definitions_exactly(kind, shape, seed):
    game = NormalFormGame(np.random.default_rng(seed).integers(-5, 6, size=(len(shape),) + shape))
    for objective in (None, "welfare", np.arange(1, len(shape) + 1)):
        res = eq.correlated_equilibrium(game, kind, objective)
        assert res.converged and res.method == "lp" and res.residual <= 1e-6
        assert res.distribution.shape == shape
        assert np.all(res.distribution >= 0) and abs(res.distribution.sum() - 1) < 1e-12
        assert exact_max_gain(game, res.distribution, kind) <= Fraction(res.residual)
        if objective is not None:
            w = np.ones(len(shape)) if isinstance(objective, str) else objective
            assert res.objective == pytest.approx(independent_lp(game, kind, w), abs=1e-7)


def test_aumanns_chicken():
    chicken = NormalFormGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])
    ce = eq.correlated_equilibrium(chicken, "ce", "welfare")
    # the welfare-best CE: (C, C) with 1/2, each mixed corner with 1/4, welfare 10.5
    assert ce.objective == pytest.approx(10.5, abs=1e-9)
    assert np.allclose(ce.distribution, [[0.0, 0.25], [0.25, 0.5]], atol=1e-9)
    cce = eq.correlated_equilibrium(chicken, "cce", "welfare")
    assert cce.objective >= ce.objective - 1e-9       # every CE is a CCE


def test_against_cvxpy():
    cp = pytest.importorskip("cvxpy")
    game = NormalFormGame(np.random.default_rng(4).integers(-4, 5, size=(3, 2, 3, 2)))
    U = np.asarray(game.payoffs)
    mu = cp.Variable(12, nonneg=True)
    cons = [cp.sum(mu) == 1]
    M = np.zeros((0, 12))
    profs = profiles(game.shape)
    for i in range(3):
        for b in range(game.shape[i]):
            row = [U[(i,) + tuple(b if k == i else p[k] for k in range(3))] - U[(i,) + p]
                   for p in profs]
            M = np.vstack([M, row])
    cons.append(M @ mu <= 0)
    welfare = np.array([U[(slice(None),) + p].sum() for p in profs])
    prob = cp.Problem(cp.Maximize(welfare @ mu), cons)
    prob.solve()
    res = eq.correlated_equilibrium(game, "cce", "welfare")
    assert res.objective == pytest.approx(prob.value, abs=1e-5)


def test_self_play_gap_equals_an_independent_computation():
    game = NormalFormGame(np.random.default_rng(5).uniform(-1, 1, size=(3, 3, 2, 3)))
    res = eq.correlated_equilibrium(game, "cce", method="self_play", max_rounds=400)
    assert res.method == "self_play" and res.iterations == 400 and res.status == "max_iter"
    exact = exact_max_gain(game, res.distribution, "cce")
    assert exact <= Fraction(res.residual)
    # the regret computed from the play and the gain of the empirical distribution agree
    assert abs(res.certificate.details["play_gap"] - float(exact)) < 1e-9
    assert abs(res.residual - float(exact)) < 1e-9
    assert max(res.info["average_regret"]) == pytest.approx(float(exact), abs=1e-12)
    # and it decays (optimistic hedge: O(log T / T))
    h = res.history
    assert h["gap"][-1] < 0.2 * h["gap"][h["rounds"].index(next(t for t in h["rounds"] if t >= 20))]


def test_self_play_stops_at_tol_and_is_the_default_for_large_games(monkeypatch):
    from eqsolve.analysis import correlated

    game = NormalFormGame(np.random.default_rng(6).uniform(size=(3, 3, 3, 3)))
    monkeypatch.setattr(correlated, "LP_MAX_PROFILES", 10)
    res = eq.correlated_equilibrium(game, "cce", tol=1e-2, max_rounds=10_000)
    assert res.method == "self_play" and res.converged and res.residual <= 1e-2
    assert res.iterations < 10_000
    # a CE, or an objective, stays a linear program whatever the size
    assert eq.correlated_equilibrium(game, "ce").method == "lp"
    assert eq.correlated_equilibrium(game, "cce", "welfare").method == "lp"
    # unless the LP is too large to build: then a clear error
    monkeypatch.setattr(correlated, "LP_MAX_NONZEROS", 100)
    with pytest.raises(ValueError, match="constraint nonzeros, more than LP_MAX_NONZEROS"):
        eq.correlated_equilibrium(game, "ce")


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_certificate_is_sound_for_any_distribution(data):
    N = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=N, max_size=N)))
    P = int(np.prod(shape))
    vals = data.draw(st.lists(st.integers(-3, 3), min_size=P * N, max_size=P * N))
    game = NormalFormGame(np.array(vals).reshape((N,) + shape))
    w = np.array(data.draw(st.lists(st.floats(0, 1), min_size=P, max_size=P))) + 1e-3
    mu = (w / w.sum()).reshape(shape)
    for kind in ("ce", "cce"):
        cert = eq.certify_correlated(game, mu, kind)
        assert exact_max_gain(game, mu, kind) <= Fraction(cert.value)
        gains = deviation_gains(game, mu, kind)
        assert max(float(g.max()) for g in gains) <= cert.value


def test_certificate_covers_distributions_off_the_simplex():
    """Slightly negative or unnormalised input: the allowance covers the distance to the
    nearest true distribution (the exact check clips and renormalises)."""
    game = NormalFormGame(np.random.default_rng(8).integers(-4, 5, size=(3, 2, 3, 2)))
    rng = np.random.default_rng(9)
    for scale in (1e-3, 1e-9):
        mu = rng.dirichlet(np.ones(12)).reshape(game.shape)
        mu = mu + scale * rng.normal(size=mu.shape)
        for kind in ("ce", "cce"):
            cert = eq.certify_correlated(game, mu, kind)
            assert cert.details["simplex_distance"] > 0
            assert exact_max_gain(game, mu, kind) <= Fraction(cert.value)


def test_two_player_classes():
    A = np.array([[3.0, 0.0], [5.0, 1.0]])
    res = eq.correlated_equilibrium(eq.BimatrixGame(A, A.T), "ce")
    assert res.converged and res.distribution[1, 1] == pytest.approx(1.0)
    res = eq.correlated_equilibrium(eq.MatrixGame([[1.0, -1.0], [-1.0, 1.0]]), "ce")
    assert np.allclose(res.distribution, 0.25, atol=1e-9)


@pytest.mark.parametrize("call, error, match", [
    (lambda g: eq.correlated_equilibrium(g, "nash"), ValueError, "kind must be 'ce'"),
    (lambda g: eq.correlated_equilibrium(g, "ce", "utility"), ValueError, "objective must be"),
    (lambda g: eq.correlated_equilibrium(g, "ce", [1.0, 2.0, 3.0]), ValueError,
     r"shape \(2,\) \(one per player\)"),
    (lambda g: eq.correlated_equilibrium(g, "ce", [np.nan, 1.0]), ValueError, "must be finite"),
    (lambda g: eq.correlated_equilibrium(g, "ce", method="simplex"), ValueError,
     "method must be None, 'lp' or 'self_play'"),
    (lambda g: eq.correlated_equilibrium(g, "ce", method="self_play"), ValueError,
     "coarse correlated equilibria only"),
    (lambda g: eq.correlated_equilibrium(g, "cce", "welfare", method="self_play"), ValueError,
     "an objective needs method='lp'"),
    (lambda g: eq.correlated_equilibrium(g, tol=-1), ValueError, "tol must be a positive"),
    (lambda g: eq.correlated_equilibrium(g, max_rounds=0), ValueError, "max_rounds"),
    (lambda g: eq.certify_correlated(g, np.ones((3, 2)) / 6), ValueError, "game's shape"),
    (lambda g: eq.certify_correlated(g, [[np.nan, 0], [0, 1]]), ValueError, "finite"),
    (lambda g: eq.correlated_equilibrium(np.eye(2)), TypeError, "game must be a NormalFormGame"),
])
def test_bad_input_is_a_clear_error(call, error, match):
    game = NormalFormGame([[[1, 0], [0, 1]], [[1, 0], [0, 1]]])
    with pytest.raises(error, match=match):
        call(game)
