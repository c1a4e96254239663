"""Extensive-form games in sequence form: construction, certificate, exactness, errors."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

import eqsolve as eq
from eqsolve.problems.extensive_form import SequenceFormBuilder

KUHN_VALUE = -1.0 / 18.0
LEDUC_VALUE = -0.0856064240780


def _pure_plans(tp):
    plans = set()
    for pick in itertools.product(*[range(int(s)) for s in tp.sizes]):
        beta = np.zeros(tp.dim)
        beta[0] = 1.0
        for i, a in enumerate(pick):
            beta[tp.start[i] + a] = 1.0
        plans.add(tuple(int(v) for v in tp.reach(beta)))
    return plans


def _exact_gap(game, z):
    """max_x' x'^T A y - min_y' x^T A y' in rational arithmetic, by enumerating pure plans."""
    rows, cols, vals = game.exact_entries
    x = [Fraction(float(v)) for v in z[: game.n1]]
    y = [Fraction(float(v)) for v in z[game.n1:]]
    Ay = [Fraction(0)] * game.n1
    ATx = [Fraction(0)] * game.n2
    for r, c, v in zip(rows, cols, vals):
        Ay[r] += v * y[c]
        ATx[c] += v * x[r]
    upper = max(sum(Ay[i] for i, on in enumerate(p) if on) for p in _pure_plans(game.X))
    lower = min(sum(ATx[j] for j, on in enumerate(p) if on) for p in _pure_plans(game.Y))
    return upper - lower, lower, upper


@given(st.integers(0, 100_000), st.integers(0, 30))
@settings(max_examples=40, deadline=None)
def test_certificate_bounds_the_exact_gap(seed, iters):
    game = eq.zoo.random_tree_game(seed=seed, exact=True, depth=4)
    if iters:
        res = eq.solve(game, method="cfr", variant="cfr+", max_iter=iters, tol=0,
                       output="last", backend="numpy")
        z = res.z
    else:
        z = game.initial_point()
    cert = game.certify(z)
    gap, lower, upper = _exact_gap(game, z)
    assert cert.value >= gap
    # and it is tight: only rounding is added
    assert cert.value - float(gap) <= 1e-12 * (1 + abs(float(upper)) + abs(float(lower)))
    lo, hi = cert.details["value_bounds"]
    assert lo <= float(lower) + 1e-15 and float(upper) <= hi + 1e-15


@pytest.mark.parametrize("variant", ["pcfr+", "cfr+", "dcfr"])
def test_solved_random_games_bracket_the_lp_value(variant):
    linprog = pytest.importorskip("scipy.optimize").linprog
    for seed in range(4):
        game = eq.zoo.random_tree_game(seed=seed, depth=5)
        res = eq.solve(game, method="cfr", variant=variant, tol=1e-6, max_iter=3_000)
        assert res.residual < 1e-2, (seed, res.status, res.residual)
        value = _sequence_form_lp_value(game, linprog)
        lo, hi = res.certificate.details["value_bounds"]
        assert lo - 1e-9 <= value <= hi + 1e-9


def _sequence_form_lp_value(game, linprog):
    """max_x min_y x^T A y = max_{x, v} f^T v s.t. F^T v <= A^T x, E x = e, x >= 0 (HiGHS)."""
    X, Y = game.X, game.Y

    def constraints(tp):
        E = sp.lil_matrix((tp.n_sets + 1, tp.dim))
        E[0, 0] = 1
        for i in range(tp.n_sets):
            E[i + 1, tp.parents[i]] = -1
            for s in range(tp.start[i], tp.start[i] + tp.sizes[i]):
                E[i + 1, s] = 1
        return E.tocsr()

    E, F = constraints(X), constraints(Y)
    n, k = X.dim, Y.n_sets + 1
    # variables (x, v): maximise v_0 ... with F^T v <= A^T x
    c = np.concatenate([np.zeros(n), -np.eye(1, k, 0)[0]])
    A_ub = sp.hstack([-game.A.T, F.T]).tocsr()
    b_ub = np.zeros(Y.dim)
    A_eq = sp.hstack([E, sp.csr_matrix((E.shape[0], k))]).tocsr()
    b_eq = np.eye(1, E.shape[0], 0)[0]
    bounds = [(0, None)] * n + [(None, None)] * k
    out = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert out.status == 0
    return -out.fun


def test_kuhn_and_leduc_values_in_certified_bracket():
    pytest.importorskip("pyspiel")
    kuhn = eq.ExtensiveFormGame.from_openspiel("kuhn_poker")
    res = eq.solve(kuhn, tol=1e-7)
    assert res.converged
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= KUHN_VALUE <= hi and hi - lo <= 2e-7
    leduc = eq.ExtensiveFormGame.from_openspiel("leduc_poker")
    assert (leduc.X.dim, leduc.Y.dim) == (1093, 1093)
    res = eq.solve(leduc, tol=1e-5, max_iter=50_000)
    assert res.converged
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= LEDUC_VALUE <= hi


def test_certificate_equals_openspiel_nash_conv():
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as os_policy
    from open_spiel.python.algorithms import exploitability

    os_game = pyspiel.load_game("kuhn_poker")
    game = eq.ExtensiveFormGame.from_openspiel(os_game)
    for iters in (0, 5, 40):
        z = game.initial_point() if iters == 0 else eq.solve(
            game, method="cfr", variant="cfr+", max_iter=iters, tol=0, output="average").z
        pol = os_policy.TabularPolicy(os_game)
        for key, probs in game.behavior(z).items():
            row = pol.policy_for_key(key)
            row[:] = 0.0
            for a, p in probs.items():
                row[a] = p
        nc = exploitability.nash_conv(os_game, pol)
        cert = game.certify(z)
        assert nc <= cert.value <= nc + 1e-12
        assert cert.details["exploitability"] == pytest.approx(nc / 2, abs=1e-12)


def test_behavior_round_trip_and_keys():
    game = eq.zoo.random_tree_game(seed=3, depth=4)
    rng = np.random.default_rng(0)
    z = np.concatenate([game.X.reach(game.X.normalize_behavior(rng.uniform(0.1, 1, game.n1))),
                        game.Y.reach(game.Y.normalize_behavior(rng.uniform(0.1, 1, game.n2)))])
    strat = game.behavior(z)
    assert len(strat) == game.X.n_sets + game.Y.n_sets
    for probs in strat.values():
        assert sum(probs.values()) == pytest.approx(1.0)
    np.testing.assert_allclose(game.plans_from_behavior(strat), z, atol=1e-14)


def test_raw_arrays_any_topological_order():
    # player 1: set 0 at the root (2 actions), set 1 below sequence 1 listed *before* a
    # second root-level set: not canonical, reordered by the constructor
    A = np.zeros((7, 2))
    A[3, 1], A[4, 1], A[2, 1], A[5, 1], A[6, 1] = 1.0, -1.0, 0.5, 0.25, -0.25
    game = eq.ExtensiveFormGame(A, parents=([0, 1, 0], [0]), sizes=([2, 2, 2], [1]))
    assert game.X.dim == 7 and list(game.sequence_maps[0]) == [0, 1, 2, 5, 6, 3, 4]
    # the best response: sequence 1 then its better follow-up (1.0), plus the root-level set's
    # better action 0.25 -- the canonical permutation must carry A along
    assert float(game.X.support(game.A @ np.array([1.0, 1.0]))) == pytest.approx(1.25)


def test_constant_sum_game_is_accepted():
    b = SequenceFormBuilder()
    f = b.decision(0, "root", 0, ["l", "r"])
    b.leaf(f, 0, 1.0, 3.0, 2.0)
    b.leaf(f + 1, 0, 1.0, 1.0, 4.0)
    game = b.build()
    assert game.constant == 5.0
    res = eq.solve(game, tol=1e-12)
    assert res.converged and res.value == pytest.approx(3.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="shape \\(3, 3\\)"):
        eq.ExtensiveFormGame(np.zeros((2, 2)), parents=([0], [0]), sizes=([2], [2]))
    with pytest.raises(ValueError, match="finite"):
        eq.ExtensiveFormGame(np.full((3, 3), np.nan), parents=([0], [0]), sizes=([2], [2]))
    with pytest.raises(ValueError, match="parents must be a pair"):
        eq.ExtensiveFormGame(np.zeros((3, 3)), parents=[0], sizes=([2], [2]))
    with pytest.raises(ValueError, match="infosets\\[0\\] must have one key"):
        eq.ExtensiveFormGame(np.zeros((3, 3)), parents=([0], [0]), sizes=([2], [2]),
                             infosets=(["a", "b"], ["c"]))
    # imperfect recall: one information set reached by two different own sequences
    b = SequenceFormBuilder()
    f = b.decision(0, "root", 0, [0, 1])
    b.decision(0, "forget", f, [0, 1])
    with pytest.raises(ValueError, match="perfect recall"):
        b.decision(0, "forget", f + 1, [0, 1])
    # general-sum leaves
    b = SequenceFormBuilder()
    f = b.decision(0, "root", 0, [0, 1])
    b.leaf(f, 0, 1.0, 1.0, -1.0)
    b.leaf(f + 1, 0, 1.0, 2.0, 0.0)
    with pytest.raises(ValueError, match="not constant-sum"):
        b.build()


def test_openspiel_refusals():
    pyspiel = pytest.importorskip("pyspiel")
    with pytest.raises(ValueError, match="two-player"):
        eq.ExtensiveFormGame.from_openspiel("kuhn_poker(players=3)")
    with pytest.raises(ValueError, match="simultaneous moves"):
        eq.ExtensiveFormGame.from_openspiel("goofspiel(num_cards=3)")
    with pytest.raises(TypeError, match="pyspiel.Game or a game string"):
        eq.ExtensiveFormGame.from_openspiel(42)
    turn = eq.ExtensiveFormGame.from_openspiel(
        "turn_based_simultaneous_game(game=goofspiel(num_cards=3,imp_info=True))")
    assert eq.solve(turn, tol=1e-6).converged
    del pyspiel


def test_degenerate_games_do_not_crash():
    # no decisions for player 1, and an all-zero payoff matrix
    game = eq.ExtensiveFormGame(np.zeros((1, 3)), parents=([], [0]), sizes=([], [2]))
    res = eq.solve(game, tol=1e-9)
    assert res.converged and res.residual < 1e-300
    one = eq.ExtensiveFormGame([[0.0, 2.0]], parents=([], [0]), sizes=([], [1]))
    assert eq.solve(one).value == pytest.approx(2.0)


def _general_sum_tree(exact):
    """A small general-sum tree: player 1 moves, chance, player 2 moves without seeing chance."""
    b = SequenceFormBuilder()
    one = Fraction(1) if exact else 1.0
    half = Fraction(1, 3) if exact else 1 / 3
    f1 = b.decision(0, "p1", 0, ["a", "b"])
    rng = np.random.default_rng(0)
    for a in range(2):
        for c, p in enumerate((half, one - half)):
            f2 = b.decision(1, ("p2", a), 0, ["l", "r"])
            for l in range(2):
                u1, u2 = (int(v) for v in rng.integers(-3, 4, size=2))
                b.leaf(f1 + a, f2 + l, p, u1, u2, 1)
    return b.build(general_sum=True)


def test_general_sum_games_are_certified_exactly():
    game = _general_sum_tree(exact=True)
    assert game.B is not None and not game.zero_sum and game.saddle is None
    rng = np.random.default_rng(1)
    for _ in range(5):
        z = np.concatenate([game.X.reach(game.X.normalize_behavior(rng.uniform(0.05, 1, game.n1))),
                            game.Y.reach(game.Y.normalize_behavior(rng.uniform(0.05, 1, game.n2)))])
        cert = game.certify(z)
        # exact NashConv by enumerating both players' pure plans
        A = game.A.toarray()
        B = game.B.toarray()
        x = [Fraction(float(v)) for v in z[: game.n1]]
        y = [Fraction(float(v)) for v in z[game.n1:]]
        exA = sum(x[i] * Fraction(float(A[i, j])) * y[j] for i in range(game.n1) for j in range(game.n2))
        exB = sum(x[i] * Fraction(float(B[i, j])) * y[j] for i in range(game.n1) for j in range(game.n2))
        br1 = max(sum(Fraction(float(A[i, j])) * y[j] for i, on in enumerate(p) if on
                      for j in range(game.n2)) for p in _pure_plans(game.X))
        br2 = max(sum(x[i] * Fraction(float(B[i, j])) for j, on in enumerate(p) if on
                      for i in range(game.n1)) for p in _pure_plans(game.Y))
        exact = br1 - exA + br2 - exB
        assert cert.value >= exact
        assert cert.value - float(exact) < 1e-12


def test_general_sum_is_refused_by_regret_minimisation_and_by_default():
    game = _general_sum_tree(exact=False)
    with pytest.raises(TypeError, match="general-sum"):
        eq.solve(game, method="cfr")
    with pytest.raises(TypeError, match="pdhg"):
        eq.solve(game, method="pdhg")


def test_openspiel_general_sum_certified_like_openspiel():
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python import policy as os_policy
    from open_spiel.python.algorithms import exploitability

    with pytest.raises(ValueError, match="general_sum=True"):
        eq.ExtensiveFormGame.from_openspiel("sheriff")
    game = eq.ExtensiveFormGame.from_openspiel("sheriff", general_sum=True)
    nc = exploitability.nash_conv(pyspiel.load_game("sheriff"),
                                  os_policy.UniformRandomPolicy(pyspiel.load_game("sheriff")))
    cert = eq.certify(game, (game.X.uniform(), game.Y.uniform()))
    assert nc <= cert.value <= nc + 1e-9


def test_compiled_products_match_scipy():
    pytest.importorskip("numba")
    from eqsolve.problems._sparse_numba import csr_matvec

    game = eq.zoo.random_tree_game(seed=8, depth=7)
    rng = np.random.default_rng(0)
    y = rng.normal(size=game.n2)
    x = rng.normal(size=game.n1)
    np.testing.assert_allclose(csr_matvec(game.A.indptr, game.A.indices, game.A.data, y),
                               game.A @ y, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(game.rmatvec(x), game.A.T @ x, rtol=1e-13, atol=1e-15)
