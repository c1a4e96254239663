"""Every bad input a user can give solve / certify / the problem constructors.

Each case asserts the exception type *and* a message naming the argument, so
that a check which fires for the wrong reason (or a crash deep in the
numerics) fails the test.
"""

import math
import re

import numpy as np
import pytest

import eqsolve as eq
from eqsolve.domains import Box, Reals, Simplex

A23 = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])


def game():
    return eq.MatrixGame(A23.copy())


def bimatrix():
    return eq.BimatrixGame(A23.copy(), -0.5 * A23)


def box_vi(**kw):
    return eq.VI(lambda z: z - 2.0, Box(0.0, 1.0, dim=2), **kw)


# --------------------------------------------------------------------------
# payoff matrices
# --------------------------------------------------------------------------

BAD_MATRICES = [
    ("nan", np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, r"A contains 1 NaN entries"),
    ("two_nans", np.array([[np.nan, np.nan], [0.0, 1.0]]), ValueError, r"A contains 2 NaN entries"),
    ("inf", np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, r"A contains infinite entries"),
    ("-inf", np.array([[1.0, 0.0], [-np.inf, 1.0]]), ValueError, r"A contains infinite entries"),
    ("nan_list", [[1.0, float("nan")]], ValueError, r"A contains 1 NaN"),
    ("1d", np.array([1.0, 2.0, 3.0]), ValueError,
     r"A must be a matrix \(m, n\) or a stack of matrices \(B, m, n\), got an array with shape \(3,\)"),
    ("4d", np.ones((2, 2, 2, 2)), ValueError,
     r"A must be a matrix \(m, n\) or a stack.*got an array with shape \(2, 2, 2, 2\)"),
    ("0d", np.float64(3.0), ValueError, r"A must be a matrix \(m, n\) or a stack"),
    ("empty_rows", np.zeros((0, 3)), ValueError, r"A must not be empty, got shape \(0, 3\)"),
    ("empty_cols", np.zeros((3, 0)), ValueError, r"A must not be empty, got shape \(3, 0\)"),
    ("empty_list", [[]], ValueError, r"A must not be empty"),
    ("complex", np.array([[1.0 + 0j, 2.0], [0.0, 1.0]]), TypeError, r"A must be real, got complex dtype"),
    ("complex_list", [[1j, 0.0]], TypeError, r"A must be real"),
    ("object", np.array([[1.0, None], [0.0, 1.0]], dtype=object), TypeError, r"A must contain real numbers, got dtype object"),
    ("object_numbers", np.array([[1.0, 2.0]], dtype=object), TypeError, r"A must contain real numbers"),
    ("str_array", np.array([["a", "b"], ["c", "d"]]), TypeError, r"A must contain real numbers, got dtype <U1"),
    ("bytes_array", np.array([[b"a", b"b"]]), TypeError, r"A must contain real numbers, got dtype \|S1"),
    ("str_list", [["1", "2"], ["3", "4"]], TypeError, r"A must contain real numbers"),
    ("str", "[[1, 2], [3, 4]]", TypeError, r"A must be an array of real numbers, got str"),
    ("dict", {"a": 1}, TypeError, r"A must be an array of real numbers, got dict"),
    ("ragged", [[1.0, 2.0], [3.0]], TypeError, r"A must be an array of real numbers"),
    ("none", None, TypeError, r"A is required, got None"),
]


@pytest.mark.parametrize("A,exc,match", [c[1:] for c in BAD_MATRICES], ids=[c[0] for c in BAD_MATRICES])
def test_matrix_game_rejects_bad_A(A, exc, match):
    with pytest.raises(exc, match=match):
        eq.MatrixGame(A)


@pytest.mark.parametrize("A,exc,match", [c[1:] for c in BAD_MATRICES], ids=[c[0] for c in BAD_MATRICES])
def test_bimatrix_game_rejects_bad_A_and_B(A, exc, match):
    # a bimatrix game takes no batch: its payoffs must be 2-d
    match = re.sub(r"\\\(m, n\\\) or a stack( of matrices \\\(B, m, n\\\))?", r"\\(2-d\\)", match)
    good = np.ones((2, 2))
    with pytest.raises(exc, match=match):
        eq.BimatrixGame(A, good)
    assert match.startswith("A ")
    with pytest.raises(exc, match="B " + match[2:]):  # B is checked before the shapes are compared
        eq.BimatrixGame(good, A)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 2)), ((2, 3), (2, 2)), ((1, 4), (4, 1))])
