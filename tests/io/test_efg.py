"""Gambit .efg files: parsing, exactness, chance normalisation, errors, round trips.

The reference for every game built here is an exact walk of the tree with
Fractions (expected payoffs under behaviour strategies, as Gambit defines
them), independent of the sequence form.
"""

import io
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.io import EFGParseError, EFGTree, format_efg, parse_efg, read_efg, write_efg
from eqsolve.io.efg import (EFGNode, EFGOutcome, chance_rounding_bound, parse_efg_tree,
                            tree_to_game)
from eqsolve.problems.extensive_form import SequenceFormBuilder

# A dealt card (1/3 each), player 1 bets or checks, player 2 (not seeing the card)
# calls or folds; an outcome at the root adds an ante to every play.
CARD_GAME = r'''EFG 2 R "card game" { "Alice" "Bob" } "a comment with a \"quote\""
c "deal" 1 "nature" { "K" 1/3 "Q" 1/3 "J" 1/3 } 1 "ante" { 1/2, -1/2 }
p "" 1 1 "holds K" { "bet" "check" } 0
p "" 2 1 "facing bet" { "call" "fold" } 0
t "" 2 "win big" { 2, -2 }
t "" 3 "win" { 1, -1 }
t "" 3
p "" 1 2 "holds Q" { "bet" "check" } 0
p "" 2 1 0
t "" 4 "lose big" { -2 2 }
t "" 3
t "" 0
p "" 1 3 "holds J" { "bet" "check" } 0
p "" 2 1 "facing bet" { "call" "fold" } 0
t "" 4
t "" 3
t "" 5 "lose" { -1.0e0, 1 }
'''


def exact_value(tree: EFGTree, strategy, probs=None) -> Fraction:
    """Player 1's expected payoff under behaviour strategies ``{(player, set): [p_a]}``,
    walking the tree exactly (chance as written, or as ``probs(node)`` returns)."""
    nodes = tree.nodes
    pos = [0]

    def walk(acc):
        node = nodes[pos[0]]
        pos[0] += 1
        o = tree.outcome(node.outcome)
        if o is not None:
            acc = acc + o.payoffs[0]
        if node.kind == "t":
            return acc
        if node.kind == "c":
            w = node.probs if probs is None else probs(node)
        else:
            w = strategy[(node.player, node.infoset)]
        return sum((Fraction(wi) * walk(acc) for wi in w), Fraction(0))

    return walk(Fraction(0))


def random_tree(rng: random.Random, depth=4, *, decimals=False, p_inner_outcome=0.3) -> EFGTree:
    """A random two-player zero-sum tree with perfect recall: a player's information
    set is her history of observations (her own moves and the chance moves and
    opponent's moves she sees), so two nodes of one set follow the same own moves."""
    nodes, outcomes = [], []
    sets = {1: {}, 2: {}}       # observation history -> (number, n actions, opponent sees)
    counter = {"chance": 0}

    def outcome():
        u = Fraction(rng.randint(-6, 6), rng.choice([1, 2, 3, 4]))
        outcomes.append(EFGOutcome(len(outcomes) + 1, f"o{len(outcomes) + 1}", (u, -u)))
        return len(outcomes)

    def gen(d, obs):
        r = rng.random()
        with_inner = rng.random() < p_inner_outcome
        if d == 0 or r < 0.15:
            nodes.append(EFGNode("t", outcome=outcome() if rng.random() < 0.9 else 0))
            return
        if r < 0.45:
            k = rng.randint(1, 3)
            if decimals:
                # 1/k to 7 places: sums to one only within rounding
                probs = (Fraction(round(10**7 / k), 10**7),) * k
            else:
                w = [rng.randint(0, 4) for _ in range(k)]
                if not sum(w):
                    w[0] = 1
                probs = tuple(Fraction(x, sum(w)) for x in w)
            counter["chance"] += 1
            seen = (rng.random() < 0.5, rng.random() < 0.5)
            inner = outcome() if with_inner else 0
            nodes.append(EFGNode("c", infoset=counter["chance"], actions=tuple(f"c{j}" for j in range(k)),
                                 probs=probs, outcome=inner))
            for j in range(k):
                gen(d - 1, tuple(o + ((("c", counter["chance"], j),) if s else ())
                                 for o, s in zip(obs, seen)))
            return
        pl = rng.choice([1, 2])
        key = obs[pl - 1]
        if key not in sets[pl]:
            sets[pl][key] = (len(sets[pl]) + 1, rng.randint(1, 3), rng.random() < 0.5)
        number, k, opp_sees = sets[pl][key]
        inner = outcome() if with_inner else 0
        nodes.append(EFGNode("p", player=pl, infoset=number, actions=tuple(f"a{j}" for j in range(k)),
                             outcome=inner))
        for j in range(k):
            new = list(obs)
            new[pl - 1] = obs[pl - 1] + (("a", number, j),)
            if opp_sees:
                new[2 - pl] = obs[2 - pl] + (("a", pl, number, j),)
            gen(d - 1, tuple(new))

    gen(depth, ((), ()))
    return EFGTree("random", ("P1", "P2"), "", tuple(nodes), tuple(outcomes))


