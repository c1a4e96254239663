"""The shared driver: statuses, limits, callbacks, oracle counting, history, outputs."""

import time

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo

METHODS = ["extragradient", "mirror_prox"]


class CountingF:
    def __init__(self, F):
        self.F, self.calls = F, 0

    def __call__(self, z):
        self.calls += 1
        return self.F(z)


@pytest.mark.parametrize("method", METHODS)
def test_max_iter_is_reported_honestly(method):
    game = zoo.random_matrix_game(30, seed=1)
    res = eq.solve(game, method=method, tol=1e-12, max_iter=7)
    assert res.status == "max_iter" and not res.converged
    assert res.iterations == 7
    assert res.residual > 1e-12
    assert res.residual == eq.certify(game, res.z).value
    assert "max_iter" in res.message


@pytest.mark.parametrize("method", METHODS)
def test_oracle_calls_are_counted_exactly(method):
    inst = zoo.affine_vi(10, seed=2)
    F = CountingF(inst.F)
    vi = eq.VI(F, inst.problem.domain, L=inst.L)
    res = eq.solve(vi, method=method, tol=1e-8)
    assert res.converged
    assert F.calls == res.oracle_calls + res.certify_calls
    # two evaluations per iteration plus one per backtrack plus the start
    assert res.oracle_calls == 2 * res.iterations + res.info["backtracks"] + 1


def test_fixed_step_uses_exactly_two_calls_per_iteration():
    inst = zoo.affine_vi(10, seed=2)
    res = eq.solve(inst.problem, method="extragradient", adaptive=False, tol=1e-14, max_iter=50)
    assert res.oracle_calls == 2 * 50 + 1
    assert res.info["backtracks"] == 0


def test_time_limit():
    game = zoo.random_matrix_game(200, seed=0)
    t = time.perf_counter()
    res = eq.solve(game, method="mirror_prox", tol=0, max_iter=10**7, time_limit=0.3)
    assert time.perf_counter() - t < 3.0
    assert res.status == "time_limit"
    assert res.residual == eq.certify(game, res.z).value


def test_callback_receives_progress_and_can_stop():
    seen = []

    def cb(p):
        seen.append(p)
        return p.iteration >= 20

    res = eq.solve(zoo.random_matrix_game(20, seed=0), tol=1e-14, callback=cb, check_every=5)
    assert res.status == "stopped"
    assert [p.iteration for p in seen] == [5, 10, 15, 20]
    assert all(p.residual == p.certificate.value for p in seen)
    assert res.iterations == 20


def test_history_is_recorded_at_checkpoints():
    res = eq.solve(zoo.random_matrix_game(40, seed=0), method="extragradient", tol=1e-6,
                   max_iter=100_000)
    h = res.history
    assert h["iteration"][0] == 0 and h["iteration"][-1] == res.iterations
    assert np.all(np.diff(h["iteration"]) > 0)
    assert np.all(np.diff(h["elapsed"]) >= 0)
    assert np.all(np.diff(h["oracle_calls"]) >= 0)
    assert h["residual"][-1] == res.residual
    # the automatic interval keeps certification cheap (a few % of the work)
    assert res.certify_calls <= 0.1 * res.oracle_calls + 50


@pytest.mark.parametrize("output", ["last", "average"])
def test_output_selects_the_certified_point(output):
    game = zoo.random_matrix_game(15, seed=3)
    res = eq.solve(game, method="mirror_prox", output=output, tol=1e-14, max_iter=200)
    assert res.certificate.point == output
    assert res.residual == eq.certify(game, res.z).value


def test_best_output_returns_the_better_point():
    game = zoo.random_matrix_game(15, seed=3)
    kw = dict(method="mirror_prox", adaptive=False, tol=1e-14, max_iter=300, check_every=300)
    last = eq.solve(game, output="last", **kw).residual
    avg = eq.solve(game, output="average", **kw).residual
    assert eq.solve(game, **kw).residual == min(last, avg)


def test_diverging_iterates_return_last_finite_point():
    # F(z) = -z is anti-monotone: a fixed-step extragradient expands by 3x per step
    vi = eq.VI(lambda z: -z, eq.Reals(2), L=1.0)
    res = eq.solve(vi, x0=np.array([1.0, -1.0]), method="extragradient", adaptive=False,
                   step=1.0, tol=1e-8, max_iter=10_000)
    assert res.status == "diverged"
    assert np.all(np.isfinite(res.z))
    assert np.isfinite(res.residual)
    assert res.residual == eq.certify(vi, res.z).value


def test_nan_from_operator_is_diverged_not_an_answer():
    def F(z):
        return z - 3.0 if z[0] < 1.0 else np.full_like(z, np.nan)

    res = eq.solve(eq.VI(F, eq.Reals(1)), x0=np.array([0.0]), method="extragradient",
                   step=0.5, adaptive=False, check_every=1)
    assert res.status == "diverged"
    assert np.isfinite(res.residual) and np.all(np.isfinite(res.z))


def test_step_collapse_is_stalled():
    # F = sign(z) is monotone but not Lipschitz: backtracking cannot settle at 0
    vi = eq.VI(lambda z: np.sign(z - 0.3), eq.Reals(1))
    res = eq.solve(vi, x0=np.array([0.0]), method="extragradient", tol=1e-3, max_iter=5000)
    assert res.status in ("stalled", "max_iter")
    assert not res.converged
    assert res.residual == eq.certify(vi, res.z).value


def test_fixed_step_above_one_over_L_is_flagged():
    inst = zoo.affine_vi(5, seed=0)
    res = eq.solve(inst.problem, method="extragradient", step=2.0 / inst.L, adaptive=False,
                   max_iter=10)
    assert any("exceeds 1/L" in w for w in res.warnings)
    res = eq.solve(inst.problem, method="extragradient", step=0.5 / inst.L, adaptive=False,
                   max_iter=10)
    assert not res.warnings


def test_start_point_at_solution_returns_immediately():
    res = eq.solve(zoo.rock_paper_scissors(), tol=1e-12)
    assert res.converged and res.iterations == 0


def test_x0_is_not_mutated_and_tuple_start_works(rng):
    game = zoo.random_matrix_game(5, 4, seed=0)
    x0, y0 = np.full(5, 0.2), np.full(4, 0.25)
    A0, x0c, y0c = game.A.copy(), x0.copy(), y0.copy()
    res = eq.solve(game, x0=(x0, y0), tol=1e-9)
    assert res.converged
    assert np.array_equal(game.A, A0) and np.array_equal(x0, x0c) and np.array_equal(y0, y0c)


def test_progress_bar_runs(capsys):
    res = eq.solve(zoo.random_matrix_game(10, seed=0), tol=1e-8, progress=True)
    assert res.converged


def test_result_summary_and_dict():
    res = eq.solve(zoo.random_matrix_game(6, seed=0), tol=1e-4)
    s = res.summary()
    assert "converged" in s and "duality_gap" in s
    d = res.to_dict()
    assert d["status"] == "converged" and len(d["x"]) == 6
    import json

    json.dumps(d)


def test_default_method_is_chosen_by_the_problem_class():
    assert eq.solve(zoo.random_matrix_game(30, seed=0), tol=1e-8).method == "pdhg"
    inst = zoo.affine_vi(5, seed=0)
    assert eq.solve(inst.problem, tol=1e-8).method == "extragradient"
    assert eq.solve(zoo.prisoners_dilemma(), tol=1e-8).method == "extragradient"
    for name, problem in [("matrix", zoo.random_matrix_game(30, seed=0)), ("vi", inst.problem)]:
        assert problem.default_method in eq.METHODS, name
