"""Contract tests over the method registry: every method on every zoo problem it supports.

Each registered method must converge on the problems it supports (``supports``), report
``max_iter`` honestly, count operator evaluations exactly, keep the dtype and
certify exactly the point it returns.  A method that does not support a
problem must say so with a TypeError at configuration.
"""

from fractions import Fraction

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

    lp_rng = np.random.default_rng(5)
    A_lp = lp_rng.normal(size=(4, 6))
    x_lp = lp_rng.uniform(0.2, 1.0, size=6)
    K_bs = lp_rng.normal(size=(4, 3))
    return {
        "linear_program": eq.LinearProgram(lp_rng.normal(size=6), A_ub=A_lp[:3],
                                           b_ub=A_lp[:3] @ x_lp + 0.5, A_eq=A_lp[3:],
                                           b_eq=A_lp[3:] @ x_lp, bounds=(0.0, 2.0)),
        "bilinear_saddle_terms": eq.BilinearSaddle(
            K_bs, eq.Box(-1.0, 1.0, dim=3), eq.Simplex(4),
            f=eq.quadratic(np.array([0.5, 1.0, 0.2]), lp_rng.normal(size=3)),
            g=eq.linear(lp_rng.normal(size=4))),
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
        "extensive_form": zoo.random_tree_game(seed=7, depth=4),
        "quadratic_game": eq.QuadraticGame([[2.0, 1.0, 0.5], [-1.0, 1.5, 0.3], [-0.5, -0.3, 1.0]],
                                           [1.0, -2.0, 0.5], blocks=[1, 2]),
    }


def exact_gap(problem, x, y):
    """The duality gap (Nash gap) of an exact profile, in rational arithmetic from the payoffs."""
    A = [[Fraction(float(v)) for v in row] for row in np.asarray(problem.A)]
    B = ([[-v for v in row] for row in A] if isinstance(problem, eq.MatrixGame)
         else [[Fraction(float(v)) for v in row] for row in np.asarray(problem.B)])
    Ay = [sum(a * b for a, b in zip(row, y)) for row in A]
    xB = [sum(x[i] * B[i][j] for i in range(len(x))) for j in range(len(y))]
    return (max(Ay) - sum(a * b for a, b in zip(x, Ay))) + \
        (max(xB) - sum(a * b for a, b in zip(xB, y)))


def check_certificate(problem, res):
    """The residual certifies the returned point: the float certificate of ``z``, or, for an
    exact method, the exact gap of ``res.exact`` (recomputed here in rationals), with the
    float certificate of ``z`` (its rounding) in the details."""
    if res.exact is None:
        assert res.residual == problem.certify(res.z, point=res.certificate.point).value
        return
    x, y = res.exact
    assert sum(x) == 1 and sum(y) == 1 and min(x + y) >= 0
    assert Fraction(res.residual) >= exact_gap(problem, x, y) == res.certificate.details["exact_gap"]
    assert np.array_equal(res.z, np.array([float(v) for v in x + y], dtype=res.z.dtype))
    fc = res.certificate.details["float_certificate"]
    assert fc.value == problem.certify(res.z, point=fc.point).value


def solve_or_skip(problem, method, **kw):
    why = eq.METHODS[method].supports(problem)
    if why is not None:
        pytest.skip(f"{method} does not take {type(problem).__name__}: {why}")
    return eq.solve(problem, method=method, **kw)


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("name", sorted(problems()))
def test_converges_and_certifies_the_returned_point(method, name):
    problem = problems()[name]
    res = solve_or_skip(problem, method, tol=1e-7, max_iter=200_000)
    assert res.converged, res
    assert res.residual <= 1e-7
    check_certificate(problem, res)
    assert problem.domain.contains(res.z)


@pytest.mark.parametrize("method", ALL)
def test_max_iter_is_honest(method):
    game = zoo.random_matrix_game(20, seed=4)
    res = solve_or_skip(game, method, tol=1e-14, max_iter=3)
    if res.exact is not None and res.converged:
        # an exact method that ended within max_iter: it proved an exact solution
        assert res.residual == 0.0 and res.iterations <= 3
        check_certificate(game, res)
        return
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
    with pytest.raises(TypeError, match="pdhg solves bilinear saddle problems.*methods that take a VI: "
                                        ".*extragradient"):
        eq.solve(inst.problem, method="pdhg")


# -- every method on a problem of its own ------------------------------------------------
# Each method runs the registry-wide checks on the first problem of ORDER it takes
# (with default options), so no method skips them.
ORDER = ["matrix_game", "preference_game", "power_control", "finite_sum_box", "quadratic_game",
         "bilinear_saddle", "affine_vi_box", "extensive_form"]


def own_problem(method):
    for name in ORDER:
        problem = problems()[name]
        if eq.METHODS[method].supports(problem) is None:
            return name, problem
    raise AssertionError(f"{method} takes none of the contract problems")