def random_behavior(game, rng: np.random.Generator):
    out = {}
    for p in range(2):
        for key, acts in zip(game.infosets[p], game.actions[p]):
            w = rng.random(len(acts)) + 0.05
            w /= w.sum()
            out[key] = dict(zip(acts, w.tolist()))
    return out


def same_game(g, h) -> bool:
    return (g.A.shape == h.A.shape and (g.A != h.A).nnz == 0
            and all(np.array_equal(a.parents, b.parents) and np.array_equal(a.sizes, b.sizes)
                    for a, b in zip(g.treeplexes, h.treeplexes))
            and g.infosets == h.infosets and g.actions == h.actions
            and g.chance_rounding == h.chance_rounding and g.constant == h.constant)


def plan_value(game, behavior) -> float:
    z = game.plans_from_behavior(behavior)
    return float(z[: game.n1] @ (game.A @ z[game.n1:]))


def reference_value(game, behavior) -> Fraction:
    strategy = {key: [Fraction(p) for p in probs.values()] for key, probs in behavior.items()}
    return exact_value(game.tree, strategy)


# -- parsing ------------------------------------------------------------------
def test_card_game_is_read_exactly():
    g = parse_efg(CARD_GAME)
    t = g.tree
    assert t.title == "card game" and t.players == ("Alice", "Bob")
    assert t.comment == 'a comment with a "quote"'
    assert len(t.nodes) == 16 and [n.kind for n in t.nodes[:4]] == ["c", "p", "p", "t"]
    # repeated descriptions omitted in the file are filled in
    assert t.nodes[7].actions == ("call", "fold") and t.nodes[7].infoset_label == "facing bet"
    assert t.nodes[0].probs == (Fraction(1, 3),) * 3
    assert t.outcome(5).payoffs == (-1, 1) and t.outcome(1).payoffs == (Fraction(1, 2), Fraction(-1, 2))
    assert g.X.n_sets == 3 and g.Y.n_sets == 1 and g.chance_rounding == 0.0
    assert g.infosets == (((1, 1), (1, 2), (1, 3)), ((2, 1),))
    assert g.actions[1] == (("call", "fold"),)
    # every entry of A is the exact chance-weighted payoff rounded once
    x_bet = {k: {"bet": 1.0, "check": 0.0} for k in g.infosets[0]}
    # Alice always bets, Bob always calls: K wins 2, Q loses 2, J loses 2, plus the ante 1/2
    beh = {**x_bet, (2, 1): {"call": 1.0, "fold": 0.0}}
    assert plan_value(g, beh) == pytest.approx(float(Fraction(1, 2) + Fraction(2 - 2 - 2, 3)), abs=1e-15)
    for (p1, p2) in [("bet", "fold"), ("check", "call")]:
        beh = {**{k: {"bet": float(p1 == "bet"), "check": float(p1 == "check")} for k in g.infosets[0]},
               (2, 1): {"call": float(p2 == "call"), "fold": float(p2 == "fold")}}
        assert plan_value(g, beh) == pytest.approx(float(reference_value(g, beh)), abs=1e-15)
    # one entry per leaf: (payoff + ante) / 3, each the exact rational rounded once
    leaf = [Fraction(5, 2), Fraction(3, 2), Fraction(3, 2), Fraction(-3, 2), Fraction(3, 2),
            Fraction(1, 2), Fraction(-3, 2), Fraction(3, 2), Fraction(-1, 2)]
    assert sorted(g.A.data.tolist()) == sorted(float(u / 3) for u in leaf)


