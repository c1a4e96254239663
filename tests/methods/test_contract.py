"""Contract tests over the method registry: every method on every zoo problem it supports.

Each registered method must converge on the problems it supports, report
``max_iter`` honestly, count operator evaluations exactly, keep the dtype and
certify exactly the point it returns.  A method that does not support a
problem must say so with a TypeError at configuration.
"""

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.problems import zoo

ALL = sorted(eq.METHODS)


class CountingArray(np.ndarray):
    """An ndarray that counts the matrix products taken with it (or its transpose)."""

    products = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            CountingArray.products += 1
        inputs = tuple(np.asarray(i) for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)


def problems():
    inst = zoo.affine_vi(12, seed=0, domain="box", mu=0.2)
    rng = np.random.default_rng(1)
    B = rng.normal(size=(5, 5))
    bilinear = eq.Saddle(lambda x, y: 0.3 * x + B @ y - 1.0, lambda x, y: B.T @ x - 0.3 * y, 5, 5,
                         L=float(np.linalg.norm(B, 2)) + 0.3)
    from eqsolve.problems import random_preferences

    return {
        "preference_game": eq.PreferenceGame(random_preferences(8, seed=3), 0.2),
        "matrix_game": zoo.random_matrix_game(12, 9, seed=2),
        "skewed_game": zoo.skewed_game()[0],
        "affine_vi_box": inst.problem,
        "bilinear_saddle": bilinear,
        "finite_sum_box": eq.FiniteSumVI.affine(
            np.stack([inst.M * (1 + 0.5 * np.sin(i)) for i in range(6)]),
            np.stack([inst.M @ -inst.solution + inst.q + 0.1 * np.cos(i + np.arange(12))
                      for i in range(6)]), eq.Box(-1.0, 1.0, dim=12)),
        # low SNR keeps L (which grows like 1/noise^2) small enough for fixed-step methods
        "power_control": zoo.rayleigh_power_control(4, 8, snr_db=-5.0, seed=0),
        # monotone (positive-definite symmetric part): the flows' certified step applies
        "quadratic_game": eq.QuadraticGame([[2.0, 1.0, 0.5], [-1.0, 1.5, 0.3], [-0.5, -0.3, 1.0]],
                                           [1.0, -2.0, 0.5], blocks=[1, 2]),
    }


def solve_or_skip(problem, method, **kw):
    try:
        return eq.solve(problem, method=method, **kw)
    except TypeError as exc:
        if "solves" in str(exc) or "needs" in str(exc):
            pytest.skip(f"{method} does not support {type(problem).__name__}: {exc}")
        raise


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("name", sorted(problems()))
def test_converges_and_certifies_the_returned_point(method, name):
    problem = problems()[name]
    res = solve_or_skip(problem, method, tol=1e-7, max_iter=200_000)
    assert res.converged, res
    assert res.residual <= 1e-7
    assert res.residual == problem.certify(res.z, point=res.certificate.point).value
    assert problem.domain.contains(res.z)


@pytest.mark.parametrize("method", ALL)
def test_max_iter_is_honest(method):
    game = zoo.random_matrix_game(20, seed=4)
    res = solve_or_skip(game, method, tol=1e-14, max_iter=3)
    assert res.status == "max_iter" and res.iterations == 3 and not res.converged
    assert res.residual == eq.certify(game, res.z).value


@pytest.mark.parametrize("method", ALL)
def test_operator_evaluations_are_counted_exactly(method):
    A = np.random.default_rng(3).uniform(-1, 1, size=(10, 7)).view(CountingArray)
    game = eq.MatrixGame(A)
    CountingArray.products = 0
    res = solve_or_skip(game, method, tol=1e-6, max_iter=5000)
    # one evaluation of F(x, y) = (-A y, A^T x) is two products
    assert CountingArray.products == 2 * (res.oracle_calls + res.certify_calls)


@pytest.mark.parametrize("method", ALL)
def test_float32_is_kept(method):
    game = zoo.random_matrix_game(9, 7, seed=5, dtype=np.float32)
    res = solve_or_skip(game, method, tol=1e-4, max_iter=50_000)
    assert res.converged
    assert res.z.dtype == np.float32


@pytest.mark.parametrize("method", ALL)
def test_caller_arrays_are_not_mutated(method):
    game = zoo.random_matrix_game(6, 5, seed=6)
    A0 = game.A.copy()
    x0 = (np.full(6, 1 / 6), np.full(5, 0.2))
    copies = [a.copy() for a in x0]
    solve_or_skip(game, method, x0=x0, tol=1e-6, max_iter=2000)
    assert np.array_equal(game.A, A0)
    assert all(np.array_equal(a, c) for a, c in zip(x0, copies))


def test_unsupported_problem_is_a_clear_type_error():
    inst = zoo.affine_vi(4, seed=0)
    with pytest.raises(TypeError, match="pdhg solves bilinear problems"):
        eq.solve(inst.problem, method="pdhg")