def counted(name, problem):
    """``(problem, count)``: the problem with its evaluations counted, and the counter.

    The count is in the units of ``oracle_calls``: operator evaluations, matrix-product
    pairs, preference queries, or single-user best responses.
    """
    calls = [0]
    if name == "matrix_game":
        A = np.asarray(problem.A).view(CountingArray)
        CountingArray.products = 0
        game = eq.MatrixGame(A)
        return game, lambda: CountingArray.products / 2
    if name == "extensive_form":
        # products with A and A^T (half an evaluation each) make every evaluation
        for attr in ("matvec", "rmatvec"):
            def product(v, inner=getattr(problem, attr)):
                calls[0] += 0.5
                return inner(v)

            setattr(problem, attr, product)
        return problem, lambda: calls[0]
    if name == "preference_game":
        inner = problem.preference_of

        def preference_of(pi):
            calls[0] += 1
            return inner(pi)

        problem.preference_of = preference_of
    elif name == "power_control":
        # every sweep of best responses (and every certificate) forms the interference once
        inner = problem.interference

        def interference(p, *args, **kwargs):
            calls[0] += problem.Q
            return inner(p, *args, **kwargs)

        problem.interference = interference
    else:
        inner = problem.operator

        def operator(z):
            calls[0] += 1
            return inner(z)

        problem.operator = operator
    return problem, lambda: calls[0]


@pytest.mark.parametrize("method", ALL)
def test_every_method_runs_the_contract_on_its_own_problem(method):
    name, problem = own_problem(method)
    res = eq.solve(problem, method=method, tol=1e-14, max_iter=3)
    if res.exact is not None and res.converged:
        assert res.residual == 0.0 and res.iterations <= 3   # an exact method that ended
    else:
        assert res.status == "max_iter" and res.iterations == 3 and not res.converged
    check_certificate(problem, res)
    assert problem.domain.contains(res.z)


@pytest.mark.parametrize("method", ALL)
def test_every_method_counts_its_evaluations_exactly(method):
    name, problem = own_problem(method)
    problem, count = counted(name, problems()[name])
    res = eq.solve(problem, method=method, tol=1e-6, max_iter=300)
    assert count() == res.oracle_calls + (problem.Q if name == "power_control" else 1) * \
        res.certify_calls


@pytest.mark.parametrize("method", ALL)
def test_every_method_takes_a_float32_start_and_leaves_inputs_alone(method):
    name, problem = own_problem(method)
    z0 = problem.initial_point()
    z32 = np.asarray(z0, dtype=np.float32)
    before = z32.copy()
    try:
        res = eq.solve(problem, method=method, x0=z32, tol=1e-3, max_iter=200)
    except (TypeError, ValueError) as exc:  # a problem built from float64 data may refuse
        pytest.fail(f"{method} on {name} refused a float32 start: {exc}")
    assert np.array_equal(z32, before)
    assert np.all(np.isfinite(res.z))


def test_a_callback_that_solves_again_leaves_the_outer_solve_unchanged():
    """Nothing about a solve lives on the registered method: nested solves do not interfere."""
    pref = problems()["preference_game"]
    game = problems()["matrix_game"]

    def meddle(progress):
        eq.solve(pref, method="nash_mp", tol=1e-3, max_iter=20)  # samples=None
        eq.solve(game, method="pdhg", variant="adaptive", tol=1e-3)
        eq.solve(game, method="mirror_prox", step=0.01, adaptive=False, max_iter=5)
        return False

    for method, problem, options in [("nash_mp", pref, dict(samples=20, seed=1)),
                                     ("pdhg", game, {}), ("mirror_prox", game, {})]:
        plain = eq.solve(problem, method=method, tol=1e-8, max_iter=400, **options)
        nested = eq.solve(problem, method=method, tol=1e-8, max_iter=400, callback=meddle,
                          **options)
        assert np.array_equal(plain.z, nested.z), method
        assert plain.residual == nested.residual and plain.iterations == nested.iterations
        assert plain.oracle_calls == nested.oracle_calls


def test_a_configured_method_is_immutable_and_reusable():
    import dataclasses

    game = problems()["matrix_game"]
    m = eq.METHODS["pdhg"].configure(game, variant="adaptive", primal_weight=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.omega = 3.0
    a, b = eq.solve(game, method=m, tol=1e-8), eq.solve(game, method=m, tol=1e-8)
    assert np.array_equal(a.z, b.z) and a.iterations == b.iterations


def test_supports_names_the_methods_that_do():
    from eqsolve.methods import Unsupported

    inst = zoo.affine_vi(4, seed=0)
    assert eq.METHODS["pdhg"].supports(inst.problem) is not None
    assert eq.METHODS["extragradient"].supports(inst.problem) is None
    with pytest.raises(Unsupported, match="methods that take a VI: .*extragradient.*halpern"):
        eq.METHODS["water_filling"].configure(inst.problem)