def test_numbers_in_every_form_are_exact():
    text = ('EFG 2 R "" { "1" "2" } c "" 1 "" { "a" 0.25 "b" 2.5e-1 "c" 1/2 } 0 '
            't "" 1 "" { -.5e1 +5 } t "" 2 "" { 1/3, -1/3 } t "" 3 "" { 1E2 -100 }')
    t = parse_efg_tree(text)
    assert t.nodes[0].probs == (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2))
    assert [o.payoffs for o in t.outcomes] == [(-5, 5), (Fraction(1, 3), Fraction(-1, 3)), (100, -100)]
    g = tree_to_game(t)
    # the single sequence pair collects the three leaves: one exact sum, rounded once
    assert g.A.toarray().tolist() == [[float(Fraction(-5, 4) + Fraction(1, 12) + 50)]]


def test_duplicate_and_empty_action_labels_become_unique_as_gambit_makes_them():
    g = parse_efg('EFG 2 R "" { "1" "2" } p "" 1 1 "" { "x" "x" "" "x_1" } 0 '
                  't "" 0 t "" 0 t "" 0 t "" 0')
    assert g.actions[0] == (("x_2", "x_3", "_1", "x_1"),)
    assert g.tree.nodes[0].actions == ("x", "x", "", "x_1")


def test_player_two_without_moves_and_a_single_leaf():
    g = parse_efg('EFG 2 R "" { "1" "2" } p "" 1 1 "" { "L" "R" } 0 t "" 1 "" { 3 -3 } t "" 0')
    assert (g.X.dim, g.Y.dim) == (3, 1)
    c = eq.solve(g, method="cfr", tol=1e-9).certificate
    assert c.details["value_bounds"][0] <= 3.0 <= c.details["value_bounds"][1]
    g = parse_efg('EFG 2 R "" { "1" "2" } t "" 1 "" { 7/2 -7/2 }')
    assert (g.X.dim, g.Y.dim) == (1, 1) and g.A.toarray().tolist() == [[3.5]]


def test_constant_sum_games_are_taken():
    g = parse_efg('EFG 2 R "" { "1" "2" } p "" 1 1 "" { "L" "R" } 0 '
                  't "" 1 "" { 3 2 } t "" 2 "" { 1/2 9/2 }')
    assert g.constant == 5.0 and sorted(g.A.data.tolist()) == [0.5, 3.0]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_trees_match_the_exact_tree_walk(seed):
    rng = random.Random(seed)
    tree = random_tree(rng, depth=rng.randint(1, 5))
    g = tree_to_game(tree)
    assert g.chance_rounding == 0.0
    nrng = np.random.default_rng(seed)
    for _ in range(3):
        beh = random_behavior(g, nrng)
        ref = reference_value(g, beh)
        scale = 1.0 + float(max((abs(o.payoffs[0]) for o in tree.outcomes), default=0)) * 8
        assert abs(plan_value(g, beh) - float(ref)) <= 1e-13 * scale
    # and the text of the tree reads back to the same tree and the same game
    back = parse_efg(format_efg(tree))
    assert back.tree == tree and same_game(back, g)


