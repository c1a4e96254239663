"""NormalFormGame: the certified Nash gap against exact rational arithmetic and brute force."""

import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.problems import NormalFormGame, normal_form

from ..conftest import random_simplex_point

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "games"


def exact_gap(game, xs):
    """Nash gap at the profile xs (any reals, taken exactly), by enumeration in Fractions."""
    xs = [[Fraction(float(p)) for p in x] for x in xs]
    n, U = game.num_players, game.exact_payoffs
    total = Fraction(0)
    for i in range(n):
        dev = [Fraction(0)] * game.shape[i]
        for a in itertools.product(*[range(s) for s in game.shape]):
            w = math.prod((xs[j][a[j]] for j in range(n) if j != i), start=Fraction(1))
            dev[a[i]] += U[(i,) + a] * w
        pay = sum(xs[i][k] * dev[k] for k in range(game.shape[i]))
        total += max(dev) - pay
    return total


def brute_force_gains(U, xs):
    """Best pure deviation gain per player, in floats, by explicit loops (independent code)."""
    n = len(xs)
    shape = U.shape[1:]
    gains = []
    for i in range(n):
        dev = np.zeros(shape[i])
        for a in itertools.product(*[range(s) for s in shape]):
            w = 1.0
            for j in range(n):
                if j != i:
                    w *= xs[j][a[j]]
            dev[a[i]] += U[(i,) + a] * w
        gains.append(dev.max() - float(np.dot(xs[i], dev)))
    return gains


rationals = st.builds(Fraction, st.integers(-20, 20), st.sampled_from([1, 1, 2, 3, 7, 10]))


@st.composite
def games(draw, max_players=3):
    n = draw(st.integers(1, max_players))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    size = n * math.prod(shape)
    flat = draw(st.lists(rationals, min_size=size, max_size=size))
    arr = np.empty((n,) + shape, dtype=object)
    arr.ravel()[:] = flat
    return NormalFormGame(arr)


@settings(max_examples=60)
@given(games(), st.integers(0, 2**32 - 1), st.booleans())
def test_certificate_bounds_the_exact_gap_and_is_tight(game, seed, sparse):
    rng = np.random.default_rng(seed)
    xs = [random_simplex_point(rng, s, sparse=sparse) for s in game.shape]
    cert = game.certify(game.join(tuple(xs)))
    exact = exact_gap(game, xs)
    # also the nearest exact simplex point (the float profile may miss sum 1 by rounding)
    on_simplex = [[Fraction(float(p)) / sum(Fraction(float(q)) for q in x) for p in x] for x in xs]
    exact_on_simplex = exact_gap(game, on_simplex)
    assert cert.kind == "nash_gap"
    assert Fraction(cert.value) >= exact and Fraction(cert.value) >= exact_on_simplex
    scale = max(1.0, float(np.max(np.abs(game.payoffs))))
    assert cert.value - float(exact) <= 1e-12 * scale
    assert 0 <= cert.rounding <= 1e-12 * scale


@settings(max_examples=30)
@given(games(), st.integers(0, 2**32 - 1))
def test_gains_match_brute_force_best_responses(game, seed):
    rng = np.random.default_rng(seed)
    xs = [random_simplex_point(rng, s) for s in game.shape]
    cert = game.certify(game.join(tuple(xs)))
    np.testing.assert_allclose(cert.details["gains"], brute_force_gains(game.payoffs, xs),
                               atol=1e-12)
    # F is minus the deviation payoffs, the same contraction
    F = game.operator(game.join(tuple(xs)))
    assert F.shape == (sum(game.shape),)


def test_pure_nash_equilibria_have_zero_gap_and_others_do_not(rng):
    for _ in range(20):
        U = rng.integers(-3, 4, size=(3, 2, 3, 2))
        game = NormalFormGame(U)
        for a in itertools.product(range(2), range(3), range(2)):
            xs = [np.eye(s)[k] for s, k in zip(game.shape, a)]
            is_nash = all(U[(i,) + a] >= max(U[(i,) + a[:i] + (b,) + a[i + 1:]]
                                             for b in range(game.shape[i])) for i in range(3))
            cert = game.certify(game.join(tuple(xs)))
            assert (cert.value <= 1e-12) == is_nash


def test_two_player_gap_agrees_with_the_bimatrix_and_matrix_certificates(rng):
    for _ in range(10):
        A = rng.integers(-5, 6, size=(4, 3)).astype(float)
        B = rng.integers(-5, 6, size=(4, 3)).astype(float)
        x, y = random_simplex_point(rng, 4), random_simplex_point(rng, 3)
        g = NormalFormGame([A, B])
        assert isinstance(g.to_problem(), eq.BimatrixGame) and not g.zero_sum
        z = g.join((x, y))
        assert abs(g.certify(z).value - eq.BimatrixGame(A, B).certify(z).value) <= 1e-12
        zs = NormalFormGame([A, -A])
        assert zs.zero_sum and isinstance(zs.to_problem(), eq.MatrixGame)
        # for zero-sum games the Nash gap is the duality gap
        assert abs(zs.certify(z).value - eq.MatrixGame(A).certify(z).value) <= 1e-12


