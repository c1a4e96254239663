"""Linear programs and bilinear saddle problems: certificates against HiGHS, detection, input checks."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment, linprog
from scipy.sparse.linalg import aslinearoperator

import eqsolve as eq
from eqsolve.problems.bilinear import check_linear_program, l1, linear, quadratic


def random_lp(seed, m_ub=6, m_eq=2, n=9, bounds=(0.0, 3.0)):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.2, 1.0, size=n)
    A_ub = rng.normal(size=(m_ub, n))
    A_eq = rng.normal(size=(m_eq, n))
    c = rng.normal(size=n)
    return dict(c=c, A_ub=A_ub, b_ub=A_ub @ x0 + rng.uniform(0.1, 1.0, m_ub), A_eq=A_eq,
                b_eq=A_eq @ x0, bounds=bounds)


def relaxed_optimum(kw, eps):
    """HiGHS' optimum of the LP with every constraint loosened by ``eps``."""
    A_ub = np.vstack([kw["A_ub"], kw["A_eq"], -kw["A_eq"]])
    b_ub = np.concatenate([kw["b_ub"] + eps, kw["b_eq"] + eps, -kw["b_eq"] + eps])
    return linprog(kw["c"], A_ub=A_ub, b_ub=b_ub, bounds=kw["bounds"], method="highs").fun


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("variant", ["halpern", "adaptive", "fixed"])
def test_random_lps_bracket_the_highs_optimum(seed, variant):
    kw = random_lp(seed)
    ref = linprog(**kw, method="highs")
    assert ref.status == 0
    lp = eq.LinearProgram(**kw)
    res = eq.solve(lp, method="pdhg", variant=variant, tol=1e-7, max_iter=100_000)
    assert res.converged
    d = res.certificate.details
    lo, hi = d["objective_bounds"]
    assert lo <= ref.fun
    # x is feasible, with objective hi, for the LP loosened by its certified infeasibility
    assert relaxed_optimum(kw, d["primal_infeasibility"]) <= hi + 1e-12
    # the reported infeasibility is at least the true one
    x = res.x
    true = max(np.max(kw["A_ub"] @ x - kw["b_ub"]), np.max(np.abs(kw["A_eq"] @ x - kw["b_eq"])), 0)
    assert d["primal_infeasibility"] >= true
    assert res.value == pytest.approx(ref.fun, abs=1e-5)
    assert res.y.shape == (8,) and np.all(res.y[2:] >= 0)


def test_one_sided_bounds_report_dual_infeasibility_and_converge():
    kw = random_lp(7, bounds=(0, None))
    ref = linprog(**kw, method="highs")
    res = eq.solve(eq.LinearProgram(**kw), tol=1e-7, max_iter=100_000)
    d = res.certificate.details
    assert res.converged and d["corrected_lower_bound"] <= ref.fun + 1e-9
    assert d["objective_bounds"][0] <= ref.fun
    assert 0 <= d["dual_infeasibility"] <= 1e-7


def test_weak_duality_bound_is_rigorous_at_any_multiplier():
    kw = random_lp(3)
    ref = linprog(**kw, method="highs")
    lp = eq.LinearProgram(**kw)
    rng = np.random.default_rng(0)
    for _ in range(50):
        y = rng.normal(size=lp.m) * rng.uniform(0, 5)
        y[lp.n_eq:] = np.abs(y[lp.n_eq:])
        x = rng.uniform(0, 3, size=lp.n)
        lo, hi = lp.certify(np.concatenate([x, y])).details["objective_bounds"]
        assert lo <= ref.fun
        assert hi >= kw["c"] @ x


def test_assignment_bracket_contains_the_exact_optimum():
    lp = eq.zoo.assignment(8, seed=1)
    C = lp.c.reshape(8, 8)
    r, c = linear_sum_assignment(C)
    opt = C[r, c].sum()
    seen = []

    def watch(p):
        lo, hi = p.certificate.details["objective_bounds"]
        eps = p.certificate.details["primal_infeasibility"]
        seen.append(lo <= opt <= hi + 4 * 8 * eps * C.max())

    for variant in ("adaptive", "fixed", "halpern"):
        res = eq.solve(lp, variant=variant, tol=1e-8, max_iter=50_000, callback=watch)
        assert res.converged and res.value == pytest.approx(opt, abs=1e-6)
    assert seen and all(seen)


