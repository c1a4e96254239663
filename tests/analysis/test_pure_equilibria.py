"""Pure Nash equilibria enumerated exactly (analysis/pure_equilibria.py)."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.problems import NormalFormGame


def brute_force(U):
    """Pure equilibria of exact payoffs U (object array of Fractions, (N, s...)) by loops."""
    N, shape = U.shape[0], U.shape[1:]
    out = []
    for prof in itertools.product(*[range(s) for s in shape]):
        ok = True
        for i in range(N):
            for b in range(shape[i]):
                dev = list(prof)
                dev[i] = b
                if U[(i,) + tuple(dev)] > U[(i,) + prof]:
                    ok = False
        if ok:
            out.append(prof)
    return out


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_equal_to_brute_force_on_random_games_with_ties(data):
    N = data.draw(st.integers(1, 4))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=N, max_size=N)))
    size = int(np.prod(shape)) * N
    vals = data.draw(st.lists(st.integers(-2, 2), min_size=size, max_size=size))
    game = NormalFormGame(np.array(vals).reshape((N,) + shape))
    found = eq.equilibria(game, method="pure")
    assert [r.info["profile"] for r in found] == brute_force(game.exact_payoffs)
    for r in found:
        assert r.residual == 0.0 and r.certificate.kind == "nash_gap"
        assert game.certify(r.z).value <= 1e-12


def test_exact_ties_that_float64_cannot_see():
    # 1/3 rounds to the float 0.333...3 (just below 1/3): equal in float64, not exactly
    third = float(Fraction(1, 3))
    game = NormalFormGame([[["1/3", 0], [third, 0]], [[1, 1], [1, 1]]])
    # column 0: row 0 wins exactly; column 1: a true tie (both rows pay 0)
    assert [r.info["profile"] for r in eq.pure_equilibria(game)] == [(0, 0), (0, 1), (1, 1)]
    flipped = NormalFormGame([[[third, 0], ["1/3", 0]], [[1, 1], [1, 1]]])
    assert [r.info["profile"] for r in eq.pure_equilibria(flipped)] == [(0, 1), (1, 0), (1, 1)]


def test_results_carry_the_exact_profile_and_payoffs():
    pd = NormalFormGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]], strategies=[["C", "D"], ["C", "D"]])
    (r,) = eq.equilibria(pd, method="pure")
    assert r.info["labels"] == ("D", "D")
    assert r.info["exact"] == ((Fraction(0), Fraction(1)), (Fraction(0), Fraction(1)))
    assert r.info["payoffs"] == (Fraction(1), Fraction(1))
    assert r.value == 1.0 and r.converged and np.array_equal(r.x, [0.0, 1.0])


def test_bimatrix_and_matrix_games():
    rng = np.random.default_rng(2)
    A, B = rng.integers(0, 3, size=(4, 5)).astype(float), rng.integers(0, 3, size=(4, 5))
    U = np.stack([A, B]).astype(object)
    U = np.vectorize(Fraction)(U)
    expect = brute_force(U)
    assert [r.info["profile"] for r in eq.pure_equilibria(eq.BimatrixGame(A, B))] == expect
    # a saddle point of a zero-sum game
    M = eq.MatrixGame([[3.0, 1.0, 4.0], [2.0, 0.0, -1.0]])
    (r,) = eq.pure_equilibria(M)
    assert r.info["profile"] == (0, 1) and r.certificate.kind == "duality_gap"
    assert M.certify(r.z).value <= 1e-14


def test_equal_to_pygambit_enumpure():
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(11)
    for shape in [(3, 3, 3), (2, 2, 2, 2), (4, 3), (2, 3, 2)]:
        for _ in range(3):
            arrays = rng.integers(-2, 3, size=(len(shape),) + shape)
            gg = gbt.StrategicGame.from_arrays(*[a.tolist() for a in arrays])
            theirs = set()
            for e in gbt.nash.enumpure_solve(gg).equilibria:
                prof = []
                for p in gg.players:
                    probs = [e[p][s] for s in gg.get_strategies(p)]
                    prof.append(probs.index(1))
                theirs.add(tuple(prof))
            ours = {r.info["profile"] for r in eq.pure_equilibria(NormalFormGame(arrays))}
            assert ours == theirs, shape


def test_bad_input_is_a_clear_error():
    game = NormalFormGame(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="unknown method .magic. for equilibria"):
        eq.equilibria(game, method="magic")
    with pytest.raises(TypeError, match="game must be a NormalFormGame, BimatrixGame or"):
        eq.pure_equilibria(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="payoffs must have shape"):
        NormalFormGame([[[1, 2], [3]], [[1, 2], [3, 4]]])                 # ragged
    with pytest.raises(ValueError, match="must be finite"):
        NormalFormGame(np.array([[[np.nan, 0.0], [0.0, 0.0]]] * 2))
    with pytest.raises(ValueError, match="one axis per player"):
        NormalFormGame(np.zeros((3, 2, 2)))                               # wrong player count
