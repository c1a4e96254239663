"""Domains: projections, support functions, membership and mirror geometries.

Every numerical claim is checked against an independent reference: closed
forms (clip, radial scaling), a bisection and a brute-force enumeration of the
KKT conditions for the simplex, and cvxpy for a seeded set of cases.
"""

import itertools
import math

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import rel_entr, softmax

from eqsolve.domains import Ball, Box, Domain, Product, Reals, Simplex

EPS = np.finfo(np.float64).eps
INF = np.inf

# --------------------------------------------------------------------------
# the domains under test, and independent references for each
# --------------------------------------------------------------------------

MIXED_LO = np.array([-1.0, -INF, 0.0, -INF, -2.0])
MIXED_HI = np.array([1.0, 2.0, INF, INF, -2.0])  # last coordinate: a degenerate interval


def make_domains():
    return {
        "reals": Reals(4),
        "box": Box(-1.0, 2.0, dim=4),
        "orthant": Box(0.0, INF, dim=4),
        "box_mixed": Box(MIXED_LO, MIXED_HI),
        "simplex": Simplex(5),
        "simplex_r": Simplex(4, radius=3.5),
        "ball": Ball(3, radius=1.5, center=[0.5, -1.0, 2.0]),
        "product": Product(Simplex(2), Box(-1.0, 2.0, dim=2), Ball(2, radius=0.7, center=[1.0, 1.0]),
                           Reals(1), Simplex(3, radius=2.0)),
    }


DOMAINS = make_domains()


def simplex_bisection(v, r):
    """Projection onto {x >= 0, sum x = r} by bisection on the threshold (independent of sorting)."""
    lo, hi = float(v.max()) - r, float(v.max())
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if math.fsum(np.maximum(v - mid, 0.0)) > r:
            lo = mid
        else:
            hi = mid
    return np.maximum(v - 0.5 * (lo + hi), 0.0)


def simplex_kkt_bruteforce(v, r):
    """Enumerate every support set S and keep the one whose KKT point violates KKT the least.

    The projection is x_i = v_i - theta on S, 0 off S, with theta = (sum_S v - r)/|S|,
    x_S >= 0 and v_i <= theta off S.
    """
    n = v.size
    best, best_viol = None, INF
    for k in range(1, n + 1):
        for S in itertools.combinations(range(n), k):
            S = list(S)
            theta = (math.fsum(v[S]) - r) / k
            x = np.zeros(n)
            x[S] = v[S] - theta
            off = np.setdiff1d(np.arange(n), S)
            viol = max(0.0, -x.min(), (v[off] - theta).max() if off.size else 0.0)
            if viol < best_viol:
                best, best_viol = x, viol
    return best


def safe_norm(d):
    """Euclidean norm without overflow or underflow (scaled by the largest entry)."""
    s = float(np.abs(d).max())
    return 0.0 if s == 0 else s * math.sqrt(math.fsum((d / s) ** 2))


def reference_projection(dom, v):
    if isinstance(dom, Reals):
        return v.copy()
    if isinstance(dom, Box):
        return np.clip(v, dom.lower, dom.upper)
    if isinstance(dom, Simplex):
        return simplex_bisection(v, dom.radius)
    if isinstance(dom, Ball):
        d = v - dom.center
        nrm = safe_norm(d)
        return v.copy() if nrm <= dom.radius else dom.center + d * (dom.radius / nrm)
    if isinstance(dom, Product):
        return np.concatenate([reference_projection(b, v[s]) for b, s in zip(dom.blocks, dom.slices)])
    raise AssertionError(dom)


def reference_support(dom, g):
    if isinstance(dom, Reals):
        return 0.0 if not g.any() else INF
    if isinstance(dom, Box):
        terms = [gi * (hi if gi > 0 else lo) for gi, lo, hi in zip(g, dom.lower, dom.upper) if gi != 0]
        return math.fsum(terms) if all(map(math.isfinite, terms)) else INF
    if isinstance(dom, Simplex):
        return dom.radius * g.max()
    if isinstance(dom, Ball):
        return math.fsum(g * dom.center) + dom.radius * safe_norm(g)
    if isinstance(dom, Product):
        return sum(reference_support(b, g[s]) for b, s in zip(dom.blocks, dom.slices))
    raise AssertionError(dom)


