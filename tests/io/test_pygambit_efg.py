"""pygambit tree games: from_pygambit against read_efg on the same files, pygambit's exact
sequence-form LP against our certified brackets, and our files read by Gambit."""

import io
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.io import format_efg, from_pygambit, parse_efg, parse_nfg, read_efg
from eqsolve.io.efg import parse_efg_tree, tree_to_game
from eqsolve.problems import NormalFormGame

from .test_efg import CARD_GAME, random_tree, same_game

gbt = pytest.importorskip("pygambit")
if not hasattr(gbt, "ExtensiveGame"):
    pytest.skip("tree games need pygambit >= 17", allow_module_level=True)

CATALOG = sorted((Path(gbt.__file__).parent / "catalog_data").rglob("*.efg"))


def first_appearance_keys(game):
    """The file's (player, set) keys renumbered by first appearance in prefix order, as
    Gambit numbers the sets of a game it has read."""
    rank, seen = {}, {1: 0, 2: 0}
    for node in game.tree.nodes:
        key = (node.player, node.infoset)
        if node.kind == "p" and key not in rank:
            seen[node.player] += 1
            rank[key] = (node.player, seen[node.player])
    return tuple(tuple(rank[k] for k in keys) for keys in game.infosets)


def two_player_zero_sum_catalog():
    out = []
    for path in CATALOG:
        try:
            out.append((path, read_efg(path), gbt.read_efg(str(path))))
        except ValueError:
            continue
    return out


@pytest.fixture(scope="module")
def catalog():
    games = two_player_zero_sum_catalog()
    assert len(games) >= 5
    return games


def test_every_catalog_file_round_trips():
    # pygambit ships Gambit's catalog: games of any size and number of players
    assert len(CATALOG) >= 20
    for path in CATALOG:
        tree = parse_efg_tree(path.read_text(encoding="utf-8"), source=str(path))
        assert parse_efg_tree(format_efg(tree)) == tree, path
        try:
            game = tree_to_game(tree)
        except ValueError:
            continue
        assert same_game(parse_efg(format_efg(game)), game), path


def test_from_pygambit_equals_read_efg_on_the_catalog(catalog):
    for path, ours, theirs in catalog:
        g = from_pygambit(theirs)
        assert (g.A != ours.A).nnz == 0, path
        for a, b in zip(g.treeplexes, ours.treeplexes):
            assert np.array_equal(a.parents, b.parents) and np.array_equal(a.sizes, b.sizes), path
        assert g.actions == ours.actions, path
        assert g.infosets == first_appearance_keys(ours), path


def test_pygambit_lp_value_lies_in_the_certified_bracket(catalog):
    games = list(catalog) + [("card game", parse_efg(CARD_GAME), gbt.read_efg(io.StringIO(CARD_GAME)))]
    for seed in range(12):
        text = format_efg(random_tree(random.Random(100 + seed), depth=5))
        games.append((f"random tree {seed}", parse_efg(text), gbt.read_efg(io.StringIO(text))))
    for path, ours, theirs in games:
        lp = gbt.nash.lp_solve(theirs, rational=True)
        players = list(theirs.players)
        value = Fraction(lp.equilibrium.payoffs[players[0]])
        res = eq.solve(ours, method="cfr", tol=1e-9)
        lo, hi = res.certificate.details["value_bounds"]
        assert lo <= float(value) <= hi, path
        # pygambit's exact equilibrium, certified by us: a gap of rounding size only
        g = from_pygambit(theirs)
        strategy = {}
        for i, p in enumerate(players):
            for k, (_, mixed) in enumerate(list(lp.equilibrium[p])):
                strategy[(i + 1, k + 1)] = {a: float(q) for a, q in mixed}
        cert = g.certify(g.plans_from_behavior(strategy))
        scale = max(g.amax, 1.0) * max(g.row_sums, g.col_sums, 1.0)
        assert cert.value <= 1e-12 * scale, path
        lo, hi = cert.details["value_bounds"]
        assert lo <= float(value) <= hi, path


def test_gambit_reads_our_files_back_to_the_same_game(catalog):
    for path, ours, _ in catalog:
        back = from_pygambit(gbt.read_efg(io.StringIO(format_efg(ours))))
        assert (back.A != ours.A).nnz == 0 and back.actions == ours.actions, path
    for seed in range(20):
        tree = random_tree(random.Random(seed), depth=4)
        ours = parse_efg(format_efg(tree))
        theirs = from_pygambit(gbt.read_efg(io.StringIO(format_efg(tree))))
        assert (theirs.A != ours.A).nnz == 0, seed
        # pygambit's tree, written by us, is a tree of the same game
        again = parse_efg(format_efg(theirs))
        assert same_game(again, theirs), seed


def test_exact_chance_and_inner_outcomes_through_pygambit():
    ours = parse_efg(CARD_GAME)
    theirs = from_pygambit(gbt.read_efg(io.StringIO(CARD_GAME)))
    assert same_game(theirs, ours)
    assert theirs.tree.nodes[0].probs == (Fraction(1, 3),) * 3
    assert theirs.tree.title == "card game" and theirs.tree.players == ("Alice", "Bob")


def test_action_labels_are_made_unique_as_gambit_makes_them():
    text = 'EFG 2 R "" { "1" "2" } p "" 1 1 "" { "x" "x" "" "x_1" } 0 t "" 0 t "" 0 t "" 0 t "" 0'
    assert from_pygambit(gbt.read_efg(io.StringIO(text))).actions == parse_efg(text).actions


def test_pygambit_games_we_cannot_take():
    three = gbt.read_efg(io.StringIO('EFG 2 R "" { "1" "2" "3" } p "" 1 1 "" { "a" "b" } 0 '
                                     't "" 1 "" { 1 2 3 } t "" 0'))
    # a three-player tree is read through its reduced strategic form
    reduced = from_pygambit(three)
    assert isinstance(reduced, NormalFormGame) and reduced.num_players == 3
    general = gbt.read_efg(io.StringIO('EFG 2 R "" { "1" "2" } p "" 1 1 "" { "a" "b" } 0 '
                                       't "" 1 "" { 1 2 } t "" 2 "" { 0 0 }'))
    with pytest.raises(ValueError, match=r"not zero-sum or constant-sum: the payoffs at terminal node "
                       r"2 \(prefix order\) add up to 3, at terminal node 3 \(prefix order\) to 0"):
        from_pygambit(general)


def test_pygambit_table_games_become_normal_form_games():
    if not hasattr(gbt, "StrategicGame"):
        pytest.skip("the label-based table API is pygambit >= 17")
    g = gbt.StrategicGame.from_arrays([[1, gbt.Rational(1, 3)], [0, 2]],
                                      [[-1, gbt.Rational(-1, 3)], [0, -2]], title="table")
    game = from_pygambit(g)
    assert isinstance(game, NormalFormGame) and game.title == "table"
    assert game.payoffs[0].tolist() == [[1.0, 1 / 3], [0.0, 2.0]] and game.zero_sum
    assert game.exact_payoffs[1, 0, 1] == Fraction(-1, 3)
    # pygambit's own .nfg file of the game reads as the same game
    assert parse_nfg(g.to_nfg()) == game
    assert game.players == tuple(g.players)
    assert game.strategies == tuple(tuple(g.get_strategies(p)) for p in g.players)
