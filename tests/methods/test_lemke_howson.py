"""Lemke-Howson: exact equilibria, checked in rational arithmetic independently of the solver."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
import eqsolve.methods.lemke_howson as lh_module
from eqsolve.problems._pivoting import integer_game_of, vertex_enumeration


def exact_matrix(M):
    """Payoffs as Fractions: Fractions kept, floats and ints at their exact values."""
    return [[v if isinstance(v, Fraction) else Fraction(float(v)) if isinstance(v, float)
             else Fraction(int(v)) for v in row] for row in np.asarray(M, dtype=object)]


def nash_gap(A, B, x, y):
    """The Nash gap of ``(x, y)`` in rational arithmetic (A, B lists of Fractions)."""
    Ay = [sum(a * b for a, b in zip(row, y)) for row in A]
    xB = [sum(x[i] * B[i][j] for i in range(len(x))) for j in range(len(y))]
    return (max(Ay) - sum(a * b for a, b in zip(x, Ay))) + \
        (max(xB) - sum(a * b for a, b in zip(xB, y)))


def check_exact(res, A, B):
    """The result's exact point is an equilibrium of the exact game, and the rest agrees."""
    x, y = res.exact
    assert all(isinstance(v, Fraction) for v in x + y)
    assert sum(x) == 1 and sum(y) == 1 and min(x + y) >= 0
    assert nash_gap(exact_matrix(A), exact_matrix(B), x, y) == 0
    assert res.residual == 0.0 and res.converged and res.certificate.details["exact_gap"] == 0
    assert np.array_equal(res.z, np.array([float(v) for v in x + y]))
    fc = res.certificate.details["float_certificate"]
    assert fc.kind == "nash_gap" and fc.value < 1e-9 * (1 + np.max(np.abs(np.asarray(A, float))))


def random_degenerate(rng, m, n, hi=3):
    return rng.integers(-hi, hi + 1, size=(m, n)), rng.integers(-hi, hi + 1, size=(m, n))


@pytest.mark.parametrize("pivoting", ["auto", "exact"])
def test_every_label_reaches_an_exact_equilibrium_of_degenerate_games(pivoting):
    rng = np.random.default_rng(0)
    for _ in range(12):
        m, n = rng.integers(1, 7, size=2)
        A, B = random_degenerate(rng, m, n)
        game = eq.BimatrixGame(A, B)
        every = set(vertex_enumeration(integer_game_of(game)))
        for label in range(m + n):
            res = eq.solve(game, method="lemke_howson", label=label, pivoting=pivoting)
            check_exact(res, A, B)
            assert res.exact in every
            assert res.info["label"] == label and res.info["complementary"]


def test_float_and_exact_pivoting_follow_the_same_lexicographic_path():
    rng = np.random.default_rng(1)
    for _ in range(10):
        A, B = random_degenerate(rng, 6, 5, hi=2)
        game = eq.BimatrixGame(A, B)
        for label in range(11):
            a = eq.solve(game, method="lemke_howson", label=label)
            b = eq.solve(game, method="lemke_howson", label=label, pivoting="exact")
            assert a.exact == b.exact
            if a.info["exact_restarts"] == 0:
                assert a.info["pivots"] == b.info["pivots"]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**31 - 1), st.booleans())
def test_hypothesis_games_are_solved_exactly(m, n, seed, rational):
    rng = np.random.default_rng(seed)
    if rational:
        A = [[Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 7))) for _ in range(n)]
             for _ in range(m)]
        B = [[Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 7))) for _ in range(n)]
             for _ in range(m)]
    else:
        A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    game = eq.BimatrixGame(A, B)
    label = int(rng.integers(0, m + n))
    check_exact(eq.solve(game, method="lemke_howson", label=label), A, B)


def test_rational_payoffs_are_kept_exactly():
    # payoffs whose float roundings would not give the exact equilibrium
    A = [[Fraction(1, 3), 0], [0, Fraction(2, 7)]]
    B = [[Fraction(2, 7), 0], [0, Fraction(1, 3)]]
    game = eq.BimatrixGame(A, B)
    res = eq.solve(game, method="lemke_howson", label=0)
    check_exact(res, [[Fraction(1, 3), 0], [0, Fraction(2, 7)]], B)
    mixed = [r for r in eq.equilibria(game) if 0 < r.exact[0][0] < 1]
    (r,) = mixed
    # x makes the column player indifferent: 2/7 x1 = 1/3 x2
    assert r.exact[0] == (Fraction(7, 13), Fraction(6, 13))
    assert r.exact[1] == (Fraction(6, 13), Fraction(7, 13))
    assert r.certificate.details["exact_payoffs"] == (Fraction(2, 13), Fraction(2, 13))