def random_point_in(dom, rng):
    """A random point of the set (uniform-ish, sometimes on the boundary)."""
    if isinstance(dom, Reals):
        return rng.normal(size=dom.dim) * 10
    if isinstance(dom, Box):
        lo = np.where(np.isfinite(dom.lower), dom.lower, -50.0)
        hi = np.where(np.isfinite(dom.upper), dom.upper, 50.0)
        lo = np.maximum(lo, np.minimum(hi, 0.0) - 50.0)  # finite window inside the box
        z = rng.uniform(lo, hi)
        snap = rng.random(dom.dim) < 0.2
        return np.where(snap & np.isfinite(dom.lower), dom.lower, z)
    if isinstance(dom, Simplex):
        p = rng.exponential(size=dom.dim)
        p[rng.random(dom.dim) < 0.3] = 0.0
        if p.sum() == 0:
            p[0] = 1.0
        return dom.radius * p / p.sum()
    if isinstance(dom, Ball):
        d = rng.normal(size=dom.dim)
        return dom.center + d / np.linalg.norm(d) * dom.radius * rng.uniform(0.0, 1.0) ** (1 / dom.dim)
    if isinstance(dom, Product):
        return np.concatenate([random_point_in(b, rng) for b in dom.blocks])
    raise AssertionError(dom)


def cvxpy_constraints(dom, w):
    if isinstance(dom, Reals):
        return []
    if isinstance(dom, Box):
        cons = []
        fl, fu = np.isfinite(dom.lower), np.isfinite(dom.upper)
        if fl.any():
            cons.append(w[np.flatnonzero(fl)] >= dom.lower[fl])
        if fu.any():
            cons.append(w[np.flatnonzero(fu)] <= dom.upper[fu])
        return cons
    if isinstance(dom, Simplex):
        return [w >= 0, cp.sum(w) == dom.radius]
    if isinstance(dom, Ball):
        return [cp.norm(w - dom.center, 2) <= dom.radius]
    if isinstance(dom, Product):
        return [c for b, s in zip(dom.blocks, dom.slices) for c in cvxpy_constraints(b, w[s])]
    raise AssertionError(dom)


def proj_tol(dom, v):
    """Rounding the projection may commit: a few ulps of the data's magnitude per coordinate."""
    radius = getattr(dom, "radius", 0.0)
    scale = max(1.0, float(np.abs(v).max()), radius, float(np.abs(getattr(dom, "center", 0.0)).max()))
    return 64 * dom.dim * EPS * scale


# vectors with huge and tiny magnitudes and ties: a base pattern from a small
# alphabet (ties) or a continuous range, times a scale spanning 1e-300..1e12
SCALES = [1e-300, 1e-150, 1e-12, 1e-3, 1.0, 7.0, 1e3, 1e8, 1e12]


@st.composite
def vectors(draw, n):
    scale = draw(st.sampled_from(SCALES))
    tied = draw(st.booleans())
    if tied:
        base = draw(st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.25, 1.0]), min_size=n, max_size=n))
    else:
        base = draw(st.lists(st.floats(-1.0, 1.0, allow_nan=False, width=64), min_size=n, max_size=n))
    shift = draw(st.sampled_from([0.0, 0.0, 1.0, -3.0]))  # moves the whole vector off the set
    return (np.array(base) + shift) * scale


@st.composite
def domain_and_vector(draw, names=tuple(DOMAINS)):
    name = draw(st.sampled_from(names))
    dom = DOMAINS[name]
    return name, dom, draw(vectors(dom.dim))


# --------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------


@settings(max_examples=400)
@given(case=domain_and_vector())
def test_projection_matches_reference_idempotent_and_feasible(case):
    name, dom, v = case
    p = dom.project(v)
    assert p.shape == v.shape and p.dtype == np.float64
    assert np.all(np.isfinite(p))
    tol = proj_tol(dom, v)
    ref = reference_projection(dom, v)
    np.testing.assert_allclose(p, ref, rtol=0, atol=tol, err_msg=name)
    # idempotent: projecting a projected point moves it by no more than the
    # rounding the first projection committed
    np.testing.assert_allclose(dom.project(p), p, rtol=0, atol=tol, err_msg=name)
    if float(np.abs(v).max()) <= 1.0:
        np.testing.assert_allclose(dom.project(p), p, rtol=0, atol=proj_tol(dom, p), err_msg=name)
    # lands inside the set (tolerance: the default, or the rounding of the data's magnitude)
    assert dom.contains(p, atol=max(tol, math.sqrt(EPS))), (name, dom._violation(p))
    if float(np.abs(v).max()) <= 1e3:
        assert dom.contains(p), (name, dom._violation(p))


@settings(max_examples=300)
@given(case=domain_and_vector(), seed=st.integers(0, 2**32 - 1))
def test_projection_variational_inequality(case, seed):
    """<v - P(v), w - P(v)> <= 0 for every w in the set (the obtuse-angle criterion)."""
    name, dom, v = case
    rng = np.random.default_rng(seed)
    p = dom.project(v)
    r = v - p
    for _ in range(10):
        w = random_point_in(dom, rng)
        d = w - p
        tol = proj_tol(dom, v) * (np.abs(r).sum() + np.abs(d).sum() + 1.0) * 4
        assert r @ d <= tol, (name, r @ d, tol)