# -- chance probabilities that sum to one only within rounding ---------------
def test_decimal_chance_probabilities_are_normalised_and_bounded():
    text = ('EFG 2 R "" { "1" "2" } c "" 1 "" { "a" 0.3333333 "b" 0.3333333 "c" 0.3333333 } 0 '
            'p "" 1 1 "" { "L" "R" } 0 t "" 1 "" { 1 -1 } t "" 2 "" { -3 3 } '
            'p "" 1 1 0 t "" 1 t "" 2 '
            'p "" 2 1 "" { "l" "r" } 0 t "" 1 t "" 3 "" { 2 -2 }')
    g = parse_efg(text)
    assert g.tree.nodes[0].probs == (Fraction(3333333, 10**7),) * 3     # kept as written
    dev = Fraction(1, 10**7)
    # bound: |S - 1| times the largest payoff below (3), twice for the gap
    assert chance_rounding_bound(g.tree) == pytest.approx(float(dev * 3), rel=1e-12)
    assert g.chance_rounding == 2 * chance_rounding_bound(g.tree)
    # the sequence form uses the normalised 1/3 exactly
    beh = {(1, 1): {"L": 1.0, "R": 0.0}, (2, 1): {"l": 0.0, "r": 1.0}}
    assert plan_value(g, beh) == float(Fraction(1, 3) * (1 + 1 + 2))
    # written back as read
    assert "0.3333333" in write_efg(g)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_normalisation_bound_is_sound_for_values_and_certificates(seed):
    rng = random.Random(seed)
    tree = random_tree(rng, depth=rng.randint(2, 5), decimals=True)
    g = tree_to_game(tree)
    bound = chance_rounding_bound(tree)
    devs = [abs(sum(n.probs) - 1) for n in tree.nodes if n.kind == "c"]
    if not any(devs):
        assert bound == 0.0 and g.chance_rounding == 0.0
        return
    M = max(abs(p[0]) for _, p in tree.leaf_payoffs())
    assert bound <= float(sum(devs) * M) * (1 + 1e-5) + 1e-300      # no looser than the crude bound
    # the raw game (probabilities as written, not a distribution) built independently
    b = SequenceFormBuilder()
    leaves = dict(tree.leaf_payoffs())
    stack = [(0, 0, Fraction(1))]
    for i, node in enumerate(tree.nodes):
        s1, s2, reach = stack.pop()
        if node.kind == "t":
            b.leaf(s1, s2, reach, leaves[i][0], leaves[i][1])
        elif node.kind == "c":
            stack.extend((s1, s2, reach * p) for p in reversed(node.probs))
        else:
            first = b.decision(node.player - 1, (node.player, node.infoset), s1 if node.player == 1 else s2,
                               [f"a{j}" for j in range(len(node.actions))])
            kids = [(first + j, s2, reach) if node.player == 1 else (s1, first + j, reach)
                    for j in range(len(node.actions))]
            stack.extend(reversed(kids))
    raw = b.build()
    nrng = np.random.default_rng(seed)
    for _ in range(3):
        beh = random_behavior(g, nrng)
        exact_raw = reference_value(g, beh)
        exact_norm = exact_value(tree, {k: [Fraction(p) for p in v.values()] for k, v in beh.items()},
                                 probs=lambda n: [p / sum(n.probs) for p in n.probs])
        assert abs(exact_raw - exact_norm) <= Fraction(bound)
        z = g.plans_from_behavior(beh)
        c, c_raw = g.certify(z), raw.certify(z)
        # the normalised game's certificate bounds the raw game's gap and value bracket
        assert c_raw.value - c_raw.rounding <= c.value
        lo, hi = c.details["value_bounds"]
        rlo, rhi = c_raw.details["value_bounds"]
        assert lo <= rlo + c_raw.rounding and rhi - c_raw.rounding <= hi


def test_probabilities_far_from_one_are_refused_naming_the_node():
    text = 'EFG 2 R "" { "1" "2" }\nc "deal" 4 "" { "a" 0.5 "b" 0.4 } 0\nt "" 0\nt "" 0\n'
    with pytest.raises(EFGParseError, match=r"line 2, column 10: the probabilities of chance "
                       r"information set 4 \(node 'deal'\) sum to 0.9, not 1"):
        parse_efg(text)
    # just inside the tolerance is taken
    parse_efg(text.replace("0.4", "0.4999995"))


# -- errors ---------------------------------------------------------------------
HEADER = 'EFG 2 R "" { "1" "2" }\n'