def test_bimatrix_shapes_must_agree(shapes):
    sa, sb = shapes
    with pytest.raises(ValueError, match=rf"A and B must have the same shape, got \({sa[0]}, {sa[1]}\) and \({sb[0]}, {sb[1]}\)"):
        eq.BimatrixGame(np.ones(sa), np.ones(sb))


def test_bimatrix_needs_B():
    with pytest.raises(TypeError, match="B"):
        eq.BimatrixGame(np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"B is required, got None"):
        eq.BimatrixGame(np.ones((2, 2)), None)


@pytest.mark.parametrize("A", [
    np.array([[3, -1], [-2, 1]]),                       # int64
    np.array([[3, -1], [-2, 1]], dtype=np.int8),
    np.array([[3, 0], [0, 1]], dtype=np.uint8),
    [[3, -1], [-2, 1]],                                 # list of lists of ints
    [[3.0, -1.0], [-2.0, 1.0]],                         # list of lists of floats
    ((3.0, -1.0), (-2.0, 1.0)),                         # tuple of tuples
])
def test_integer_and_nested_list_A_accepted(A):
    g = eq.MatrixGame(A)
    assert isinstance(g.A, np.ndarray)
    assert g.A.dtype == np.float64
    np.testing.assert_array_equal(g.A, np.asarray(A, dtype=np.float64))
    res = eq.solve(g, tol=1e-9)
    assert res.converged
    expected = np.asarray(A, dtype=np.float64)
    # value of the 2x2 game by the closed form (no saddle point in these instances)
    (a, b), (c, d) = expected
    if max(min(a, b), min(c, d)) < min(max(a, c), max(b, d)):
        v = (a * d - b * c) / (a + d - b - c)
        assert abs(res.value - v) <= res.residual + 1e-12


def test_bool_A_is_converted():
    g = eq.MatrixGame(np.array([[True, False], [False, True]]))
    assert g.A.dtype == np.float64
    np.testing.assert_array_equal(g.A, np.eye(2))


# --------------------------------------------------------------------------
# solve: the problem and the method
# --------------------------------------------------------------------------


@pytest.mark.parametrize("problem,kind", [
    (A23, "ndarray"), (A23.tolist(), "list"), (None, "NoneType"), (lambda z: z, "function"),
    (Simplex(3), "Simplex"),
])
def test_solve_needs_a_problem(problem, kind):
    with pytest.raises(TypeError, match=rf"problem must be an eqsolve problem.*got {kind}.*MatrixGame\(A\)"):
        eq.solve(problem)


@pytest.mark.parametrize("problem", [A23, None, "game"])
def test_certify_needs_a_problem(problem):
    with pytest.raises(TypeError, match=r"problem must be an eqsolve problem.*MatrixGame"):
        eq.certify(problem, np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]))


@pytest.mark.parametrize("method", ["mirrorprox", "Mirror_Prox", "", "newton", "extragradient "])
def test_unknown_method_lists_valid_ones(method):
    with pytest.raises(ValueError, match=r"unknown method") as info:
        eq.solve(game(), method=method)
    msg = str(info.value)
    assert repr(method) in msg
    assert "mirror_prox" in msg and "extragradient" in msg


@pytest.mark.parametrize("method", [3, ["mirror_prox"]])
def test_method_must_be_a_string(method):
    with pytest.raises(TypeError, match=r"method must be a string"):
        eq.solve(game(), method=method)


def test_method_none_means_the_problem_default():
    assert eq.solve(game(), method=None, tol=1e-6).method == game().default_method


# --------------------------------------------------------------------------
# solve: driver arguments
# --------------------------------------------------------------------------

