"""The literature's general-sum game families in eq.zoo: definitions checked independently."""

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems.game_families import gale_strings, morris_labels

zoo = eq.zoo


# -- covariance games -----------------------------------------------------------------------------
@pytest.mark.parametrize("rho", [-0.9, 0.0, 0.6, 1.0, -1.0])
def test_covariance_game_has_the_asked_correlation_and_unit_variance(rho):
    g = zoo.covariance_game((150, 150), rho, seed=3)
    a, b = g.A.ravel(), g.B.ravel()
    assert abs(a.std() - 1) < 0.03 and abs(b.std() - 1) < 0.03
    assert abs(np.corrcoef(a, b)[0, 1] - rho) < 0.03


def test_covariance_game_n_players_pairwise_correlation_and_seeding():
    g = zoo.covariance_game((30, 30, 30), -0.5, seed=1)
    assert isinstance(g, eq.NormalFormGame) and g.shape == (30, 30, 30)
    U = np.array([np.asarray(g.payoff_tensor(i) if hasattr(g, "payoff_tensor") else g.payoffs[i],
                             dtype=float).ravel() for i in range(3)])
    c = np.corrcoef(U)
    assert np.all(np.abs(c[np.triu_indices(3, 1)] + 0.5) < 0.03)
    # rho = -1/(N-1): constant-sum, exactly up to rounding
    h = zoo.covariance_game((4, 5, 6), -0.5, seed=2)
    total = sum(np.asarray(h.payoffs[i], dtype=float) for i in range(3))
    assert np.allclose(total, 0, atol=1e-12)
    again = zoo.covariance_game((30, 30, 30), -0.5, seed=1)
    assert all(np.array_equal(np.asarray(g.payoffs[i], dtype=float),
                              np.asarray(again.payoffs[i], dtype=float)) for i in range(3))


def test_covariance_game_integer_scale_is_exact_and_the_same_draw():
    f = zoo.covariance_game((6, 7), 0.3, seed=5)
    g = zoo.covariance_game((6, 7), 0.3, seed=5, scale=1000)
    assert g.A.dtype.kind in "if" and np.array_equal(g.A, np.rint(1000 * f.A))
    assert np.array_equal(g.B, np.rint(1000 * f.B))
    res = eq.solve(g, method="lemke_howson")
    assert res.certificate.details["exact_gap"] == 0


@pytest.mark.parametrize("args, kwargs, exc, words", [
    (((5,), 0.0), {}, ValueError, "at least two players"),
    (((5, 5), -1.2), {}, ValueError, "rho must lie in [-1, 1]"),
    (((5, 5, 5), -0.6), {}, ValueError, "rho must lie in [-0.5, 1]"),
    (((5, 5), float("nan")), {}, TypeError, "rho must be a finite"),
    (((5, 0), 0.0), {}, ValueError, "sizes[1] must be >= 1"),
    ((5, 0.0), {}, TypeError, "sizes must be a sequence"),
    (((5, 5), 0.0), {"scale": 0}, ValueError, "scale must be >= 1"),
    (((5, 2.5), 0.0), {}, TypeError, "sizes[1] must be an integer"),
])
def test_covariance_game_rejects_bad_input(args, kwargs, exc, words):
    with pytest.raises(exc) as err:
        zoo.covariance_game(*args, **kwargs)
    assert words in str(err.value)


# -- SGC games -------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3])
def test_sgc_game_has_one_equilibrium_uniform_on_the_cycle_block(k):
    g = zoo.sgc_game(k)
    n, c = 4 * k - 1, 2 * k - 1
    assert g.A.shape == (n, n)
    uniform = tuple([Fraction(1, c)] * c + [Fraction(0)] * (n - c))
    res = eq.equilibria(g)
    assert [r.exact for r in res] == [(uniform, uniform)]
    if k == 2:   # support enumeration finds it too (k = 3 takes it a minute: the family's point)
        assert [r.exact for r in eq.equilibria(g, method="support_enumeration")] == [(uniform,
                                                                                     uniform)]