@pytest.mark.parametrize("text, message", [
    ("NFG 1 R", r"line 1, column 1: expected 'EFG'"),
    ('EFG 3 R "" { }', r"line 1, column 5: expected the format version 2"),
    ('EFG 2 X "" { }', r"line 1, column 7: expected 'R' or 'D'"),
    ('EFG 2 R { "1" }', r"expected the game's title"),
    (HEADER + 'c "" 1 "" { "a" -1/2 "b" 3/2 } 0 t "" 0 t "" 0',
     r"line 2, column 17: the probability of action 'a' of chance information set 1 is negative \(-0.5\)"),
    (HEADER + 't "" 1 "" { 1 }', r"line 2, column 15: expected the payoff of player 2 in outcome 1"),
    (HEADER + 't "" 1 "" { 1 2 3 }', r"line 2, column 17: expected '}' closing the 2 payoffs"),
    (HEADER + 'p "" 1 1 "" { "a" "b" } 0\nt "" 0\nt "" 0 @',
     r"line 4, column 8: unexpected characters '@'"),
    (HEADER + 't "unterminated 0', r"line 2, column 3: unterminated string"),
    (HEADER + 'p "" 1 1 0 t "" 0', r"line 2, column 8: information set 1 of player 1 is used before"),
    (HEADER + 'c "" 2 0 t "" 0', r"line 2, column 6: chance information set 2 is used before"),
    (HEADER + 't "" 3', r"line 2, column 6: outcome 3 is used before it is described"),
    (HEADER + 'p "" 1 1 "" { "a" } 0\np "" 1 1 "" { "b" } 0\nt "" 0',
     r"line 3, column 10: information set 1 of player 1 is described differently"),
    (HEADER + 'c "" 1 "" { "a" 1 } 0\nc "" 1 "" { "a" 1.0 } 0\nt "" 0',
     None),      # an equal number written differently is the same description
    (HEADER + 'p "" 1 1 "" { "a" "b" } 0\nt "" 1 "" { 1 -1 }\nt "" 1 "" { 2 -2 }',
     r"line 4, column 6: outcome 1 is described differently"),
    (HEADER + 't "" 0 "" { 1 -1 }', r"line 2, column 6: the null outcome 0 cannot have"),
    (HEADER + 'p "" 3 1 "" { "a" } 0 t "" 0', r"line 2, column 6: player 3 does not exist: the file lists 2"),
    (HEADER + 'p "" 0 1 "" { "a" } 0 t "" 0', r"line 2, column 6: expected the number of the player"),
    (HEADER + 'p "" 1 1 "" { } 0', r"line 2, column 15: expected a quoted action label \(information set 1 "
     r"of player 1 needs at least one action\)"),
    (HEADER + 'p "" 1 1 "" { "a" "b" } 0\nt "" 0', r"line 3, column 7: the tree is incomplete: 1 more"),
    (HEADER + 't "" 0\nt "" 0', r"line 3, column 1: expected the end of the file"),
    (HEADER + 'x "" 0', r"line 2, column 1: expected a node: 'c' \(chance\)"),
    (HEADER + 't "" 1 "" { 1 1e999 }', r"line 2, column 15: the number '1e999' is beyond float64's range"),
    (HEADER + 't "" \u0663', r"line 2, column 6: unexpected characters '\u0663'"),   # a non-ASCII digit
    (HEADER + 't "" 1 "" { 1 ' + "1" * 5000 + ' }', r"line 2, column 15: a number of 5000 characters"),
])
def test_malformed_files_say_where_and_what(text, message):
    if message is None:
        parse_efg_tree(text)
        return
    with pytest.raises(EFGParseError, match=message):
        parse_efg_tree(text)


@pytest.mark.parametrize("text, message", [
    ('EFG 2 R "" { "solo" }\np "" 1 1 "" { "a" } 0 t "" 0',
     r"line 1, column 1: the file lists 1 player\(s\); ExtensiveFormGame takes two-player zero-sum "
     r"\(or constant-sum\) games: a one-player game"),
    ('EFG 2 R ""\n{ "1" "2" "3" }\nt "" 0', r"line 2, column 1: the file lists 3 player\(s\)"),
    (HEADER + 'p "" 1 1 "" { "a" "b" } 0\nt "" 1 "" { 1 -1 }\nt "" 2 "" { 1 1 }',
     r"line 4, column 1: the game is not zero-sum or constant-sum: the payoffs at the terminal node on "
     r"line 3 add up to 0, at the terminal node on line 4 to 2"),
    # player 1 forgets her own first move: imperfect recall
    (HEADER + 'p "" 1 1 "" { "a" "b" } 0\np "" 1 2 "" { "x" "y" } 0\nt "" 0\nt "" 0\n'
     'p "" 1 2 "" { "x" "y" } 0\nt "" 0\nt "" 0',
     r"line 6, column 1: player 1's information set \(1, 2\) is reached by two different sequences"),
])
def test_files_that_are_not_two_player_zero_sum_perfect_recall_games(text, message):
    parse_efg_tree(text)        # a valid .efg file
    with pytest.raises(ValueError, match=message):
        parse_efg(text)