@settings(max_examples=150)
@given(v=st.integers(1, 6).flatmap(vectors), radius=st.sampled_from([1.0, 0.3, 4.0, 1e3]))
def test_simplex_projection_bruteforce_kkt(v, radius):
    """The sort-based projection equals the enumeration of every KKT support set."""
    dom = Simplex(v.size, radius=radius)
    p = dom.project(v)
    ref = simplex_kkt_bruteforce(v, radius)
    tol = proj_tol(dom, v)
    np.testing.assert_allclose(p, ref, rtol=0, atol=tol)
    # KKT directly on the output: x >= 0, sum x = r, a common threshold on the support
    assert p.min() >= 0.0
    assert abs(math.fsum(p) - radius) <= tol
    support = p > 0
    theta = np.median((v - p)[support])
    np.testing.assert_allclose((v - p)[support], theta, rtol=0, atol=tol)
    assert np.all(v[~support] <= theta + tol)


@pytest.mark.parametrize("name", list(DOMAINS))
def test_projection_matches_cvxpy(name):
    dom = DOMAINS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    vpar = cp.Parameter(dom.dim)
    w = cp.Variable(dom.dim)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w - vpar)), cvxpy_constraints(dom, w))
    for k in range(8):
        v = rng.normal(size=dom.dim) * [0.3, 1.0, 5.0, 20.0][k % 4]
        if k == 7:
            v[: dom.dim // 2] = v[0]  # ties
        vpar.value = v
        prob.solve(solver=cp.CLARABEL)
        assert prob.status == cp.OPTIMAL
        np.testing.assert_allclose(dom.project(v), w.value, rtol=0, atol=2e-6 * (1 + np.abs(v).max()))


def test_simplex_projection_known_values():
    np.testing.assert_allclose(Simplex(3).project(np.array([5.0, 5.0, 5.0])), np.full(3, 1 / 3), rtol=1e-15)
    np.testing.assert_allclose(Simplex(3).project(np.array([2.0, 0.0, -1.0])), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(Simplex(2, radius=2.0).project(np.array([3.0, 2.0])), [1.5, 0.5])
    np.testing.assert_allclose(Simplex(4).project(np.array([0.7, 0.7, 0.0, -5.0])), [0.5, 0.5, 0.0, 0.0])
    # a point already in the simplex is returned unchanged
    x = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(Simplex(3).project(x), x, atol=1e-16)


def test_box_and_ball_known_values():
    np.testing.assert_array_equal(Box(0.0, INF, dim=3).project(np.array([-1.0, 2.0, 1e300])), [0.0, 2.0, 1e300])
    np.testing.assert_array_equal(Box(MIXED_LO, MIXED_HI).project(np.array([5.0, 5.0, -5.0, -5.0, 7.0])),
                                  [1.0, 2.0, 0.0, -5.0, -2.0])
    b = Ball(2, radius=5.0, center=[1.0, 1.0])
    np.testing.assert_allclose(b.project(np.array([7.0, 9.0])), [4.0, 5.0])
    np.testing.assert_array_equal(b.project(np.array([2.0, 2.0])), [2.0, 2.0])
    np.testing.assert_array_equal(Ball(2, radius=0.0, center=[1.0, 2.0]).project(np.array([3.0, 3.0])), [1.0, 2.0])
    np.testing.assert_array_equal(Reals(2).project(np.array([1e300, -1e-300])), [1e300, -1e-300])


@pytest.mark.parametrize("case", ["project_f64", "support_f64", "project_f32", "support_tiny"])
def test_ball_norm_overflow_underflow(case):
    b = Ball(2, radius=1.0)
    with np.errstate(all="ignore"):
        if case == "project_f64":
            np.testing.assert_allclose(b.project(np.array([1e200, 1e200])), [math.sqrt(0.5)] * 2, rtol=1e-12)
        elif case == "support_f64":
            assert float(b.support(np.array([3e200, 4e200]))) == pytest.approx(5e200, rel=1e-12)
        elif case == "project_f32":
            p = b.project(np.array([3e20, 4e20], dtype=np.float32))
            np.testing.assert_allclose(p, [0.6, 0.8], rtol=1e-5)
        else:
            s = Ball(2, radius=1.0, center=[1.0, 0.0]).support(np.array([-3e-300, -4e-300]))
            assert float(s) == pytest.approx(2e-300, rel=1e-9, abs=0.0)


def test_ball_float32_at_centre_does_not_divide_by_zero():
    b = Ball(2, radius=1.0, center=[1.0, 1.0])
    with np.errstate(divide="raise", invalid="raise"):
        p = b.project(np.array([1.0, 1.0], dtype=np.float32))
    np.testing.assert_array_equal(p, [1.0, 1.0])


# --------------------------------------------------------------------------
# support function
# --------------------------------------------------------------------------

BOUNDED = [n for n, d in DOMAINS.items() if d.bounded]


def has_ball(dom):
    return isinstance(dom, Ball) or any(map(has_ball, getattr(dom, "blocks", ())))


@settings(max_examples=300)
@given(case=domain_and_vector(), seed=st.integers(0, 2**32 - 1))
def test_support_closed_form_and_dominates_samples(case, seed):
    name, dom, g = case
    # ||g|| underflows below ~1e-154 in Ball.support: see test_ball_norm_overflow_underflow
    assume(not (has_ball(dom) and 0 < np.abs(g).max() < 1e-140))
    s = float(dom.support(g))
    ref = reference_support(dom, g)
    if math.isinf(ref):
        assert s == INF, name
        return
    assert s == pytest.approx(ref, rel=1e-12, abs=640 * EPS * dom.dim * float(np.abs(g).max())), name
    rng = np.random.default_rng(seed)
    for _ in range(20):  # sup >= <g, w> for every sampled w in the set
        w = random_point_in(dom, rng)
        assert g @ w <= s + 64 * EPS * (np.abs(g) @ np.abs(w) + abs(s) + 1e-300), name


@pytest.mark.parametrize("name", BOUNDED + ["box_mixed_bounded_dir"])
def test_support_matches_cvxpy(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "box_mixed_bounded_dir":
        dom = Box(MIXED_LO, MIXED_HI)
    else:
        dom = DOMAINS[name]
    gpar = cp.Parameter(dom.dim)
    w = cp.Variable(dom.dim)
    prob = cp.Problem(cp.Maximize(gpar @ w), cvxpy_constraints(dom, w))
    for _ in range(6):
        g = rng.normal(size=dom.dim) * 3
        if name == "box_mixed_bounded_dir":
            # only directions in which this box is bounded: g_i > 0 needs upper_i < inf ...
            g = np.where(np.isfinite(dom.upper), np.abs(g), 0.0) + np.where(np.isfinite(dom.lower), -np.abs(g), 0.0)
        gpar.value = g
        prob.solve(solver=cp.CLARABEL)
        assert prob.status == cp.OPTIMAL
        assert float(dom.support(g)) == pytest.approx(prob.value, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("dom,g", [
    (Reals(3), np.array([0.0, 1e-300, 0.0])),
    (Reals(3), np.array([-2.0, 0.0, 0.0])),
    (Box(0.0, INF, dim=3), np.array([-1.0, 1e-12, -5.0])),
    (Box(MIXED_LO, MIXED_HI), np.array([0.0, 0.0, 0.0, -1.0, 0.0])),
    (Box(MIXED_LO, MIXED_HI), np.array([0.0, -1.0, 0.0, 0.0, 0.0])),
    (Product(Simplex(2), Reals(1)), np.array([1.0, 1.0, 3.0])),
])
def test_support_is_inf_in_unbounded_directions(dom, g):
    assert float(dom.support(g)) == INF


@pytest.mark.parametrize("dom", [Reals(3), Box(0.0, INF, dim=3), Box(-INF, INF, dim=2), Box(MIXED_LO, MIXED_HI),
                                 Product(Simplex(2), Reals(2))])
def test_support_of_zero_on_unbounded_sets_is_zero(dom):
    s = float(dom.support(np.zeros(dom.dim)))
    assert s == 0.0 and not math.isnan(s)


def test_support_orthant_bounded_directions():
    dom = Box(0.0, INF, dim=3)
    assert float(dom.support(np.array([-1.0, -2.0, 0.0]))) == 0.0
    dom = Box(MIXED_LO, MIXED_HI)  # upper finite on 0,1,4; lower finite on 0,2,4
    assert float(dom.support(np.array([2.0, 1.0, -3.0, 0.0, -1.0]))) == pytest.approx(2.0 + 2.0 - 0.0 + 2.0)


# --------------------------------------------------------------------------
# contains
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOMAINS))
def test_contains_points_inside(name, rng):
    dom = DOMAINS[name]
    for _ in range(50):
        assert dom.contains(random_point_in(dom, rng)), name
        assert dom.contains(dom.project(rng.normal(size=dom.dim) * 10)), name


OUTSIDE = [
    (Box(0.0, 1.0, dim=2), [0.5, 1.0 + 1e-6]),
    (Box(0.0, 1.0, dim=2), [-1e-6, 0.5]),
    (Box(0.0, INF, dim=2), [-1e-6, 1.0]),
    (Box(MIXED_LO, MIXED_HI), [0.0, 2.0 + 1e-6, 0.0, 0.0, -2.0]),
    (Box(MIXED_LO, MIXED_HI), [0.0, 0.0, 0.0, 0.0, -2.0 + 1e-6]),
    (Simplex(3), [0.5, 0.5 + 1e-6, 0.0]),
    (Simplex(3), [0.5, 0.5 + 1e-6, -1e-6]),
    (Simplex(3), [0.5, 0.5 - 1e-6, 0.0]),
    (Simplex(2, radius=3.0), [1.0, 1.0]),
    (Simplex(2, radius=3.0), [0.5, 0.5]),
    (Ball(2, radius=2.0, center=[1.0, 0.0]), [3.0 + 1e-6, 0.0]),
    (Ball(2, radius=0.0, center=[1.0, 0.0]), [1.0, 1e-6]),
    (Product(Simplex(2), Box(0.0, 1.0, dim=1)), [0.5, 0.5, 1.0 + 1e-6]),
    (Product(Simplex(2), Simplex(2)), [0.5, 0.5, 0.6, 0.6]),
    (Box(0.0, 1.0, dim=2), [np.nan, 0.5]),
    (Simplex(2), [np.nan, 0.5]),
    (Ball(2), [np.nan, 0.0]),
    (Reals(2), [np.nan, 0.0]),
    (Product(Simplex(2), Simplex(2)), [np.nan, 0.5, 0.5, 0.5]),
]


@pytest.mark.parametrize("dom,z", OUTSIDE, ids=[f"{d!r}-{i}" for i, (d, _) in enumerate(OUTSIDE)])
def test_contains_rejects_points_outside(dom, z):
    assert dom.contains(np.array(z)) is False


@pytest.mark.parametrize("dom,z", [
    (Box(0.0, 1.0, dim=2), [0.5, 1.0 + 1e-12]),
    (Simplex(3), [0.5, 0.5 + 1e-12, -1e-13]),
    (Ball(2, radius=2.0, center=[1.0, 0.0]), [3.0 + 1e-12, 0.0]),
])
def test_contains_accepts_within_rounding(dom, z):
    z = np.array(z)
    assert dom.contains(z) is True
    assert dom.contains(z, atol=0.0) is False  # an explicit atol is honoured


def test_product_contains_rejects_nan_in_later_block():
    dom = Product(Simplex(2), Simplex(2))
    assert dom.contains(np.array([0.5, 0.5, np.nan, 0.5])) is False


@pytest.mark.parametrize("dom", [Reals(3), Box(0, 1, dim=3), Simplex(3), Ball(3), Product(Simplex(1), Box(0, 1, dim=2))])
def test_contains_wrong_shape_is_false(dom):
    inside = dom.project(np.full(dom.dim, 0.3))
    assert dom.contains(inside) is True
    assert dom.contains(np.append(inside, 0.0)) is False
    assert dom.contains(inside[:-1]) is False
    assert dom.contains(inside.reshape(dom.dim, 1)) is False
    assert dom.contains(inside.reshape(1, dom.dim)) is False


@pytest.mark.parametrize("case", ["simplex_contains", "box_contains", "box_project", "ball_project"])
def test_integer_inputs(case):
    if case == "simplex_contains":
        assert Simplex(2).contains(np.array([1, 0])) is True
    elif case == "box_contains":
        assert Box(0.0, 1.0, dim=2).contains(np.array([1, 0])) is True
    elif case == "box_project":
        np.testing.assert_allclose(Box(0.5, 1.5, dim=2).project(np.array([0, 3])), [0.5, 1.5])
    else:
        np.testing.assert_allclose(Ball(2, radius=1.0, center=[0.5, 0.5]).project(np.array([3, 0])),
                                   Ball(2, radius=1.0, center=[0.5, 0.5]).project(np.array([3.0, 0.0])))


# --------------------------------------------------------------------------
# mirror geometries
# --------------------------------------------------------------------------


@settings(max_examples=200)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1),
       gscale=st.sampled_from([0.0, 1e-8, 1.0, 30.0, 1e3, 1e6]),
       eta=st.sampled_from([1e-3, 0.5, 1.0, 10.0]), radius=st.sampled_from([1.0, 0.25, 7.0]))
