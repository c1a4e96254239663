"""Two-player normal-form games: zero-sum (``MatrixGame``) and general (``BimatrixGame``)."""

from __future__ import annotations

import math

from .._validation import check_array
from ..backend import namespace, to_float
from ..certificates import Certificate, bimatrix_nash_gap, matrix_game_gap
from ..domains import Product, Simplex
from .base import Problem

__all__ = ["MatrixGame", "BimatrixGame"]


class _TwoPlayer(Problem):
    blocks = ("x", "y")

    def _setup_domain(self, m: int, n: int):
        self.m, self.n = m, n
        self.domain = Product(Simplex(m), Simplex(n))

    def split(self, z):
        return {"x": z[: self.m], "y": z[self.m :]}

    def initial_point(self):
        xp, dt = self.xp, self.A.dtype
        return xp.concat([xp.full((self.m,), 1.0 / self.m, dtype=dt), xp.full((self.n,), 1.0 / self.n, dtype=dt)])


def _spectral_bound(xp, A) -> float:
    """A cheap rigorous upper bound on ||A||_2: min(||A||_F, sqrt(||A||_1 ||A||_inf))."""
    absA = xp.abs(A)
    fro = to_float(xp.linalg.vector_norm(A))
    n1 = to_float(xp.max(xp.sum(absA, axis=0)))
    ninf = to_float(xp.max(xp.sum(absA, axis=1)))
    return min(fro, math.sqrt(n1 * ninf))


class MatrixGame(_TwoPlayer):
    """Zero-sum matrix game: the row player picks ``x`` in the simplex and maximises ``x^T A y``.

    As a VI on the product of simplices its operator is
    :math:`F(x, y) = (-A y,\\; A^\\top x)`, monotone (skew) and Lipschitz with
    constant :math:`\\|A\\|_2` (Euclidean) or :math:`\\max_{ij}|A_{ij}|`
    (l1/l-infinity, the entropic geometry).  Its certificate is the duality gap

    .. math:: \\operatorname{gap}(x, y) = \\max_i (A y)_i - \\min_j (A^\\top x)_j \\ge 0,

    which brackets the value: :math:`\\min_j (A^\\top x)_j \\le v \\le \\max_i (Ay)_i`.

    Parameters
    ----------
    A : (m, n) array_like
        Payoff to the row player (any array-API array, or nested lists).

    Examples
    --------
    >>> import numpy as np
    >>> g = MatrixGame([[1.0, -1.0], [-1.0, 1.0]])      # matching pennies
    >>> c = g.certify(np.array([0.5, 0.5, 0.5, 0.5]))
    >>> c.kind, c.value < 1e-12
    ('duality_gap', True)

    References
    ----------
    J. von Neumann, "Zur Theorie der Gesellschaftsspiele", Math. Ann. 100 (1928).
    """

    residual_kind = "duality_gap"
    monotone = True
    default_method = "pdhg"

    def __init__(self, A):
        A = check_array("A", A, ndim=2)
        self.A = A
        self.xp = namespace(A)
        self._setup_domain(*A.shape)
        self.amax = to_float(self.xp.max(self.xp.abs(A)))
        self.lipschitz_entropic = self.amax
        self._lipschitz = None

    @property
    def lipschitz(self) -> float:
        if self._lipschitz is None:
            self._lipschitz = _spectral_bound(self.xp, self.A)
        return self._lipschitz

    def operator(self, z):
        xp = self.xp
        return xp.concat([-(self.A @ z[self.m :]), self.A.T @ z[: self.m]])

    def value(self, z, Fz=None, certificate=None) -> float:
        if certificate is not None and "payoff" in certificate.details:
            return certificate.details["payoff"]
        Ay = self.A @ z[self.m :] if Fz is None else -Fz[: self.m]
        return to_float(self.xp.sum(z[: self.m] * Ay))

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        xp = self.xp
        if Fz is None:
            Fz = self.operator(z)
        x, y = z[: self.m], z[self.m :]
        Ay = -Fz[: self.m]
        gap, rnd, lower, upper = matrix_game_gap(xp, self.A, x, y, Ay, Fz[self.m :], self.amax)
        payoff = to_float(xp.sum(x * Ay))
        return Certificate(
            "duality_gap",
            gap + rnd,
            point,
            rnd,
            {
                "value_bounds": (lower - rnd, upper + rnd),
                "payoff": payoff,
                "row_regret": upper - payoff,
                "column_regret": payoff - lower,
            },
        )

    def __repr__(self):
        return f"MatrixGame({self.m}x{self.n}, dtype={self.A.dtype})"


class BimatrixGame(_TwoPlayer):
    """General-sum two-player game: the row player maximises ``x^T A y``, the column player ``x^T B y``.

    VI operator :math:`F(x, y) = (-A y, -B^\\top x)`; monotone exactly when the
    game is zero-sum (``A + B = 0``), so first-order methods carry no
    guarantee in general -- the certificate still says how good the returned
    point is.  Certificate: the Nash gap

    .. math:: (\\max_i (A y)_i - x^\\top A y) + (\\max_j (B^\\top x)_j - x^\\top B y) \\ge 0.

    Examples
    --------
    >>> import numpy as np
    >>> pd = BimatrixGame([[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]])  # prisoner's dilemma
    >>> pd.certify(np.array([0.0, 1.0, 0.0, 1.0])).value < 1e-12    # (defect, defect)
    True
    """

    residual_kind = "nash_gap"

    def __init__(self, A, B):
        A = check_array("A", A, ndim=2)
        B = check_array("B", B, ndim=2)
        if A.shape != B.shape:
            raise ValueError(f"A and B must have the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
        self.A, self.B = A, B
        self.xp = xp = namespace(A, B)
        self._setup_domain(*A.shape)
        self.amax = to_float(xp.max(xp.abs(A)))
        self.bmax = to_float(xp.max(xp.abs(B)))
        self.monotone = bool(xp.all(A + B == 0))
        self.lipschitz = max(_spectral_bound(xp, A), _spectral_bound(xp, B))
        self.lipschitz_entropic = max(self.amax, self.bmax)

    def operator(self, z):
        xp = self.xp
        return xp.concat([-(self.A @ z[self.m :]), -(self.B.T @ z[: self.m])])

    def value(self, z, Fz=None, certificate=None) -> float:
        if certificate is not None and "row_payoff" in certificate.details:
            return certificate.details["row_payoff"]
        Ay = self.A @ z[self.m :] if Fz is None else -Fz[: self.m]
        return to_float(self.xp.sum(z[: self.m] * Ay))

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        if Fz is None:
            Fz = self.operator(z)
        x, y = z[: self.m], z[self.m :]
        gap, rnd, (rg, cg, rp, cp) = bimatrix_nash_gap(
            self.xp, x, y, -Fz[: self.m], -Fz[self.m :], self.amax, self.bmax
        )
        return Certificate(
            "nash_gap",
            gap + rnd,
            point,
            rnd,
            {"row_gain": rg, "column_gain": cg, "row_payoff": rp, "column_payoff": cp},
        )

    def __repr__(self):
        return f"BimatrixGame({self.m}x{self.n}, dtype={self.A.dtype})"