def test_error_messages_name_the_file(tmp_path):
    path = tmp_path / "bad.efg"
    path.write_text(HEADER + "t")
    with pytest.raises(EFGParseError, match=r"bad\.efg: line 2, column 2: expected the node's label"):
        read_efg(path)
    with pytest.raises(FileNotFoundError):
        read_efg(tmp_path / "missing.efg")
    with pytest.raises(TypeError, match="source must be a path or a file object"):
        read_efg(3)
    with pytest.raises(TypeError, match="text must be a str"):
        parse_efg(b"EFG")


# -- writing --------------------------------------------------------------------
def test_round_trip_through_files_and_objects(tmp_path):
    g = parse_efg(CARD_GAME)
    path = tmp_path / "card.efg"
    assert write_efg(g, path) is None
    back = read_efg(path)
    assert back.tree == g.tree and same_game(back, g)
    buf = io.StringIO()
    write_efg(g.tree, buf)
    assert parse_efg(buf.getvalue()).tree == g.tree
    with open(path, "rb") as f:          # binary file objects too
        assert read_efg(f).tree == g.tree
    assert format_efg(g) == format_efg(back)


def test_labels_with_quotes_and_backslashes_round_trip():
    tree = EFGTree('say "hi"', ('a\\b', 'P"2'), "back\\slash",
                   (EFGNode("p", 'n"1', 1, 1, 'set\\1', ('x"', 'y\\'), (), 0),
                    EFGNode("t", "", 0, 0, "", (), (), 1), EFGNode("t", outcome=0)),
                   (EFGOutcome(1, 'o"\\', (Fraction(-7, 3), Fraction(7, 3))),))
    assert parse_efg_tree(format_efg(tree)) == tree
    assert parse_efg(format_efg(tree)).actions[0] == (('x"', 'y\\'),)


def test_writing_needs_a_tree():
    g = eq.ExtensiveFormGame([[0, 0, 0], [0, 1, -1], [0, -1, 1]], parents=([0], [0]), sizes=([2], [2]))
    with pytest.raises(TypeError, match="the sequence form alone does not keep the game tree"):
        write_efg(g)
    with pytest.raises(TypeError, match="target must be a path or a text file object"):
        write_efg(parse_efg(CARD_GAME), 5)


def test_deep_trees_need_no_recursion():
    # a chain of 5,000 alternating moves, each with an exit: far deeper than Python's stack
    n = 5000
    lines = [HEADER]
    for i in range(n):
        pl = 1 + i % 2
        lines.append(f'p "" {pl} {i // 2 + 1} "" {{ "stop" "go" }} 0\nt "" 0\n')
    lines.append('t "" 1 "" { 1 -1 }\n')
    g = parse_efg("".join(lines))
    assert g.X.n_sets == n // 2 and g.Y.n_sets == n // 2 and g.A.nnz == 1
    assert parse_efg_tree(format_efg(g)) == g.tree


def test_certified_solution_of_the_card_game_brackets_the_exact_value():
    g = parse_efg(CARD_GAME)
    res = eq.solve(g, method="cfr", tol=1e-10)
    lo, hi = res.certificate.details["value_bounds"]
    # exact value by brute force over pure strategies is a matrix game; compare with HiGHS
    from tests.conftest import lp_value
    pure1 = [dict(zip(g.infosets[0], [{"bet": float(a == 0), "check": float(a == 1)} for a in bits]))
             for bits in np.ndindex(2, 2, 2)]
    pure2 = [{(2, 1): {"call": float(b == 0), "fold": float(b == 1)}} for b in range(2)]
    M = [[float(reference_value(g, {**s1, **s2})) for s2 in pure2] for s1 in pure1]
    v = lp_value(M)
    assert lo - 1e-12 <= v <= hi + 1e-12
    assert math.isfinite(res.certificate.value) and res.certificate.value <= 1e-9