def test_float_payoffs_are_converted_exactly():
    A = np.array([[0.1, 0.3], [0.2, 0.1]])
    B = np.array([[0.3, 0.1], [0.1, 0.2]])
    res = eq.solve(eq.BimatrixGame(A, B), method="lemke_howson")
    # the equilibrium of the binary values 0.1 = 3602879701896397 / 2**55, ...
    check_exact(res, A.tolist(), B.tolist())
    assert res.exact[0][0].denominator > 10**6


def test_matching_pennies_and_an_exact_saddle_point_of_a_matrix_game():
    res = eq.solve(eq.BimatrixGame([[1, -1], [-1, 1]], [[-1, 1], [1, -1]]), method="lemke_howson")
    assert res.exact == ((Fraction(1, 2),) * 2, (Fraction(1, 2),) * 2)
    A = np.array([[3.0, -1.0, 2.0], [-2.0, 1.0, 0.5]])
    mg = eq.MatrixGame(A)
    res = eq.solve(mg, method="lemke_howson")
    x, y = res.exact
    Ae = exact_matrix(A)
    value = sum(x[i] * Ae[i][j] * y[j] for i in range(2) for j in range(3))
    assert nash_gap(Ae, [[-v for v in r] for r in Ae], x, y) == 0
    assert res.certificate.kind == "duality_gap" and res.residual == 0.0
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= value <= hi and hi - lo <= 2 * abs(float(value)) * 2**-52
    assert res.value == float(value)


def test_no_overflow_on_a_300x300_game_with_payoffs_up_to_1e6():
    rng = np.random.default_rng(1)
    A = rng.integers(0, 10**6 + 1, size=(300, 300))
    B = rng.integers(0, 10**6 + 1, size=(300, 300))
    game = eq.BimatrixGame(A, B)
    res = eq.solve(game, method="lemke_howson", label=300, pivoting="exact")
    x, y = res.exact
    assert res.residual == 0.0 and res.info["pivoting"] == "exact"
    # the exact gap in rational arithmetic, on the integer payoffs directly
    Ai, Bi = A.astype(object), B.astype(object)
    qy = np.lcm.reduce([v.denominator for v in y])
    qx = np.lcm.reduce([v.denominator for v in x])
    Ay = Ai @ np.array([int(v * qy) for v in y], dtype=object)
    xB = np.array([int(v * qx) for v in x], dtype=object) @ Bi
    assert sum(Fraction(int(a)) * xi for a, xi in zip(Ay, x)) == max(Ay)
    assert sum(Fraction(int(b)) * yj for b, yj in zip(xB, y)) == max(xB)
    # entries grew far beyond int64 (a float or int64 tableau would have overflowed or rounded)
    assert max(v.denominator for v in x + y) > 2**64
    auto = eq.solve(game, method="lemke_howson", label=300)
    assert auto.exact == res.exact and auto.info["exact_restarts"] == 0


def test_a_failed_float_check_falls_back_to_exact_pivoting(monkeypatch):
    monkeypatch.setattr(lh_module, "verify_bases_integer", lambda *args: None)
    rng = np.random.default_rng(3)
    A, B = random_degenerate(rng, 5, 6)
    res = eq.solve(eq.BimatrixGame(A, B), method="lemke_howson", label=2)
    check_exact(res, A, B)
    assert res.info["exact_restarts"] == 1 and res.info["pivoting"] == "exact"


def test_time_and_iteration_limits_return_the_exact_point_reached():
    rng = np.random.default_rng(0)
    A = rng.integers(0, 1000, size=(40, 40))
    B = rng.integers(0, 1000, size=(40, 40))
    game = eq.BimatrixGame(A, B)
    full = eq.solve(game, method="lemke_howson", label=0)
    assert full.info["pivots"] > 3
    res = eq.solve(game, method="lemke_howson", label=0, pivots_per_step=1, max_iter=2)
    assert res.status == "max_iter" and not res.info["complementary"]
    x, y = res.exact
    gap = nash_gap(exact_matrix(A), exact_matrix(B), x, y)
    assert gap > 0 and res.certificate.details["exact_gap"] == gap
    # the residual is the exact gap rounded up to a float
    assert Fraction(res.residual) >= gap and res.residual <= float(gap) * (1 + 2**-52)


def test_a_tiny_tol_ends_converged_on_the_exact_point_with_a_warning():
    game = eq.BimatrixGame([[1e6, 0], [0, 1e6]], [[1e6, 0], [0, 1e6]])
    res = eq.solve(game, method="lemke_howson", tol=0)
    assert res.converged and res.residual == 0.0
    assert any("exact equilibrium" in w for w in res.warnings)


def test_result_serialises_with_exact_numbers_as_text():
    res = eq.solve(eq.BimatrixGame([[2, 0], [0, 1]], [[1, 0], [0, 2]]), method="lemke_howson",
                   label=1)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["certificate"]["details"]["exact_gap"] == "0"
    assert d["certificate"]["point"] == "exact"


