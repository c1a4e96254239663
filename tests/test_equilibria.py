"""eqsolve.equilibria: every extreme equilibrium exactly, against Gambit's exact enummixed."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq


def exact(M):
    return [[Fraction(int(v)) for v in row] for row in np.asarray(M)]


def nash_gap(A, B, x, y):
    Ay = [sum(a * b for a, b in zip(row, y)) for row in A]
    xB = [sum(x[i] * B[i][j] for i in range(len(x))) for j in range(len(y))]
    return (max(Ay) - sum(a * b for a, b in zip(x, Ay))) + \
        (max(xB) - sum(a * b for a, b in zip(xB, y)))


def gambit():
    return pytest.importorskip("pygambit")


def gambit_game(gbt, A, B):
    table = getattr(gbt, "StrategicGame", gbt.Game)   # pygambit 17 renamed the factory's class
    return table.from_arrays([[gbt.Rational(int(v)) for v in row] for row in A],
                             [[gbt.Rational(int(v)) for v in row] for row in B])


def gambit_equilibria(gbt, g):
    """Gambit's exact extreme equilibria, as a set of pairs of Fraction tuples."""
    p1, p2 = list(g.players)
    out = set()
    for e in gbt.nash.enummixed_solve(g, rational=True).equilibria:
        out.add((tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2])))
    return out


def as_set(results):
    return {r.exact for r in results}


def test_random_degenerate_integer_games_match_gambit_enummixed():
    gbt = gambit()
    rng = np.random.default_rng(7)
    for _ in range(40):
        m, n = rng.integers(1, 6, size=2)
        A = rng.integers(-2, 3, size=(m, n))
        B = rng.integers(-2, 3, size=(m, n))
        results = eq.equilibria(eq.BimatrixGame(A, B))
        assert as_set(results) == gambit_equilibria(gbt, gambit_game(gbt, A, B))
        assert len(results) == len(as_set(results))
        for r in results:
            assert nash_gap(exact(A), exact(B), *r.exact) == 0 and r.residual == 0.0


CATALOG = ["journals/dcg/vonstengel1999/6x6_game_with_75_eq", "journals/other/shapley1974/fig2",
           "journals/other/shapley1974/fig3", "journals/ijgt/nau2004/sec3",
           "books/vonstengel2022/fig10.1", "books/vonstengel2022/fig10.5"]


@pytest.mark.parametrize("slug", CATALOG)
def test_gambit_catalog_games_match_enummixed(slug):
    gbt = gambit()
    try:
        g = gbt.catalog.load(slug)
    except Exception as exc:  # the catalog of this pygambit build lacks it
        pytest.skip(f"{slug} not in this pygambit catalog ({exc})")
    arrays = g.to_arrays()
    if len(arrays) != 2:
        pytest.skip(f"{slug} is not a two-player game")
    # pygambit's exact payoffs (its Rational is a Fraction)
    U = [[[Fraction(v) for v in row] for row in M.tolist()] for M in arrays]
    results = eq.equilibria(eq.BimatrixGame(U[0], U[1]))
    assert as_set(results) == gambit_equilibria(gbt, g)
    for r in results:
        assert nash_gap(U[0], U[1], *r.exact) == 0
    if slug.endswith("75_eq"):
        assert len(results) == 75


def test_coordination_games_have_two_to_the_n_minus_one_equilibria():
    for n in (1, 3, 5):
        results = eq.equilibria(eq.BimatrixGame(np.eye(n), np.eye(n)))
        assert len(results) == 2**n - 1
        # each is uniform on a nonempty support, the same for both players
        supports = {tuple(v > 0 for v in r.exact[0]) for r in results}
        assert len(supports) == 2**n - 1
        for r in results:
            k = sum(v > 0 for v in r.exact[0])
            assert r.exact[0] == r.exact[1] and set(r.exact[0]) <= {Fraction(0), Fraction(1, k)}