# -- hostile input ----------------------------------------------------------------
TOKENS = ["EFG", "2", "R", '""', '"a"', '"b"', "{", "}", ",", "c", "p", "t", "0", "1", "2", "3",
          "1/2", "-1", "0.5", "1e999", "1/0", "x", '"', "\\", "\u00a0", "\n", "99999999999999999999"]


def _only_value_errors(text):
    try:
        g = parse_efg(text)
    except ValueError as exc:
        assert str(exc)
        return
    # anything accepted is a complete game that writes and reads back identically
    assert parse_efg(format_efg(g)).tree == g.tree


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.booleans())
def test_token_soups_raise_only_value_errors(tokens, with_header):
    _only_value_errors((HEADER if with_header else "") + " ".join(tokens))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_files_raise_only_value_errors(data):
    words = CARD_GAME.split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(words) - 1))
        op = data.draw(st.sampled_from(["drop", "swap", "insert"]))
        if op == "drop":
            del words[i]
        elif op == "swap":
            words[i] = data.draw(st.sampled_from(TOKENS))
        else:
            words.insert(i, data.draw(st.sampled_from(TOKENS)))
    _only_value_errors(" ".join(words))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_value_errors(text):
    _only_value_errors(text)


def test_overflowing_sums_are_refused_clearly():
    with pytest.raises(EFGParseError, match="sum to more than 1e308, not 1"):
        parse_efg(HEADER + 'c "" 1 "" { "a" 1e308 "b" 1e308 } 0 t "" 0 t "" 0')
    text = HEADER + 'c "" 1 "" { "a" 1 } 1 "" { 1e308 -1e308 }\n' * 4 + 't "" 1'
    with pytest.raises(EFGParseError, match=r"line 6, column 1: the payoffs at the terminal node on "
                       r"line 6 .* are beyond float64's range"):
        parse_efg(text)


@pytest.mark.parametrize("nodes, outcomes, message", [
    ((EFGNode("t", outcome=2),), (), "node 1 refers to outcome 2, which is not in outcomes"),
    ((EFGNode("p", player=1, infoset=1, actions=("a",)),), (), r"the tree is incomplete: 1 more"),
    ((EFGNode("t"), EFGNode("t")), (), "node 2 follows a complete tree"),
    ((EFGNode("c", infoset=1, actions=("a", "b"), probs=(Fraction(1),)), EFGNode("t"), EFGNode("t")),
     (), "chance node 1 has 1 probabilities for 2 actions"),
    ((EFGNode("p", player=3, infoset=1, actions=("a",)), EFGNode("t")), (), "belongs to player 3"),
    ((EFGNode("t", actions=("a",)),), (), "terminal nodes have no actions"),
    ((EFGNode("t"),), (EFGOutcome(1, "", (1,)),), "outcome 1 has 1 payoffs for 2 players"),
    ((EFGNode("c", infoset=1, actions=("a", "b"), probs=(Fraction(3, 2), Fraction(-1, 2))),
      EFGNode("t"), EFGNode("t")), (), "chance node 1 has a negative probability"),
    ((EFGNode("c", infoset=1, actions=("a", "b"), probs=(Fraction(1, 2), Fraction(1, 4))),
      EFGNode("t"), EFGNode("t")), (), r"the probabilities of chance node 1 do not sum to 1"),
])
def test_trees_built_by_hand_are_checked(nodes, outcomes, message):
    with pytest.raises(ValueError, match=message):
        EFGTree("", ("1", "2"), "", nodes, outcomes)


def test_a_hand_built_set_whose_nodes_differ_is_refused():
    nodes = (EFGNode("c", infoset=1, actions=("l", "r"), probs=(Fraction(1, 2),) * 2),
             EFGNode("p", player=1, infoset=1, actions=("a", "b")), EFGNode("t"), EFGNode("t"),
             EFGNode("p", player=1, infoset=1, actions=("a", "b", "c")), EFGNode("t"), EFGNode("t"),
             EFGNode("t"))
    with pytest.raises(ValueError, match=r"information set \(1, 1\) offers different actions"):
        tree_to_game(EFGTree("", ("1", "2"), "", nodes, ()))
