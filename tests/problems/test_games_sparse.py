"""Sparse and matrix-free matrix games: scipy.sparse and LinearOperator payoffs, never densified."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import eqsolve as eq
from tests.conftest import lp_value


class NoDense(sp.csr_array):
    """A CSR array that refuses to be densified."""

    def toarray(self, *a, **k):
        raise AssertionError("densified")

    todense = toarray


def sparse_game(rng, m=60, n=45, density=0.1):
    A = sp.random_array((m, n), density=density, random_state=np.random.default_rng(rng.integers(1 << 31)),
                        format="csr")
    A.data = 2.0 * A.data - 1.0
    return A


@pytest.mark.parametrize("method", ["pdhg", "mirror_prox", "extragradient"])
def test_sparse_game_solved_without_densifying(rng, method):
    A = sparse_game(rng)
    game = eq.MatrixGame(NoDense(A))
    assert game.kind == "sparse"
    res = eq.solve(game, method=method, tol=1e-6, max_iter=100_000)
    assert res.converged
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= lp_value(A.toarray()) <= hi
    dense = eq.MatrixGame(A.toarray())
    assert game.amax == dense.amax
    assert game.lipschitz == pytest.approx(dense.lipschitz, rel=1e-12)
    # certificates agree with the dense game's at the same point
    assert game.certify(res.z).value == pytest.approx(dense.certify(res.z).value, rel=1e-9, abs=1e-15)


def test_other_sparse_formats_are_converted_once(rng):
    A = sparse_game(rng)
    for fmt in ("coo", "lil", "dok"):
        g = eq.MatrixGame(A.asformat(fmt))
        assert g.A.format == "csr"
    assert eq.MatrixGame(A.tocsc()).A.format == "csc"  # fast products already: kept


def test_linear_operator_game(rng):
    A = rng.uniform(-1, 1, size=(25, 18))
    calls = {"mv": 0}

    def mv(v):
        calls["mv"] += 1
        return A @ v

    op = LinearOperator(A.shape, matvec=mv, rmatvec=lambda v: A.T @ v, dtype=np.float64)
    game = eq.MatrixGame(op)
    assert game.kind == "operator"
    dense = eq.MatrixGame(A)
    assert game.amax == pytest.approx(dense.amax, rel=1e-15)
    assert game.lipschitz == pytest.approx(dense.lipschitz, rel=1e-12)
    res = eq.solve(game, tol=1e-7)
    assert res.converged
    lo, hi = res.certificate.details["value_bounds"]
    assert lo <= lp_value(A) <= hi
    assert calls["mv"] > 0
    # a known bound skips the probing products
    quick = eq.MatrixGame(aslinearoperator(A), amax=1.0)
    assert quick.amax == 1.0 and quick._probe is None


def test_sparse_and_operator_bad_input():
    bad = sp.csr_array(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        eq.MatrixGame(bad)
    with pytest.raises(TypeError, match="real numbers"):
        eq.MatrixGame(sp.csr_array(np.array([[1 + 1j, 0], [0, 1]])))
    with pytest.raises(ValueError, match="non-empty"):
        eq.MatrixGame(sp.csr_array((0, 3)))
    with pytest.raises(ValueError, match="amax must be >= 0"):
        eq.MatrixGame(np.eye(2), amax=-1.0)
    op = LinearOperator((3, 2), matvec=lambda v: np.full(3, np.nan), rmatvec=lambda v: np.zeros(2),
                        dtype=np.float64)
    with pytest.raises(ValueError, match="LinearOperator\\) returned NaN"):
        eq.MatrixGame(op).amax
    with pytest.raises(TypeError, match="stays on the host"):
        eq.MatrixGame(sp.eye_array(3, format="csr")).to_backend("cupy")


def test_integer_sparse_payoffs_become_float(rng):
    A = sp.csr_array(np.array([[1, 0], [0, 1]]))
    g = eq.MatrixGame(A)
    assert g.A.dtype == np.float64
    assert eq.solve(g, tol=1e-9).value == pytest.approx(0.5, abs=1e-8)