@pytest.mark.parametrize("options, error, match", [
    ({"label": 4}, ValueError, r"label must lie in \[0, 4\) for a 2 x 2 game"),
    ({"label": -1}, ValueError, r"label must lie in \[0, 4\)"),
    ({"label": True}, TypeError, "label must be an integer, got bool"),
    ({"label": 1.0}, TypeError, "label must be an integer, got float"),
    ({"pivoting": "float"}, ValueError, "pivoting must be 'auto' or 'exact'"),
    ({"pivots_per_step": 0}, ValueError, "pivots_per_step must be >= 1"),
    ({"step": 1.0}, TypeError, "unexpected keyword argument 'step'"),
])
def test_bad_options_are_clear_errors(options, error, match):
    with pytest.raises(error, match=match):
        eq.solve(eq.BimatrixGame([[1, 0], [0, 1]], [[1, 0], [0, 1]]), method="lemke_howson",
                 **options)


def test_problems_it_does_not_take_are_a_type_error():
    vi = eq.zoo.affine_vi(4, seed=0).problem
    with pytest.raises(TypeError, match="lemke_howson computes equilibria of two-player games"):
        eq.solve(vi, method="lemke_howson")
    batch = eq.MatrixGame(np.ones((2, 3, 3)))
    with pytest.raises(TypeError, match="lemke_howson computes equilibria"):
        eq.solve(batch, method="lemke_howson")


@pytest.mark.parametrize("A, B, error, match", [
    ([[1, 2], [3]], [[1, 2], [3, 4]], TypeError, "A must be an array of real numbers .*inhomog"),
    ([[Fraction(1), 2], [3]], [[1, 2], [3, 4]], TypeError, "A must be an array of real numbers"),
    ([[1, float("nan")], [3, 4]], [[1, 2], [3, 4]], ValueError, r"A\[0, 1\] must be finite"),
    ([[1.0, np.nan], [3.0, 4.0]], [[1, 2], [3, 4]], ValueError, "A contains 1 NaN entries"),
    ([[1, 2], [3, 4]], [[1, 2, 3], [3, 4, 5]], ValueError, "A and B must have the same shape"),
    ([1, 2, 3], [1, 2, 3], ValueError, r"A must be a matrix \(2-d\)"),
    ([[Fraction(1, 3), None], [0, 1]], [[1, 2], [3, 4]], TypeError, "A must contain real numbers"),
    ([[Fraction(1, 3), 1], [0, 1]], [[1, 0], [0, 1j]], TypeError, "B must be real"),
    ([[Fraction(1, 3), 1], [0, float("inf")]], [[1, 0], [0, 1]], ValueError,
     r"A\[1, 1\] must be finite"),
])
def test_bad_payoffs_are_clear_errors(A, B, error, match):
    with pytest.raises(error, match=match):
        eq.BimatrixGame(A, B)


def test_caller_arrays_are_not_mutated():
    A = np.array([[3, 0], [5, 1]])
    B = np.array([[3, 5], [0, 1]])
    A0, B0 = A.copy(), B.copy()
    eq.solve(eq.BimatrixGame(A, B), method="lemke_howson", pivoting="exact")
    assert np.array_equal(A, A0) and np.array_equal(B, B0)


def test_compiled_float_pivots_match_the_numpy_reference():
    pytest.importorskip("numba")
    from eqsolve.problems._pivoting import LemkeHowsonPath

    rng = np.random.default_rng(8)
    for hi, shape in ((2, (9, 7)), (1000, (25, 25))):
        A = rng.integers(0, hi + 1, size=shape)
        B = rng.integers(0, hi + 1, size=shape)
        game = integer_game_of(eq.BimatrixGame(A, B))
        for label in range(0, sum(shape), 3):
            a = LemkeHowsonPath(game, label, exact=False)
            b = LemkeHowsonPath(game, label, exact=False)
            a.advance(10_000, compiled=False)
            b.advance(10_000, compiled=True)
            assert a.pivots == b.pivots and a.bases() == b.bases() and a.done and b.done
            assert np.allclose(a.P.M, b.P.M, rtol=0, atol=1e-9 * np.max(np.abs(a.P.M)))


def _systems(rng):
    """Integer systems of sizes 1..14, entries small and near 2^40, some singular."""
    for k in list(range(1, 15)) + [6, 9]:
        for hi in (1000, 2 ** 40):
            G = rng.integers(-hi, hi, size=(k, k))
            yield G, rng.integers(-5, 6, size=k)
            if k > 1:
                S = G.copy()
                S[-1] = S[0] * 3 - S[1 % k] if k > 2 else 2 * S[0]   # dependent rows
                yield S, np.ones(k, dtype=np.int64)


