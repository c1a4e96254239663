"""Hard games: offsets, scales, preconditioning, polishing, and no crash on any valid game."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import eqsolve as eq
from eqsolve.domains import Simplex
from eqsolve.methods.base import Unsupported
from eqsolve.methods.pdhg_halpern import diagonal_scaling
from eqsolve.methods.registry import METHODS
from eqsolve.result import STATUS_MESSAGES
from eqsolve.problems import zoo


def lp_value(A):
    """The value of the game by HiGHS (the row player's LP)."""
    m, n = A.shape
    c = np.r_[np.zeros(n), 1.0]
    res = linprog(c, A_ub=np.hstack([A, -np.ones((m, 1))]), b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)], method="highs")
    return res.fun


def exact_gap(A, z):
    """``max_i (A y)_i - min_j (A^T x)_j`` at the float point, in rational arithmetic."""
    m = A.shape[0]
    def exact(v):      # floats at their binary value; exact numbers as they are
        return v if isinstance(v, Fraction) else Fraction(float(v))

    Af = [[exact(a) for a in row] for row in A]
    x = [exact(v) for v in z[:m]]
    y = [exact(v) for v in z[m:]]
    Ay = [sum(a * v for a, v in zip(row, y)) for row in Af]
    xA = [sum(Af[i][j] * x[i] for i in range(m)) for j in range(len(y))]
    return max(Ay) - min(xA)


# -- offsets and scales ----------------------------------------------------------------

INVARIANT = [("pdhg", {"polish": False}), ("pdhg", {"variant": "adaptive"}),
             ("extragradient", {}), ("halpern", {}), ("mirror_prox", {})]


@pytest.mark.parametrize("method,options", INVARIANT)
def test_offsets_and_scales_cost_no_iterations(method, options):
    A = zoo.random_matrix_game(12, 15, seed=4).A
    runs = {}
    for label, B, tol in (("base", A, 1e-5), ("offset", A + 1000.0, 1e-5),
                          ("scaled", 250.0 * A, 250.0 * 1e-5)):
        res = eq.solve(eq.MatrixGame(B), method=method, tol=tol, max_iter=20_000, **options)
        runs[label] = res
    base = runs["base"].iterations
    for label in ("offset", "scaled"):
        assert runs[label].status == runs["base"].status
        assert runs[label].iterations <= 1.2 * base + 2, (label, runs[label].iterations, base)


def test_lipschitz_bounds_hold_on_the_domain_and_ignore_offsets(rng):
    A = rng.uniform(-1, 1, size=(7, 9))
    g, h = eq.MatrixGame(A), eq.MatrixGame(A + 500.0)
    assert h.lipschitz == pytest.approx(g.lipschitz, rel=1e-9)
    assert h.lipschitz_entropic == pytest.approx(g.lipschitz_entropic, rel=1e-12)
    for _ in range(20):
        z1 = np.concatenate([rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(9))])
        z2 = np.concatenate([rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(9))])
        dF = h.operator(z1) - h.operator(z2)
        assert np.linalg.norm(dF) <= h.lipschitz * np.linalg.norm(z1 - z2) * (1 + 1e-9)
        assert np.abs(dF).max() <= h.lipschitz_entropic * np.abs(z1 - z2).sum() * (1 + 1e-9)


def test_sparse_and_operator_bounds_match_the_dense_centred_bound(rng):
    import scipy.sparse as sp
    from scipy.sparse.linalg import aslinearoperator

    A = sp.random_array((20, 15), density=0.3, random_state=np.random.default_rng(1), format="csr")
    A.data = A.data + 3.0
    dense = eq.MatrixGame(A.toarray())
    assert eq.MatrixGame(A).lipschitz == pytest.approx(dense.lipschitz, rel=1e-9)
    op = eq.MatrixGame(aslinearoperator(A.toarray()))
    assert op.lipschitz >= np.linalg.norm(A.toarray() - dense.centre, 2) * (1 - 1e-12)
    assert op.spread == pytest.approx(dense.spread)


def test_batch_step_is_offset_invariant_and_refuses_diagonal_steps():
    A = np.stack([zoo.random_matrix_game(8, 6, seed=s).A for s in range(3)])
    base = eq.solve(eq.MatrixGame(A), tol=1e-6)
    shifted = eq.solve(eq.MatrixGame(A + 100.0), tol=1e-6)
    assert shifted.converged and shifted.iterations <= 1.2 * base.iterations + 2
    with pytest.raises(ValueError, match="batch of games is solved with precondition='none'"):
        eq.solve(eq.MatrixGame(A), precondition="ruiz")
    with pytest.raises(ValueError, match="polish=True"):
        eq.solve(eq.MatrixGame(A), polish=True)


# -- preconditioning ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(0, 10_000))
def test_weighted_simplex_projection_is_the_kkt_point(n, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=n) * 3
    t = rng.uniform(0.05, 5, size=n)
    p = Simplex(n).project_weighted(v, t)
    assert np.all(p >= 0) and abs(p.sum() - 1) < 1e-12
    # p_j > 0: (v_j - p_j) / t_j = lam; p_j = 0: v_j / t_j <= lam
    lam = (v - p) / t
    on = p > 0
    assert np.ptp(lam[on]) < 1e-9
    assert np.all(v[~on] / t[~on] <= lam[on].min() + 1e-9)
    # no other point of the simplex is closer in the metric
    for _ in range(20):
        q = rng.dirichlet(np.ones(n))
        assert np.sum((q - v) ** 2 / t) >= np.sum((p - v) ** 2 / t) - 1e-9