def test_infeasible_lp_is_reported_with_a_farkas_ray():
    lp = eq.LinearProgram(np.ones(3), A_ub=[[1.0, 1.0, 0.0]], b_ub=[1.0],
                          A_eq=[[1.0, 1.0, 1.0]], b_eq=[-1.0])
    for variant in ("halpern", "adaptive", "fixed"):
        res = eq.solve(lp, variant=variant, max_iter=5000)
        assert res.status == "infeasible" and not res.converged
        assert "no feasible point" in res.message and "infeasible" in res.warnings[-1]
        ray = np.asarray(res.info["ray"])
        assert lp.farkas_bound(ray) > 0 and res.info["farkas_bound"] > 0


def test_unbounded_lp_is_reported_with_a_ray():
    lp = eq.LinearProgram([-1.0, 0.0], A_ub=[[1.0, -1.0]], b_ub=[1.0])
    for variant in ("halpern", "adaptive", "fixed"):
        res = eq.solve(lp, variant=variant, max_iter=5000)
        assert res.status == "unbounded" and not res.converged
        d = np.asarray(res.info["ray"])
        cd, viol = lp.ray_evidence(d)
        assert cd < 0 and viol <= 1e-12 and np.all(d >= 0)
        # exactly: A d <= 0 and c^T d < 0 in rational arithmetic
        from fractions import Fraction
        fd = [Fraction(v) for v in d]
        assert fd[0] - fd[1] <= 0 and -fd[0] < 0


def test_detection_agrees_with_highs():
    for seed in range(8):
        kw = random_lp(seed, bounds=(None, None) if seed % 2 else (0, 3))
        ref = linprog(**kw, method="highs")
        res = eq.solve(eq.LinearProgram(**kw), tol=1e-6, max_iter=20_000)
        expected = {0: ("converged", "max_iter"), 2: ("infeasible",), 3: ("unbounded",)}
        assert res.status in expected[ref.status], (seed, ref.status, res.status)


def test_sparse_and_operator_inputs_are_never_densified_nor_mutated(monkeypatch):
    kw = random_lp(2)
    A_ub = sp.csr_array(kw["A_ub"])
    before = (A_ub.data.copy(), kw["c"].copy(), kw["b_ub"].copy())

    def refuse(*a, **k):
        raise AssertionError("densified")

    monkeypatch.setattr(type(A_ub), "toarray", refuse)
    monkeypatch.setattr(type(A_ub), "todense", refuse)
    lp = eq.LinearProgram(kw["c"], A_ub=A_ub, b_ub=kw["b_ub"], A_eq=sp.coo_array(kw["A_eq"]),
                          b_eq=kw["b_eq"], bounds=kw["bounds"])
    assert lp.kind == "sparse"
    ref = linprog(**kw, method="highs").fun
    res = eq.solve(lp, tol=1e-7, max_iter=50_000)
    assert res.converged and res.certificate.details["objective_bounds"][0] <= ref
    assert np.array_equal(A_ub.data, before[0]) and np.array_equal(kw["c"], before[1])
    assert np.array_equal(kw["b_ub"], before[2])
    op = eq.LinearProgram(kw["c"], A_ub=aslinearoperator(kw["A_ub"]), b_ub=kw["b_ub"],
                          A_eq=kw["A_eq"], b_eq=kw["b_eq"], bounds=kw["bounds"])
    res = eq.solve(op, tol=1e-7, max_iter=50_000)
    assert op.kind == "operator" and res.converged
    assert res.certificate.details["objective_bounds"][0] <= ref


def test_the_solve_does_not_mutate_dense_inputs():
    kw = random_lp(5)
    copies = {k: np.copy(v) for k, v in kw.items() if isinstance(v, np.ndarray)}
    res = eq.solve(eq.LinearProgram(**kw), tol=1e-6)
    res.x[:] = 0.0
    for k, v in copies.items():
        assert np.array_equal(kw[k], v), k