def test_entropic_step_is_softmax(n, seed, gscale, eta, radius):
    rng = np.random.default_rng(seed)
    dom = Simplex(n, radius=radius)
    geo = dom.geometry("entropic")
    x = radius * rng.dirichlet(np.ones(n) * 0.5)
    x = np.maximum(x, 1e-300)
    g = rng.normal(size=n) * gscale
    u = geo.init(x)
    np.testing.assert_allclose(geo.point(u), x * radius / x.sum(), rtol=1e-12, atol=0)
    u1 = geo.step(u, g, eta)
    z1 = geo.point(u1)
    ref = radius * softmax(np.log(x) - eta * g)
    assert np.all(np.isfinite(u1) | (u1 == -INF)) and not np.isnan(u1).any()
    assert np.all(np.isfinite(z1))
    np.testing.assert_allclose(z1, ref, rtol=1e-9, atol=1e-12 * radius)
    assert math.fsum(z1) == pytest.approx(radius, rel=1e-12)
    # repeated steps with huge gradients stay normalised, never NaN or overflow
    for _ in range(50):
        u1 = geo.step(u1, g, eta)
    z = geo.point(u1)
    assert not np.isnan(u1).any() and np.all(np.isfinite(z))
    assert math.fsum(z) == pytest.approx(radius, rel=1e-12)