def test_ruiz_equilibrates_the_centred_payoffs():
    g = zoo.row_column_scaled_game(20, 15, seed=2)
    row, col, passes = diagonal_scaling(np, g.A, g.centre, "ruiz")
    M = np.sqrt(row)[:, None] * np.abs(g.A - g.centre) * np.sqrt(col)[None, :]
    assert passes == 10
    assert np.allclose(M.max(axis=1), 1.0, atol=1e-2) and np.allclose(M.max(axis=0), 1.0, atol=1e-2)


def test_ruiz_beats_no_preconditioning_on_row_and_column_scaled_games():
    g = zoo.row_column_scaled_game(30, 20, seed=1)
    tol = 1e-6 * g.spread
    out = {p: eq.solve(g, precondition=p, polish=False, tol=tol, max_iter=4000)
           for p in ("none", "ruiz")}
    assert out["ruiz"].residual < out["none"].residual
    assert out["ruiz"].info["precondition"] == "ruiz"


@pytest.mark.parametrize("variant", ["halpern", "adaptive"])
@pytest.mark.parametrize("precondition", ["ruiz", "pock_chambolle", "ruiz_pock_chambolle"])
def test_preconditioned_pdhg_certifies_the_users_game(variant, precondition):
    g = zoo.row_column_scaled_game(10, 8, decades=2.0, seed=3)
    opts = {"polish": False} if variant == "halpern" else {}
    res = eq.solve(g, variant=variant, precondition=precondition, tol=1e-7 * g.spread,
                   max_iter=20_000, **opts)
    assert res.converged
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= lp_value(g.A) <= hi
    assert res.certificate.value >= float(exact_gap(g.A, res.z))


def test_operator_games_refuse_entrywise_preconditioning():
    from scipy.sparse.linalg import aslinearoperator

    g = eq.MatrixGame(aslinearoperator(zoo.random_matrix_game(5, 4, seed=0).A))
    assert eq.solve(g, tol=1e-6).converged
    with pytest.raises(ValueError, match="LinearOperator problem takes precondition='none'"):
        eq.solve(g, precondition="ruiz")


# -- high accuracy ------------------------------------------------------------------------

@pytest.mark.parametrize("shape,seed", [((150, 300), 1), ((120, 80), 2)])
def test_polish_reaches_high_accuracy_on_dense_random_games(shape, seed):
    g = zoo.random_matrix_game(*shape, seed=seed)
    res = eq.solve(g, tol=1e-9 * g.spread, max_iter=3000)
    assert res.converged and res.iterations < 1000
    assert res.info["polished_iteration"] is not None
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= lp_value(g.A) <= hi
    # the returned point is the best certified one
    assert res.residual == min(res.history["residual"])


# -- no crash on any valid game -------------------------------------------------------------

def _matrix_game_methods():
    probe = eq.MatrixGame(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    names = []
    for name, entry in sorted(METHODS.items()):
        try:
            entry.configure(probe)
        except (Unsupported, ValueError, TypeError):
            continue
        names.append(name)
    return names


MATRIX_METHODS = _matrix_game_methods()


def test_every_matrix_game_method_is_exercised():
    assert {"pdhg", "extragradient", "mirror_prox", "optimistic", "halpern"} <= set(MATRIX_METHODS)


@st.composite
def valid_games(draw):
    m, n = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["integers", "zero", "constant", "duplicated", "near_tie",
                                 "offset", "tiny", "huge"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    A = rng.integers(-3, 4, size=(m, n)).astype(float)
    if kind == "zero":
        A = np.zeros((m, n))
    elif kind == "constant":
        A = np.full((m, n), draw(st.floats(-1e6, 1e6, allow_nan=False)))
    elif kind == "duplicated":
        A = np.repeat(np.repeat(A[: max(1, m // 2), : max(1, n // 2)], 2, axis=0), 2, axis=1)
    elif kind == "near_tie":
        A = A + 1e-12 * rng.uniform(-1, 1, size=A.shape)
    elif kind == "offset":
        A = A + 1e6
    elif kind == "tiny":
        A = A * 1e-200
    elif kind == "huge":
        A = A * 1e150
    return A


@pytest.mark.parametrize("method", MATRIX_METHODS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(A=valid_games(), max_iter=st.sampled_from([1, 2, 7]))
def test_no_crash_and_a_sound_certificate_on_every_valid_game(method, A, max_iter):
    game = eq.MatrixGame(A)
    res = eq.solve(game, method=method, max_iter=max_iter, tol=1e-9 * max(game.spread, 1e-300))
    assert res.status in STATUS_MESSAGES
    assert np.all(np.isfinite(res.z))
    assert np.isfinite(res.residual) and res.residual >= 0
    if res.exact is not None:
        # an exact method certifies its exact point; the float point z carries its own
        # float certificate
        point = np.array(list(res.exact[0]) + list(res.exact[1]), dtype=object)
        assert res.certificate.value >= float(exact_gap(A, point))
        assert res.certificate.details["float_certificate"].value >= float(exact_gap(A, res.z))
    else:
        assert res.certificate.value >= float(exact_gap(A, res.z))


@pytest.mark.parametrize("method", ["pdhg", "extragradient"])
def test_every_hard_game_reaches_its_relative_tolerance(method):
    for h in zoo.hard_games(seed=0, size=(12, 10)):
        g = h.game
        tol = 1e-6 * g.spread if g.spread > 0 else 1e-12
        res = eq.solve(g, method=method, tol=tol, max_iter=20_000)
        assert res.converged, (h.name, res.status, res.residual)
