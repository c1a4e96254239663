"""Games from nashpy and pygambit, cross-checked against those libraries' own solvers."""

import io
from fractions import Fraction

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.io import from_nashpy, from_pygambit, parse_nfg, write_nfg

from ..conftest import lp_value, random_simplex_point


def test_from_nashpy_zero_sum_matches_nashpy_linear_program_and_support_enumeration(rng):
    nash = pytest.importorskip("nashpy")
    for _ in range(8):
        m, n = rng.integers(2, 6, size=2)
        A = np.round(rng.uniform(-9, 9, size=(m, n)), 3)   # generic: nondegenerate
        ng = nash.Game(A)
        game = from_nashpy(ng)
        assert game.zero_sum and game.players == ("Row", "Column")
        problem = game.to_problem()
        assert isinstance(problem, eq.MatrixGame)
        res = eq.solve(problem, tol=1e-9)
        assert res.converged
        x_lp, y_lp = ng.linear_program()
        v_lp = float(x_lp @ A @ y_lp)
        lo, hi = res.certificate.details["value_bounds"]
        assert lo - 1e-7 <= v_lp <= hi + 1e-7
        assert abs(v_lp - lp_value(A)) <= 1e-7
        # and nashpy's equilibrium certifies as one in eqsolve
        assert eq.certify(problem, (x_lp, y_lp)).value <= 1e-6


def test_from_nashpy_general_sum_equilibria_certify(rng):
    nash = pytest.importorskip("nashpy")
    A = np.round(rng.uniform(-5, 5, size=(3, 3)), 3)
    B = np.round(rng.uniform(-5, 5, size=(3, 3)), 3)
    ng = nash.Game(A, B)
    game = from_nashpy(ng)
    assert not game.zero_sum and isinstance(game.to_problem(), eq.BimatrixGame)
    np.testing.assert_array_equal(game.payoffs[1], B)
    found = 0
    # (nashpy's support enumeration misses equilibria of float games; vertex enumeration does not)
    for x, y in ng.vertex_enumeration():
        x, y = (np.clip(v, 0, None) / np.clip(v, 0, None).sum() for v in (x, y))
        found += 1
        assert game.certify(game.join((x, y))).value <= 1e-9
    assert found >= 1
    x, y = random_simplex_point(rng, 3), random_simplex_point(rng, 3)
    # nashpy's payoff evaluation agrees with eqsolve's
    np.testing.assert_allclose(ng[x, y], game.payoff((x, y)), atol=1e-12)


def test_from_nashpy_rejects_other_objects():
    with pytest.raises(TypeError, match="game must be a nashpy.Game"):
        from_nashpy(np.zeros((2, 2)))


def _labelled_gambit_game(gbt):
    """The game of the next test through pygambit 17's API (labels, outcomes by label)."""
    from decimal import Decimal

    g = gbt.StrategicGame([2, 3], title="interop")
    g.relabel_players({"1": "Ann", "2": "Bob"})
    g.relabel_strategies("Bob", {"1": "s0", "2": "s1", "3": "s2"})
    for i in range(2):
        for j in range(3):
            if (i, j) != (0, 0):           # (0, 0) has no outcome: zero payoffs
                bob = Decimal("0.125") if (i, j) == (1, 0) else -j
                g.make_outcome({"Ann": str(i + 1), "Bob": f"s{j}"},
                               {"Ann": gbt.Rational(i + 1, j + 2), "Bob": bob}, f"o{i}{j}")
    return g


def test_from_pygambit_keeps_labels_and_exact_payoffs():
    gbt = pytest.importorskip("pygambit")
    if not hasattr(gbt.Game, "new_table"):
        g = _labelled_gambit_game(gbt)
        game = from_pygambit(g)
        assert game.players == ("Ann", "Bob") and game.strategies[1] == ("s0", "s1", "s2")
        assert game.title == "interop"
        assert game.exact_payoffs[:, 0, 0].tolist() == [0, 0]
        assert game.exact_payoffs[1, 1, 0] == Fraction(1, 8)
        assert game.exact_payoffs[0, 1, 2] == Fraction(2, 4)
        assert game.exact_payoffs[1, 0, 2] == -2
        return
    g = gbt.Game.new_table([2, 3], title="interop")
    ann, bob = list(g.players)
    ann.label, bob.label = "Ann", "Bob"
    for k, s in enumerate(bob.strategies):
        s.label = f"s{k}"
    for i in range(2):
        for j in range(3):
            if (i, j) != (0, 0):           # (0, 0) keeps its payoffs at zero
                g[i, j][ann] = gbt.Rational(i + 1, j + 2)
                g[i, j][bob] = -j
    g[1, 0][bob] = __import__("decimal").Decimal("0.125")
    game = from_pygambit(g)
    assert game.exact_payoffs[:, 0, 0].tolist() == [0, 0]
    assert game.exact_payoffs[1, 1, 0] == Fraction(1, 8)
    if hasattr(g, "to_nfg"):
        # pygambit's own file of this game (outcome form, rationals and decimals) reads the same
        assert parse_nfg(g.to_nfg()) == game
    assert game.players == ("Ann", "Bob") and game.strategies[1] == ("s0", "s1", "s2")
    assert game.title == "interop"
    assert game.exact_payoffs[0, 1, 2] == Fraction(2, 4)
    assert game.exact_payoffs[1, 0, 2] == -2


def test_files_written_by_pygambit_read_identically(rng):
    gbt = pytest.importorskip("pygambit")
    for n_players, shape in ((2, (3, 2)), (3, (2, 2, 3))):
        arrays = [rng.integers(-5, 6, size=shape) for _ in range(n_players)]
        # pygambit 17 moved from_arrays to StrategicGame
        g = getattr(gbt, "StrategicGame", gbt.Game).from_arrays(*arrays, title="random")
        # pygambit >= 16.3 has to_nfg(); earlier versions write(format="nfg")
        text = g.to_nfg() if hasattr(g, "to_nfg") else g.write(format="nfg")
        game = parse_nfg(text)
        for i in range(n_players):
            np.testing.assert_array_equal(game.payoffs[i], arrays[i])
        assert game == from_pygambit(g)
        # and pygambit reads eqsolve's files back to the same game
        back = (gbt.read_nfg(io.StringIO(write_nfg(game))) if hasattr(gbt, "read_nfg")
                else gbt.Game.parse_game(write_nfg(game)))
        assert from_pygambit(back) == game
        assert write_nfg(parse_nfg(text)) == write_nfg(game)


def test_from_pygambit_rejects_other_objects():
    with pytest.raises(TypeError, match="game must be a pygambit Game"):
        from_pygambit(object())