@pytest.mark.parametrize("args, match", [
    (dict(c=[[1.0, 2.0]]), "c must be a vector"),
    (dict(c=[1.0, np.nan]), "c contains 1 NaN"),
    (dict(c=[1.0, 2.0], A_ub=[[1.0, 2.0, 3.0]], b_ub=[1.0]), "A_ub must have 2 columns"),
    (dict(c=[1.0, 2.0], A_ub=[[1.0, 2.0]], b_ub=[1.0, 2.0]), "b_ub must have length 1"),
    (dict(c=[1.0, 2.0], A_eq=[[1.0, np.nan]], b_eq=[1.0]), "A_eq contains 1 NaN"),
    (dict(c=[1.0, 2.0], A_ub=[[1.0, 2.0]]), "A_ub is given without b_ub"),
    (dict(c=[1.0, 2.0], b_eq=[1.0]), "b_eq is given without A_eq"),
    (dict(c=[1.0, 2.0], bounds=[(0, 1), (3, 2)]), r"bounds\[1\]: the lower bound 3.0 exceeds"),
    (dict(c=[1.0, 2.0], bounds=[(0, 1)] * 3), "bounds must be one pair"),
    (dict(c=[1.0, 2.0], bounds=(np.nan, 1)), r"bounds\[0\] min is NaN"),
    (dict(c=[1.0, 2.0], bounds=(np.inf, None)), "leaves no feasible value"),
    (dict(c=[1.0, 2.0], A_ub=sp.csr_array(np.array([[np.nan, 1.0]])), b_ub=[1.0]),
     "A_ub contains NaN"),
])
def test_bad_input_names_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        check_linear_program(**args)
    with pytest.raises(ValueError, match=match):
        eq.LinearProgram(**args)


def test_bounds_follow_linprog_conventions():
    c, _, _, _, lo, hi = check_linear_program([1.0, 2.0], bounds=[(None, 1), (-2, None)])
    assert lo.tolist() == [-math.inf, -2.0] and hi.tolist() == [1.0, math.inf]
    _, _, _, _, lo, hi = check_linear_program([1.0, 2.0])
    assert lo.tolist() == [0.0, 0.0] and hi.tolist() == [math.inf, math.inf]
    _, _, _, _, lo, hi = check_linear_program([1.0, 2.0], bounds=(-1, 1))
    assert lo.tolist() == [-1.0, -1.0] and hi.tolist() == [1.0, 1.0]


def test_an_lp_with_bounds_only_is_solved():
    res = eq.solve(eq.LinearProgram([1.0, -1.0], bounds=[(0, 2), (-1, 3)]), tol=1e-9)
    assert res.converged and res.value == pytest.approx(-3.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(0, 2), st.integers(1, 5))
def test_hypothesis_small_lps_never_overclaim(seed, m_ub, m_eq, n):
    rng = np.random.default_rng(seed)
    kw = dict(c=rng.integers(-3, 4, size=n).astype(float),
              A_ub=rng.integers(-2, 3, size=(m_ub, n)).astype(float),
              b_ub=rng.integers(-1, 4, size=m_ub).astype(float), bounds=(-2, 2))
    if m_eq:
        kw.update(A_eq=rng.integers(-2, 3, size=(m_eq, n)).astype(float),
                  b_eq=rng.integers(-1, 2, size=m_eq).astype(float))
    ref = linprog(**kw, method="highs")
    res = eq.solve(eq.LinearProgram(**kw), tol=1e-6, max_iter=3000)
    lo, _ = res.certificate.details["objective_bounds"]
    if ref.status == 0:
        assert lo <= ref.fun
        assert res.status in ("converged", "max_iter")
    elif ref.status == 2:  # infeasible: never converged
        assert res.status in ("infeasible", "max_iter")
    if res.status == "infeasible":
        assert ref.status == 2


# -- bilinear saddle problems -----------------------------------------------------------


def matrix_game_reference(A):
    """The value of min_x max_y y^T A x over simplices, by HiGHS."""
    m, n = A.shape
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.hstack([A, -np.ones((m, 1))]),
                  b_ub=np.zeros(m), A_eq=np.r_[np.ones(n), 0.0][None], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)], method="highs")
    return res.fun


@pytest.mark.parametrize("variant", ["halpern", "adaptive", "fixed"])
def test_bilinear_saddle_on_simplices_matches_the_game_value(variant):
    A = np.random.default_rng(0).normal(size=(6, 5))
    p = eq.BilinearSaddle(A, eq.Simplex(5), eq.Simplex(6))
    res = eq.solve(p, method="pdhg", variant=variant, tol=1e-8, max_iter=100_000)
    lo, hi = res.certificate.details["value_bounds"]
    v = matrix_game_reference(A)
    assert res.converged and lo <= v + 1e-12 and v <= hi + 1e-12