def test_more_than_64_labels():
    gbt = gambit()
    rng = np.random.default_rng(2)
    # 66 + 2 = 68 labels: more than a 64-bit label set holds (Gambit takes ~3 s here)
    A = rng.integers(0, 50, size=(66, 2))
    B = rng.integers(0, 50, size=(66, 2))
    results = eq.equilibria(eq.BimatrixGame(A, B))
    assert as_set(results) == gambit_equilibria(gbt, gambit_game(gbt, A, B))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_hypothesis_every_result_is_an_equilibrium_and_lemke_howson_finds_a_subset(m, n, seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(m, n))
    B = rng.integers(-3, 4, size=(m, n))
    game = eq.BimatrixGame(A, B)
    every = eq.equilibria(game)
    assert every, "every finite game has an equilibrium"
    for r in every:
        assert nash_gap(exact(A), exact(B), *r.exact) == 0
        fc = r.certificate.details["float_certificate"]
        assert fc.value == game.certify(r.z, point=fc.point).value
    reached = eq.equilibria(game, method="lemke_howson")
    assert as_set(reached) <= as_set(every)
    assert sorted(k for r in reached for k in r.info["labels"]) == list(range(m + n))
    assert as_set(eq.equilibria(game, method="support_enumeration")) <= as_set(every)


def test_support_enumeration_equals_vertex_enumeration_on_nondegenerate_games():
    rng = np.random.default_rng(4)
    for _ in range(5):
        A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
        game = eq.BimatrixGame(A, B)
        assert as_set(eq.equilibria(game, method="support_enumeration")) == \
            as_set(eq.equilibria(game))


def test_support_enumeration_misses_what_vertex_enumeration_finds_on_a_degenerate_game():
    # the column player is indifferent between its two strategies against the first row:
    # the equilibria (row 1, any y with y_1 >= 1/2) have supports of sizes 1 and 2
    A = [[1, 1], [0, 2]]
    B = [[1, 1], [0, 1]]
    game = eq.BimatrixGame(A, B)
    every = as_set(eq.equilibria(game))
    found = as_set(eq.equilibria(game, method="support_enumeration"))
    assert found < every
    half = ((Fraction(1), Fraction(0)), (Fraction(1, 2), Fraction(1, 2)))
    assert half in every and half not in found


def test_matrix_game_equilibria_share_the_exact_value():
    rng = np.random.default_rng(5)
    A = rng.integers(-3, 4, size=(4, 5)).astype(float)
    results = eq.equilibria(eq.MatrixGame(A))
    values = {r.certificate.details["exact_payoffs"][0] for r in results}
    assert len(values) == 1 and all(r.certificate.kind == "duality_gap" for r in results)


def test_bad_calls_are_clear_errors():
    game = eq.BimatrixGame([[1, 0], [0, 1]], [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="unknown method 'lrs' for equilibria; valid methods are: "
                                         "lemke_howson, pure, support_enumeration, vertex_enumeration"):
        eq.equilibria(game, method="lrs")
    with pytest.raises(TypeError, match="game must be a BimatrixGame, MatrixGame or two-player"):
        eq.equilibria(np.eye(2))
    three = eq.NormalFormGame(np.zeros((3, 2, 2, 2)))
    with pytest.raises(ValueError, match="this game has 3 players"):
        eq.equilibria(three)
    with pytest.raises(TypeError, match=r"vertex_enumeration takes no options, got \['label'\]"):
        eq.equilibria(game, label=0)
    with pytest.raises(ValueError, match=r"label must lie in \[0, 4\)"):
        eq.equilibria(game, method="lemke_howson", labels=[0, 9])
    with pytest.raises(TypeError, match="equilibria needs a dense NumPy game"):
        eq.equilibria(eq.MatrixGame(np.ones((2, 2, 2))))


def test_a_two_player_normal_form_game_keeps_its_exact_payoffs():
    game = eq.NormalFormGame([[["1/3", 0], [0, "2/7"]], [["2/7", 0], [0, "1/3"]]])
    mixed = [r for r in eq.equilibria(game) if 0 < r.exact[0][0] < 1]
    assert [r.exact for r in mixed] == [((Fraction(7, 13), Fraction(6, 13)),
                                         (Fraction(6, 13), Fraction(7, 13)))]


def test_all_labels_of_lemke_howson_in_one_call():
    A = np.array([[3, 3], [2, 5], [0, 6]])
    B = np.array([[3, 2], [2, 6], [3, 1]])
    results = eq.equilibria(eq.BimatrixGame(A, B), method="lemke_howson", pivoting="exact")
    labels = sorted(itertools.chain.from_iterable(r.info["labels"] for r in results))
    assert labels == [0, 1, 2, 3, 4]
    for r in results:
        assert nash_gap(exact(A), exact(B), *r.exact) == 0
