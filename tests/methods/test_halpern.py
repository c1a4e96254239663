"""Anchored methods against their worst-case bounds (PEPit-style: measured <= theory)."""

import numpy as np
import pytest

import eqsolve as eq


def bilinear(n, seed):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n))
    J = np.block([[np.zeros((n, n)), B], [-B.T, np.zeros((n, n))]])
    b = rng.normal(size=2 * n)
    sol = np.linalg.solve(J, -b)
    return eq.VI(lambda z: J @ z + b, eq.Reals(2 * n), L=np.linalg.norm(J, 2)), sol


def cocoercive(n, seed):
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(n, n))
    S = G @ G.T / n + 0.01 * np.eye(n)
    b = rng.normal(size=n)
    sol = np.linalg.solve(S, -b)
    return eq.VI(lambda z: S @ z + b, eq.Reals(n), L=np.linalg.eigvalsh(S)[-1], monotone=True), sol


def residual_curve(vi, variant, iters):
    res = eq.solve(vi, method="halpern", variant=variant, tol=0, max_iter=iters,
                   check_every=1, restart=False)
    k = np.array(res.history["iteration"])
    return k, np.array(res.history["residual"])


@pytest.mark.parametrize("seed", range(4))
def test_halpern_meets_lieders_bound_on_cocoercive_linear_instances(seed):
    vi, sol = cocoercive(15, seed)
    k, r = residual_curve(vi, "halpern", 400)
    D = np.linalg.norm(sol)  # z0 = 0
    assert np.all(r <= vi.lipschitz * D / (k + 1) * (1 + 1e-9))


@pytest.mark.parametrize("seed", range(4))
def test_feg_meets_its_O_1_over_k_bound_on_bilinear_instances(seed):
    vi, sol = bilinear(10, seed)
    k, r = residual_curve(vi, "feg", 400)
    D = np.linalg.norm(sol)
    assert np.all(r[1:] <= 2 * vi.lipschitz * D / k[1:])


@pytest.mark.parametrize("seed", range(2))
def test_eag_meets_its_bound(seed):
    vi, sol = bilinear(8, seed)
    k, r = residual_curve(vi, "eag", 400)
    D = np.linalg.norm(sol)
    assert np.all(r <= np.sqrt(260) * vi.lipschitz * D / (k + 1))


def test_anchored_residual_decays_like_one_over_k_not_one_over_sqrt_k():
    vi, _ = bilinear(10, 0)
    k, r = residual_curve(vi, "feg", 2000)
    slope = np.polyfit(np.log(k[100:]), np.log(r[100:]), 1)[0]
    assert slope < -0.9


def test_halpern_needs_no_constant_and_names_the_one_it_estimated():
    vi = eq.VI(lambda z: 3.0 * z + 1.0, eq.Reals(2))
    for variant in ("feg", "eag", "halpern"):
        res = eq.solve(vi, method="halpern", variant=variant, tol=1e-8, max_iter=20_000)
        assert res.converged, variant
        assert res.info["lipschitz_source"] == "estimated"
        # the estimate certifies the inequality it checked, so it is at least the secant
        assert res.info["lipschitz"] >= 3.0 * (1 - 1e-12) or variant == "halpern"
        assert f"L = {res.info['lipschitz']:.6g}" in res.info["rate"]
    res = eq.solve(vi, method="halpern", L=3.0, tol=1e-10)
    assert res.converged and res.info["lipschitz_source"] == "given"


def _monotone_box_vi(seed, d=6):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(d, d))
    J = M - M.T + 0.05 * np.eye(d)
    b = rng.normal(size=d)
    return eq.VI(lambda z: J @ z + b, eq.Box(-np.ones(d), np.ones(d)))


@pytest.mark.parametrize("seed", range(3))
def test_anchored_methods_without_a_constant_solve_what_extragradient_solves(seed):
    vi = _monotone_box_vi(seed)
    assert eq.solve(vi, method="extragradient", tol=1e-6).converged
    for variant in ("feg", "eag"):
        res = eq.solve(vi, method="halpern", variant=variant, tol=1e-6, max_iter=50_000)
        assert res.converged, variant


def test_anchored_methods_on_a_zero_game_do_not_divide_by_zero():
    for variant in ("feg", "eag", "halpern"):
        res = eq.solve(eq.MatrixGame(np.zeros((3, 4))), method="halpern", variant=variant)
        assert res.converged and res.residual <= 1e-12


def test_constrained_anchored_methods_say_no_rate_is_claimed():
    inst_vi = eq.VI(lambda z: z - 2.0, eq.Box(-1, 1, dim=3), L=1.0)
    res = eq.solve(inst_vi, method="halpern", variant="feg", tol=1e-9, max_iter=10_000)
    assert res.converged
    assert any("not claimed" in w for w in res.warnings)


def test_each_variant_states_its_own_rate():
    vi, _ = bilinear(3, 0)
    box = eq.VI(vi.operator, eq.Box(-1.0, 1.0, dim=6), L=vi.lipschitz)
    stated = {"feg": "||F(z_k)|| <= 2 L ||z_0 - z*|| / k",
              "eag": "||F(z_k)|| <= sqrt(260) L ||z_0 - z*|| / k",
              "halpern": "||F(u_k)|| <= L ||u_0 - u*|| / (k + 1)"}
    for variant, claim in stated.items():
        free = eq.solve(vi, method="halpern", variant=variant, tol=0, max_iter=3)
        assert free.info["rate"].startswith(claim) and free.info["variant"] == variant
        boxed = eq.solve(box, method="halpern", variant=variant, tol=0, max_iter=3)
        assert claim not in boxed.info["rate"]
    assert "no rate is claimed with constraints" in eq.solve(
        box, method="halpern", variant="eag", tol=0, max_iter=3).info["rate"]
