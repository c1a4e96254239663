"""vr_halpern: agreement with the deterministic methods, full-pass certificates, seeds, counting."""

import numpy as np
import pytest

import eqsolve as eq


def strongly_monotone_sum(n=20, d=6, seed=0, box=True):
    """Affine components, mean strongly monotone (mu = 0.5); solution on [-1, 1]^d."""
    rng = np.random.default_rng(seed)
    K = rng.normal(size=(n, d, d))
    M = (K - K.transpose(0, 2, 1)) / np.sqrt(d) + rng.normal(size=(n, d, d)) * 0.3
    S = 0.5 * (M.mean(0) + M.mean(0).T)
    M += (0.5 - np.linalg.eigvalsh(S)[0]) * np.eye(d)
    q = 2.0 * rng.normal(size=(n, d))
    return eq.FiniteSumVI.affine(M, q, eq.Box(-1.0, 1.0, dim=d) if box else None), 0.5


def cocoercive_sum(n=30, d=5, seed=0):
    """Symmetric positive semidefinite components plus a ridge: cocoercive on average."""
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(n, d, d)) / np.sqrt(d)
    M = G @ G.transpose(0, 2, 1) + 0.05 * np.eye(d)
    return eq.FiniteSumVI.affine(M, rng.normal(size=(n, d)))


def counting_sum(n=12, d=4, seed=2):
    """A callable finite sum whose component evaluations are all counted."""
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(n, d, d)) / np.sqrt(d)
    M = G @ G.transpose(0, 2, 1) + 0.1 * np.eye(d)
    q = rng.normal(size=(n, d))
    count = [0]

    def batch(idx, z):
        count[0] += len(idx)
        return M[idx] @ z + q[idx]

    Q = np.einsum("nij,nik->jk", M, M) / n
    fs = eq.FiniteSumVI(lambda i, z: M[i] @ z + q[i], n, d, F_batch=batch,
                        L_avg=float(np.sqrt(np.linalg.eigvalsh(Q)[-1])) * 1.01)
    return fs, count


@pytest.mark.parametrize("variant", ["monotone", "cocoercive"])
def test_agrees_with_deterministic_halpern(variant):
    fs = cocoercive_sum() if variant == "cocoercive" else strongly_monotone_sum()[0]
    det = eq.solve(fs, method="halpern", tol=1e-10, max_iter=100_000)
    res = eq.solve(fs, method="vr_halpern", variant=variant, tol=1e-7, max_iter=200_000, seed=1)
    assert det.converged and res.converged, (det, res)
    assert res.info["variant"] == variant
    # the mean is strongly monotone (ridge / mu = 0.5): distance <= (1 + L)/mu * natural residual
    mu = 0.05 if variant == "cocoercive" else 0.5
    bound = (1 + fs.lipschitz) / mu * (res.residual + det.residual)
    assert np.linalg.norm(res.z - det.z) <= bound
    assert np.linalg.norm(res.z - det.z) < 1e-4


def test_default_variant_follows_the_problem_flags():
    assert eq.solve(cocoercive_sum(), method="vr_halpern", max_iter=3,
                    seed=0).info["variant"] == "cocoercive"
    # strongly monotone and Lipschitz components are cocoercive on average too
    assert strongly_monotone_sum()[0].cocoercivity is not None
    game = eq.FiniteSumVI.from_matrix_game(np.eye(3))  # skew operator: not cocoercive
    assert eq.solve(game, method="vr_halpern", max_iter=3, seed=0).info["variant"] == "monotone"


@pytest.mark.parametrize("variant", ["monotone", "cocoercive"])
def test_certificate_is_a_full_pass_at_the_returned_point(variant):
    fs = cocoercive_sum(seed=3)
    res = eq.solve(fs, method="vr_halpern", variant=variant, tol=1e-12, max_iter=60, seed=0,
                   check_every=7)
    assert res.residual == fs.certify(res.z, point=res.certificate.point).value
    # independent reference: the exact mean computed component by component
    Fz = np.mean([fs.components([i], res.z)[0] for i in range(fs.n_components)], axis=0)
    assert res.residual >= np.linalg.norm(Fz) * (1 - 1e-12)
    assert res.certify_calls >= 1
    assert res.info["certify_component_calls"] == res.certify_calls * fs.n_components


@pytest.mark.parametrize("variant", ["monotone", "cocoercive"])
def test_same_seed_same_iterates_other_seed_other_iterates(variant):
    fs, _ = strongly_monotone_sum(seed=4)
    kw = dict(method="vr_halpern", variant=variant, tol=1e-14, max_iter=40, check_every=5,
              step=0.05 if variant == "cocoercive" else None)
    kw = {k: v for k, v in kw.items() if v is not None}
    a = eq.solve(fs, seed=11, **kw)
    b = eq.solve(fs, seed=11, **kw)
    c = eq.solve(fs, seed=12, **kw)
    assert np.array_equal(a.z, b.z) and a.history["residual"] == b.history["residual"]
    assert a.info["component_calls"] == b.info["component_calls"]
    assert not np.array_equal(a.z, c.z)