def test_rounded_payoffs_are_covered():
    # 1/3 and 1/7 are not floats: the allowance covers their conversion
    game = NormalFormGame([[[Fraction(1, 3), Fraction(-1, 7)], [Fraction(2, 7), 0]],
                           [[Fraction(-1, 3), Fraction(1, 7)], [Fraction(-2, 7), 0]]])
    assert game.zero_sum
    res = eq.solve(game.to_problem(), tol=1e-12)
    xs = list(game.split(res.z).values())
    assert Fraction(game.certify(res.z).value) >= exact_gap(game, xs)


def test_three_player_game_solves_to_a_certified_equilibrium():
    game = eq.io.read_nfg(EXAMPLES / "el_farol.nfg")
    res = eq.solve(game, method="mirror_prox", tol=1e-8, max_iter=5000)
    assert res.converged and res.certificate.kind == "nash_gap"
    xs = list(game.split(res.z).values())
    assert float(exact_gap(game, xs)) <= res.residual <= 1e-8
    assert res.value == pytest.approx(game.payoff(tuple(xs))[0])


def test_certify_accepts_one_strategy_per_player_and_rejects_bad_profiles():
    game = NormalFormGame(np.zeros((3, 2, 2, 2)))
    assert eq.certify(game, ([0.5, 0.5], [1, 0], [0, 1])).value == 0.0
    with pytest.raises(ValueError, match="must have length 2"):
        eq.certify(game, ([0.5, 0.5], [1, 0, 0], [0, 1]))
    with pytest.raises(ValueError):
        eq.certify(game, ([0.7, 0.7], [1, 0], [0, 1]))


def test_labels_and_defaults():
    g = NormalFormGame(np.ones((2, 2, 3)))
    assert g.players == ("Player 1", "Player 2")
    assert g.strategies == (("1", "2"), ("1", "2", "3"))
    assert g.blocks == ("x1", "x2") and repr(g) == "NormalFormGame(2 players, 2x3)"
    g1 = NormalFormGame([[5, 2, 7]], players=["solo"], strategies=[["a", "b", "c"]])
    assert g1.certify(g1.join(([0.0, 0.0, 1.0],))).value <= 1e-12
    with pytest.raises(ValueError, match="two-player game, this one has 1 players"):
        g1.to_problem()


def test_to_problem_refuses_n_player_games_and_says_what_to_do():
    g = NormalFormGame(np.zeros((3, 2, 2, 2)))
    with pytest.raises(ValueError, match="N-player games are solved as NormalFormGame itself"):
        g.to_problem()


def test_payoffs_are_exact_and_not_the_callers():
    U = np.array([[[1, 2]], [[3, 4]]])
    before = U.copy()
    g = NormalFormGame(U)
    U[0, 0, 0] = 100
    assert g.exact_payoffs[0, 0, 0] == 1 and g.payoffs[0, 0, 0] == 1.0
    np.testing.assert_array_equal(before[1], U[1])
    with pytest.raises(ValueError):
        g.payoffs[0, 0, 0] = 5.0
    g2 = NormalFormGame([[["1/3", "0.1"]], [[Fraction(1, 2), 2]]])
    assert g2.exact_payoffs[0, 0, 1] == Fraction(1, 10)
    assert g2.exact_payoffs[0, 0, 0] == Fraction(1, 3)


@pytest.mark.parametrize("payoffs, exc, match", [
    (None, TypeError, "payoffs is required"),
    ("abc", TypeError, "payoffs must be a sequence of payoff arrays"),
    ([1, 2, 3], ValueError, r"payoffs must have shape \(N, s_1, ..., s_N\)"),
    (np.zeros((2, 3)), ValueError, "one axis per player: got 2 payoff arrays with 1 axes"),
    (np.zeros((2, 0, 2)), ValueError, "at least one strategy"),
    ([[["x", 1]], [[1, 1]]], ValueError, r"payoffs\(0, 0, 0\) must be a number such as 3"),
    ([[[float("nan"), 1]], [[1, 1]]], ValueError, "must be finite"),
    ([[[True, 1]], [[1, 1]]], TypeError, "must be a number, got bool"),
    ([[[1j, 1]], [[1, 1]]], TypeError, "must be a real number, got complex"),
    ([[[10**400, 1]], [[1, 1]]], ValueError, "fit in float64"),
])
def test_bad_payoffs_are_named(payoffs, exc, match):
    with pytest.raises(exc, match=match):
        NormalFormGame(payoffs)


def test_bad_labels_are_named():
    U = np.zeros((2, 2, 2))
    with pytest.raises(ValueError, match="players must have 2 labels, got 3"):
        NormalFormGame(U, players=["a", "b", "c"])
    with pytest.raises(TypeError, match="players must be a list of 2 strings"):
        NormalFormGame(U, players="ab")
    with pytest.raises(ValueError, match="strategies must list the strategy labels of each"):
        NormalFormGame(U, strategies=[["a", "b"]])
    with pytest.raises(TypeError, match=r"strategies\[1\] must contain strings"):
        NormalFormGame(U, strategies=[["a", "b"], ["c", 3]])
    with pytest.raises(TypeError, match="title must be a string"):
        NormalFormGame(U, title=3)


def test_size_limits(monkeypatch):
    monkeypatch.setattr(normal_form, "MAX_CONTINGENCIES", 10)
    with pytest.raises(ValueError, match="12 pure-strategy profiles, more than MAX_CONTINGENCIES = 10"):
        NormalFormGame(np.zeros((2, 3, 4)))