def test_entropic_step_extreme_gradients():
    geo = Simplex(3).geometry("entropic")
    u = geo.init(np.full(3, 1 / 3))
    with np.errstate(over="raise", invalid="raise"):
        u1 = geo.step(u, np.array([1e6, -1e6, 0.0]), 1.0)
        z = geo.point(u1)
    np.testing.assert_allclose(z, [0.0, 1.0, 0.0], atol=0)
    assert u1[1] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isfinite(u1))


@settings(max_examples=200)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1), radius=st.sampled_from([1.0, 0.25, 7.0]),
       spread=st.sampled_from([0.05, 1.0, 20.0]))
def test_entropic_divergence_is_kl(n, seed, radius, spread):
    rng = np.random.default_rng(seed)
    geo = Simplex(n, radius=radius).geometry("entropic")
    p = radius * softmax(rng.normal(size=n) * spread)
    q = radius * softmax(rng.normal(size=n) * spread)
    p, q = np.maximum(p, 1e-300), np.maximum(q, 1e-300)
    up, uq = geo.init(p), geo.init(q)
    pp, qq = geo.point(up), geo.point(uq)
    d = float(geo.divergence(up, uq))
    ref = math.fsum(rel_entr(pp, qq))
    assert d == pytest.approx(ref, rel=1e-9, abs=1e-12 * radius)
    assert d >= -1e-14 * radius
    assert float(geo.divergence(up, up)) == 0.0
    assert float(geo.divergence_slack(up, uq)) >= abs(d)