def test_bilinear_saddle_terms_on_boxes_have_closed_form_gaps():
    rng = np.random.default_rng(1)
    K = rng.normal(size=(4, 3))
    f = quadratic(np.array([1.0, 0.5, 2.0]), rng.normal(size=3)) + l1(0.3)
    g = linear(rng.normal(size=4)) + quadratic(0.5)
    X, Y = eq.Box(-1, 1, dim=3), eq.Box(-2, 2, dim=4)
    p = eq.BilinearSaddle(K, X, Y, f=f, g=g)
    res = eq.solve(p, tol=1e-9, max_iter=50_000)
    assert res.converged
    # brute-force check of the gap at the returned point on a grid of the other player
    x, y = res.x, res.y
    cert = p.certify(res.z)
    lo, hi = cert.details["value_bounds"]
    L = lambda xx, yy: (0.5 * np.sum(f.quad * xx**2) + f.lin @ xx + 0.3 * np.sum(np.abs(xx))
                        + yy @ K @ xx - (g.lin @ yy + 0.25 * np.sum(yy**2)))
    grid = rng.uniform(-1, 1, size=(2000, 3))
    assert min(L(xx, y) for xx in grid) >= lo - 1e-12
    grid = rng.uniform(-2, 2, size=(2000, 4))
    assert max(L(x, yy) for yy in grid) <= hi + 1e-12


def test_bilinear_saddle_gap_is_an_upper_bound_at_random_points():
    rng = np.random.default_rng(2)
    K = rng.normal(size=(3, 3))
    p = eq.BilinearSaddle(K, eq.Simplex(3), eq.Box(0, 1, dim=3), f=linear(rng.normal(size=3)))
    for _ in range(30):
        x = rng.dirichlet(np.ones(3))
        y = rng.uniform(0, 1, size=3)
        cert = p.certify(np.concatenate([x, y]))
        # exact: max_y' over the box vertices, min_x' over the simplex vertices
        up = p.f.lin @ x + np.sum(np.maximum(K @ x, 0.0))
        down = np.min(p.f.lin + K.T @ y)
        assert cert.value >= up - down - 1e-14


def test_generic_methods_run_on_lps_and_saddles_through_the_operator():
    lp = eq.LinearProgram([-1.0, -2.0], A_ub=[[1.0, 1.0]], b_ub=[1.0])
    p = eq.BilinearSaddle(np.array([[1.0, -2.0], [0.5, 1.0]]), eq.Simplex(2), eq.Box(-1, 1, dim=2))
    for method in ("extragradient", "optimistic", "halpern"):
        assert eq.solve(lp, method=method, tol=1e-6, max_iter=100_000).converged
        assert eq.solve(p, method=method, tol=1e-6, max_iter=100_000).converged


@pytest.mark.parametrize("args, match", [
    (lambda: (np.ones((2, 3)), eq.Simplex(2), eq.Simplex(2)), r"K must have shape \(Y.dim, X.dim\)"),
    (lambda: (np.ones((2, 2)), eq.Box(0, np.inf, dim=2), eq.Simplex(2)), "X must be a Simplex or a Box"),
    (lambda: (np.ones((2, 2)), eq.Simplex(2), eq.Simplex(2), quadratic(1.0)), "f: a quadratic term"),
    (lambda: (np.ones((2, 2)), eq.Box(0, 1, dim=2), eq.Simplex(2), quadratic(-1.0)), "must be >= 0"),
    (lambda: (np.array([[1.0, np.nan], [0, 0]]), eq.Simplex(2), eq.Simplex(2)), "K contains 1 NaN"),
])
def test_bilinear_saddle_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        eq.BilinearSaddle(*args())


# -- Halpern PDHG on LPs: primal weight and the restricted-LP polish ----------------------


def exact_assignment(lp):
    n = int(round(math.sqrt(lp.n)))
    C = lp.c.reshape(n, n)
    r, c = linear_sum_assignment(C)
    return float(C[r, c].sum())


def test_polish_solves_the_assignment_lp_exactly_and_early():
    lp = eq.zoo.assignment(30, seed=2)
    opt = exact_assignment(lp)
    res = eq.solve(lp, tol=1e-9, max_iter=50_000)
    pure = eq.solve(lp, tol=1e-9, max_iter=50_000, polish=False)
    assert res.converged and pure.converged
    assert res.info["polished_iteration"] is not None
    assert res.iterations < pure.iterations
    lo, hi = res.certificate.details["objective_bounds"]
    assert lo <= opt <= hi + 1e-12
    assert res.value == pytest.approx(opt, abs=1e-9)


