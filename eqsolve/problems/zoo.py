"""Seeded generators of standard instances, shared by tests, benchmarks and examples.

Every generator takes ``seed`` (an int or a ``numpy.random.Generator``) and
returns the same instance for the same seed.  Instances with a known solution
return it alongside the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..domains import Box
from .games import BimatrixGame, MatrixGame
from .vi import VI

__all__ = [
    "random_matrix_game",
    "matching_pennies",
    "rock_paper_scissors",
    "pure_saddle_game",
    "skewed_game",
    "prisoners_dilemma",
    "AffineVI",
    "affine_vi",
]
__all__ += ["policeman_burglar"]


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def random_matrix_game(m: int, n: int | None = None, *, seed=0, dist: str = "uniform",
                       dtype=np.float64) -> MatrixGame:
    """Dense random zero-sum game: entries uniform on [-1, 1] (``dist="uniform"``) or N(0, 1).

    Examples
    --------
    >>> random_matrix_game(3, 4, seed=1).A.shape
    (3, 4)
    """
    n = m if n is None else n
    rng = _rng(seed)
    if dist == "uniform":
        A = rng.uniform(-1.0, 1.0, size=(m, n))
    elif dist == "normal":
        A = rng.standard_normal((m, n))
    else:
        raise ValueError(f"dist must be 'uniform' or 'normal', got {dist!r}")
    return MatrixGame(A.astype(dtype))


def matching_pennies() -> MatrixGame:
    """Matching pennies: value 0, unique equilibrium x = y = (1/2, 1/2)."""
    return MatrixGame(np.array([[1.0, -1.0], [-1.0, 1.0]]))


def rock_paper_scissors() -> MatrixGame:
    """Rock-paper-scissors: value 0, unique equilibrium uniform (1/3, 1/3, 1/3) for both."""
    return MatrixGame(np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]))


def pure_saddle_game() -> MatrixGame:
    """A 3x3 game with a pure saddle point at (row 1, column 0), value 2.

    Row 1 is ``[2, 3, 4]`` (its minimum 2 sits in column 0) and column 0 is
    ``[1, 2, 0]`` (its maximum 2 sits in row 1).
    """
    return MatrixGame(np.array([[1.0, 5.0, -1.0], [2.0, 3.0, 4.0], [0.0, 6.0, -2.0]]))


def skewed_game() -> tuple[MatrixGame, float, np.ndarray, np.ndarray]:
    """A non-square 2x3 game with a known mixed equilibrium.

    ``A = [[3, -1, 4], [-2, 1, 3]]``: column 2 is dominated (for the minimiser);
    on the remaining 2x2 block the equalising strategies give value 1/7,
    ``x* = (3/7, 4/7)``, ``y* = (2/7, 5/7, 0)``.
    """
    A = np.array([[3.0, -1.0, 4.0], [-2.0, 1.0, 3.0]])
    return MatrixGame(A), 1.0 / 7.0, np.array([3.0, 4.0]) / 7.0, np.array([2.0, 5.0, 0.0]) / 7.0


def prisoners_dilemma() -> BimatrixGame:
    """Prisoner's dilemma (cooperate, defect): unique equilibrium (defect, defect)."""
    return BimatrixGame(np.array([[3.0, 0.0], [5.0, 1.0]]), np.array([[3.0, 5.0], [0.0, 1.0]]))


@dataclass(frozen=True)
class AffineVI:
    """An affine VI ``F(z) = M (z - z*) + q`` on a box with known solution ``z*``."""

    problem: VI
    M: np.ndarray
    q: np.ndarray
    solution: np.ndarray
    mu: float
    L: float

    def F(self, z) -> Any:
        return self.M @ (z - self.solution) + self.q


