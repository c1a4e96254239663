"""The online optimistic learner: adaptive steps, regret on SEA streams, self-play, bad options."""

import math

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.methods import OnlineOptimistic
from eqsolve.methods.online import STABILITY, geometry_diameter
from eqsolve.problems import sea, zoo


def play(stream, learner):
    xs = []
    for t in range(stream.T):
        x = learner.play()
        assert stream.domain.contains(x)
        xs.append(np.array(x))
        learner.observe(stream.sample_grad(t, x))
    return np.array(xs)


@pytest.mark.parametrize("domain", ["box", "ball", "simplex"])
@pytest.mark.parametrize("curvature", [0.0, 1.0])
def test_regret_is_bounded_on_a_fixed_loss(domain, curvature):
    # no noise, no drift: the hint is exact after one round, so the regret stops growing
    # (strong convexity in the Euclidean norm: the Euclidean geometry, also on the simplex)
    kw = {"strong_convexity": curvature, "geometry": "euclidean"} if curvature else {}
    regrets = []
    for T in (200, 2000):
        s = sea.sea_quadratic(T, 4, domain=domain, curvature=curvature, scale=0.7, seed=2)
        learner = OnlineOptimistic(s.domain, lipschitz=s.lipschitz, **kw)
        xs = play(s, learner)
        regrets.append(s.static_regret(xs).upper)
    assert regrets[1] <= 10.0 and regrets[1] <= regrets[0] + 1.0


@pytest.mark.parametrize("geometry", ["euclidean", "entropic"])
@pytest.mark.parametrize("lipschitz", [0.5, 4.0])
def test_adaptive_steps_never_exceed_the_stability_cap(geometry, lipschitz):
    s = sea.sea_logistic(300, 4, domain="simplex", sigma=0.5, drift=1.0, variation="switching",
                         period=3, seed=1)
    learner = OnlineOptimistic(s.domain, geometry=geometry, lipschitz=lipschitz)
    play(s, learner)
    steps = np.array(learner.steps)
    assert learner.step_cap == 1 / (STABILITY * lipschitz)
    assert np.all(steps <= learner.step_cap) and np.all(steps > 0)
    assert np.all(np.diff(steps) <= 0)  # self-confident: the denominators only grow
    sc = OnlineOptimistic(s.domain, geometry=geometry, lipschitz=lipschitz, strong_convexity=0.05)
    play(s, sc)
    t = np.arange(1, 301)
    assert np.allclose(sc.steps, 1 / np.maximum(STABILITY * lipschitz, 0.05 * t))


def test_steps_follow_the_self_confident_formula():
    s = sea.sea_quadratic(50, 3, domain="box", sigma=1.0, drift=0.3, variation="fast", seed=3)
    learner = OnlineOptimistic(s.domain, lipschitz=2.0, delta=0.5)
    D = 2 * math.sqrt(3)
    errs, prev = [], np.zeros(3)
    for t in range(50):
        x = learner.play()
        g = s.sample_grad(t, x)
        learner.observe(g)
        expect = min(1 / 8.0, D / math.sqrt(0.5 + sum(errs)))
        assert learner.steps[-1] == pytest.approx(expect, rel=1e-13)
        errs.append(float(np.sum((g - prev) ** 2)))
        prev = g
    assert learner.prediction_error == pytest.approx(sum(errs))


def test_scale_free_without_a_smoothness_constant():
    # without L the first prediction error sets delta, so scaling the losses changes nothing
    s = sea.sea_quadratic(100, 3, domain="ball", sigma=0.4, drift=0.2, variation="switching", seed=4)
    paths = []
    for c in (1.0, 1000.0):
        learner = OnlineOptimistic(s.domain)
        xs = []
        for t in range(100):
            x = learner.play()
            xs.append(np.array(x))
            learner.observe(c * s.sample_grad(t, x))
        paths.append(np.array(xs))
    assert np.allclose(paths[0], paths[1], atol=1e-12)


def test_linear_regret_is_unchanged_and_bounds_the_convex_regret():
    s = sea.sea_logistic(200, 3, domain="ball", sigma=0.3, drift=1.0, variation="slow", seed=5)
    learner = OnlineOptimistic(s.domain, lipschitz=s.lipschitz)
    xs, gs = [], []
    for t in range(200):
        x = learner.play()
        g = s.grad(t, x)  # noiseless: the linearised losses bound the expected ones
        learner.observe(g)
        xs.append(np.array(x))
        gs.append(g)
    G = np.sum(gs, axis=0)
    exact_linear = sum(g @ x for g, x in zip(gs, xs)) + float(s.domain.support(-G))
    assert learner.regret == pytest.approx(exact_linear, rel=1e-12, abs=1e-12)
    assert s.static_regret(np.array(xs)).lower <= learner.regret + 1e-9