@pytest.mark.parametrize("x", [np.array([0.5, 0.5, 0.0]), np.array([1.0, 0.0]), np.array([0.0])])
def test_entropic_init_rejects_zero_entry(x):
    geo = Simplex(x.size).geometry("entropic")
    with pytest.raises(ValueError, match="strictly positive"):
        geo.init(x)


def test_entropic_init_rejects_zero_entry_in_product_block():
    geo = Product(Simplex(2), Simplex(2)).geometry("entropic")
    with pytest.raises(ValueError, match="strictly positive"):
        geo.init(np.array([0.5, 0.5, 1.0, 0.0]))


@pytest.mark.parametrize("dom", [Reals(2), Ball(2), Box(0.0, INF, dim=2),
                                 Product(Box(0, 1, dim=2), Ball(2))])
def test_entropic_geometry_needs_a_simplex_or_a_bounded_box(dom):
    with pytest.raises(ValueError, match="entropic"):
        dom.geometry("entropic")


@pytest.mark.parametrize("dom", [Box(0.0, 1.0, dim=3), Simplex(3), Product(Simplex(2), Box(0, 1, dim=1))])
@pytest.mark.parametrize("kind", ["kl", "Euclidean", "", None, 3])
def test_unknown_geometry_kind(dom, kind):
    with pytest.raises(ValueError, match="geometry must be"):
        dom.geometry(kind)


@pytest.mark.parametrize("name", list(DOMAINS))
def test_euclidean_step_is_projection(name, rng):
    dom = DOMAINS[name]
    geo = dom.geometry("euclidean")
    assert geo.name in ("euclidean",)
    for _ in range(20):
        z = dom.project(rng.normal(size=dom.dim))
        u = geo.init(z)
        np.testing.assert_array_equal(geo.point(u), z)
        g = rng.normal(size=dom.dim) * 5
        eta = rng.uniform(0.01, 3)
        np.testing.assert_array_equal(geo.step(u, g, eta), dom.project(u - eta * g))
        w = dom.project(rng.normal(size=dom.dim))
        assert float(geo.divergence(z, w)) == pytest.approx(0.5 * np.sum((z - w) ** 2), rel=1e-13)


# --------------------------------------------------------------------------
# Product
# --------------------------------------------------------------------------


def test_product_split_and_slices():
    P = Product(Simplex(2), Box(0, 1, dim=3), Ball(1))
    assert P.dim == 6
    z = np.arange(6.0)
    parts = P.split(z)
    assert [p.tolist() for p in parts] == [[0.0, 1.0], [2.0, 3.0, 4.0], [5.0]]
    assert all(np.shares_memory(p, z) for p in parts)  # views, no copies
    np.testing.assert_array_equal(np.concatenate(parts), z)
    assert P.bounded and not P.entropic
    assert not Product(Simplex(2), Reals(1)).bounded
    assert Product(Simplex(2), Simplex(3)).entropic
    # a list of blocks works too
    assert Product([Simplex(2), Reals(1)]).dim == 3


