"""PreferenceGame and Nash mirror prox / Nash-MD: certificates, fixed point, batches, rates."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import eqsolve as eq
from eqsolve.problems import random_preferences

from ..conftest import random_simplex_point


def brute_force_exploitability(P, beta, ref, pi):
    """max over pi' of [pi'^T P pi - beta KL(pi'||ref)] - [1/2 - beta KL(pi||ref)], by optimisation.

    For n = 2 the max is a 1-d concave problem: solved with scipy's bounded scalar search.
    """
    g = P @ pi

    def kl(p):
        p = np.clip(p, 1e-300, None)
        return float(np.sum(np.where(p > 0, p * np.log(p / ref), 0.0)))

    res = minimize_scalar(lambda t: -(np.array([t, 1 - t]) @ g - beta * kl(np.array([t, 1 - t]))),
                          bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    return -res.fun - (0.5 - beta * kl(pi))


def test_exploitability_matches_brute_force_best_response(rng):
    for _ in range(40):
        P = random_preferences(2, seed=rng)
        beta = float(rng.uniform(0.01, 2.0))
        ref = random_simplex_point(rng, 2)
        pi = random_simplex_point(rng, 2)
        cert = eq.PreferenceGame(P, beta, ref).certify(pi)
        bf = brute_force_exploitability(P, beta, ref, pi)
        assert cert.value >= bf - 1e-12
        assert cert.value - bf < 1e-7


def test_unregularised_exploitability_and_beta_zero(rng):
    P = random_preferences(6, seed=1)
    pi = random_simplex_point(rng, 6)
    c0 = eq.PreferenceGame(P, 0.0).certify(pi)
    assert c0.value == pytest.approx(max(P @ pi) - 0.5, abs=1e-13)
    c1 = eq.PreferenceGame(P, 0.3).certify(pi)
    assert c1.details["unregularised_exploitability"] == pytest.approx(c0.value, abs=1e-13)


@pytest.mark.parametrize("method, tol", [("nash_mp", 1e-12), ("nash_md", 1e-8),
                                         ("mirror_prox", 1e-12), ("optimistic", 1e-12)])
def test_solution_is_the_fixed_point(method, tol):
    """E_beta(pi) = beta KL(pi || BR(pi)) exactly, so Pinsker: |pi - BR(pi)|_1 <= sqrt(2 E / beta)."""
    P = random_preferences(30, seed=2)
    ref = random_simplex_point(np.random.default_rng(3), 30)
    beta = 0.1
    g = eq.PreferenceGame(P, beta, ref)
    res = eq.solve(g, method=method, tol=tol, max_iter=100_000)
    assert res.converged
    pi = res.x
    br = g.best_response(pi[None, :])[0]  # rho exp(P pi / beta), normalised
    assert np.abs(pi - br).sum() <= np.sqrt(2 * res.residual / beta)
    kl = np.sum(pi * np.log(pi / br))
    assert beta * kl == pytest.approx(res.residual, abs=1e-12)
    # KL(pi* || ref) <= 1/beta (ALGORITHMS.md 4.1)
    assert res.certificate.details["kl_to_reference"] <= 1 / 0.1


def test_batch_equals_a_loop_over_single_games():
    Ps = random_preferences(12, batch=4, seed=5)
    refs = np.stack([random_simplex_point(np.random.default_rng(s), 12) for s in range(4)])
    batch = eq.solve(eq.PreferenceGame(Ps, 0.2, refs), method="nash_mp", tol=1e-12)
    # nash_mp runs a batch game by game: one Result per game
    assert batch.converged and len(batch.games) == len(batch.certificate.details["games"]) == 4
    for b in range(4):
        one = eq.solve(eq.PreferenceGame(Ps[b], 0.2, refs[b]), method="nash_mp", tol=1e-12)
        # same iterates game by game: the batch differs only in when it stops
        assert one.residual <= 1e-12
        np.testing.assert_allclose(batch.x[b], one.x, atol=4 * np.sqrt(2 * 1e-12 / 0.2))
        assert batch.games[b].residual <= 1e-12 and batch.games[b].converged


@pytest.mark.parametrize("beta", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("n", [10, 100, 1000])
def test_nash_mp_kl_rate_beats_the_claimed_bound(beta, n):
    """KL(pi*||pi_k) <= (1 + 2 beta)^(-N/2) KL(pi*||pi_0), N preference queries, any |Y|."""
    P = random_preferences(n, seed=n)
    g = eq.PreferenceGame(P, beta)
    # the reference solution: run to the rounding floor (a fixed budget: tol below the
    # certificate's own rounding allowance at n = 1000 is rightly unreachable)
    iters = int(np.ceil(40 / np.log1p(2 * beta)))
    star = eq.solve(g, method="nash_mp", tol=0, max_iter=iters, check_every=iters).z
    kl0 = g.kl_from(star, g.initial_point())
    records = []

    def cb(p):
        records.append((p.oracle_calls, g.kl_from(star, p.z)))

    eq.solve(g, method="nash_mp", tol=0, max_iter=60, check_every=1, callback=cb)
    for N, kl in records:
        if kl > 1e-13:  # above the rounding floor of the reference solution
            assert kl <= (1 + 2 * beta) ** (-(N - 1) / 2) * kl0 * (1 + 1e-9), (N, kl)


def test_sampled_oracle_counts_queries_and_certifies_exactly():
    P = random_preferences(8, seed=7)
    g = eq.PreferenceGame(P, 0.5)
    res = eq.solve(g, method="nash_mp", samples=200, seed=1, step=0.5, tol=0, max_iter=40)
    assert res.info["preference_queries"] == (2 * 40 + 1) * 8 * 200
    assert res.residual == g.certify(res.z).value  # exact, with the full P
    assert res.residual < 0.05
    again = eq.solve(g, method="nash_mp", samples=200, seed=1, step=0.5, tol=0, max_iter=40)
    np.testing.assert_array_equal(again.z, res.z)  # reproducible by seed


def test_bad_input():
    P = random_preferences(3, seed=0)
    with pytest.raises(ValueError, match="not a preference matrix"):
        eq.PreferenceGame(P + 0.1 * np.eye(3), 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        eq.PreferenceGame(2 * P - 0.5, 0.1)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        eq.PreferenceGame(P, -0.1)
    with pytest.raises(ValueError, match="strictly positive distribution"):
        eq.PreferenceGame(P, 0.1, reference=[0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="reference must have shape"):
        eq.PreferenceGame(P, 0.1, reference=[0.5, 0.5])
    with pytest.raises(ValueError, match="square"):
        eq.PreferenceGame(np.full((2, 3), 0.5), 0.1)
    with pytest.raises(TypeError, match="PreferenceGame"):
        eq.solve(eq.zoo.matching_pennies(), method="nash_mp")
    res = eq.solve(eq.PreferenceGame(P, 0.1), method="nash_mp", step=10.0, tol=1e-10)
    assert any("capped" in w for w in res.warnings)


def mixture_brute_force(P, beta, alpha, ref, pi):
    """Exploitability for R = alpha KL(pi||ref) + (1-alpha) KL(ref||pi), n = 2, by 1-d search."""
    def R(p):
        p = np.clip(p, 1e-300, None)
        return alpha * float(np.sum(p * np.log(p / ref))) + (1 - alpha) * float(np.sum(ref * np.log(ref / p)))

    g = P @ pi
    res = minimize_scalar(lambda t: -(np.array([t, 1 - t]) @ g - beta * R(np.array([t, 1 - t]))),
                          bounds=(1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-13})
    return -res.fun - (0.5 - beta * R(pi))


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.7, 1.0])
def test_kl_mixture_certificate_is_an_upper_bound_and_tight(alpha, rng):
    for _ in range(15):
        P = random_preferences(2, seed=rng)
        beta = float(rng.uniform(0.05, 1.0))
        ref, pi = random_simplex_point(rng, 2), random_simplex_point(rng, 2)
        g = eq.PreferenceGame(P, beta, ref, regularizer=alpha)
        g._force_dual = True  # the dual route, even at alpha = 1
        bf = mixture_brute_force(P, beta, alpha, ref, pi)
        val = g.certify(pi).value
        assert val >= bf - 1e-12
        assert val - bf < 1e-7


def test_dual_route_matches_the_closed_form_at_reverse_kl(rng):
    P = random_preferences(40, seed=9)
    g = eq.PreferenceGame(P, 0.3)
    for _ in range(5):
        pi = random_simplex_point(rng, 40)
        closed = g.certify(pi).value
        g._force_dual = True
        dual = g.certify(pi).value
        g._force_dual = False
        assert dual >= closed - 1e-13 and dual - closed < 1e-10


def test_kl_mixtures_are_solved_by_the_generic_methods_and_refused_by_nash_mp():
    P = random_preferences(15, seed=11)
    for reg in ("forward_kl", 0.5):
        g = eq.PreferenceGame(P, 0.2, regularizer=reg)
        res = eq.solve(g, method="mirror_prox", tol=1e-9)
        assert res.converged and "regularizer" in res.certificate.details
        with pytest.raises(ValueError, match="reverse-KL"):
            eq.solve(g, method="nash_mp")
    with pytest.raises(ValueError, match="regularizer"):
        eq.PreferenceGame(P, 0.2, regularizer=1.5)


def test_known_equilibrium_reports_kl():
    P = random_preferences(10, seed=12)
    star = eq.solve(eq.PreferenceGame(P, 0.5), method="nash_mp", tol=1e-13).z
    g = eq.PreferenceGame(P, 0.5, equilibrium=star)
    res = eq.solve(g, method="nash_md", tol=1e-9, max_iter=100_000)
    assert res.certificate.details["kl_from_equilibrium"] < 1e-6


def test_euclidean_methods_refuse_an_interior_only_operator():
    g = eq.PreferenceGame(random_preferences(5, seed=13), 0.3)
    assert g.interior_only and not eq.PreferenceGame(random_preferences(5, seed=13), 0.0).interior_only
    for method, opts in [("extragradient", {}), ("mirror_prox", {"geometry": "euclidean"}),
                         ("halpern", {"L": 1.0})]:
        with pytest.raises(TypeError, match="inside its domain"):
            eq.solve(g, method=method, **opts)
    # beta = 0: -P pi is defined everywhere, Euclidean methods are fine
    res = eq.solve(eq.PreferenceGame(random_preferences(5, seed=13), 0.0), method="extragradient",
                   tol=1e-8)
    assert res.converged