def test_restricted_optimum_prices_out_a_poor_start():
    """From zero multipliers the restricted set is the cheapest columns; pricing adds
    what is missing, and the pair it returns is optimal for the whole LP."""
    lp = eq.zoo.assignment(20, seed=4)
    opt = exact_assignment(lp)
    x = np.full(lp.n, 1.0 / 20)
    y = np.zeros(lp.m)
    found = lp.restricted_optimum(y, x, lp.c + lp.rmatvec(y), widen=0.5)
    assert found is not None
    y_new, x_new = found
    cert = lp.certify(np.concatenate([x_new, y_new]))
    lo, hi = cert.details["objective_bounds"]
    assert lo <= opt <= hi + 1e-12 and hi - lo <= 1e-9
    assert cert.details["primal_infeasibility"] <= 1e-9


def test_restricted_optimum_is_none_when_the_restriction_is_infeasible():
    infeasible = eq.LinearProgram([1.0, 1.0], A_eq=[[1.0, 1.0]], b_eq=[3.0], bounds=(0, 1))
    y = np.zeros(1)
    assert infeasible.restricted_optimum(y, np.zeros(2), infeasible.c, widen=1.0) is None
    res = eq.solve(infeasible, max_iter=5000)
    assert res.status == "infeasible"


@pytest.mark.parametrize("seed", range(6))
def test_polished_solves_bracket_the_highs_optimum(seed):
    kw = random_lp(seed + 20, m_ub=8, m_eq=3, n=15)
    ref = linprog(**kw, method="highs")
    if ref.status != 0:
        pytest.skip("HiGHS finds no optimum")
    res = eq.solve(eq.LinearProgram(**kw), tol=1e-9, max_iter=20_000)
    assert res.converged
    d = res.certificate.details
    lo, hi = d["objective_bounds"]
    assert lo <= ref.fun
    assert relaxed_optimum(kw, d["primal_infeasibility"]) <= hi + 1e-12
    assert res.value == pytest.approx(ref.fun, abs=1e-7)


def test_primal_weight_defaults_and_checks():
    lp = eq.zoo.assignment(10, seed=0)
    res = eq.solve(lp, tol=1e-6, polish=False, max_iter=20_000)
    assert res.converged and res.info["primal_weight"] != 1.0
    fixed = eq.solve(lp, tol=1e-6, polish=False, primal_weight=1.0, max_iter=20_000)
    assert fixed.converged and fixed.info["primal_weight"] == 1.0
    game = eq.MatrixGame(np.random.default_rng(0).normal(size=(12, 9)))
    a = eq.solve(game, tol=1e-8)
    b = eq.solve(game, tol=1e-8, primal_weight=1.0)
    assert a.info["primal_weight"] == 1.0 and a.iterations == b.iterations
    np.testing.assert_array_equal(a.z, b.z)
    c = eq.solve(game, tol=1e-8, primal_weight="adaptive", max_iter=50_000)
    assert c.converged and c.residual <= 1e-8
    with pytest.raises(ValueError, match="primal_weight must be a positive number or 'adaptive'"):
        eq.solve(lp, primal_weight="pdlp")
    with pytest.raises(ValueError, match="primal_weight"):
        eq.solve(lp, primal_weight=-1.0)
    batch = eq.MatrixGame(np.random.default_rng(1).normal(size=(3, 5, 4)))
    with pytest.raises(ValueError, match="batch of games is solved with primal_weight=1"):
        eq.solve(batch, primal_weight="adaptive")


def test_adaptive_primal_weight_moves_towards_the_ratio_of_the_moves():
    """On an LP whose primal and dual solutions differ in scale by 100, the weight
    leaves 1 towards the ratio of their distances from the start."""
    kw = random_lp(11)
    kw["c"] = 100.0 * kw["c"]
    res = eq.solve(eq.LinearProgram(**kw), tol=1e-8, polish=False, precondition="none",
                   max_iter=100_000)
    assert res.converged
    ref = linprog(**kw, method="highs")
    x0 = eq.LinearProgram(**kw).initial_point()
    ratio = np.linalg.norm(res.y - x0[kw["c"].size:]) / np.linalg.norm(res.x - x0[:kw["c"].size])
    w = res.info["primal_weight"]
    assert w > 1.0 and abs(math.log(w / ratio)) < abs(math.log(ratio)), (w, ratio, ref.fun)
