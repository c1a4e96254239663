"""Small-Gain Nash certificates against closed forms, brute force and simulation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.analysis.small_gain import (margin, perron_weights, rk4_linear_step,
                                          two_player_band)
from eqsolve.problems import zoo

S = math.sqrt(0.5)


def weighted(J, w, sizes):
    s = np.repeat(np.sqrt(w), sizes)
    return (s[:, None] * J) / s[None, :]


def true_margin(J, w, sizes):
    B = weighted(J, w, sizes)
    return np.linalg.eigvalsh((B + B.T) / 2)[0]


def rk4_matrix(A, h):
    M, out = np.eye(len(A)), np.eye(len(A))
    for k in range(1, 5):
        M = M @ (-h * A) / k
        out = out + M
    return out


# -- the mini-toy: every number of ALGORITHMS.md 8.7 --------------------------------------

def test_mini_toy_reproduces_the_papers_numbers():
    c = eq.small_gain(zoo.sgn_mini_toy())
    assert c.verdict == "certified" and c.certified
    np.testing.assert_allclose(c.weights, [1, 200], rtol=1e-12)
    assert c.alpha == pytest.approx(1 - S, abs=1e-12) and c.alpha <= 1 - S
    assert c.beta == pytest.approx(1 + S, abs=1e-12) and c.beta >= 1 + S
    assert c.euclidean_margin == pytest.approx(-4.025, abs=1e-12)
    assert c.true_margin == pytest.approx(1 - S, abs=1e-12)
    assert c.rho == pytest.approx(S, abs=1e-12)
    assert c.euler_step_max == pytest.approx(0.2010, abs=1e-4)
    assert c.rk4["guideline_step"] == pytest.approx(1.4645, abs=1e-4)
    assert c.band["r_lo"] == pytest.approx(34.31, abs=5e-3)
    assert c.band["r_hi"] == pytest.approx(1165.69, abs=5e-3)
    assert c.band["r_opt"] == pytest.approx(200.0)
    # fails with uniform weights
    assert eq.small_gain(zoo.sgn_mini_toy(), weights=[1, 1]).verdict == "not certified"
    assert margin(c.constants.K, [1, 1]) == pytest.approx(-4.025, abs=1e-12)


def test_mini_toy_step_bounds_sit_below_the_true_stability_limits():
    c = eq.small_gain(zoo.sgn_mini_toy())
    J = zoo.sgn_mini_toy().J
    # true limits: Euler 2 Re(l)/|l|^2 over the eigenvalues, RK4 from the spectral radius
    lam = np.linalg.eigvals(J)
    assert min(2 * lam.real / abs(lam) ** 2) == pytest.approx(1.1716, abs=1e-4)
    hs = np.linspace(1.5, 1.7, 2001)
    stable = [h for h in hs if max(abs(np.linalg.eigvals(rk4_matrix(J, h)))) < 1]
    assert max(stable) == pytest.approx(1.6316, abs=2e-4)
    assert c.euler_step_max < 1.1716 and c.rk4["rigorous_step_max"] < 1.6316
    # the rigorous RK4 bound: exact tail of the majorant series (ALGORITHMS.md's cruder
    # (h beta)^5 e^{h beta}/120 form gives 0.8443); RK4 contracts in the metric below it
    assert c.rk4["rigorous_step_max"] == pytest.approx(1.09896, abs=1e-5)
    Jw = weighted(J, c.weights, [1, 1])
    for h in np.linspace(0.01, c.rk4["rigorous_step_max"], 60):
        assert np.linalg.norm(rk4_matrix(Jw, h), 2) < 1
    assert np.linalg.norm(rk4_matrix(Jw, c.rk4["step"]), 2) <= c.rk4["factor"]


@pytest.mark.parametrize("lam", np.linspace(0, 2.5, 61)[::4].tolist() + [1.41, 1.415])
def test_lq_family_is_certified_exactly_up_to_one_over_sqrt_ab(lam):
    a, b = 10.0, 0.05
    c = eq.small_gain(zoo.sgn_lq_game(lam, d=16))
    s = lam * math.sqrt(a * b)
    assert c.alpha == pytest.approx(1 - s, abs=1e-10)
    assert c.beta == pytest.approx(1 + s, abs=1e-10)
    assert c.euclidean_margin == pytest.approx(1 - lam * (a + b) / 2, abs=1e-10)
    assert c.certified == (lam < 1 / math.sqrt(a * b))
    if c.certified:
        assert c.euler_step_max == pytest.approx(2 * (1 - s) / (1 + s) ** 2, rel=1e-8)


def test_random_lq_ensemble_margin_is_a_lower_bound_of_the_true_margin():
    for s in range(6):
        for lam in (0.0, 0.417, 0.833, 1.25):
            g = zoo.sgn_random_lq_game(lam, seed=12345 + 1000 * s, d=16)
            c = eq.small_gain(g)
            if c.alpha > 0:
                assert c.certified and c.true_margin >= c.alpha - 1e-12
            assert c.mu.min() >= 1.0 - 1e-12  # Q_i = R^T R + I


# -- closed forms against brute force --------------------------------------------------

@given(st.floats(0.1, 3), st.floats(0.1, 3), st.floats(0.0, 2), st.floats(0.01, 2))
@settings(max_examples=60)
def test_two_player_band_and_optimum_against_a_grid(m1, m2, l12, l21):
    L = np.array([[0.0, l12], [l21, 0.0]])
    K = np.diag([m1, m2]) - L
    b = two_player_band([m1, m2], L)
    rs = np.geomspace(1e-6, 1e6, 3001)
    # lambda_min of [[m1, o], [o, m2]], o = -(l12/sqrt(r) + l21 sqrt(r))/2, in closed form
    off = (l12 / np.sqrt(rs) + l21 * np.sqrt(rs)) / 2
    al = (m1 + m2) / 2 - np.sqrt(((m1 - m2) / 2) ** 2 + off ** 2)
    assert al.max() <= b["alpha_max"] + 1e-9
    if b["r_opt"] is not None:
        assert margin(K, [1.0, b["r_opt"]]) == pytest.approx(b["alpha_max"], abs=1e-9)
    if b["r_lo"] < b["r_hi"]:
        inside = (rs > b["r_lo"] * (1 + 1e-6)) & (rs < b["r_hi"] * (1 - 1e-6))
        outside = (rs < b["r_lo"] * (1 - 1e-6)) | (rs > b["r_hi"] * (1 + 1e-6))
        assert np.all(al[inside] > -1e-12) and np.all(al[outside] < 1e-12)
    else:
        assert np.all(al <= 1e-12)


def test_perron_weights_certify_every_m_matrix(rng):
    hits = 0
    for _ in range(200):
        n = 5
        mu = rng.uniform(0.5, 2, n)
        # asymmetric, sparse couplings: unit weights usually fail where Perron weights work
        L = rng.exponential(0.25, (n, n)) ** 2 * (rng.random((n, n)) < 0.6) * (1 - np.eye(n))
        w, rho = perron_weights(mu, L)
        if rho < 1:
            hits += 1
            K = np.diag(mu) - L
            C = np.diag(w) @ K + K.T @ np.diag(w)
            assert np.linalg.eigvalsh(C)[0] > 0 and margin(K, w) > 0
    assert hits > 20


def test_lmi_weights_maximise_the_margin_for_three_players(rng):
    pytest.importorskip("cvxpy")
    from scipy.optimize import minimize

    for seed in range(3):
        r = np.random.default_rng(seed)
        blocks = [2, 1, 2]
        J = r.normal(size=(5, 5)) * 0.3
        for s, d in zip(np.cumsum([0] + blocks[:-1]), blocks):
            J[s:s + d, s:s + d] = np.eye(d) * r.uniform(1, 2)
        J[0:2, 2:3] *= 8  # strongly asymmetric coupling: unit weights are poor
        g = eq.QuadraticGame(J, blocks=blocks)
        c = eq.small_gain(g)
        perron = eq.small_gain(g, optimize=False)
        best = -minimize(lambda t: -margin(c.constants.K, np.r_[1.0, np.exp(t)]), np.zeros(2),
                         method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}).fun
        assert c.alpha >= perron.alpha - 1e-12
        assert c.alpha == pytest.approx(best, abs=1e-5)
        assert "LMI" in c.weights_method or "Perron" in c.weights_method


# -- soundness: never certify what does not contract --------------------------------

def random_game(seed, n_players, scale):
    r = np.random.default_rng(seed)
    sizes = list(r.integers(1, 3, n_players))
    d = sum(sizes)
    J = r.normal(size=(d, d)) * scale
    for s, k in zip(np.cumsum([0] + sizes[:-1]), sizes):
        G = r.normal(size=(k, k))
        J[s:s + k, s:s + k] = G @ G.T / k + r.uniform(-0.3, 1.0) * np.eye(k) + (G - G.T) / 2
    return eq.QuadraticGame(J, blocks=sizes), J, sizes


@given(st.integers(0, 10_000), st.integers(2, 4), st.floats(0.05, 2.0))
@settings(max_examples=80)
def test_certified_implies_the_weighted_symmetric_part_is_positive_with_margin(seed, n, scale):
    g, J, sizes = random_game(seed, n, scale)
    c = eq.small_gain(g, optimize=(n == 2))
    tm = true_margin(J, c.weights, sizes)
    assert tm >= c.alpha - 1e-12  # the SGN margin never overstates the true one
    if c.certified:
        assert tm > 0
        assert np.linalg.eigvals(J).real.min() >= c.alpha - 1e-9  # no unstable direction
        h = c.euler_step
        T = weighted(np.eye(len(J)) - h * J, c.weights, sizes)
        assert np.linalg.norm(T, 2) <= c.euler_factor() + 1e-12


@given(st.integers(0, 10_000), st.integers(2, 3))
@settings(max_examples=40)
def test_games_with_an_unstable_direction_are_never_certified(seed, n):
    g, J, sizes = random_game(seed, n, 0.5)
    lam, V = np.linalg.eig(J)
    # shift J so that its leftmost eigenvalue has real part -0.1: the flow diverges
    J2 = J - (lam.real.min() + 0.1) * np.eye(len(J))
    c = eq.small_gain(eq.QuadraticGame(J2, blocks=sizes))
    assert c.verdict == "not certified" and c.alpha <= 0


def test_certified_flow_contracts_at_the_certified_rate_in_simulation(rng):
    g = zoo.sgn_lq_game(1.0, d=8)
    c = eq.small_gain(g)
    for _ in range(10):
        x, y = rng.normal(size=8), rng.normal(size=8)
        d0 = c.metric_norm(x - y)
        # flow: dense RK4 as the reference integrator; rate e^{-alpha t}
        dt, t = 1e-3, 0.0
        for _ in range(2000):
            x = x - dt * rk4_step_dir(g.J, x, dt)
            y = y - dt * rk4_step_dir(g.J, y, dt)
            t += dt
        assert c.metric_norm(x - y) <= math.exp(-c.alpha * t) * d0 * (1 + 1e-9)


def rk4_step_dir(J, x, h):
    k1 = J @ x
    k2 = J @ (x - h / 2 * k1)
    k3 = J @ (x - h / 2 * k2)
    k4 = J @ (x - h * k3)
    return (k1 + 2 * k2 + 2 * k3 + k4) / 6


def test_the_uniform_markov_equilibrium_is_refused_because_it_is_unstable():
    g = zoo.sgn_markov_game()
    assert np.linalg.eigvals(g.jacobian(np.zeros(4))).real.min() < 0  # a saddle of the flow
    c = eq.small_gain(g, [eq.Box(-0.1, 0.1, dim=2)] * 2, geometry="metric")
    assert c.verdict == "not certified"


# -- nonlinear games: rigorous margins and empirical labels ---------------------------

def sine_game(eps):
    J0 = np.array([[2.0, 0.5, 0.3], [0.2, 1.5, 0.1], [-0.4, 0.3, 1.0]])

    def F(x):
        return J0 @ x + eps * np.sin(x)

    def Jac(x):
        return J0 + eps * np.diag(np.cos(x))

    return F, Jac  # ||Jac(x) - Jac(y)|| <= eps ||x - y||


def test_rigorous_constants_bound_the_true_ones_over_the_region(rng):
    eps = 0.5
    F, Jac = sine_game(eps)
    g = eq.DifferentiableGame(F, [2, 1], jacobian=Jac)
    region = [eq.Box(-1, 1, dim=2), eq.Ball(1, radius=1.5)]
    c = eq.small_gain(g, region, jacobian_lipschitz=eps, grid=9)
    assert c.constants.basis == "rigorous" and c.verdict == "certified"
    R = eq.Product(*region)
    for _ in range(2000):
        x = R.project(rng.uniform(-2, 2, size=3))
        J = Jac(x)
        assert np.linalg.eigvalsh((J[:2, :2] + J[:2, :2].T) / 2)[0] >= c.mu[0]
        assert np.linalg.norm(J[:2, 2:], 2) <= c.L[0, 1] and np.linalg.norm(J[2:, :2], 2) <= c.L[1, 0]
        assert np.linalg.norm(weighted(J, c.weights, [2, 1]), 2) <= c.beta


def test_constants_without_a_derivative_bound_are_labelled_empirical():
    F, Jac = sine_game(0.3)
    region = [eq.Box(-1, 1, dim=2), eq.Box(-1, 1, dim=1)]
    c = eq.small_gain(eq.DifferentiableGame(F, [2, 1], jacobian=Jac), region)
    assert c.verdict == "empirical" and not c.certified and "jacobian_lipschitz" in c.reason
    c = eq.small_gain(eq.DifferentiableGame(F, [2, 1]), region, jacobian_lipschitz=0.3)
    assert c.verdict == "empirical" and "finite-difference" in c.reason
    c = eq.small_gain(eq.DifferentiableGame(F, [2, 1], jacobian_method="complex"), region,
                      jacobian_lipschitz=0.3)
    assert c.verdict == "certified"
    c = eq.small_gain(eq.DifferentiableGame(F, [2, 1], jacobian=Jac), region, grid=5,
                      max_samples=20, jacobian_lipschitz=0.3)
    assert c.verdict == "empirical" and "random samples" in c.reason


def test_bad_arguments_are_refused_clearly():
    g = zoo.sgn_mini_toy()
    with pytest.raises(ValueError, match="weights must be 2 finite positive"):
        eq.small_gain(g, weights=[1, -1])
    with pytest.raises(ValueError, match="geometry must be"):
        eq.small_gain(g, geometry="fisher")
    with pytest.raises(ValueError, match="needs a game built with metric="):
        eq.small_gain(g, geometry="metric")
    box2 = [eq.Box(0, 1, dim=1)] * 2
    with pytest.raises(ValueError, match="grid must be >= 1"):
        eq.small_gain(eq.DifferentiableGame(lambda x: x, [1, 1]), box2, grid=0)
    with pytest.raises(TypeError, match="max_samples must be an integer"):
        eq.small_gain(g, max_samples=10.5)
    with pytest.raises(ValueError, match="jacobian_lipschitz must be >= 0"):
        eq.small_gain(eq.DifferentiableGame(lambda x: x, [1, 1]), box2, jacobian_lipschitz=-1.0)
    with pytest.raises(TypeError, match="needs a DifferentiableGame"):
        eq.small_gain(eq.VI(lambda z: z, 2))


def test_rk4_linear_step_is_monotone_in_its_inputs():
    h1 = rk4_linear_step(0.5, 1.0)[0]
    assert rk4_linear_step(0.4, 1.0)[0] < h1 and rk4_linear_step(0.5, 1.2)[0] < h1
    assert rk4_linear_step(0.0, 1.0) == (0.0, 0.0, 1.0)


def test_without_cvxpy_the_perron_weights_are_used_and_labelled(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cvxpy", None)  # import cvxpy -> ImportError
    J = np.array([[1.0, 4.0, 0.0], [0.0, 1.0, 4.0], [0.05, 0.0, 1.0]])
    c = eq.small_gain(eq.QuadraticGame(J, blocks=[1, 1, 1]))
    assert "cvxpy not installed" in c.weights_method and c.certified
    C = c.small_gain_matrix
    assert np.linalg.eigvalsh(C)[0] > 0


def test_one_player_games_reduce_to_strong_monotonicity():
    J = np.array([[2.0, 1.0], [-1.0, 0.5]])
    c = eq.small_gain(eq.QuadraticGame(J, blocks=[2]))
    assert c.alpha == pytest.approx(0.5, abs=1e-12) and c.rho == 0 and c.band is None
    assert c.beta == pytest.approx(np.linalg.norm(J, 2))


def test_rigorous_certificate_of_a_nonlinear_game_contracts_every_pair_in_one_step(rng):
    eps = 0.5
    F, Jac = sine_game(eps)
    region = eq.Product(eq.Box(-1, 1, dim=2), eq.Ball(1, radius=1.5))
    c = eq.small_gain(eq.DifferentiableGame(F, [2, 1], jacobian=Jac), region,
                      jacobian_lipschitz=eps, grid=9)
    assert c.certified
    for h in (c.euler_step, 0.5 * c.euler_step_max, 0.95 * c.euler_step_max):
        q = c.euler_factor(h)
        assert q < 1
        for _ in range(300):
            x, y = (region.project(rng.uniform(-2, 2, size=3)) for _ in range(2))
            Tx, Ty = x - h * F(x), y - h * F(y)
            assert c.metric_norm(Tx - Ty) <= q * c.metric_norm(x - y) * (1 + 1e-12)