def test_modular_and_small_exact_solves_match_fraction_free_elimination():
    from eqsolve.problems._pivoting import solve_integer, solve_integer_modular

    rng = np.random.default_rng(11)
    for G, rhs in _systems(rng):
        ref = solve_integer(G.astype(object), [int(v) for v in rhs])
        got = solve_integer_modular(G, rhs)
        if ref is None:
            assert got is None
            continue
        (rn, rd), (gn, gd) = ref, got
        # the same rational solution (either may carry a common factor)
        assert gd > 0 and all(Fraction(a, rd) == Fraction(b, gd) for a, b in zip(rn, gn))
        assert [sum(int(g) * v for g, v in zip(row, gn)) for row in G.tolist()] == \
            [gd * int(r) for r in rhs]


def test_the_float_screen_of_feasibility_agrees_with_exact_sums():
    from eqsolve.problems._pivoting import _within

    rng = np.random.default_rng(12)
    for trial in range(300):
        k, n = int(rng.integers(1, 8)), int(rng.integers(1, 120))
        hi = int(rng.choice([10, 10 ** 6, 2 ** 50]))
        sub = rng.integers(0, hi, size=(k, n))
        num = [int(v) * int(rng.integers(1, 2 ** 20)) for v in rng.integers(0, hi, size=k)]
        sums = (np.array(num, dtype=object) @ sub.astype(object)).tolist()
        # den at, just above or just below some column's exact sum: ties and near-ties
        den = max(1, sums[int(rng.integers(n))] + int(rng.integers(-1, 2)))
        tight = [j for j in range(n) if sums[j] == den and rng.random() < 0.5]
        expect = all(s <= den for s in sums)
        assert _within(sub, num, den, tight) == expect, (trial, k, n, hi)


def test_paths_split_over_many_driver_steps_end_where_one_step_does():
    rng = np.random.default_rng(13)
    A, B = rng.integers(0, 1000, size=(30, 30)), rng.integers(0, 1000, size=(30, 30))
    game = eq.BimatrixGame(A, B)
    one = eq.solve(game, method="lemke_howson", label=4)
    many = eq.solve(game, method="lemke_howson", label=4, pivots_per_step=3)
    assert one.exact == many.exact and one.info["pivots"] == many.info["pivots"]
    assert many.iterations >= one.info["pivots"] // 3
    check_exact(many, A, B)


def test_a_step_leaves_the_previous_state_untouched():
    from eqsolve.methods import iterate

    rng = np.random.default_rng(14)
    game = eq.BimatrixGame(rng.integers(0, 1000, size=(12, 12)),
                           rng.integers(0, 1000, size=(12, 12)))
    steps = iterate(game, "lemke_howson", label=1, pivots_per_step=2)
    _, _, s0 = next(steps)
    before = (s0.path.bases(), s0.path.pivots, [v.copy() for v in s0.path.float_point()])
    for _ in range(3):
        next(steps)
    after = (s0.path.bases(), s0.path.pivots, s0.path.float_point())
    assert before[0] == after[0] and before[1] == after[1]
    assert all(np.array_equal(a, b) for a, b in zip(before[2], after[2]))


def test_a_degenerate_vertex_pair_on_the_path_ends_it_exactly():
    """On this degenerate game the path from label 80 passes vertex pairs where the dropped
    label's variable is basic at zero -- equilibria already.  The float certificate of such
    a path point is ~1e-13, below the default tol: the solve must return the exact
    equilibrium there (exact gap 0), not the rounded path point, and the enumeration by
    Lemke-Howson must not fail on it."""
    rng = np.random.default_rng(102)
    A, B = rng.integers(0, 3, size=(80, 80)), rng.integers(0, 3, size=(80, 80))
    game = eq.BimatrixGame(A, B)
    res = eq.solve(game, method="lemke_howson", label=80)
    check_exact(res, A, B)
    assert res.info["complementary"] and res.info["exact_restarts"] == 0
    found = eq.equilibria(game, method="lemke_howson", labels=[80])
    assert len(found) == 1 and found[0].exact == res.exact


def test_the_exact_check_of_a_degenerate_pair_needs_the_dropped_label_at_zero():
    from eqsolve.problems._pivoting import LemkeHowsonPath, verify_bases_integer

    rng = np.random.default_rng(15)
    A, B = rng.integers(0, 1000, size=(20, 20)), rng.integers(0, 1000, size=(20, 20))
    game = integer_game_of(eq.BimatrixGame(A, B))
    path = LemkeHowsonPath(game, 3, exact=False)
    path.advance(2)               # the dropped label 3 is basic in both, at positive values
    assert not path.done
    (vP, _), (vQ, _) = path.missing_values()
    assert vP > 0 and vQ > 0
    assert verify_bases_integer(game, *path.bases()) is None
    assert verify_bases_integer(game, *path.bases(), missing=3) is None
