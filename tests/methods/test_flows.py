"""Certified flows: projected Euler and RK4 against the Small-Gain bounds (measured <= theory)."""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo


def toy(c=(1.0, -2.0), domains=None):
    return eq.QuadraticGame([[1.0, 10.0], [0.05, 1.0]], list(c), blocks=[1, 1], domains=domains)


@pytest.mark.parametrize("method", ["projected_euler", "rk4"])
def test_flows_reach_the_exact_equilibrium_of_a_nonmonotone_game(method):
    g = toy()
    sol = np.linalg.solve(g.J, -g.c)
    res = eq.solve(g, method=method, tol=1e-10, max_iter=20_000)
    assert res.converged and res.warnings == []
    assert res.residual == eq.certify(g, res.z).value
    sg = res.info["small_gain"]
    assert sg["holds"] and sg["ball_inside_region"]
    assert np.linalg.norm(res.z - sol) <= sg["distance_bound_euclidean"]
    assert res.certificate.details["distance_bound"] == sg["distance_bound_euclidean"]


def test_euler_contracts_at_most_at_the_certified_factor_per_iteration():
    g = zoo.sgn_lq_game(1.2, d=16)
    cert = eq.small_gain(g)
    q = cert.euler_factor()
    x = np.random.default_rng(0).normal(size=16)
    res = eq.solve(g, method="projected_euler", x0=x, tol=0, max_iter=300, check_every=1,
                   restart=False)
    assert res.info["certified_factor"] == pytest.approx(q)
    # on a linear unconstrained game F(x_k) = J (x_k - x*) and both contract in M
    traj = [x]
    for _ in range(300):
        traj.append(traj[-1] - cert.euler_step * (g.J @ traj[-1]))
    d = np.array([cert.metric_norm(z) for z in traj])
    assert np.all(d[1:] <= q * d[:-1] * (1 + 1e-12))
    # the solve returns the best-certified iterate (the Euclidean ||F|| need not decrease)
    assert np.allclose(res.z, traj[res.info["certified_iteration"]])


def test_projected_euler_solves_a_constrained_game_and_bounds_the_distance():
    dom = [eq.Box(-1, 1, dim=1), eq.Box(-0.5, 0.5, dim=1)]
    g = toy((3.0, -2.0), domains=dom)
    region = [eq.Box(-3, 3, dim=1), eq.Box(-2, 2, dim=1)]
    res = eq.solve(g, method="projected_euler", region=region, tol=1e-12, max_iter=50_000)
    assert res.converged and g.domain.contains(res.z)
    # reference: enumerate the active sets (each coordinate at its lower or upper bound or
    # free), solve the linear system on the free ones, keep the zero-residual point
    import itertools

    lo, hi = np.array([-1.0, -0.5]), np.array([1.0, 0.5])
    refs = []
    for act in itertools.product((0, 1, 2), repeat=2):
        z = np.where(np.array(act) == 0, lo, hi)
        free = np.array(act) == 2
        if free.any():
            rhs = -(g.c[free] + g.J[np.ix_(free, ~free)] @ z[~free])
            z[free] = np.linalg.solve(g.J[np.ix_(free, free)], rhs)
        if g.domain.contains(z) and np.linalg.norm(z - g.domain.project(z - g.operator(z))) < 1e-12:
            refs.append(z)
    assert len(refs) == 1  # certified contraction: unique equilibrium
    ref = refs[0]
    sg = res.info["small_gain"]
    assert sg["holds"] and np.linalg.norm(res.z - ref) <= sg["distance_bound_euclidean"] + 1e-12


def test_the_bound_is_withheld_when_its_ball_leaves_the_region():
    g = toy((0.0, 0.0))
    cert = eq.small_gain(g, [eq.Box(-1, 1, dim=1), eq.Box(-1, 1, dim=1)])
    out = cert.distance_bound(np.array([0.9, 0.0]))
    assert not out["holds"] and not out["ball_inside_region"] and "leaves the region" in out["why"]
    assert cert.distance_bound(np.array([1e-6, 0.0]))["holds"]