DRIVER_CASES = [
    (dict(tol=-1e-6), ValueError, r"tol must be >= 0"),
    (dict(tol=float("nan")), ValueError, r"tol must be a number, got NaN"),
    (dict(tol=np.nan), ValueError, r"tol must be a number, got NaN"),
    (dict(tol=math.inf), ValueError, r"tol must be finite"),
    (dict(tol="1e-6"), TypeError, r"tol must be a real number, got str"),
    (dict(tol=None), TypeError, r"tol must be a real number, got NoneType"),
    (dict(tol=True), TypeError, r"tol must be a real number, got bool"),
    (dict(tol=1e-6 + 0j), TypeError, r"tol must be a real number, got complex"),
    (dict(max_iter=0), ValueError, r"max_iter must be >= 1, got 0"),
    (dict(max_iter=-5), ValueError, r"max_iter must be >= 1, got -5"),
    (dict(max_iter=100.0), TypeError, r"max_iter must be an integer, got float"),
    (dict(max_iter=True), TypeError, r"max_iter must be an integer, got bool"),
    (dict(max_iter=False), TypeError, r"max_iter must be an integer, got bool"),
    (dict(max_iter="10"), TypeError, r"max_iter must be an integer, got str"),
    (dict(max_iter=None), TypeError, r"max_iter must be an integer, got NoneType"),
    (dict(time_limit=-1.0), ValueError, r"time_limit must be > 0, got -1.0"),
    (dict(time_limit=0), ValueError, r"time_limit must be > 0"),
    (dict(time_limit=float("nan")), ValueError, r"time_limit must be a number, got NaN"),
    (dict(time_limit="1s"), TypeError, r"time_limit must be a real number, got str"),
    (dict(callback=3), TypeError, r"callback must be callable, got int"),
    (dict(callback="print"), TypeError, r"callback must be callable, got str"),
    (dict(callback=[print]), TypeError, r"callback must be callable, got list"),
    (dict(check_every=True), TypeError, r"check_every must be an integer, got bool"),
    (dict(output="first"), ValueError, r"output must be one of \('best', 'last', 'average'\).*got 'first'"),
    (dict(output="Best"), ValueError, r"output must be one of"),
    (dict(output=""), ValueError, r"output must be one of"),
    (dict(output=0), ValueError, r"output must be one of"),
]


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
@pytest.mark.parametrize("kwargs,exc,match", DRIVER_CASES, ids=[repr(c[0]) for c in DRIVER_CASES])
def test_driver_arguments(kwargs, exc, match, method):
    with pytest.raises(exc, match=match):
        eq.solve(game(), method=method, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(check_every=0), dict(check_every=-3), dict(check_every=2.5),
                                    dict(check_every="5")])
def test_check_every_errors_name_check_every(kwargs):
    with pytest.raises((ValueError, TypeError), match=r"check_every"):
        eq.solve(game(), **kwargs)


def test_valid_edge_values_are_accepted():
    g = game()
    assert eq.solve(g, tol=1e-3, max_iter=np.int64(5)).iterations <= 5
    assert eq.solve(g, tol=np.float32(1e-3), time_limit=math.inf).tol == pytest.approx(1e-3)
    assert eq.solve(g, tol=1e-3, time_limit=None, callback=None, check_every=None).status in (
        "converged", "max_iter")
    assert eq.solve(g, max_iter=1, check_every=1).iterations == 1


# --------------------------------------------------------------------------
# solve: start points
# --------------------------------------------------------------------------

