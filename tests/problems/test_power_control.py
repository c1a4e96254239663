"""PowerControlGame: water-filling against exact rational arithmetic and cvxpy, honest certificates,
the contraction bound against the true distance, the operator, validation messages."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import eqsolve as eq
from eqsolve.problems import zoo
from eqsolve.problems._water_filling import CappedSimplex, water_fill


# -- exact references ------------------------------------------------------------------
def exact_level(c, P, caps=None):
    """Water level in rational arithmetic: the mu with sum_k clip(mu - c_k, 0, u_k) = P."""
    caps = [P] * len(c) if caps is None else [min(u, P) for u in caps]
    total = lambda mu: sum(min(max(mu - ck, 0), uk) for ck, uk in zip(c, caps))
    kinks = sorted(set(c) | {ck + uk for ck, uk in zip(c, caps)})
    for a, b in zip(kinks, kinks[1:]):
        Sa, Sb = total(a), total(b)
        if Sa <= P <= Sb and Sb > Sa:
            return a + (P - Sa) * (b - a) / (Sb - Sa)
    return kinks[-1]


def exact_best_response(game, p, q):
    """WF_q(p_-q) in exact rationals from the float data."""
    F = Fraction
    c = []
    for k in range(game.N):
        s = F(float(game.noise[q, k])) + sum(F(float(game.gains[q, r, k])) * F(float(p[r, k]))
                                             for r in range(game.Q) if r != q)
        c.append(s / F(float(game.gains[q, q, k])))
    caps = None if game.caps is None else [F(float(u)) for u in game.caps[q]]
    P = F(float(game.budgets[q]))
    mu = exact_level(c, P, caps)
    ucap = caps or [P] * game.N
    return [min(max(mu - ck, F(0)), uk) for ck, uk in zip(c, ucap)], c


def exact_residual_sq(game, p):
    out = []
    for q in range(game.Q):
        b, _ = exact_best_response(game, p, q)
        out.append(sum((Fraction(float(p[q, k])) - b[k]) ** 2 for k in range(game.N)))
    return max(out)


def small_game(seed, Q=3, N=6, capped=False, strong=False):
    rng = np.random.default_rng(seed)
    G = rng.exponential(size=(Q, Q, N)) * (2.0 if strong else 0.1)
    G[np.arange(Q), np.arange(Q)] = rng.uniform(0.5, 2.0, size=(Q, N))
    caps = rng.uniform(0.2, 0.8, size=(Q, N)) if capped else None
    return eq.PowerControlGame(G, rng.uniform(0.05, 0.5, size=(Q, N)), rng.uniform(0.5, 2.0, Q),
                               caps=caps)


# -- water-filling ---------------------------------------------------------------------
@settings(max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), capped=st.booleans())
def test_water_fill_matches_exact_rational_level(seed, n, capped):
    rng = np.random.default_rng(seed)
    c = rng.exponential(size=(2, n)) * rng.choice([1e-3, 1.0, 1e3])
    c[1, : n // 2] = c[1, 0]  # ties
    P = rng.uniform(0.1, 3.0, size=2)
    caps = None
    if capped:
        caps = rng.uniform(0.0, 1.0, size=(2, n)) * P[:, None]
        caps[:, 0] = P  # feasible
    p, mu = water_fill(c, P, caps)
    for q in range(2):
        F = [Fraction(float(x)) for x in c[q]]
        u = None if caps is None else [Fraction(float(x)) for x in caps[q]]
        Pq = Fraction(float(P[q]))
        mu_exact = exact_level(F, Pq, u)
        u = u or [Pq] * n
        exact = np.array([float(min(max(mu_exact - ck, 0), uk)) for ck, uk in zip(F, u)])
        # the level itself is not unique when caps make the sum plateau at P; the allocation is
        assert np.max(np.abs(exact - p[q])) <= 1e-12 * max(1.0, abs(mu[q]))
        # mu - c_k loses ulp(mu) absolutely: the sum is exact to that scale
        assert abs(p[q].sum() - P[q]) <= 1e-12 * max(1.0, abs(mu[q]))
    assert np.all(p >= 0) and (caps is None or np.all(p <= caps))


def test_sorted_and_breakpoint_levels_agree_without_binding_caps(rng):
    c = rng.exponential(size=(20, 64))
    P = rng.uniform(0.5, 2, size=20)
    p1, mu1 = water_fill(c, P)
    p2, mu2 = water_fill(c, P, np.tile(P[:, None], (1, 64)))
    np.testing.assert_allclose(p1, p2, atol=1e-14)
    np.testing.assert_allclose(mu1, mu2, rtol=1e-14)


def test_best_response_matches_cvxpy_for_each_user():
    cp = pytest.importorskip("cvxpy")
    for capped in (False, True):
        game = small_game(7, Q=4, N=10, capped=capped)
        p = game.initial_point().reshape(game.Q, game.N)
        br = game.best_response(p)
        c = game.interference(p)
        for q in range(game.Q):
            x = cp.Variable(game.N)
            cons = [x >= 0, cp.sum(x) <= game.budgets[q]]
            if capped:
                cons.append(x <= game.caps[q])
            prob = cp.Problem(cp.Maximize(cp.sum(cp.log(c[q] + x))), cons)
            prob.solve(solver=cp.CLARABEL)
            # the interior-point solution is accurate to ~1e-5 in x, ~1e-8 in value
            assert np.max(np.abs(x.value - br[q])) <= 1e-4
            ours = np.sum(np.log1p(br[q] / c[q]))
            theirs = prob.value - np.sum(np.log(c[q]))
            assert theirs - 1e-7 <= ours <= theirs + 1e-6


# -- certificates ----------------------------------------------------------------------
@pytest.mark.parametrize("capped", [False, True])
def test_certified_residual_bounds_the_exact_rational_residual(capped):
    for seed in range(6):
        game = small_game(seed, capped=capped)
        near = eq.solve(game, "water_filling", schedule="sequential", tol=1e-15, max_iter=300).x
        rng = np.random.default_rng(seed)
        far = game.domain.project(rng.uniform(0, 1, game.Q * game.N)).reshape(game.Q, game.N)
        for p in (near, far, game.initial_point().reshape(game.Q, game.N)):
            cert = game.certify(p.reshape(-1))
            exact = exact_residual_sq(game, p)
            assert Fraction(cert.value) ** 2 >= exact
            assert cert.value <= np.sqrt(float(exact)) + 1e-12  # and it is tight


def test_exploitability_bounds_the_exact_rate_gain():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for seed in range(4):
        game = small_game(seed, capped=seed % 2 == 1)
        rng = np.random.default_rng(seed)
        p = game.domain.project(rng.uniform(0, 1, game.Q * game.N)).reshape(game.Q, game.N)
        cert = game.certify(p.reshape(-1))
        total = mp.mpf(0)
        for q in range(game.Q):
            b, c = exact_best_response(game, p, q)
            for k in range(game.N):
                ck = mp.mpf(c[k].numerator) / c[k].denominator
                bk = mp.mpf(b[k].numerator) / b[k].denominator
                total += mp.log(1 + bk / ck) - mp.log(1 + mp.mpf(float(p[q, k])) / ck)
        assert cert.details["exploitability"] >= float(total) >= 0
        assert cert.details["exploitability"] <= float(total) + 1e-10


def test_distance_bound_holds_against_the_equilibrium():
    for seed in range(5):
        game = zoo.rayleigh_power_control(6, 16, distance_ratio=12.0, path_loss=4.0, seed=seed)
        con = game.contraction()
        assert con["factor"] < 1 and con["factor"] >= con["rho"] * (1 - 1e-9)
        star = eq.solve(game, "water_filling", tol=1e-15, max_iter=500).x
        for it in (1, 2, 4):
            p = eq.solve(game, "water_filling", tol=1e-15, max_iter=it).x
            cert = game.certify(p.reshape(-1))
            dist = np.max(np.linalg.norm(p - star, axis=1))
            assert cert.details["distance_bound"] >= dist
            assert cert.details["distance_bound"] <= 1e3 * dist + 1e-12


def test_strong_interference_reports_no_distance_bound():
    game = zoo.rayleigh_power_control(5, 32, seed=0)
    cert = game.certify(game.initial_point())
    assert cert.details["contraction_factor"] >= 1 and "distance_bound" not in cert.details
    assert cert.details["spectral_radius"] > 1


@settings(max_examples=30)
@given(seed=st.integers(0, 100_000), Q=st.integers(1, 4), N=st.integers(1, 7),
       scale=st.sampled_from([1e-4, 1.0, 1e4]), capped=st.booleans(), kind=st.sampled_from(
           ["random", "converged", "vertex"]))
def test_certificate_is_an_upper_bound_on_random_instances(seed, Q, N, scale, capped, kind):
    rng = np.random.default_rng(seed)
    G = rng.exponential(size=(Q, Q, N)) * scale
    G[np.arange(Q), np.arange(Q)] = rng.uniform(1e-3, 1.0, size=(Q, N))
    caps = rng.uniform(0.0, 1.0, size=(Q, N)) if capped else None
    if capped:
        caps[:, 0] = np.inf  # feasible
    game = eq.PowerControlGame(G, rng.uniform(1e-3, 1.0), rng.uniform(0.1, 5.0, Q), caps=caps)
    if kind == "converged":
        p = eq.solve(game, "water_filling", schedule="sequential", tol=0, max_iter=60).x
    elif kind == "vertex":  # all power on one allowed carrier (ties and zeros in the point)
        p = game.domain.project(np.repeat(np.eye(N)[0] * 1e3, Q)).reshape(Q, N)
    else:
        p = game.domain.project(rng.uniform(0, 1, Q * N)).reshape(Q, N)
    cert = game.certify(p.reshape(-1))
    assert Fraction(cert.value) ** 2 >= exact_residual_sq(game, p)
    assert cert.details["exploitability"] >= 0


def test_single_user_and_single_carrier_games():
    one = eq.PowerControlGame(np.ones((1, 1, 4)), 0.1, 2.0)
    res = eq.solve(one, tol=1e-12)
    assert res.method == "water_filling" and res.converged and np.allclose(res.x, 0.5)
    assert one.contraction()["factor"] == 0.0
    flat = eq.PowerControlGame(np.ones((3, 3, 1)), 0.1, [1.0, 2.0, 3.0])
    res = eq.solve(flat, tol=1e-12)
    assert res.converged and np.allclose(res.x[:, 0], [1.0, 2.0, 3.0])


# -- operator, domain ------------------------------------------------------------------
def test_operator_is_minus_the_rate_gradient_and_lipschitz_bound_holds(rng):
    game = small_game(3)
    z = game.initial_point()
    F = game.operator(z)
    h = 1e-6
    for i in rng.choice(z.size, 6, replace=False):
        q = i // game.N
        e = np.zeros_like(z)
        e[i] = h
        fd = (game.rates(z + e)[q] - game.rates(z - e)[q]) / (2 * h)
        assert abs(-F[i] - fd) <= 1e-6 * abs(fd)
    for _ in range(20):
        a, b = (game.domain.project(rng.uniform(0, 2, z.size)) for _ in range(2))
        assert np.linalg.norm(game.operator(a) - game.operator(b)) <= game.lipschitz * np.linalg.norm(a - b)


def test_capped_simplex_projection_and_support(rng):
    linprog = pytest.importorskip("scipy.optimize").linprog
    caps = np.array([0.3, 0.0, 0.5, 1.0, 0.2])
    D = CappedSimplex(caps, 1.2)
    for _ in range(20):
        z = rng.normal(size=5) * 2
        x = D.project(z)
        assert D.contains(x)
        for _ in range(10):  # the projection's variational inequality
            y = D.project(rng.normal(size=5) * 3)
            assert np.dot(z - x, y - x) <= 1e-12
        g = rng.normal(size=5)
        lp = linprog(-g, A_eq=np.ones((1, 5)), b_eq=[1.2], bounds=list(zip([0] * 5, caps)),
                     method="highs")
        assert abs(D.support(g) + lp.fun) <= 1e-12


def test_masks_and_caps_define_the_domain():
    G = np.ones((2, 2, 3)) * 0.1
    G[0, 0] = G[1, 1] = 1.0
    masks = np.array([[True, True, False], [False, True, True]])
    game = eq.PowerControlGame(G, 0.1, [1.0, 2.0], masks=masks, caps=np.full((2, 3), 1.5))
    res = eq.solve(game, "water_filling", tol=1e-12)
    assert res.converged and np.all(res.x[~masks] == 0) and np.all(res.x <= 1.5)
    np.testing.assert_allclose(res.x.sum(axis=1), [1.0, 2.0])


def test_zoo_generators_are_seeded():
    a = zoo.rayleigh_power_control(4, 8, seed=3)
    b = zoo.rayleigh_power_control(4, 8, seed=3)
    assert np.array_equal(a.gains, b.gains)
    assert not np.array_equal(a.gains, zoo.rayleigh_power_control(4, 8, seed=4).gains)
    g = zoo.random_geometry_power_control(4, 8, seed=3)
    assert np.array_equal(g.gains, zoo.random_geometry_power_control(4, 8, seed=3).gains)


def test_a_generic_method_solves_a_weak_interference_game():
    game = zoo.rayleigh_power_control(3, 8, distance_ratio=12.0, path_loss=4.0, seed=1)
    res = eq.solve(game, "extragradient", tol=1e-8, max_iter=20_000)
    assert res.converged and res.certificate.kind == "best_response_residual"
    star = eq.solve(game, "water_filling", tol=1e-14).x
    assert np.max(np.abs(res.x - star)) <= res.certificate.details["distance_bound"]


# -- bad input -------------------------------------------------------------------------
def _G(Q=2, N=3):
    G = np.full((Q, Q, N), 0.1)
    G[np.arange(Q), np.arange(Q)] = 1.0
    return G


@pytest.mark.parametrize("kwargs, match", [
    (dict(gains=np.ones((2, 3, 4))), r"gains must have shape \(Q, Q, N\)"),
    (dict(gains=np.ones((2, 2))), r"gains must have shape \(Q, Q, N\)"),
    (dict(gains=-_G()), "gains must be >= 0"),
    (dict(gains=_G() * np.array([1, 1, 0.0])), r"direct links\) must be > 0; user 0 .* carrier 2"),
    (dict(gains=np.where(_G() > 0.5, np.nan, 0.1)), "gains contains 6 NaN entries"),
    (dict(noise=0.0), "noise must be > 0"),
    (dict(noise=np.ones(5)), "noise must be a scalar, one value per user"),
    (dict(noise=[np.nan, 1.0]), "noise contains 1 NaN"),
    (dict(budgets=-1.0), "budgets must be > 0"),
    (dict(budgets=np.ones(3)), "budgets must be a scalar or one value per user"),
    (dict(caps=np.full((2, 3), 0.1)), r"caps/masks leave user 0 only 0.3 of its budget 1"),
    (dict(caps=-np.ones((2, 3))), "caps must be >= 0"),
    (dict(caps=np.ones((3, 3))), r"caps must have shape \(2, 3\)"),
    (dict(masks=np.ones((2, 3))), "masks must be a boolean array of shape"),
    (dict(masks=np.zeros((2, 3), bool)), "caps/masks leave user 0 only 0 of its budget"),
])
def test_bad_input_is_named(kwargs, match):
    args = dict(gains=_G(), noise=0.1, budgets=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        eq.PowerControlGame(**args)


def test_inputs_are_not_mutated_and_points_are_checked():
    G = _G()
    G0 = G.copy()
    game = eq.PowerControlGame(G, 0.1, 1.0)
    game.gains[0, 0, 0] = 5.0
    assert np.array_equal(G, G0)
    with pytest.raises(ValueError, match="point lies outside the domain"):
        eq.certify(game, np.ones(6))


def test_certificate_given_the_interference_is_the_certificate():
    for capped in (False, True):
        game = small_game(7, Q=4, N=9, capped=capped)
        rng = np.random.default_rng(1)
        p = game.domain.project(rng.uniform(0, 1, game.Q * game.N)).reshape(game.Q, game.N)
        c = game.interference(p)
        assert np.allclose(c, [[(game.noise[q, k] + sum(game.gains[q, r, k] * p[r, k]
                                                         for r in range(game.Q) if r != q))
                                / game.gains[q, q, k] for k in range(game.N)]
                               for q in range(game.Q)], rtol=1e-14)
        given = game.certify(p.reshape(-1), interference=c)
        plain = game.certify(p.reshape(-1))
        assert given.value == plain.value and given.details == plain.details


def test_a_wrong_interference_is_refused():
    game = small_game(8)
    p = game.initial_point()
    c = game.interference(p.reshape(game.Q, game.N))
    with pytest.raises(ValueError, match="interference must be a float64 array of shape"):
        game.certify(p, interference=c[:, :-1])
    with pytest.raises(ValueError, match="interference must be a float64 array of shape"):
        game.certify(p, interference=c.tolist())
    with pytest.raises(ValueError, match="interference must be >= the noise floor"):
        game.certify(p, interference=c - 1.0)
    bad = c.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="interference must be >= the noise floor"):
        game.certify(p, interference=bad)


def test_the_two_layouts_of_the_coupling_hold_the_normalised_gains():
    game = small_game(9, Q=4, N=5)
    G, (Q, N) = game.gains, (game.Q, game.N)
    want = np.array([[[0.0 if q == r else G[q, r, k] / G[q, q, k] for r in range(Q)]
                      for q in range(Q)] for k in range(N)])
    assert np.allclose(game.coupling, want, rtol=1e-15, atol=0) and game.coupling.shape == (N, Q, Q)
    by_user = game.coupling_by_user()
    assert by_user.flags["C_CONTIGUOUS"] and by_user is game.coupling_by_user()
    assert np.array_equal(by_user, game.coupling.transpose(1, 2, 0))