def affine_vi(d: int, *, seed=0, domain: str = "box", mu: float = 0.1, skew: float = 1.0,
              dtype=np.float64) -> AffineVI:
    """Monotone affine VI on a box or the nonnegative orthant with a known solution.

    ``M = S + K`` with ``S`` symmetric positive definite (smallest eigenvalue
    ``mu``; ``mu = 0`` gives a merely monotone, possibly singular ``S``) and
    ``K`` skew-symmetric of scale ``skew``.  The solution ``z*`` has about a
    third of its coordinates at the lower bound, a third at the upper bound
    (box only) and the rest inside; ``q`` lies in the negative normal cone at
    ``z*``, with strict complementarity, so ``z*`` solves VI(F, Z), uniquely
    when ``mu > 0``.

    Parameters
    ----------
    domain : {"box", "orthant"}
        ``[-1, 1]^d`` or ``[0, inf)^d``.

    Examples
    --------
    >>> inst = affine_vi(5, seed=0)
    >>> bool(inst.problem.certify(inst.solution).value < 1e-12)
    True
    """
    rng = _rng(seed)
    G = rng.standard_normal((d, d))
    S = G @ G.T / d
    S = S - (np.linalg.eigvalsh(S)[0] - mu) * np.eye(d)
    K = rng.standard_normal((d, d))
    K = skew * (K - K.T) / np.sqrt(2 * d)
    M = S + K
    if domain == "box":
        lo, hi = -1.0, 1.0
        box = Box(lo, hi, dim=d)
    elif domain == "orthant":
        lo, hi = 0.0, np.inf
        box = Box(lo, hi, dim=d)
    else:
        raise ValueError(f"domain must be 'box' or 'orthant', got {domain!r}")
    kind = rng.integers(0, 3 if domain == "box" else 2, size=d)  # 0 lower, 1 interior, 2 upper
    z = np.where(kind == 0, lo, np.where(kind == 2, hi, rng.uniform(0.1, 0.9, size=d)))
    if domain == "box":
        z = np.where(kind == 1, rng.uniform(-0.9, 0.9, size=d), z)
    mag = rng.uniform(0.5, 1.5, size=d)
    q = np.where(kind == 0, mag, np.where(kind == 2, -mag, 0.0))
    M, q, z = M.astype(dtype), q.astype(dtype), z.astype(dtype)
    L = float(np.linalg.norm(M, 2))

    def F(v, M=M, q=q, z=z):
        return M @ (v - z) + q

    vi = VI(F, box, L=L, mu=mu if mu > 0 else None, monotone=True)
    return AffineVI(vi, M, q, z, mu, L)


def policeman_burglar(n: int = 500, *, theta: float = 0.8, seed=1) -> MatrixGame:
    """The policeman-and-burglar game of the variance-reduced Halpern experiments (row-scaled).

    ``A_ij = w_i (1 - exp(-theta |i - j|))`` with wealth ``w = |N(0, 1)|``: the
    burglar (row player, maximiser) robs house ``i``, the policeman (column
    player) patrols house ``j`` and catches him with probability
    ``exp(-theta |i - j|)``.  ``seed=1`` with ``n = 500`` draws ``w`` as the
    authors' script does (``np.random.seed(1)``); the rows (not the columns)
    are scaled, as in the classic game (ALGORITHMS.md 6.7): value 2.2794.

    Examples
    --------
    >>> g = policeman_burglar(4, seed=0)
    >>> g.A.shape, bool((g.A >= 0).all()), float(g.A[2, 2])
    ((4, 4), True, 0.0)

    References
    ----------
    X. Cai, A. Alacaoglu, J. Diakonikolas, "Variance reduced Halpern iteration for
    finite-sum monotone inclusions", ICLR 2024, arXiv:2310.02987 (its experiment; the
    orientation and value are checked in ALGORITHMS.md section 6.7).
    """
    if isinstance(seed, np.random.Generator):
        w = np.abs(seed.standard_normal(n))
    else:
        w = np.abs(np.random.RandomState(seed).standard_normal(n))  # the legacy stream of np.random.seed
    idx = np.arange(n)
    C = 1.0 - np.exp(-theta * np.abs(idx[:, None] - idx[None, :]))
    return MatrixGame(w[:, None] * C)
