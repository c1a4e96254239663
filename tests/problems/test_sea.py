"""SEA streams: exact variation measures, exact regret against brute force, option checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import eqsolve as eq
from eqsolve.problems import sea
from eqsolve.problems.sea import VARIATIONS, linear_minimiser


def _feasible(domain, rng, n):
    return np.stack([domain.project(rng.normal(size=domain.dim) * 2) for _ in range(n)])


def _brute_sum(stream, n, x, realized):
    f = stream.sample_value if realized else stream.value
    return sum(f(t, x) for t in range(n))


def _fw_gap(domain, g, x):
    return float(g @ x + domain.support(-g))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 30), dim=st.integers(1, 4),
       domain=st.sampled_from(["box", "ball", "simplex"]), curvature=st.sampled_from([0.0, 0.3, 2.0]),
       variation=st.sampled_from(VARIATIONS), realized=st.booleans(), n_frac=st.floats(0.1, 1.0))
def test_quadratic_regret_matches_brute_force(seed, T, dim, domain, curvature, variation, realized,
                                              n_frac):
    s = sea.sea_quadratic(T, dim, domain=domain, curvature=curvature, sigma=0.7, drift=0.4,
                          variation=variation, period=3, seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = max(1, int(n_frac * T))
    xs = _feasible(s.domain, rng, n)
    r = s.static_regret(xs, realized=realized)
    played = sum((s.sample_value if realized else s.value)(t, xs[t]) for t in range(n))
    xstar, gap = s.best_fixed(n, realized)
    assert gap == 0.0 and s.domain.contains(xstar)
    # the comparator is optimal: no feasible point beats it, its Frank-Wolfe gap is zero
    best = _brute_sum(s, n, xstar, realized)
    g = sum((s.sample_grad if realized else s.grad)(t, xstar) for t in range(n))
    scale = 1 + sum(abs((s.sample_value if realized else s.value)(t, xstar)) for t in range(n))
    assert _fw_gap(s.domain, g, xstar) <= 1e-9 * scale * (1 + np.abs(g).sum())
    for y in _feasible(s.domain, rng, 20):
        assert _brute_sum(s, n, y, realized) >= best - 1e-9 * scale
    assert r.value == pytest.approx(played - best, rel=1e-9, abs=1e-9 * scale)
    assert r.lower <= r.value <= r.upper
    # dynamic regret: against each round's minimiser, recomputed round by round
    d = s.dynamic_regret(xs, realized=realized)
    pts, _ = s.minimisers(realized)
    f = s.sample_value if realized else s.value
    for t in range(n):
        assert s.domain.contains(pts[t])
        for y in _feasible(s.domain, rng, 3):
            assert f(t, y) >= f(t, pts[t]) - 1e-9 * (1 + abs(f(t, y)))
    assert d.value == pytest.approx(sum(f(t, xs[t]) - f(t, pts[t]) for t in range(n)),
                                    rel=1e-9, abs=1e-9 * scale)
    assert d.value >= r.value - 1e-9 * scale  # per-round minimisers beat any fixed point


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(2, 25), dim=st.integers(1, 4),
       variation=st.sampled_from(VARIATIONS))
def test_variation_measures_are_exact(seed, T, dim, variation):
    for s in (sea.sea_quadratic(T, dim, curvature=0.5, sigma=0.3, drift=0.8, variation=variation,
                                seed=seed),
              sea.sea_logistic(T, dim, samples=6, sigma=0.3, drift=0.8, variation=variation,
                               seed=seed)):
        rng = np.random.default_rng(seed)
        # sup_x ||grad F_t(x) - grad F_{t-1}(x)||^2: the shift is the same at every x
        brute = 0.0
        for t in range(1, T):
            vals = [np.sum((s.grad(t, x) - s.grad(t - 1, x)) ** 2) for x in _feasible(s.domain, rng, 4)]
            assert max(vals) - min(vals) <= 1e-12 * (1 + max(vals))
            brute += max(vals)
        assert s.Sigma2 == pytest.approx(brute, rel=1e-10, abs=1e-14)
        assert s.sigma2 == T * 0.09
        # the observed gradient differs from the expected one by the stored noise at every x
        x = _feasible(s.domain, rng, 1)[0]
        assert np.allclose(s.sample_grad(0, x) - s.grad(0, x), s.noise[0])


def test_noise_has_the_stated_variance():
    s = sea.sea_quadratic(20_000, 4, sigma=2.0, seed=0)
    assert np.mean(np.sum(s.noise ** 2, axis=1)) == pytest.approx(4.0, rel=0.03)
    assert s.sigma2 == 20_000 * 4.0 and s.Sigma2 == 0.0 and s.path_length == 0.0


def test_path_length_of_a_random_walk_optimum():
    s = sea.sea_quadratic(200, 3, curvature=1.0, drift=0.01, variation="random_walk", scale=0.2, seed=4)
    # the optimum -v_t stays inside the unit ball, so the path is that of the walk itself
    pts, _ = s.minimisers()
    assert np.allclose(pts, -s.V)
    assert s.path_length == pytest.approx(np.sum(np.linalg.norm(np.diff(s.V, axis=0), axis=1)))
    assert s.path_length_exact


@pytest.mark.parametrize("realized", [False, True])
def test_logistic_regret_bracket_contains_an_independent_solve(realized):
    s = sea.sea_logistic(40, 3, domain="box", samples=8, sigma=0.5, drift=1.0,
                         variation="fast", seed=7)
    rng = np.random.default_rng(0)
    xs = _feasible(s.domain, rng, 40)
    r = s.static_regret(xs, realized=realized)
    played = sum((s.sample_value if realized else s.value)(t, xs[t]) for t in range(40))
    res = minimize(lambda x: _brute_sum(s, 40, x, realized), np.zeros(3),
                   jac=lambda x: sum((s.sample_grad if realized else s.grad)(t, x) for t in range(40)),
                   method="L-BFGS-B", bounds=[(-1, 1)] * 3, options={"ftol": 1e-15, "gtol": 1e-12})
    scipy_regret = played - res.fun  # <= the exact regret (res.x is feasible)
    assert scipy_regret <= r.upper
    assert r.value <= scipy_regret + 1e-7
    assert 0 <= r.accuracy < 1e-6 and r.lower <= r.value <= r.upper


def test_logistic_dynamic_regret_brackets_per_round_solves():
    s = sea.sea_logistic(6, 2, domain="simplex", samples=5, drift=2.0, variation="switching",
                         period=2, seed=3)
    xs = np.full((6, 2), 0.5)
    d = s.dynamic_regret(xs)
    exact = 0.0
    for t in range(6):
        # one-dimensional on the simplex: x = (p, 1-p), solved on a fine grid and refined
        ps = np.linspace(0, 1, 20001)
        vals = [s.value(t, np.array([p, 1 - p])) for p in ps]
        exact += s.value(t, xs[t]) - min(vals)
    assert d.value - 1e-7 <= exact <= d.upper + 1e-7
    assert not s.path_length_exact


def test_linear_minimiser_on_each_domain():
    v = np.array([1.0, -2.0, 0.5])
    for dom in (eq.Box(-1, 2, dim=3), eq.Ball(3, radius=2.0), eq.Simplex(3, radius=3.0),
                eq.Product(eq.Simplex(2), eq.Box(0, 1, dim=1))):
        x = linear_minimiser(dom, v)
        assert dom.contains(x)
        assert float(v @ x) == pytest.approx(-float(dom.support(-v)))
    with pytest.raises(TypeError, match="linear minimiser"):
        linear_minimiser(eq.Reals(3), v)


@pytest.mark.parametrize("kwargs, match", [
    ({"variation": "zigzag"}, "variation must be one of"),
    ({"sigma": -1.0}, "sigma must be"),
    ({"drift": math.nan}, "drift must be"),
    ({"period": 0.5}, "period must be"),
    ({"domain": "cube"}, "domain must be"),
    ({"domain": eq.Reals(3)}, "bounded"),
    ({"domain": eq.Ball(4)}, "dimension"),
])
def test_bad_stream_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sea.sea_quadratic(10, 3, **kwargs)
    with pytest.raises(ValueError, match=match):
        sea.sea_logistic(10, 3, **kwargs)


def test_bad_stream_arguments():
    with pytest.raises(ValueError, match="T must be"):
        sea.sea_quadratic(0, 3)
    with pytest.raises(ValueError, match="curvature"):
        sea.sea_quadratic(5, 3, curvature=-1.0)
    with pytest.raises(ValueError, match="samples"):
        sea.sea_logistic(5, 3, samples=0)
    s = sea.sea_quadratic(5, 3)
    with pytest.raises(ValueError, match="played points"):
        s.static_regret(np.zeros((6, 3)))
    with pytest.raises(ValueError, match="played points"):
        s.static_regret(np.zeros(3))


def test_streams_are_reproducible_and_exported():
    a = eq.zoo.sea_quadratic(30, 2, sigma=1.0, drift=0.5, variation="random_walk", seed=5)
    b = eq.zoo.sea_quadratic(30, 2, sigma=1.0, drift=0.5, variation="random_walk", seed=5)
    assert np.array_equal(a.V, b.V) and np.array_equal(a.noise, b.noise)
    assert isinstance(eq.zoo.sea_logistic(3, 2), eq.zoo.SEAStream)