@pytest.mark.parametrize("variant", ["monotone", "cocoercive"])
def test_component_evaluations_are_counted_exactly(variant):
    fs, count = counting_sum()
    res = eq.solve(fs, method="vr_halpern", variant=variant, tol=1e-14, max_iter=50, seed=0,
                   check_every=10, step=0.1 if variant == "cocoercive" else None)
    total = res.info["component_calls"] + res.info["certify_component_calls"]
    assert count[0] == total
    assert res.info["component_calls"] > fs.n_components * res.oracle_calls  # sampled ones too
    assert res.history["component_calls"][-1] == res.info["component_calls"]


def test_auto_checkpoints_keep_certification_a_small_share():
    fs = eq.FiniteSumVI.from_matrix_game(np.random.default_rng(0).uniform(-1, 1, (400, 400)))
    res = eq.solve(fs, method="vr_halpern", variant="cocoercive", tol=1e-12, max_iter=3000,
                   seed=0, step=1.0 / fs.lipschitz_avg)
    assert res.info["certify_component_calls"] <= 0.1 * res.info["component_calls"]


def _last_decade_slope(res):
    k = np.array(res.history["iteration"], float)
    r = np.array(res.history["residual"])
    keep = k >= k[-1] / 10
    return np.polyfit(np.log(k[keep]), np.log(r[keep]), 1)[0]


def test_algorithm_1_last_iterate_rate_is_one_over_k_on_a_cocoercive_sum():
    # theory: E||F(u_k)|| = O(1/k); measured slope over the last decade, averaged over seeds
    fs = cocoercive_sum(n=40, d=8, seed=5)
    slopes = [_last_decade_slope(eq.solve(fs, method="vr_halpern", variant="cocoercive",
                                          tol=0, max_iter=2000, check_every=20, seed=s,
                                          restart=False))
              for s in range(3)]
    assert np.mean(slopes) <= -1.0 + 0.25, slopes


def test_algorithm_2_residual_decays_at_least_like_one_over_k():
    fs, _ = strongly_monotone_sum(n=30, d=6, seed=6, box=False)
    res = eq.solve(fs, method="vr_halpern", variant="monotone", tol=0, max_iter=300,
                   check_every=3, seed=0, restart=False)
    assert _last_decade_slope(res) <= -1.0 + 0.25


def test_matrix_game_split_is_solved_and_warns_about_cocoercivity():
    A = np.array([[3.0, -1.0, 4.0], [-2.0, 1.0, 3.0]])
    fs = eq.FiniteSumVI.from_matrix_game(A)
    res = eq.solve(fs, method="vr_halpern", variant="monotone", tol=1e-6, max_iter=20_000, seed=0)
    assert res.converged
    assert abs(res.z[:2] @ A @ res.z[2:] - 1 / 7) < 1e-4
    res1 = eq.solve(fs, method="vr_halpern", variant="cocoercive", max_iter=50, seed=0)
    assert any("cocoercive on average" in w for w in res1.warnings)


def test_divergence_is_reported():
    fs = cocoercive_sum(seed=7)
    res = eq.solve(fs, method="vr_halpern", variant="cocoercive", step=1e6, max_iter=2000,
                   seed=0, check_every=1)
    assert res.status == "diverged"
    assert np.all(np.isfinite(res.z)) and np.isfinite(res.residual)


def test_caller_arrays_are_not_mutated():
    fs, _ = strongly_monotone_sum(seed=8)
    x0 = np.full(fs.dim, 0.25)
    keep = x0.copy()
    for variant in ("monotone", "cocoercive"):
        eq.solve(fs, method="vr_halpern", variant=variant, x0=x0, max_iter=20, seed=0)
    assert np.array_equal(x0, keep)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"variant": "svrg"}, ValueError, "variant must be one of"),
    ({"batch": 0}, ValueError, r"batch must lie in \[1, n\]"),
    ({"batch": 2.5}, TypeError, "batch must be an integer"),
    ({"step": -1.0}, ValueError, "step must be > 0"),
    ({"inner_step": 0.0}, ValueError, "inner_step must be > 0"),
    ({"inner_factor": float("nan")}, ValueError, "inner_factor must be a number"),
    ({"seed": "a"}, TypeError, "seed must be an int"),
    ({"seed": -3}, ValueError, "seed must be >= 0"),
    ({"stepsize": 1.0}, TypeError, "stepsize"),
])
def test_bad_options_are_refused_clearly(kwargs, exc, match):
    fs, _ = strongly_monotone_sum()
    with pytest.raises(exc, match=match):
        eq.solve(fs, method="vr_halpern", **kwargs)


def test_needs_a_finite_sum_and_its_constants():
    with pytest.raises(TypeError, match="vr_halpern needs a finite-sum problem"):
        eq.solve(eq.zoo.random_matrix_game(4, seed=0), method="vr_halpern")
    bare = eq.FiniteSumVI(lambda i, z: z - i, 3, 2)
    with pytest.raises(ValueError, match="give the FiniteSumVI L_avg="):
        eq.solve(bare, method="vr_halpern")
    res = eq.solve(bare, method="vr_halpern", step=0.5, tol=1e-8, max_iter=5000, seed=0)
    assert res.converged and np.allclose(res.z, 1.0, atol=1e-7)
    assert any("has no L_avg" in w for w in res.warnings)