X0_CASES = [
    # joint vector of the 2x3 game: (x1, x2 | y1, y2, y3)
    ("short", np.array([0.5, 0.5, 0.5, 0.5]), ValueError, r"x0 must have length 5 for Product\(Simplex\(2\), Simplex\(3\)\), got 4"),
    ("long", np.full(6, 0.5), ValueError, r"x0 must have length 5.*got 6"),
    ("2d", np.full((1, 5), 0.2), ValueError, r"x0 must be a vector \(1-d\), got an array with shape \(1, 5\)"),
    ("scalar", 0.2, ValueError, r"x0 must be a vector \(1-d\)"),
    ("negative", np.array([1.5, -0.5, 1 / 3, 1 / 3, 1 / 3]), ValueError, r"x0 lies outside the domain.*largest violation 0.5"),
    ("not_summing", np.array([0.5, 0.6, 1 / 3, 1 / 3, 1 / 3]), ValueError, r"x0 lies outside the domain"),
    ("y_not_summing", np.array([0.5, 0.5, 0.2, 0.2, 0.2]), ValueError, r"x0 lies outside the domain"),
    ("slightly_off", np.array([0.5, 0.5 + 1e-6, 1 / 3, 1 / 3, 1 / 3]), ValueError, r"x0 lies outside the domain"),
    ("nan", np.array([0.5, np.nan, 1 / 3, 1 / 3, 1 / 3]), ValueError, r"x0 contains 1 NaN entries"),
    ("inf", np.array([0.5, np.inf, 1 / 3, 1 / 3, 1 / 3]), ValueError, r"x0 contains infinite entries"),
    ("complex", np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]) + 0j, TypeError, r"x0 must be real"),
    ("str", "uniform", TypeError, r"x0 must be an array of real numbers, got str"),
    ("object", np.array([0.5, 0.5, None, 0.5, 0.5], dtype=object), TypeError, r"x0 must contain real numbers"),
    ("tuple_x_outside", (np.array([0.7, 0.7]), np.full(3, 1 / 3)), ValueError, r"x0 lies outside the domain"),
    ("tuple_y_negative", (np.array([0.5, 0.5]), np.array([1.2, -0.1, -0.1])), ValueError, r"x0 lies outside the domain"),
    ("tuple_too_short", (np.array([0.5, 0.5]), np.array([0.5, 0.5])), ValueError, r"x0\[1\] \(y\) must have length 3, got 2"),
]


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
@pytest.mark.parametrize("x0,exc,match", [c[1:] for c in X0_CASES], ids=[c[0] for c in X0_CASES])
def test_bad_x0(x0, exc, match, method):
    with pytest.raises(exc, match=match):
        eq.solve(game(), method=method, x0=x0)


@pytest.mark.parametrize("x0,exc,match", [
    (np.array([0.5]), ValueError, r"x0 must have length 2"),
    (np.array([2.0, 0.5]), ValueError, r"x0 lies outside the domain"),
    (np.array([-0.1, 0.5]), ValueError, r"x0 lies outside the domain"),
    (np.array([np.nan, 0.5]), ValueError, r"x0 contains 1 NaN"),
])
def test_bad_x0_for_vi(x0, exc, match):
    with pytest.raises(exc, match=match):
        eq.solve(box_vi(), x0=x0)


def test_x0_tuple_errors_name_x0():
    with pytest.raises(ValueError, match=r"x0"):
        eq.solve(game(), x0=(np.array([np.nan, 1.0]), np.full(3, 1 / 3)))


@pytest.mark.parametrize("entry", ["solve", "certify"])
def test_tuple_point_blocks_must_have_player_lengths(entry):
    swapped = (np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"length"):
        if entry == "solve":
            eq.solve(game(), x0=swapped, geometry="euclidean", max_iter=2)
        else:
            eq.certify(game(), swapped)


def test_x0_with_zero_entry_and_entropic_geometry():
    x0 = np.array([1.0, 0.0, 1 / 3, 1 / 3, 1 / 3])
    with pytest.raises(ValueError, match=r"strictly positive"):
        eq.solve(game(), method="mirror_prox", x0=x0)  # entropic by default on simplices
    assert eq.solve(game(), method="mirror_prox", x0=x0, geometry="euclidean", tol=1e-6).converged


# --------------------------------------------------------------------------
# method options
# --------------------------------------------------------------------------

