"""Exact Euclidean and weighted projection onto a treeplex (eqsolve._treeplex_projection).

References: cvxpy's QP over the sequence-form constraints, the variational
inequality that characterises a projection (checked at random plans and at
the pure plans of ``best_response``), and ``Simplex.project`` /
``Simplex.project_weighted`` on the one-set treeplex.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eqsolve._treeplex_projection import project_treeplex
from eqsolve.domains import Simplex
from eqsolve.treeplex import Treeplex


@st.composite
def treeplexes(draw, max_depth=4, max_sets=3, max_size=3):
    """Random treeplexes: depth 1..max_depth, up to max_sets sets below a sequence,
    1..max_size actions a set, listed breadth-first (which is canonical order)."""
    depth = draw(st.integers(1, max_depth))
    parents, sizes = [], []
    queue, n, head = [(0, 0)], 1, 0
    while head < len(queue):
        s, d = queue[head]
        head += 1
        if d >= depth:
            continue
        for _ in range(draw(st.integers(1 if s == 0 else 0, max_sets))):
            k = draw(st.integers(1, max_size))
            parents.append(s)
            sizes.append(k)
            queue += [(n + j, d + 1) for j in range(k)]
            n += k
    return Treeplex(parents, sizes)


def _objective(z, t, x):
    return float(np.sum((x[1:] - z[1:]) ** 2 / t[1:]))


def _cvxpy_projection(tp, z, t):
    cp = pytest.importorskip("cvxpy")
    x = cp.Variable(tp.dim)
    cons = [x >= 0, x[0] == 1]
    cons += [cp.sum(x[tp.start[i]: tp.start[i] + tp.sizes[i]]) == x[tp.parents[i]]
             for i in range(tp.n_sets)]
    obj = cp.sum(cp.multiply(1.0 / t[1:], cp.square(x[1:] - z[1:])))
    cp.Problem(cp.Minimize(obj), cons).solve(solver=cp.CLARABEL, tol_gap_abs=1e-12,
                                             tol_gap_rel=1e-12, tol_feas=1e-12)
    return np.asarray(x.value)


def _plans(tp, rng, k):
    """Random points of the treeplex: random behaviour strategies (some pure) and the
    pure plans best_response returns for random directions."""
    out = []
    for j in range(k):
        beta = rng.exponential(size=tp.dim) if j % 2 else (rng.random(tp.dim) < 0.5).astype(float)
        out.append(tp.reach(tp.normalize_behavior(beta)))
        out.append(tp.best_response(rng.normal(size=tp.dim))[1])
    return out


def _check_vi(tp, z, t, p, rng, rel=1e-10):
    """``<(z - p)/t, w - p> <= tiny`` for treeplex points ``w``: ``p`` is the projection."""
    r = (z - p)[1:] / t[1:]
    tiny = rel * max(1.0, float(np.max(np.abs(z)))) * max(1.0, float(np.max(1 / t[1:]))) * tp.dim
    for w in _plans(tp, rng, 6):
        assert float(r @ (w - p)[1:]) <= tiny


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tp=treeplexes(), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.1, 1.0, 10.0]),
       weighted=st.booleans())
def test_projection_is_feasible_and_optimal_against_cvxpy(tp, seed, scale, weighted):
    rng = np.random.default_rng(seed)
    z = scale * rng.normal(size=tp.dim)
    if weighted:
        t = rng.uniform(0.1, 5.0, size=tp.dim)
        p = tp.project_weighted(z, t)
    else:
        t = np.ones(tp.dim)
        p = tp.project(z)
    assert p.shape == (tp.dim,) and p.dtype == np.float64
    assert tp.contains(p, atol=1e-13)
    assert p[0] == 1.0 and np.all(p >= 0)
    ref = _cvxpy_projection(tp, z, t)
    f, f_ref = _objective(z, t, p), _objective(z, t, ref)
    # cvxpy's point is feasible only to its tolerance, so the comparison is two-sided
    assert abs(f - f_ref) <= 1e-7 * max(1.0, abs(f_ref))
    assert np.max(np.abs(p - ref)) <= 1e-5
    _check_vi(tp, z, t, p, rng)


@settings(max_examples=40, deadline=None)
@given(tp=treeplexes(), seed=st.integers(0, 2**32 - 1))
def test_projection_fixes_treeplex_points(tp, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.1, 5.0, size=tp.dim)
    for w in _plans(tp, rng, 3):
        np.testing.assert_allclose(tp.project(w), w, rtol=0, atol=1e-13)
        np.testing.assert_allclose(tp.project_weighted(w, t), w, rtol=0, atol=1e-13)
    # and projecting twice changes nothing
    z = 3 * rng.normal(size=tp.dim)
    p = tp.project_weighted(z, t)
    np.testing.assert_allclose(tp.project_weighted(p, t), p, rtol=0, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_one_set_treeplex_is_the_simplex(n, seed, ties):
    rng = np.random.default_rng(seed)
    z = rng.integers(-2, 3, size=n + 1).astype(float) if ties else rng.normal(size=n + 1)
    t = rng.uniform(0.1, 5.0, size=n + 1)
    tp, sx = Treeplex([0], [n]), Simplex(n)
    p = tp.project(z)
    assert p[0] == 1.0
    np.testing.assert_allclose(p[1:], sx.project(z[1:]), rtol=0, atol=1e-14)
    np.testing.assert_allclose(tp.project_weighted(z, t)[1:], sx.project_weighted(z[1:], t[1:]),
                               rtol=0, atol=1e-14)


def test_a_known_projection():
    # a first choice, and below its first action two sets of two actions: with z = 0,
    # m^2 + 4 (m/2)^2 + (1 - m)^2 is least at m = 1/3
    tp = Treeplex([0, 1, 1], [2, 2, 2])
    p = tp.project(np.zeros(7))
    np.testing.assert_allclose(p, [1, 1 / 3, 2 / 3, 1 / 6, 1 / 6, 1 / 6, 1 / 6], rtol=0, atol=1e-15)
    # z_0 plays no part: x_0 = 1 always
    np.testing.assert_array_equal(tp.project(np.r_[-7.0, np.zeros(6)]), p)


def test_no_information_set():
    tp = Treeplex([], [])
    assert tp.dim == 1
    np.testing.assert_array_equal(tp.project(np.array([5.0])), [1.0])
    np.testing.assert_array_equal(tp.project_weighted(np.array([-5.0]), np.array([2.0])), [1.0])


@pytest.mark.parametrize("scale", [1e6, 1e9, 1e12, 1e300])
def test_large_values(scale):
    tp = Treeplex([0, 0, 1, 1, 4, 6], [2, 3, 2, 1, 3, 2])
    rng = np.random.default_rng(3)
    z = scale * rng.normal(size=tp.dim)
    t = rng.uniform(0.5, 2.0, size=tp.dim)
    for p, tt in ((tp.project(z), np.ones(tp.dim)), (tp.project_weighted(z, t), t)):
        assert np.all(np.isfinite(p)) and tp.contains(p, atol=1e-12)
        # the best response to z is then (nearly) the projection: a pure plan
        r = (z - p)[1:] / tt[1:]
        for w in _plans(tp, rng, 4):
            assert float(r @ (w - p)[1:]) <= 1e-12 * scale * tp.dim
    # a tiny parent mass against huge values still leaves a feasible point
    z = np.array([0.0, 1e16, 1e16 - 2, 1e16, 1e16, 0.0])
    p = Treeplex([0, 1], [2, 3]).project(z)
    assert Treeplex([0, 1], [2, 3]).contains(p, atol=1e-12)


def test_ties_split_evenly():
    # two identical subtrees and equal values: the projection treats them alike
    tp = Treeplex([0, 1, 2], [2, 3, 3])
    for v in (0.0, 1.0, -4.0, 1e8):
        p = tp.project(np.full(tp.dim, v))
        assert tp.contains(p, atol=1e-12 * max(1, abs(v)))
        np.testing.assert_allclose(p[3:6], p[3], rtol=0, atol=1e-12)
        np.testing.assert_allclose(p[6:9], p[6], rtol=0, atol=1e-12)
    p = tp.project(np.zeros(tp.dim))
    np.testing.assert_allclose(p, _cvxpy_projection(tp, np.zeros(tp.dim), np.ones(tp.dim)),
                               rtol=0, atol=1e-7)


def test_dtypes_and_no_mutation():
    tp = Treeplex([0, 1, 1], [2, 2, 2])
    z = np.array([1.0, 0.3, -0.2, 0.9, 0.1, 0.0, 2.0])
    z_copy, t = z.copy(), np.linspace(0.5, 2, 7)
    t_copy = t.copy()
    p64 = tp.project_weighted(z, t)
    np.testing.assert_array_equal(z, z_copy)
    np.testing.assert_array_equal(t, t_copy)
    p32 = tp.project_weighted(z.astype(np.float32), t)
    assert p32.dtype == np.float32 and tp.contains(p32)
    np.testing.assert_allclose(p32, p64, atol=1e-6)
    pint = tp.project(np.array([1, 0, 0, 1, 0, 0, 0]))
    assert pint.dtype == np.float64
    p16 = tp.project(z.astype(np.float16))
    assert p16.dtype == np.float16
    np.testing.assert_allclose(p16, tp.project(z.astype(np.float16).astype(np.float64)), atol=1e-3)
    # a scalar metric is the Euclidean projection
    np.testing.assert_allclose(tp.project_weighted(z, 2.5), tp.project(z), rtol=0, atol=1e-15)


def test_array_api_namespace_round_trip():
    xps = pytest.importorskip("array_api_strict")
    tp = Treeplex([0, 1, 1], [2, 2, 2])
    z = np.array([1.0, 0.3, -0.2, 0.9, 0.1, 0.0, 2.0])
    for dt in (xps.float32, xps.float64):
        p = tp.project(xps.asarray(z, dtype=dt))
        assert p.dtype == dt and isinstance(p, type(xps.asarray(z)))
        np.testing.assert_allclose(np.asarray(p), tp.project(z), atol=1e-6)
        q = tp.project_weighted(xps.asarray(z, dtype=dt), xps.asarray(np.full(7, 2.0), dtype=dt))
        np.testing.assert_allclose(np.asarray(q), tp.project(z), atol=1e-6)


def test_non_finite_input_projects_to_nan():
    tp = Treeplex([0], [3])
    assert np.all(np.isnan(tp.project(np.array([1.0, np.nan, 0.0, 0.0]))))
    assert np.all(np.isnan(tp.project(np.array([1.0, np.inf, 0.0, 0.0]))))


@pytest.mark.parametrize("t, match", [
    (np.array([1.0, 1.0, -1.0, 1.0]), r"t must be positive and finite .* t\[2\] = -1"),
    (np.array([1.0, 0.0, 1.0, 1.0]), r"t\[1\] = 0"),
    (np.array([1.0, 1.0, np.inf, 1.0]), r"t\[2\] = inf"),
    (np.ones(3), r"t must be a positive scalar or a vector of 4 entries .* shape \(3,\)"),
    (np.ones((4, 1)), r"shape \(4, 1\)"),
])
def test_bad_weights(t, match):
    with pytest.raises(ValueError, match=match):
        Treeplex([0], [3]).project_weighted(np.zeros(4), t)


def test_bad_weight_type_and_shape_of_z():
    tp = Treeplex([0], [3])
    with pytest.raises(TypeError, match="t must hold real numbers"):
        tp.project_weighted(np.zeros(4), np.array(["a", "b", "c", "d"]))
    with pytest.raises(ValueError, match=r"z must be a vector of 4 entries .* shape \(3,\)"):
        tp.project(np.zeros(3))
    with pytest.raises(TypeError, match="z must hold real numbers, got dtype complex128"):
        tp.project(np.zeros(4, complex))
    # a list is an array
    np.testing.assert_allclose(tp.project([0.0, 1.0, 0.0, 0.0]), [1.0, 1.0, 0.0, 0.0])
    # t_0 is ignored: any value there is accepted
    np.testing.assert_allclose(tp.project_weighted(np.zeros(4), np.array([0.0, 1, 1, 1])),
                               [1, 1 / 3, 1 / 3, 1 / 3])


def test_weights_reach_every_coordinate_direct_call():
    # the module function and the method agree, and a larger weight moves a coordinate more
    tp = Treeplex([0], [2])
    z = np.array([1.0, 1.0, 1.0])
    p = project_treeplex(tp, z, np.array([1.0, 1.0, 3.0]))
    np.testing.assert_allclose(p, [1.0, 0.75, 0.25])
    np.testing.assert_array_equal(p, tp.project_weighted(z, np.array([1.0, 1.0, 3.0])))


# -- the Numba kernels against the NumPy reference ------------------------------------

def _random_treeplex(rng, n_target, max_depth, max_sets=3, max_size=3):
    """A larger random treeplex than hypothesis draws (breadth-first, so canonical)."""
    parents, sizes = [], []
    queue, n, head = [(0, 0)], 1, 0
    while head < len(queue) and n < n_target:
        s, d = queue[head]
        head += 1
        if d >= max_depth:
            continue
        for _ in range(int(rng.integers(1 if s == 0 else 0, max_sets + 1))):
            k = int(rng.integers(1, max_size + 1))
            parents.append(s)
            sizes.append(k)
            queue += [(n + j, d + 1) for j in range(k)]
            n += k
    return Treeplex(parents, sizes)


@settings(max_examples=40, deadline=None)
@given(tp=treeplexes(), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-3, 1.0, 1e3]),
       weighted=st.booleans(), ties=st.booleans())
def test_numba_kernels_match_the_reference(tp, seed, scale, weighted, ties):
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    z = scale * (rng.integers(-2, 3, size=tp.dim) if ties else rng.normal(size=tp.dim))
    t = rng.uniform(0.1, 5.0, size=tp.dim) if weighted else None
    ref = project_treeplex(tp, z, t)
    got = project_treeplex(tp, z, t, kernel="numba")
    assert got.dtype == np.float64 and tp.contains(got, atol=1e-13)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * max(1.0, scale))


@pytest.mark.parametrize("seed, n, depth", [(0, 4000, 8), (1, 20000, 14), (2, 3000, 40)])
def test_numba_kernels_match_the_reference_on_larger_treeplexes(seed, n, depth):
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    tp = _random_treeplex(rng, n, depth, max_sets=3 if depth < 20 else 2, max_size=3)
    for scale in (1e-2, 1.0, 1e2):
        z = scale * rng.normal(size=tp.dim)
        t = rng.uniform(0.2, 3.0, size=tp.dim)
        ref = project_treeplex(tp, z, t)
        got = project_treeplex(tp, z, t, kernel="numba")
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * max(1.0, scale))
        assert tp.contains(ref, atol=1e-13) and tp.contains(got, atol=1e-13)
        _check_vi(tp, z, t, ref, rng)


def test_numba_kernels_on_a_deep_chain_and_float32():
    pytest.importorskip("numba")
    # each set hangs under the second action of the one before: depth 300
    depth = 300
    tp = Treeplex([0] + [2 * i for i in range(1, depth)], [2] * depth)
    rng = np.random.default_rng(7)
    z = rng.normal(size=tp.dim)
    ref, got = tp.project(z), tp.project(z, kernel="numba")
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    _check_vi(tp, z, np.ones(tp.dim), ref, rng)
    t = rng.uniform(0.2, 3.0, size=tp.dim)
    np.testing.assert_allclose(tp.project_weighted(z, t, kernel="numba"), tp.project_weighted(z, t),
                               rtol=0, atol=1e-12)
    got32 = project_treeplex(tp, z.astype(np.float32), kernel="numba")
    assert got32.dtype == np.float32 and tp.contains(got32)
    np.testing.assert_allclose(got32, ref, atol=1e-5)


def test_numba_kernels_where_rounding_leaves_no_child_positive():
    pytest.importorskip("numba")
    tp = Treeplex([0, 1], [2, 3])
    z = np.array([0.0, 1e16, 1e16 - 2, 1e16, 1e16, 0.0])
    ref, got = tp.project(z), project_treeplex(tp, z, kernel="numba")
    assert tp.contains(got, atol=1e-12)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_bad_kernel(monkeypatch):
    tp = Treeplex([0], [2])
    with pytest.raises(ValueError, match="kernel must be 'numpy' or 'numba', got 'cuda'"):
        project_treeplex(tp, np.zeros(3), kernel="cuda")
    import eqsolve._treeplex_projection as mod
    from eqsolve.backend import BackendUnavailableError

    monkeypatch.setattr(mod, "HAS_NUMBA", False)
    with pytest.raises(BackendUnavailableError, match="kernel='numba' needs Numba"):
        project_treeplex(tp, np.zeros(3), kernel="numba")


@pytest.mark.parametrize("method", ["extragradient", "halpern"])
def test_euclidean_methods_run_on_a_product_of_treeplexes(method):
    # the sequence-form saddle min_x max_y x'Ay as a monotone VI: the methods project
    # with Treeplex.project, and the duality gap from independent best responses is small
    import eqsolve as eq
    from eqsolve.domains import Product

    rng = np.random.default_rng(1)
    tx, ty = Treeplex([0, 1, 1, 4], [2, 2, 2, 3]), Treeplex([0, 0, 2], [2, 3, 2])
    A = rng.normal(size=(tx.dim, ty.dim))
    A[0, :] = 0
    A[:, 0] = 0

    def F(z):
        return np.concatenate([A @ z[tx.dim:], -A.T @ z[:tx.dim]])

    vi = eq.VI(F, Product(tx, ty), L=float(np.linalg.norm(A, 2)), monotone=True,
               residual="gap_function")
    res = eq.solve(vi, method, tol=1e-8, max_iter=20_000)
    assert res.status == "converged"
    x, y = res.z[:tx.dim], res.z[tx.dim:]
    assert tx.contains(x, atol=1e-12) and ty.contains(y, atol=1e-12)
    gap = float(tx.best_response(-A @ y)[0] + ty.best_response(A.T @ x)[0])
    assert -1e-12 <= gap <= 1e-8 and gap <= res.residual + 1e-12


def test_numba_knot_sort():
    pytest.importorskip("numba")
    from eqsolve._treeplex_projection_numba import _order

    rng = np.random.default_rng(0)
    for m in (1, 2, 24, 25, 32, 33, 100, 1000):       # insertion sort, then merge sort
        keys = rng.integers(0, 10, m).astype(float)     # with ties
        idx, tmp = np.empty(m, np.int64), np.empty(m, np.int64)
        _order(keys, m, idx, tmp)
        assert sorted(idx.tolist()) == list(range(m))
        assert np.all(np.diff(keys[idx]) >= 0)