def test_sgc_game_matches_gambit_enummixed():
    gbt = pytest.importorskip("pygambit")
    g = zoo.sgc_game(2)
    table = getattr(gbt, "StrategicGame", gbt.Game)
    G = table.from_arrays(g.A.tolist(), g.B.tolist())
    p1, p2 = list(G.players)
    ref = {(tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2]))
           for e in gbt.nash.enummixed_solve(G, rational=True).equilibria}
    assert ref == {r.exact for r in eq.equilibria(g)}


def test_sgc_game_payoff_blocks():
    A, B = zoo.sgc_game(2).A, zoo.sgc_game(2).B
    # cycle block: column one step ahead pays the column player 4, one behind the row player 4
    assert (A[0, 1], B[0, 1], A[0, 2], B[0, 2], A[0, 0], B[0, 0]) == (2, 4, 4, 2, 3, 3)
    assert np.all(A[:3, 3:] == 2) and np.all(B[:3, 3:] == 0)
    assert np.all(A[3:, :3] == 0) and np.all(B[3:, :3] == 2)
    assert np.array_equal(A[3:, 3:], 3 * np.eye(4, dtype=int))
    assert [int(np.argmax(B[3 + i, 3:])) for i in range(4)] == [1, 0, 3, 2]
    with pytest.raises(ValueError, match="k must be >= 2"):
        zoo.sgc_game(1)


# -- tournament games ------------------------------------------------------------------------------
@pytest.mark.parametrize("n, k, seed", [(5, 2, 0), (6, 3, 1), (4, 1, 2)])
def test_tournament_game_matches_its_definition(n, k, seed):
    g = zoo.tournament_game(n, k, seed=seed)
    sets = list(combinations(range(n), k))
    assert g.A.shape == (n, len(sets))
    # recover the tournament from the k = 1 game of the same seed: exactly one arc per pair
    beats = zoo.tournament_game(n, 1, seed=seed).A.astype(bool)
    assert not beats.diagonal().any()
    assert np.all(beats ^ beats.T | np.eye(n, dtype=bool))
    for r in range(n):
        for j, S in enumerate(sets):
            assert g.B[r, j] == (r in S)
            assert g.A[r, j] == (r not in S and all(beats[r, s] for s in S))


def test_tournament_game_rejects_bad_input():
    with pytest.raises(ValueError, match="k must be smaller than n"):
        zoo.tournament_game(4, 4)
    with pytest.raises(ValueError, match="columns, more than"):
        zoo.tournament_game(60, 10)
    with pytest.raises(TypeError, match="n must be an integer"):
        zoo.tournament_game(5.0)


def test_tournament_game_equilibria_are_exact_and_match_gambit():
    gbt = pytest.importorskip("pygambit")
    g = zoo.tournament_game(5, 2, seed=4)
    table = getattr(gbt, "StrategicGame", gbt.Game)
    G = table.from_arrays(g.A.tolist(), g.B.tolist())
    p1, p2 = list(G.players)
    ref = {(tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2]))
           for e in gbt.nash.enummixed_solve(G, rational=True).equilibria}
    assert ref == {r.exact for r in eq.equilibria(g)}


# -- Savani-von Stengel games ----------------------------------------------------------------------
def _is_gale(S, n):
    """Gale's evenness condition, read off directly: between two non-members an even count."""
    out = [i for i in range(n) if i not in S]
    return all(sum(1 for s in S if a < s < b) % 2 == 0 for a, b in zip(out, out[1:]))


def test_gale_strings_against_the_evenness_condition():
    for d in range(1, 7):
        ref = [S for S in combinations(range(2 * d), d) if _is_gale(set(S), 2 * d)]
        assert gale_strings(d) == ref


def _morris_path(d, k):
    """Morris' Lemke path on labelled Gale strings, missing label k: (length, end)."""
    lab = morris_labels(d)
    n, s, drop, steps = 2 * d, set(range(d)), k, 0
    while True:
        s.discard(drop)
        q = [q for q in range(n) if q not in s and q != drop and _is_gale(s | {q}, n)]
        assert len(q) == 1            # the polytope is simple: one way off each facet
        s.add(q[0])
        steps += 1
        if lab[q[0]] == k:
            return steps, frozenset(s)
        drop = next(p for p in s if p != q[0] and lab[p] == lab[q[0]])