OPTION_CASES = [
    ("mirror_prox", dict(stepsize=0.1), TypeError, r"unexpected keyword argument 'stepsize'"),
    ("extragradient", dict(eta=0.1), TypeError, r"unexpected keyword argument 'eta'"),
    ("mirror_prox", dict(Tol=1e-3), TypeError, r"unexpected keyword argument 'Tol'"),
    ("mirror_prox", dict(geometry="kl"), ValueError, r"geometry must be 'euclidean' or 'entropic', got 'kl'"),
    ("mirror_prox", dict(geometry="Entropic"), ValueError, r"geometry must be 'euclidean' or 'entropic'"),
    ("mirror_prox", dict(geometry=1), ValueError, r"geometry must be 'euclidean' or 'entropic', got 1"),
    ("extragradient", dict(geometry="entropic"), ValueError, r"extragradient is Euclidean; got geometry='entropic'"),
    ("extragradient", dict(geometry="kl"), ValueError, r"geometry='kl'"),
    ("mirror_prox", dict(step=0.0), ValueError, r"step must be > 0"),
    ("mirror_prox", dict(step=-0.1), ValueError, r"step must be > 0"),
    ("mirror_prox", dict(step=float("nan")), ValueError, r"step must be a number, got NaN"),
    ("mirror_prox", dict(step=math.inf), ValueError, r"step must be finite"),
    ("extragradient", dict(step="0.1"), TypeError, r"step must be a real number, got str"),
    ("mirror_prox", dict(growth=0.5), ValueError, r"growth must be >= 1, got 0.5"),
    ("extragradient", dict(growth=0.999), ValueError, r"growth must be >= 1"),
    ("mirror_prox", dict(growth=0.0), ValueError, r"growth must be > 0"),
    ("mirror_prox", dict(growth=-2.0), ValueError, r"growth must be > 0"),
    ("mirror_prox", dict(growth="fast"), TypeError, r"growth must be a real number"),
    ("mirror_prox", dict(c=1.0), ValueError, r"c must lie in \(0, 1\), got 1.0"),
    ("mirror_prox", dict(c=1.5), ValueError, r"c must lie in \(0, 1\)"),
    ("extragradient", dict(c=0.0), ValueError, r"c must be > 0"),
    ("extragradient", dict(c=-0.5), ValueError, r"c must be > 0"),
    ("mirror_prox", dict(c=float("nan")), ValueError, r"c must be a number, got NaN"),
]


@pytest.mark.parametrize("method,opts,exc,match", OPTION_CASES, ids=[f"{c[0]}-{c[1]}" for c in OPTION_CASES])
def test_bad_method_options(method, opts, exc, match):
    with pytest.raises(exc, match=match):
        eq.solve(game(), method=method, **opts)


def test_entropic_geometry_on_a_box_vi():
    # extragradient is Euclidean only; mirror prox takes the box's Fermi-Dirac geometry
    with pytest.raises(ValueError, match=r"geometry='entropic'"):
        eq.solve(box_vi(), method="extragradient", geometry="entropic")
    vi = box_vi()
    res = eq.solve(vi, method="mirror_prox", geometry="entropic", tol=1e-6, max_iter=5000,
                   x0=np.full(vi.dim, 0.5))
    assert res.info["geometry"] == "entropic" and res.status in ("converged", "stalled")
    assert res.residual == vi.certify(res.z, point=res.certificate.point).value
    with pytest.raises(ValueError, match=r"strictly inside the box"):
        eq.solve(vi, method="mirror_prox", geometry="entropic", x0=vi.domain.project(
            np.full(vi.dim, -10.0)))


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
def test_fixed_step_without_lipschitz_constant(method):
    with pytest.raises(ValueError, match=r"fixed step needs step= or a problem with a known Lipschitz constant"):
        eq.solve(box_vi(), method=method, adaptive=False)
    # with L, or with an explicit step, a fixed step is fine
    assert eq.solve(box_vi(L=1.0), method=method, adaptive=False, tol=1e-8).converged
    assert eq.solve(box_vi(), method=method, adaptive=False, step=0.5, tol=1e-8).converged


@pytest.mark.parametrize("value", ["many", -1, 2.7])
def test_max_backtracks_is_validated(value):
    with pytest.raises((ValueError, TypeError), match=r"max_backtracks"):
        eq.solve(game(), max_backtracks=value, max_iter=5)