def test_product_mixed_entropic_euclidean_geometry(rng):
    S, B = Simplex(3, radius=2.0), Box(-1.0, 1.0, dim=2)
    P = Product(S, B)
    geo = P.geometry("entropic")
    assert geo.name == "mixed"
    for _ in range(20):
        x = 2.0 * rng.dirichlet(np.ones(3))
        b = rng.uniform(-1, 1, size=2)
        z = np.concatenate([x, b])
        u = geo.init(z)
        np.testing.assert_allclose(geo.point(u), z, rtol=1e-13)
        np.testing.assert_allclose(u[:3], np.log(x), rtol=0, atol=1e-13)
        np.testing.assert_array_equal(u[3:], b)
        g = rng.normal(size=5) * 4
        eta = rng.uniform(0.1, 2)
        u1 = geo.step(u, g, eta)
        z1 = geo.point(u1)
        np.testing.assert_allclose(z1[:3], 2.0 * softmax(np.log(x) - eta * g[:3]), rtol=1e-10)
        np.testing.assert_array_equal(z1[3:], np.clip(b - eta * g[3:], -1.0, 1.0))
        # divergence = KL on the simplex block + half squared distance on the box block
        d = float(geo.divergence(u1, u))
        ref = math.fsum(rel_entr(z1[:3], x)) + 0.5 * np.sum((z1[3:] - b) ** 2)
        assert d == pytest.approx(ref, rel=1e-9, abs=1e-13)
    # the Euclidean geometry of the same product is projection everywhere
    eu = P.geometry("euclidean")
    assert eu.name == "euclidean"
    z = np.array([1.0, 0.5, 0.5, 0.0, 0.0])
    g = np.array([1.0, -1.0, 0.0, 5.0, -5.0])
    np.testing.assert_allclose(eu.step(z, g, 0.1), P.project(z - 0.1 * g))


def test_product_of_simplices_entropic(rng):
    P = Product(Simplex(2), Simplex(3, radius=0.5))
    geo = P.geometry("entropic")
    assert geo.name == "entropic"
    x, y = rng.dirichlet(np.ones(2)), 0.5 * rng.dirichlet(np.ones(3))
    u = geo.init(np.concatenate([x, y]))
    g = np.array([1e6, -1e6, 3.0, -2.0, 1e6])
    z = geo.point(geo.step(u, g, 1.0))
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(z[:2], softmax(np.log(x) - g[:2]), atol=1e-15)
    np.testing.assert_allclose(z[2:], 0.5 * softmax(np.log(y) - g[2:]), atol=1e-15)
    assert z[:2].sum() == pytest.approx(1.0, rel=1e-14) and z[2:].sum() == pytest.approx(0.5, rel=1e-14)
    p, q = np.concatenate([x, y]), np.concatenate([softmax(rng.normal(size=2)), 0.5 * softmax(rng.normal(size=3))])
    d = float(geo.divergence(geo.init(p), geo.init(q)))
    assert d == pytest.approx(math.fsum(rel_entr(geo.point(geo.init(p)), geo.point(geo.init(q)))), rel=1e-9)


# --------------------------------------------------------------------------
# constructor errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("make,exc,match", [
    (lambda: Box(2.0, 1.0, dim=2), ValueError, r"lower\[0\] = 2.0 exceeds upper\[0\] = 1.0"),
    (lambda: Box([0.0, 3.0], [1.0, 2.0]), ValueError, r"lower\[1\] = 3.0 exceeds upper\[1\]"),
    (lambda: Box(np.nan, 1.0, dim=2), ValueError, "NaN"),
    (lambda: Box(0.0, [1.0, np.nan]), ValueError, "NaN"),
    (lambda: Box(INF, INF, dim=1), ValueError, r"lower may not be \+inf"),
    (lambda: Box(-INF, -INF, dim=1), ValueError, "upper may not be -inf"),
    (lambda: Box(np.zeros(3), np.ones(3), dim=2), ValueError, "do not broadcast to dim=2"),
    (lambda: Box(0.0, 1.0), ValueError, "dim="),
    (lambda: Box(np.zeros((2, 2)), 1.0), ValueError, "1-d"),
    (lambda: Box(0.0, 1.0, dim=0), ValueError, "dim must be a positive integer"),
    (lambda: Box(0.0, 1.0, dim=2.0), TypeError, "dim must be a positive integer"),
    (lambda: Simplex(3, radius=0.0), ValueError, "radius must be positive"),
    (lambda: Simplex(3, radius=-1.0), ValueError, "radius must be positive"),
    (lambda: Simplex(3, radius=INF), ValueError, "radius must be positive and finite"),
    (lambda: Simplex(3, radius=np.nan), ValueError, "radius"),
    (lambda: Simplex(0), ValueError, "dim must be a positive integer"),
    (lambda: Simplex(-2), ValueError, "dim must be a positive integer"),
    (lambda: Simplex(2.5), TypeError, "dim must be a positive integer"),
    (lambda: Simplex(3.0), TypeError, "dim must be a positive integer"),
    (lambda: Simplex(True), TypeError, "dim must be a positive integer"),
    (lambda: Simplex("3"), TypeError, "dim must be a positive integer"),
    (lambda: Ball(2, radius=-0.5), ValueError, "radius must be nonnegative"),
    (lambda: Ball(2, radius=np.nan), ValueError, "radius"),
    (lambda: Ball(2, center=[0.0, 0.0, 0.0]), ValueError, "center must be a finite vector of length 2"),
    (lambda: Ball(2, center=[0.0, np.inf]), ValueError, "center"),
    (lambda: Ball(0), ValueError, "dim must be a positive integer"),
    (lambda: Reals(0), ValueError, "dim must be a positive integer"),
    (lambda: Reals(None), TypeError, "dim must be a positive integer"),
    (lambda: Reals(np.float64(2)), TypeError, "dim must be a positive integer"),
    (lambda: Product(), ValueError, "at least one block"),
    (lambda: Product(Simplex(2), 3), TypeError, "block 1 must be a Domain, got int"),
    (lambda: Product(np.zeros(2)), TypeError, "block 0 must be a Domain"),
    (lambda: Product([Simplex(2), "box"]), TypeError, "block 1 must be a Domain, got str"),
])
def test_constructor_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_valid_constructors_accept_numpy_integers():
    assert Simplex(np.int64(3)).dim == 3
    assert Ball(2, radius=0).radius == 0.0
    assert Box(0, 1, dim=np.int32(2)).dim == 2
    assert isinstance(Box(0, 1, dim=2), Domain)