def _vertices(B):
    """Vertices of {x >= 0 : B^T x <= 1} by brute force in rational arithmetic, as facet sets."""
    d = B.shape[0]
    rows = [[Fraction(int(i == r)) for i in range(d)] for r in range(d)]           # x_r >= 0
    rows += [[Fraction(int(B[i, j])) for i in range(d)] for j in range(d)]         # column j
    rhs = [Fraction(0)] * d + [Fraction(1)] * d
    out = set()
    for S in combinations(range(2 * d), d):
        M = [rows[s][:] + [rhs[s]] for s in S]
        ok = True
        for c in range(d):
            p = next((r for r in range(c, d) if M[r][c] != 0), None)
            if p is None:
                ok = False
                break
            M[c], M[p] = M[p], M[c]
            M[c] = [v / M[c][c] for v in M[c]]
            for r in range(d):
                if r != c and M[r][c] != 0:
                    M[r] = [a - M[r][c] * b for a, b in zip(M[r], M[c])]
        if not ok:
            continue
        x = [M[r][d] for r in range(d)]
        if all(v >= 0 for v in x) and all(sum(int(B[i, j]) * x[i] for i in range(d)) <= 1
                                          for j in range(d)):
            out.add(frozenset(t for t in range(2 * d)
                              if sum(rows[t][i] * x[i] for i in range(d)) == rhs[t]))
    return out


def test_savani_von_stengel_polytope_is_the_dual_cyclic_polytope_with_morris_labels():
    d = 4
    g = zoo.savani_von_stengel_game(d)
    assert np.array_equal(g.A, np.eye(d))
    lab = morris_labels(d)
    # facet t < d is x_t >= 0; facet d + j is column j, which is cyclic facet d + lab[d:].index(j)
    to_cyclic = list(range(d)) + [d + lab[d:].index(j) for j in range(d)]
    verts = {frozenset(to_cyclic[t] for t in v) for v in _vertices(g.B)}
    assert verts == {frozenset(S) for S in gale_strings(d)}       # simple, with these vertices


def test_savani_von_stengel_paths_are_twice_morris_paths_and_grow_exponentially():
    mins = {}
    for d in (2, 4, 6, 8, 10):
        g = zoo.savani_von_stengel_game(d)
        pivots = [eq.solve(g, method="lemke_howson", label=k).info["pivots"]
                  for k in range(2 * d)]
        morris = [_morris_path(d, k)[0] for k in range(d)]
        assert pivots == [2 * m for m in morris] * 2
        mins[d] = min(pivots)
    assert [mins[d] for d in (2, 4, 6, 8, 10)] == [4, 8, 16, 24, 44]
    assert mins[10] / mins[6] > 2.5 and mins[8] / mins[4] > 2.5


def test_savani_von_stengel_unique_equilibrium_matches_gambit():
    gbt = pytest.importorskip("pygambit")
    for d in (4, 6):
        g = zoo.savani_von_stengel_game(d)
        ours = {r.exact for r in eq.equilibria(g)}
        table = getattr(gbt, "StrategicGame", gbt.Game)
        G = table.from_arrays([[gbt.Rational(int(v)) for v in row] for row in g.A],
                              [[gbt.Rational(int(v)) for v in row] for row in g.B])
        p1, p2 = list(G.players)
        ref = {(tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2]))
               for e in gbt.nash.enummixed_solve(G, rational=True).equilibria}
        assert len(ours) == 1 and ours == ref
        # every label's path ends there, exactly
        (x, y), = ours
        for k in range(2 * d):
            assert eq.solve(g, method="lemke_howson", label=k).exact == (x, y)


def test_savani_von_stengel_and_morris_reject_bad_dimensions():
    with pytest.raises(ValueError, match="d must be even"):
        zoo.savani_von_stengel_game(5)
    with pytest.raises(ValueError, match="at most 40"):
        zoo.savani_von_stengel_game(42)
    with pytest.raises(ValueError, match="d must be even"):
        morris_labels(3)
    with pytest.raises(TypeError, match="d must be an integer"):
        zoo.savani_von_stengel_game("4")