# --------------------------------------------------------------------------
# VI and Saddle constructors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("F,kind", [(None, "NoneType"), (3, "int"), (np.zeros(2), "ndarray"), ("F", "str")])
def test_vi_F_must_be_callable(F, kind):
    with pytest.raises(TypeError, match=rf"F must be a callable F\(z\) -> array, got {kind}"):
        eq.VI(F, Box(0.0, 1.0, dim=2))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(domain="box"), TypeError, r"domain must be a Domain .* or a dimension, got str"),
    (dict(domain=2.0), TypeError, r"domain must be a Domain"),
    (dict(domain=True), TypeError, r"domain must be a Domain"),
    (dict(domain=None), TypeError, r"domain must be a Domain"),
    (dict(domain=0), ValueError, r"dim must be a positive integer"),
    (dict(L=0.0), ValueError, r"L must be > 0"),
    (dict(L=-1.0), ValueError, r"L must be > 0"),
    (dict(L="1"), TypeError, r"L must be a real number"),
    (dict(mu=float("nan")), ValueError, r"mu must be a number, got NaN"),
    (dict(mu=-0.1), ValueError, r"mu must be > 0"),
    (dict(residual="gap"), ValueError, r"residual must be 'natural_residual' or 'gap_function', got 'gap'"),
    (dict(domain=Reals(2), residual="gap_function"), ValueError, r"residual='gap_function' needs a bounded domain"),
    (dict(domain=Box(0.0, np.inf, dim=2), residual="gap_function"), ValueError, r"needs a bounded domain"),
])
def test_vi_constructor_errors(kwargs, exc, match):
    kw = dict(domain=Box(0.0, 1.0, dim=2))
    kw.update(kwargs)
    domain = kw.pop("domain")
    with pytest.raises(exc, match=match):
        eq.VI(lambda z: z, domain, **kw)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(grad_x=None), TypeError, r"grad_x and grad_y are required callables"),
    (dict(grad_y=1.0), TypeError, r"grad_y must be callable, got float"),
    (dict(grad_x="gx"), TypeError, r"grad_x must be callable, got str"),
    (dict(f=3), TypeError, r"f must be callable, got int"),
    (dict(domain_x="x"), TypeError, r"domain_x must be a Domain"),
    (dict(domain_y=[1, 2]), TypeError, r"domain_y must be a Domain"),
    (dict(domain_y=-1), ValueError, r"dim must be a positive integer"),
])
def test_saddle_constructor_errors(kwargs, exc, match):
    kw = dict(grad_x=lambda x, y: x - y, grad_y=lambda x, y: -x - y, domain_x=1, domain_y=1)
    kw.update(kwargs)
    with pytest.raises(exc, match=match):
        eq.Saddle(kw.pop("grad_x"), kw.pop("grad_y"), kw.pop("domain_x"), kw.pop("domain_y"), **kw)


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
@pytest.mark.parametrize("F,shape", [
    (lambda z: np.ones(3), r"\(3,\)"),
    (lambda z: np.ones((2, 1)), r"\(2, 1\)"),
    (lambda z: 1.0, r"\(\)"),
    (lambda z: [1.0], r"\(1,\)"),
])
def test_vi_operator_of_wrong_shape(F, shape, method):
    vi = eq.VI(F, Box(0.0, 1.0, dim=2))
    with pytest.raises(ValueError, match=rf"F returned an array of shape {shape} for a point of shape \(2,\)"):
        eq.solve(vi, method=method)
    with pytest.raises(ValueError, match=r"F returned"):
        eq.certify(vi, np.array([0.5, 0.5]))


def test_vi_operator_returning_a_list_of_the_right_shape_works():
    vi = eq.VI(lambda z: [float(z[0]) - 2.0, float(z[1]) + 2.0], Box(0.0, 1.0, dim=2))
    res = eq.solve(vi, tol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.z, [1.0, 0.0], atol=1e-9)


# --------------------------------------------------------------------------
# certify
# --------------------------------------------------------------------------

CERTIFY_CASES = [
    (np.array([0.5, 0.5, 0.5, 0.5, 0.5]), ValueError, r"point lies outside the domain Product\(Simplex\(2\), Simplex\(3\)\)"),
    (np.array([1.1, -0.1, 1.0, 0.0, 0.0]), ValueError, r"point lies outside the domain.*largest violation 0.1"),
    ((np.array([0.5, 0.5]), np.array([0.5, 0.5, 0.5])), ValueError, r"point lies outside the domain"),
    ([0.5, 0.5, 1.0, 0.0, 0.0, 0.0], ValueError, r"point must have length 5"),
    (np.array([0.5, 0.5, 1.0, np.nan, 0.0]), ValueError, r"point contains 1 NaN entries"),
    (np.array([[0.5, 0.5, 1.0, 0.0, 0.0]]), ValueError, r"point must be a vector \(1-d\)"),
    ("x", TypeError, r"point must be an array of real numbers, got str"),
    (None, TypeError, r"point is required, got None"),
]