def test_box_shape_mismatch_without_dim_names_the_bounds():
    with pytest.raises(ValueError, match="lower|upper"):
        Box(np.zeros(2), np.ones(3))


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOMAINS))
def test_float32_in_float32_out(name, rng):
    dom = DOMAINS[name]
    v = (rng.normal(size=dom.dim) * 3).astype(np.float32)
    p = dom.project(v)
    assert p.dtype == np.float32, name
    np.testing.assert_allclose(p, reference_projection(dom, v.astype(np.float64)), rtol=0, atol=1e-5 * 10)
    assert dom.contains(p)
    geo = dom.geometry("euclidean")
    assert geo.step(p, v, 0.5).dtype == np.float32
    if name.startswith("simplex") or name == "product":
        egeo = dom.geometry("entropic")
        z = dom.project(np.linspace(1.0, 1.1, dom.dim, dtype=np.float32))
        u = egeo.init(z)
        assert u.dtype == np.float32
        u1 = egeo.step(u, v, np.float32(0.5))
        assert u1.dtype == np.float32 and egeo.point(u1).dtype == np.float32
        u2 = egeo.step(u, v, 0.5)  # a Python float step keeps float32 too
        assert u2.dtype == np.float32
        assert np.all(np.isfinite(egeo.point(u2)))


# -- the entropic (Fermi-Dirac) geometry of a box ---------------------------------------
@given(st.integers(1, 6), st.integers(0, 10_000), st.floats(1e-3, 5.0))
def test_box_entropic_geometry_is_the_fermi_dirac_mirror_map(d, seed, eta):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-2, 1, d)
    hi = lo + rng.uniform(0.1, 3, d)
    box = Box(lo, hi)
    geo = box.geometry("entropic")
    w = hi - lo
    a = lo + w * rng.uniform(0.05, 0.95, d)
    b = lo + w * rng.uniform(0.05, 0.95, d)
    ua, ub = geo.init(a), geo.init(b)
    np.testing.assert_allclose(geo.point(ua), a, rtol=1e-12, atol=1e-12)
    # the divergence is the w-weighted binary KL, and h is 4/max(w)-strongly convex
    sa, sb = (a - lo) / w, (b - lo) / w
    kl = np.sum(w * (sa * np.log(sa / sb) + (1 - sa) * np.log((1 - sa) / (1 - sb))))
    assert float(geo.divergence(ua, ub)) == pytest.approx(kl, rel=1e-9, abs=1e-12)
    assert kl >= 2.0 / w.max() * np.sum((a - b) ** 2) * (1 - 1e-9)
    # the step is the prox step: grad h(z+) = grad h(z) - eta g, and it stays inside
    g = rng.normal(size=d)
    z1 = geo.point(geo.step(ua, g, eta))
    assert np.all(z1 >= lo) and np.all(z1 <= hi)
    s1 = (z1 - lo) / w
    np.testing.assert_allclose(np.log(s1 / (1 - s1)), np.log(sa / (1 - sa)) - eta * g,
                               rtol=1e-9, atol=1e-9)


def test_box_entropic_geometry_edge_cases_and_errors():
    box = Box(np.array([0.0, 1.0]), np.array([1.0, 1.0]))  # a fixed second coordinate
    geo = box.geometry("entropic")
    u = geo.init(np.array([0.25, 1.0]))
    np.testing.assert_allclose(geo.point(geo.step(u, np.array([0.0, 7.0]), 3.0)), [0.25, 1.0])
    # extreme logits stay finite and inside (no overflow in the sigmoid)
    assert np.all(np.isfinite(geo.point(np.array([800.0, -800.0]))))
    with pytest.raises(ValueError, match="strictly inside the box"):
        geo.init(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="needs finite bounds"):
        Box(0.0, np.inf, dim=2).geometry("entropic")
