"""Iterative water-filling: schedules agree, contraction rates meet the bound, oscillation is
reported, Numba kernels match the NumPy reference, options are validated."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.methods import Oracle
from eqsolve.methods import water_filling as wf_module
from eqsolve.methods.water_filling import WaterFilling
from eqsolve.problems import zoo

SCHEDULES = ("simultaneous", "sequential", "asynchronous")


def weak(seed=0, Q=6, N=16, capped=False):
    game = zoo.rayleigh_power_control(Q, N, distance_ratio=12.0, path_loss=4.0, seed=seed)
    if capped:
        caps = np.random.default_rng(seed).uniform(0.0, 3.0 / N, size=(Q, N))
        game = eq.PowerControlGame(game.gains, game.noise, game.budgets, caps=caps)
    return game


def wnorm(game, d):
    return float(np.max(np.linalg.norm(d, axis=1) / game.contraction()["weights"]))


@pytest.mark.parametrize("capped", [False, True])
def test_the_three_schedules_find_the_same_equilibrium(capped):
    game = weak(1, capped=capped)
    sols = {}
    for schedule in SCHEDULES:
        res = eq.solve(game, "water_filling", schedule=schedule, tol=1e-12, max_iter=2000)
        assert res.converged and res.status == "converged", res
        assert res.residual == game.certify(res.z).value
        assert game.domain.contains(res.z)
        sols[schedule] = res.x
    bound = 2 * game.certify(sols["sequential"].reshape(-1)).details["distance_bound"]
    for x in sols.values():
        assert np.max(np.abs(x - sols["sequential"])) <= max(bound, 1e-11)


def test_schedules_also_agree_without_the_sufficient_condition():
    game = zoo.rayleigh_power_control(5, 32, seed=0)  # rho(S^max) ~ 5 (ALGORITHMS.md 7.4)
    xs = []
    for schedule in SCHEDULES:
        res = eq.solve(game, "water_filling", schedule=schedule, tol=1e-11, max_iter=5000)
        assert res.converged
        assert any("rho(S^max)" in w for w in res.warnings)
        xs.append(res.x)
    assert max(np.max(np.abs(x - xs[0])) for x in xs) <= 1e-8


@pytest.mark.parametrize("schedule", ["simultaneous", "sequential"])
def test_distance_to_the_equilibrium_contracts_at_least_at_rho_w(schedule):
    # PEPit-style: the measured per-sweep factor in ||.||_w never exceeds the certified rho_w
    for seed in range(3):
        game = weak(seed, Q=8, N=32)
        rho_w = game.contraction()["factor"]
        star = eq.solve(game, "water_filling", schedule="sequential", tol=1e-15, max_iter=500).x
        m = WaterFilling.configure(game, schedule=schedule)
        s = m.init(game, Oracle(game), game.initial_point())
        err0 = wnorm(game, s.p - star)
        for t in range(1, 6):
            s = m.step(game, Oracle(game), s)
            err = wnorm(game, s.p - star)
            if err < 1e-13:
                break
            assert err <= rho_w ** t * err0 * (1 + 1e-9) + 1e-14


def test_simultaneous_oscillates_on_the_two_user_instance():
    game = zoo.oscillating_power_control(cross=2.0)
    x0 = np.array([1.0, 0.0, 1.0, 0.0])  # both users on carrier 0
    res = eq.solve(game, "water_filling", x0=x0, tol=1e-10, max_iter=1000)
    assert res.status == "stalled" and not res.converged
    assert any("oscillates with period 2" in w for w in res.warnings)
    assert res.residual >= 1.0  # the certificate is honest: far from equilibrium
    assert res.iterations < 20
    seq = eq.solve(game, "water_filling", x0=x0, schedule="sequential", tol=1e-12)
    assert seq.converged and np.allclose(seq.x, [[0, 1], [1, 0]])
    damped = eq.solve(game, "water_filling", x0=x0, damping=0.5, tol=1e-12)
    assert damped.converged
    capped = eq.solve(game, "water_filling", x0=x0, tol=1e-10, max_iter=10, check_every=100)
    assert capped.status in ("stalled", "max_iter")


def test_diminishing_damping_converges():
    res = eq.solve(weak(2), "water_filling", damping="diminishing", tol=1e-8, max_iter=20_000)
    assert res.converged and res.info["damping"] == "diminishing"


def test_best_responses_are_counted():
    game = weak(3, Q=5)
    res = eq.solve(game, "water_filling", schedule="sequential", tol=1e-10, max_iter=500)
    assert res.oracle_calls == game.Q * res.iterations
    assert res.certify_calls == len(res.history["iteration"])  # each forms the interference
    # a Jacobi sweep forms the interference of the next (Q at the start); it certifies too
    res = eq.solve(game, "water_filling", tol=1e-10, max_iter=500)
    assert res.oracle_calls == game.Q * (res.iterations + 1) and res.certify_calls == 0
    calls = []
    for _ in range(2):
        res = eq.solve(game, "water_filling", schedule="asynchronous", tol=1e-10, max_iter=500,
                       seed=5, update_prob=0.3)
        assert 0 < res.oracle_calls < game.Q * res.iterations
        calls.append((res.oracle_calls, res.iterations))
    assert calls[0] == calls[1]  # seeded


def test_max_iter_is_honest_and_inputs_are_not_mutated():
    game = weak(4)
    x0 = game.initial_point().copy()
    x0_copy, coupling = x0.copy(), game.coupling.copy()
    res = eq.solve(game, "water_filling", x0=x0, tol=0, max_iter=3)
    assert res.status == "max_iter" and res.iterations == 3
    assert res.residual == game.certify(res.z).value
    assert np.array_equal(x0, x0_copy) and np.array_equal(game.coupling, coupling)


# -- Numba kernels ---------------------------------------------------------------------
@pytest.mark.parametrize("capped", [False, True])
@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("damping", [1.0, 0.6])
def test_numba_kernels_match_the_numpy_reference(schedule, capped, damping):
    pytest.importorskip("numba")
    game = weak(5, Q=7, N=24, capped=capped)
    rng = np.random.default_rng(9)
    x0 = game.domain.project(rng.uniform(0, 1, game.Q * game.N))
    out = {}
    for backend in ("numpy", "numba"):
        m = WaterFilling.configure(game, schedule=schedule, damping=damping, backend=backend,
                                      seed=3)
        s = m.init(game, Oracle(game), x0)
        for _ in range(6):
            s = m.step(game, Oracle(game), s)
        out[backend] = s
    assert np.max(np.abs(out["numba"].p - out["numpy"].p)) <= 1e-12
    if schedule == "simultaneous":  # and the interference the next sweep and certificate use
        assert np.allclose(out["numba"].c, out["numpy"].c, rtol=1e-13, atol=0)
        assert np.array_equal(out["numpy"].c, game.interference(out["numpy"].p))


def test_numba_backend_solves_through_solve():
    pytest.importorskip("numba")
    game = weak(6)
    res = eq.solve(game, "water_filling", backend="numba", schedule="sequential", tol=1e-12)
    assert res.converged and res.info["kernel_backend"] == "numba"
    res = eq.solve(game, "water_filling", tol=1e-12)
    assert res.info["kernel_backend"] == "numpy"  # the reference unless asked


def test_numba_requested_but_missing_is_a_clear_error(monkeypatch):
    from eqsolve import backend as bk

    monkeypatch.setattr(wf_module, "HAS_NUMBA", False)
    with pytest.raises(bk.BackendUnavailableError, match=r"backend='numba' needs Numba.*pip install"):
        WaterFilling.configure(weak(0), backend="numba")
    monkeypatch.setattr(bk, "HAS_NUMBA", False)
    with pytest.raises(bk.BackendUnavailableError, match=r"backend='numba' needs Numba.*pip install"):
        eq.solve(weak(0), "water_filling", backend="numba")


# -- options ---------------------------------------------------------------------------
def test_other_problems_are_refused_with_needs():
    with pytest.raises(TypeError, match="water_filling needs a PowerControlGame"):
        eq.solve(zoo.random_matrix_game(4, seed=0), "water_filling")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(schedule="jacobi"), ValueError, "schedule must be one of"),
    (dict(damping=1.5), ValueError, r"damping must lie in \(0, 1\]"),
    (dict(damping=0.0), ValueError, "damping must be > 0"),
    (dict(damping="harmonic"), ValueError, "damping must be a number in"),
    (dict(backend="cuda"), ValueError, "backend must be one of"),
    (dict(update_prob=0.0), ValueError, "update_prob must be > 0"),
    (dict(update_prob=2.0), ValueError, r"update_prob must lie in \(0, 1\]"),
    (dict(max_delay=-1), ValueError, "max_delay must be >= 0"),
    (dict(max_delay=1.5), TypeError, "max_delay must be an integer"),
    (dict(seed="a"), TypeError, "seed must be an integer or None"),
    (dict(step=0.1), TypeError, "unexpected keyword"),
])
def test_bad_options_are_named(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        eq.solve(weak(0), "water_filling", **kwargs)


def test_numba_newton_level_is_exact_on_ties_and_wide_ranges():
    pytest.importorskip("numba")
    from hypothesis import given, settings, strategies as st

    from eqsolve.methods._water_filling_numba import _level_newton
    from eqsolve.problems._water_filling import water_fill

    @settings(max_examples=60)
    @given(seed=st.integers(0, 10_000), n=st.integers(1, 40), scale=st.sampled_from([1e-6, 1.0, 1e6]))
    def check(seed, n, scale):
        rng = np.random.default_rng(seed)
        c = rng.exponential(size=n) * scale
        c[: n // 3] = c[0]  # ties
        P = float(rng.uniform(0.01, 10.0))
        mu = _level_newton(c, P, np.empty(n))
        ref = water_fill(c[None, :], np.array([P]))[1][0]
        assert abs(mu - ref) <= 1e-13 * max(abs(ref), 1.0)

    check()


def test_damping_rescues_simultaneous_iwf_in_strong_interference():
    # a dense random geometry (rho(S^max) ~ 37): undamped Jacobi falls into a 2-cycle,
    # averaged IWF (Hong-Garcia) converges, as does Gauss-Seidel
    game = zoo.random_geometry_power_control(10, 64, area=3 * np.sqrt(10), seed=0)
    plain = eq.solve(game, "water_filling", tol=1e-10, max_iter=3000)
    assert plain.status == "stalled" and any("period 2" in w for w in plain.warnings)
    damped = eq.solve(game, "water_filling", damping=0.5, tol=1e-10, max_iter=3000)
    seq = eq.solve(game, "water_filling", schedule="sequential", tol=1e-10, max_iter=3000)
    assert damped.converged and seq.converged


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_the_jacobi_certificates_reuse_the_sweeps_interference_honestly(backend):
    # the simultaneous schedule certifies with the interference its sweep formed (NumPy BLAS
    # or the Numba kernel, in their own summation orders): the bound must hold exactly
    from fractions import Fraction

    if backend == "numba":
        pytest.importorskip("numba")
    from tests.problems.test_power_control import exact_residual_sq, small_game

    for seed, capped in ((0, False), (1, True), (2, False)):
        game = small_game(seed, Q=4, N=7, capped=capped)
        for it in (1, 3, 60):
            res = eq.solve(game, "water_filling", backend=backend, tol=0, max_iter=it)
            assert res.certify_calls == 0
            assert Fraction(res.residual) ** 2 >= exact_residual_sq(game, res.x)
            fresh = game.certify(res.z).value
            assert abs(res.residual - fresh) <= 1e-13 * max(1.0, fresh)