def test_optimism_beats_plain_descent_on_predictable_drift():
    s = sea.sea_quadratic(2000, 5, domain="ball", drift=1.0, variation="fast", seed=1)
    r = {h: s.static_regret(play(s, OnlineOptimistic(s.domain, hint=h))).value
         for h in ("last", "none")}
    assert r["last"] < r["none"] - 10


def _self_play(game, T, step, first_hint=None, lipschitz=None):
    m = game.m
    X = OnlineOptimistic(eq.Simplex(m), step=step, lipschitz=lipschitz)
    Y = OnlineOptimistic(eq.Simplex(game.n), step=step, lipschitz=lipschitz)
    hx = hy = None
    if first_hint is not None:
        hx, hy = first_hint[:m], first_hint[m:]
    zs = []
    for t in range(T):
        x, y = X.play(hx), Y.play(hy)
        hx = hy = None
        F = game.operator(np.concatenate([x, y]))  # each player's loss gradient
        X.observe(F[:m])
        Y.observe(F[m:])
        zs.append(np.concatenate([x, y]))
    return zs, X, Y


def test_self_play_is_the_batch_optimistic_method():
    game = zoo.random_matrix_game(4, 5, seed=3)
    z0 = game.initial_point()
    zs, _, _ = _self_play(game, 60, 0.3, first_hint=game.operator(z0))
    states = eq.methods.iterate(game, "optimistic", step=0.3, adaptive=False, geometry="entropic")
    next(states)
    for z in zs:
        _, _, st = next(states)
        assert np.allclose(st.z, z, rtol=0, atol=1e-12)


@pytest.mark.parametrize("step, gap, dist", [(0.5, 1e-9, 1e-6), (None, 1e-4, 1e-3)])
def test_self_play_reaches_the_batch_equilibrium(step, gap, dist):
    game = zoo.random_matrix_game(4, 4, seed=11)
    ref = eq.solve(game, method="optimistic", tol=1e-9, output="last")
    assert ref.converged
    # a constant step, or the adaptive one capped by the game's smoothness max|A_ij|
    zs, X, Y = _self_play(game, 3000, step, lipschitz=None if step else float(np.max(np.abs(game.A))))
    z = zs[-1]
    # (the adaptive step shrinks with the early prediction errors: slower, same point)
    assert game.certify(z).value <= gap
    assert np.max(np.abs(z - ref.z)) <= dist
    # each player's regret against its opponent's play stays bounded
    assert X.regret <= 5.0 and Y.regret <= 5.0


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"step": -1.0}, ValueError, "step must be > 0"),
    ({"step": math.nan}, ValueError, "step must be a number"),
    ({"step": "big"}, TypeError, "step must be a real number"),
    ({"geometry": "hyperbolic"}, ValueError, "geometry must be"),
    ({"hint": "next"}, ValueError, "hint must be one of"),
    ({"strong_convexity": -0.1}, ValueError, "strong_convexity must be >= 0"),
    ({"lipschitz": -1.0}, ValueError, "lipschitz must be >= 0"),
    ({"lipschitz": math.inf}, ValueError, "lipschitz must be finite"),
    ({"step": 0.1, "strong_convexity": 1.0}, ValueError, "either a constant step"),
    ({"delta": 0.0}, ValueError, "delta must be > 0"),
    ({"x0": np.ones(4)}, ValueError, "x0"),
])
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        OnlineOptimistic(eq.Ball(3), **kwargs)


def test_bad_domains_and_calls():
    with pytest.raises(TypeError, match="domain must be an eqsolve Domain"):
        OnlineOptimistic(np.zeros(3))
    with pytest.raises(ValueError, match="entropic"):
        OnlineOptimistic(eq.Ball(3), geometry="entropic")
    with pytest.raises(ValueError, match="bounded domain"):
        OnlineOptimistic(eq.Reals(3))
    OnlineOptimistic(eq.Reals(3), strong_convexity=1.0)  # the 1/(lambda t) schedule needs no D
    learner = OnlineOptimistic(eq.Simplex(3))
    with pytest.raises(RuntimeError, match="play"):
        learner.observe(np.ones(3))
    learner.play()
    with pytest.raises(ValueError, match="g"):
        learner.observe(np.ones(4))
    with pytest.raises(ValueError, match="hint"):
        learner.play(hint=np.array([np.nan, 0, 0]))


def test_geometries_on_products_and_diameters():
    P = eq.Product(eq.Simplex(3), eq.Box(0, 1, dim=2))
    assert geometry_diameter(P, "entropic") == pytest.approx(math.sqrt(2 * math.log(3) + 2))
    assert geometry_diameter(P, "euclidean") == pytest.approx(math.sqrt(2 + 2))
    s = sea.sea_quadratic(300, 5, domain=P, curvature=0.0, sigma=0.2, drift=0.5,
                          variation="switching", period=2, seed=0)
    for geometry in ("euclidean", "entropic"):
        xs = play(s, OnlineOptimistic(P, geometry=geometry))
        assert s.static_regret(xs, realized=True).value < 0.5 * s.T ** 0.5 * 10
