"""The treeplex domain: layout, best responses, conversions and the dilated-entropy geometry."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from eqsolve.treeplex import Treeplex, canonical_order


def _pure_plans(tp):
    """Every pure realisation plan of ``tp`` (brute force: one action per set, reach-pruned)."""
    choices = [range(int(s)) for s in tp.sizes]
    plans = set()
    for pick in itertools.product(*choices):
        beta = np.zeros(tp.dim)
        beta[0] = 1.0
        for i, a in enumerate(pick):
            beta[tp.start[i] + a] = 1.0
        plans.add(tuple(tp.reach(beta)))
    return [np.array(p) for p in plans]


@st.composite
def treeplexes(draw, max_sets=7):
    """Random topologically ordered (parents, sizes) in input order."""
    n_sets = draw(st.integers(0, max_sets))
    parents, sizes, n_seq = [], [], 1
    for _ in range(n_sets):
        parents.append(draw(st.integers(0, n_seq - 1)))
        s = draw(st.integers(1, 3))
        sizes.append(s)
        n_seq += s
    return parents, sizes


def _canonical(parents, sizes):
    order, seq_map = canonical_order(parents, sizes)
    par = np.asarray(parents, np.int64)
    return Treeplex(seq_map[par[order]] if order.size else par, np.asarray(sizes, np.int64)[order])


@given(treeplexes(), st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_support_and_best_response_match_brute_force(spec, seed):
    tp = _canonical(*spec)
    g = np.random.default_rng(seed).normal(size=tp.dim)
    plans = _pure_plans(tp)
    best = max(float(p @ g) for p in plans)
    assert float(tp.support(g)) == pytest.approx(best, abs=1e-12)
    value, plan = tp.best_response(g)
    assert float(value) == pytest.approx(best, abs=1e-12)
    assert float(plan @ g) == pytest.approx(best, abs=1e-12)
    assert any(np.array_equal(plan, p) for p in plans)
    for p in plans:
        assert tp.contains(p)


@given(treeplexes(), st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_reach_behavior_round_trip(spec, seed):
    tp = _canonical(*spec)
    rng = np.random.default_rng(seed)
    beta = tp.normalize_behavior(rng.uniform(0.01, 1.0, size=tp.dim))
    x = tp.reach(beta)
    assert tp.contains(x)
    np.testing.assert_allclose(tp.behavior(x), beta, rtol=1e-12)
    # expected() at the root is the payoff of the plan
    g = rng.normal(size=tp.dim)
    V, _ = tp.expected(g, beta)
    assert float(V[0]) == pytest.approx(float(g @ x), abs=1e-12)


def test_uniform_and_layout():
    tp = Treeplex([0, 1, 1], [2, 2, 2])
    np.testing.assert_allclose(tp.uniform(), [1, .5, .5, .25, .25, .25, .25])
    assert tp.plan_size == 4 and len(tp.levels) == 2
    empty = Treeplex([], [])
    assert empty.dim == 1 and float(empty.support(np.array([2.5]))) == 2.5
    assert empty.contains(np.array([1.0])) and not empty.contains(np.array([0.5]))


def test_behavior_of_unreached_sets_is_uniform():
    tp = Treeplex([0, 1], [2, 3])
    x = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0])       # set 1 (below sequence 1) unreached
    np.testing.assert_allclose(tp.behavior(x)[3:], [1 / 3] * 3)


def test_contains_rejects_infeasible():
    tp = Treeplex([0, 1], [2, 2])
    assert not tp.contains(np.array([1.0, 0.6, 0.6, 0.3, 0.3]))      # 0.6 + 0.6 != 1
    assert not tp.contains(np.array([1.0, 1.0, 0.0, 0.7, 0.2]))      # 0.7 + 0.2 != x_1
    assert not tp.contains(np.array([1.0, 1.2, -0.2, 0.6, 0.6]))     # negative
    assert tp.contains(np.array([1.0, 1.0, 0.0, 0.7, 0.3]))


@pytest.mark.parametrize("parents, sizes, match", [
    ([0, 5], [2, 2], "parents\\[1\\] = 5 must be a sequence of an earlier"),
    ([0], [0], "sizes\\[0\\] = 0"),
    ([0, 0], [2], "one entry per information set"),
    ([[0]], [[2]], "1-d sequence"),
    ([0, 1, 0], [2, 2, 2], "listed by depth"),
])
def test_bad_treeplexes(parents, sizes, match):
    with pytest.raises(ValueError, match=match):
        Treeplex(parents, sizes)


def test_canonical_order_reorders_by_depth():
    parents, sizes = [0, 1, 0], [2, 2, 2]      # set 1 (depth 1) listed before set 2 (depth 0)
    order, seq_map = canonical_order(parents, sizes)
    assert list(order) == [0, 2, 1]
    assert list(seq_map) == [0, 1, 2, 5, 6, 3, 4]


# -- the dilated entropy ----------------------------------------------------------


def _dilated_prox_cvxpy(tp, xprev, g, eta):
    cp = pytest.importorskip("cvxpy")
    beta_prev = tp.behavior(xprev)
    x = cp.Variable(tp.dim)
    cons = [x >= 0, x[0] == 1]
    for i in range(tp.n_sets):
        s = int(tp.start[i])
        cons.append(cp.sum(x[s: s + int(tp.sizes[i])]) == x[int(tp.parents[i])])
    par = tp.seq_parent[1:]
    div = cp.sum(cp.rel_entr(x[1:], cp.multiply(beta_prev[1:], x[par])))
    prob = cp.Problem(cp.Minimize(eta * (g @ x) + div), cons)
    prob.solve()
    return x.value


@pytest.mark.parametrize("seed", range(3))
def test_dilated_entropy_prox_matches_convex_solver(seed):
    tp = Treeplex([0, 1, 1, 2], [2, 2, 3, 2])
    rng = np.random.default_rng(seed)
    geo = tp.geometry("entropic")
    xprev = tp.reach(tp.normalize_behavior(rng.uniform(0.1, 1, tp.dim)))
    g = rng.normal(size=tp.dim)
    u = geo.step(geo.init(xprev), g, 0.7)
    ours = geo.point(u)
    ref = _dilated_prox_cvxpy(tp, xprev, g, 0.7)
    beta_prev = tp.behavior(xprev)

    def objective(x):
        x = np.maximum(x, 1e-300)
        par = x[tp.seq_parent[1:]]
        return 0.7 * g @ x + np.sum(x[1:] * np.log(x[1:] / (beta_prev[1:] * par)))

    # the closed form is exact; the conic solver is accurate to ~1e-5
    assert tp.contains(ours)
    assert objective(ours) <= objective(ref) + 1e-9
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_dilated_entropy_divergence_is_bregman():
    tp = Treeplex([0, 1, 2], [2, 3, 2])
    rng = np.random.default_rng(4)
    geo = tp.geometry("entropic")
    xa = tp.reach(tp.normalize_behavior(rng.uniform(0.1, 1, tp.dim)))
    xb = tp.reach(tp.normalize_behavior(rng.uniform(0.1, 1, tp.dim)))

    def d(x):                     # the dilated entropy, written from its definition
        beta = tp.behavior(x)
        return float(np.sum(x[1:] * np.log(beta[1:])))

    def grad(x, h=1e-6):
        out = np.zeros(tp.dim)
        for k in range(tp.dim):
            e = np.zeros(tp.dim); e[k] = h
            out[k] = (d(x + e) - d(x - e)) / (2 * h)
        return out

    # d as a function of the plan: sum_I sum_a x_a log(x_a / x_sigma)
    def d_plan(x):
        par = x[tp.seq_parent[1:]]
        return float(np.sum(x[1:] * np.log(x[1:] / par)))

    def grad_plan(x, h=1e-7):
        out = np.zeros(tp.dim)
        for k in range(tp.dim):
            e = np.zeros(tp.dim); e[k] = h
            out[k] = (d_plan(x + e) - d_plan(x - e)) / (2 * h)
        return out

    breg = d_plan(xa) - d_plan(xb) - grad_plan(xb) @ (xa - xb)
    ours = float(geo.divergence(geo.init(xa), geo.init(xb)))
    assert ours == pytest.approx(breg, rel=1e-5, abs=1e-8)
    assert d(xa) == pytest.approx(d_plan(xa))


def test_dilated_entropy_needs_positive_start():
    tp = Treeplex([0], [2])
    with pytest.raises(ValueError, match="positive probability"):
        tp.geometry("entropic").init(np.array([1.0, 1.0, 0.0]))


@given(treeplexes(), st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_compiled_passes_match_the_reference(spec, seed):
    pytest.importorskip("numba")
    from eqsolve import _treeplex_numba as kernels

    tp = _canonical(*spec)
    rng = np.random.default_rng(seed)
    g = rng.normal(size=tp.dim)
    if tp.n_sets:
        ref = g.copy()
        for L in reversed(tp.levels):
            m = np.maximum.reduceat(ref[L.seqs], L.seg)
            np.add.at(ref, L.par_seq, np.add.reduceat(m, L.par_runs))
        assert kernels.support(tp.parents, tp.start, tp.sizes, g) == pytest.approx(ref[0], abs=1e-13)
    z = rng.uniform(-0.2, 1.0, size=tp.dim)
    out = np.empty_like(z)
    dist = kernels.plans(tp.parents, tp.start, tp.sizes, z, out)
    plan = tp.reach(tp.normalize_behavior(tp.behavior(np.maximum(z, 0.0))))
    np.testing.assert_allclose(out, plan, rtol=1e-13, atol=1e-15)
    assert dist == pytest.approx(float(np.abs(plan - z).sum()), rel=1e-12, abs=1e-15)
    assert tp.contains(out)


def test_array_api_path_matches_numpy():
    xps = pytest.importorskip("array_api_strict")
    tp = _canonical([0, 1, 1, 2, 0],
                    [2, 2, 3, 2, 1])
    rng = np.random.default_rng(3)
    g = rng.normal(size=tp.dim)
    beta = tp.normalize_behavior(rng.uniform(0.1, 1, tp.dim))
    gs, bs = xps.asarray(g), xps.asarray(beta)
    assert float(tp.support(gs)) == pytest.approx(float(tp.support(g)), abs=1e-14)
    np.testing.assert_allclose(np.asarray(tp.reach(bs)), tp.reach(beta), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(tp.behavior(tp.reach(bs))), beta, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(tp.expected(gs, bs)[0]), tp.expected(g, beta)[0],
                               rtol=1e-13)
    geo = tp.geometry("entropic")
    u, us = geo.init(tp.reach(beta)), geo.init(tp.reach(bs))
    np.testing.assert_allclose(np.asarray(geo.step(us, gs, 0.3)), geo.step(u, g, 0.3), atol=1e-13)
    value, plan = tp.best_response(gs)
    assert float(value) == pytest.approx(float(tp.best_response(g)[0]))
    assert tp.contains(tp.reach(bs))