def test_natural_gradient_flow_on_the_markov_game_in_fisher_geometry():
    g = zoo.sgn_markov_game()
    start = np.array([3.0, -2.0, 3.0, -2.0])
    star = eq.solve(g, method="projected_euler", geometry="metric", step=0.05, x0=start,
                    tol=1e-11, max_iter=20_000)
    assert star.converged
    z = star.z
    region = [eq.Box(z[:2] - 0.1, z[:2] + 0.1), eq.Box(z[2:] - 0.1, z[2:] + 0.1)]
    cert = eq.small_gain(g, region, geometry="metric")
    assert cert.verdict == "empirical" and cert.alpha > 0  # a point-dependent metric
    x0 = z + np.array([0.05, -0.05, 0.08, 0.02])
    npg = eq.solve(g, method="projected_euler", certificate=cert, x0=x0, tol=1e-9, max_iter=5000)
    pg = eq.solve(g, method="projected_euler", step=npg.info["step"], x0=x0, tol=1e-9,
                  max_iter=npg.iterations)
    assert npg.converged and npg.info["geometry"] == "metric"
    assert not pg.converged  # Euclidean PG at the same step is far slower near this point
    assert any("empirical" in w for w in npg.warnings)
    assert g.kl_lyapunov(npg.z, z, cert.weights) < g.kl_lyapunov(pg.z, z, cert.weights)


def test_flows_refuse_what_they_cannot_certify():
    with pytest.raises(TypeError, match="needs step="):
        eq.solve(zoo.affine_vi(4, seed=0).problem, method="projected_euler")
    with pytest.raises(ValueError, match="not certified on the region"):
        eq.solve(eq.QuadraticGame([[1.0, 10.0], [1.0, 1.0]], blocks=[1, 1]), method="rk4")
    with pytest.raises(ValueError, match="x0 lies outside the certified region"):
        eq.solve(toy(), method="projected_euler", region=[eq.Box(-1, 1, dim=1)] * 2, x0=[2.0, 0.0])
    with pytest.raises(ValueError, match="different game"):
        eq.solve(toy(), method="projected_euler", certificate=eq.small_gain(toy()))
    with pytest.raises(ValueError, match="certify with the same geometry"):
        g = zoo.sgn_markov_game()
        eq.solve(g, method="projected_euler", geometry="metric",
                 certificate=eq.small_gain(g, [eq.Box(-0.1, 0.1, dim=2)] * 2))
    with pytest.raises(TypeError, match="unexpected keyword"):
        eq.solve(toy(), method="projected_euler", stepsize=0.1)
    with pytest.raises(ValueError, match="needs an unconstrained game"):
        eq.solve(toy(domains=[eq.Box(-1, 1, dim=1)] * 2), method="rk4", geometry="metric")
    with pytest.raises(TypeError, match="needs a DifferentiableGame"):
        eq.solve(zoo.affine_vi(4, seed=0).problem, method="rk4", step=0.1, region=[])


def test_generic_vi_with_a_user_step_runs_and_says_it_is_uncertified():
    inst = zoo.affine_vi(6, seed=1, mu=0.5)
    res = eq.solve(inst.problem, method="projected_euler", step=0.5 / inst.L ** 2, tol=1e-8,
                   max_iter=100_000)
    assert res.converged and np.allclose(res.z, inst.solution, atol=1e-6)
    assert any("no contraction is certified" in w for w in res.warnings)


def test_uncertified_steps_are_warned_and_divergence_is_reported():
    g = toy()
    res = eq.solve(g, method="projected_euler", step=3.0, max_iter=2000)
    assert res.status == "diverged"
    assert any("outside the certified Euler range" in w for w in res.warnings)
    res = eq.solve(g, method="rk4", step=1.5, max_iter=10)
    assert any("outside the rigorous RK4 range" in w for w in res.warnings)
    g2 = eq.QuadraticGame([[1.0, 10.0], [1.0, 1.0]], blocks=[1, 1])
    res = eq.solve(g2, method="projected_euler", step=0.1, x0=[0.1, 0.0], max_iter=10_000)
    assert res.status == "diverged" and any("not certified" in w for w in res.warnings)


def test_a_degenerating_fisher_metric_is_reported_as_divergence():
    g = zoo.sgn_markov_game()
    res = eq.solve(g, method="projected_euler", geometry="metric", step=5.0,
                   x0=np.array([3.0, -2.0, 3.0, -2.0]), tol=1e-14, max_iter=2000)
    assert res.status == "diverged" and np.all(np.isfinite(res.z))