@pytest.mark.parametrize("point,exc,match", CERTIFY_CASES, ids=[str(i) for i in range(len(CERTIFY_CASES))])
def test_certify_bad_points(point, exc, match):
    with pytest.raises(exc, match=match):
        eq.certify(game(), point)


def test_certify_bad_points_for_vi_and_bimatrix():
    with pytest.raises(ValueError, match=r"point lies outside the domain Box"):
        eq.certify(box_vi(), np.array([1.5, 0.5]))
    with pytest.raises(ValueError, match=r"point lies outside the domain"):
        eq.certify(bimatrix(), (np.array([0.2, 0.2]), np.full(3, 1 / 3)))
    # the same points projected are accepted
    assert eq.certify(box_vi(), np.array([1.0, 0.5])).value >= 0.0


# --------------------------------------------------------------------------
# the caller's arrays are never mutated
# --------------------------------------------------------------------------


def _snapshot(a):
    a = np.asarray(a)
    return a.copy(), a.tobytes(), a.dtype, a.shape, a.flags.writeable


def _assert_unchanged(a, snap):
    copy, raw, dtype, shape, writeable = snap
    assert a.dtype == dtype and a.shape == shape and a.flags.writeable == writeable
    assert a.tobytes() == raw  # bitwise, NaN-safe
    np.testing.assert_array_equal(a, copy)


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
@pytest.mark.parametrize("x0_form", ["joint", "tuple", "none"])
def test_inputs_are_not_mutated_matrix_game(method, x0_form, rng):
    A = rng.normal(size=(4, 6))
    x = rng.dirichlet(np.ones(4))
    y = rng.dirichlet(np.ones(6))
    joint = np.concatenate([x, y])
    snaps = [_snapshot(v) for v in (A, x, y, joint)]
    x0 = {"joint": joint, "tuple": (x, y), "none": None}[x0_form]
    g = eq.MatrixGame(A)
    res = eq.solve(g, method=method, x0=x0, tol=1e-8, max_iter=3000, output="average")
    assert res.iterations > 0
    cert = eq.certify(g, (x, y) if x0_form == "tuple" else joint)
    assert cert.value >= 0
    for v, s in zip((A, x, y, joint), snaps):
        _assert_unchanged(v, s)
    # the result does not alias the caller's start point
    assert not np.shares_memory(res.z, joint) and not np.shares_memory(res.z, A)


@pytest.mark.parametrize("method", ["mirror_prox", "extragradient"])
def test_inputs_are_not_mutated_bimatrix_and_vi(method, rng):
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    x0 = np.concatenate([rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3))])
    snaps = [_snapshot(v) for v in (A, B, x0)]
    eq.solve(eq.BimatrixGame(A, B), method=method, x0=x0, max_iter=200)
    eq.certify(eq.BimatrixGame(A, B), x0)
    for v, s in zip((A, B, x0), snaps):
        _assert_unchanged(v, s)

    M = rng.normal(size=(4, 4))
    M = M @ M.T + np.eye(4)
    b = rng.normal(size=4)
    z0 = rng.uniform(-1, 1, size=4)
    snaps = [_snapshot(v) for v in (M, b, z0)]
    seen = []

    def F(z):
        seen.append(z)
        return M @ z - b

    res = eq.solve(eq.VI(F, Box(-1.0, 1.0, dim=4)), method=method, x0=z0, tol=1e-9, max_iter=5000)
    assert res.converged
    for v, s in zip((M, b, z0), snaps):
        _assert_unchanged(v, s)


def test_read_only_inputs_are_accepted(rng):
    """Read-only arrays work, which also proves nothing writes into them."""
    A = rng.normal(size=(3, 5))
    x0 = np.concatenate([rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(5))])
    A.flags.writeable = False
    x0.flags.writeable = False
    for method in ("mirror_prox", "extragradient"):
        res = eq.solve(eq.MatrixGame(A), method=method, x0=x0, tol=1e-6, max_iter=20_000)
        assert res.converged
    z0 = np.array([0.25, 0.75])
    z0.flags.writeable = False
    assert eq.solve(box_vi(), x0=z0, tol=1e-9).converged
