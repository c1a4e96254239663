"""Seeded generators of standard instances, shared by tests, benchmarks and examples.

Every generator takes ``seed`` (an int or a ``numpy.random.Generator``) and
returns the same instance for the same seed.  Instances with a known solution
return it alongside the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..domains import Box
from .bilinear import LinearProgram
from .differentiable import QuadraticGame
from .extensive_form import SequenceFormBuilder
from .game_families import (covariance_game, gale_strings, morris_labels, savani_von_stengel_game,
                             sgc_game, tournament_game)
from .games import BimatrixGame, MatrixGame
from .markov import coordination_markov_game
from .power_control import PowerControlGame
from .sea import SEAStream, sea_logistic, sea_quadratic
from .vi import VI

__all__ = [
    "random_tree_game",
    "assignment",
    "random_matrix_game",
    "matching_pennies",
    "rock_paper_scissors",
    "pure_saddle_game",
    "skewed_game",
    "prisoners_dilemma",
    "AffineVI",
    "affine_vi",
    "rayleigh_power_control",
    "random_geometry_power_control",
    "oscillating_power_control",
    "policeman_burglar",
    "sgn_mini_toy",
    "sgn_lq_game",
    "sgn_random_lq_game",
    "sgn_markov_game",
    "SEAStream",
    "sea_quadratic",
    "sea_logistic",
    "HardGame",
    "hard_games",
    "offset_game",
    "scaled_game",
    "row_column_scaled_game",
    "duplicated_game",
    "near_tie_game",
    "rank_deficient_game",
    "hilbert_game",
    "degenerate_games",
    "covariance_game",
    "sgc_game",
    "tournament_game",
    "savani_von_stengel_game",
    "gale_strings",
    "morris_labels",
]


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


def assignment(n: int, seed=0) -> LinearProgram:
    """The LP of the ``n x n`` assignment polytope with costs uniform on [0, 1].

    ``min sum_ij C_ij X_ij`` over doubly stochastic ``X`` (``x = X.ravel()``,
    row sums then column sums as the ``2n`` equalities of a sparse ``A_eq``),
    with bounds ``(0, 1)``: the upper bound is implied by the equalities, and
    finite bounds keep the certified lower bound finite at every multiplier.
    Its optimum is that of the assignment problem (a vertex of the Birkhoff
    polytope is a permutation), which ``scipy.optimize.linear_sum_assignment``
    solves exactly on ``lp.c.reshape(n, n)``.

    Examples
    --------
    >>> lp = assignment(3, seed=0)
    >>> lp.n, lp.n_eq
    (9, 6)
    """
    import scipy.sparse as sp

    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    C = _rng(seed).uniform(0.0, 1.0, size=(n, n))
    eye = sp.identity(n, format="csr")
    ones = sp.csr_array(np.ones((1, n)))
    A_eq = sp.vstack([sp.kron(eye, ones), sp.kron(ones, eye)], format="csr")
    return LinearProgram(C.ravel(), A_eq=A_eq, b_eq=np.ones(2 * n), bounds=(0.0, 1.0))


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


# -- Small-Gain Nash test games (arXiv 2512.06791; ALGORITHMS.md 8.7) ---------------


def sgn_mini_toy(mu1: float = 1.0, mu2: float = 1.0, a: float = 10.0, b: float = 0.05):
    """The SGN mini-toy: :math:`f_1 = \\tfrac12\\mu_1x_1^2 + a x_1x_2`, :math:`f_2 = \\tfrac12\\mu_2x_2^2 + b x_1x_2`.

    ``J = [[mu1, a], [b, mu2]]``: not monotone (Euclidean margin -4.025) yet
    certified with weights (1, 200), margin 1 - sqrt(0.5).

    Examples
    --------
    >>> sgn_mini_toy().J.tolist()
    [[1.0, 10.0], [0.05, 1.0]]

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025); code AashVed/SmallGainNash.
    """
    return QuadraticGame([[mu1, a], [b, mu2]], blocks=[1, 1])


def _orthogonal(rng, n):
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))  # the sign fix makes diag(R) > 0: a unique, Haar factor


def sgn_lq_game(lam: float, *, d: int = 64, a: float = 10.0, b: float = 0.05, seed=12345):
    """The SGN high-dimensional LQ game :math:`H(\\lambda) = [[I, \\lambda a R], [\\lambda b R^\\top, I]]`.

    ``R`` is a (d/2)x(d/2) orthogonal matrix (QR of a Gaussian, seeded).
    Exact: margin :math:`1 - \\lambda\\sqrt{ab}`, certified iff
    :math:`\\lambda < 1/\\sqrt{ab}`.

    Examples
    --------
    >>> sgn_lq_game(1.0, d=4).J.shape
    (4, 4)

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025); code AashVed/SmallGainNash.
    """
    if d % 2 or d < 2:
        raise ValueError(f"d must be a positive even number (two equal blocks), got {d}")
    n = d // 2
    R = _orthogonal(_rng(seed), n)
    H = np.block([[np.eye(n), lam * a * R], [lam * b * R.T, np.eye(n)]])
    return QuadraticGame(H, blocks=[n, n])


def sgn_random_lq_game(lam: float, *, seed=12345, d: int = 64, a: float = 10.0, b: float = 0.05,
                       mu0: float = 1.0):
    """A member of the SGN random LQ ensemble (the paper uses seeds 12345 + 1000 s).

    :math:`Q_i = R_i^\\top R_i + \\mu_0 I` (Gaussian :math:`R_i`), coupling base
    :math:`R` Gaussian normalised to :math:`\\|R\\|_2 = 1`,
    :math:`H = [[Q_1, \\lambda a R], [\\lambda b R^\\top, Q_2]]`.

    Examples
    --------
    >>> sgn_random_lq_game(0.5, d=6).sizes
    (3, 3)

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025); code AashVed/SmallGainNash.
    """
    n = d // 2
    rng = _rng(seed)
    R1, R2 = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    Q1, Q2 = R1.T @ R1 + mu0 * np.eye(n), R2.T @ R2 + mu0 * np.eye(n)
    R = rng.standard_normal((n, n))
    R /= np.linalg.norm(R, 2)
    H = np.block([[Q1, lam * a * R], [lam * b * R.T, Q2]])
    return QuadraticGame(H, blocks=[n, n])


def sgn_markov_game(gamma: float = 0.9, tau: float = 1.0):
    """The SGN paper's tabular 2-state coordination Markov game (softmax logits, Fisher metric).

    Examples
    --------
    >>> sgn_markov_game().n_players
    2

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025); code AashVed/SmallGainNash.
    """
    return coordination_markov_game(gamma, tau)


def _rayleigh_gains(rng, Q, N, taps, path_gain):
    # L i.i.d. CN(0, 1/L) taps per link, FFT to N carriers: unit average power per carrier
    h = (rng.standard_normal((Q, Q, taps)) + 1j * rng.standard_normal((Q, Q, taps))) / np.sqrt(2 * taps)
    H = np.fft.fft(h, n=N, axis=2)
    return path_gain[:, :, None] * np.abs(H) ** 2


def rayleigh_power_control(Q: int, N: int, *, taps: int = 6, distance_ratio: float = 3.0,
                           path_loss: float = 3.0, snr_db: float = 10.0, budget: float = 1.0,
                           seed=0):
    """Frequency-selective Rayleigh interference channel (ALGORITHMS.md 7.6).

    Direct links at distance 1, every cross link at ``distance_ratio``; path
    gain ``d^-path_loss``; ``taps`` i.i.d. complex Gaussian taps FFT'd to ``N``
    carriers; noise so that the direct SNR is ``snr_db`` at full budget on one carrier
    spread evenly (``sigma = budget / N * 10^(-snr_db/10)``).

    Examples
    --------
    >>> g = rayleigh_power_control(3, 8, seed=1)
    >>> g.gains.shape, g.Q, g.N
    ((3, 3, 8), 3, 8)
    """
    rng = _rng(seed)
    d = np.full((Q, Q), float(distance_ratio))
    np.fill_diagonal(d, 1.0)
    G = _rayleigh_gains(rng, Q, N, taps, d ** (-float(path_loss)))
    sigma = budget / N * 10.0 ** (-snr_db / 10.0)
    return PowerControlGame(G, sigma, budget)


def random_geometry_power_control(Q: int, N: int, *, taps: int = 6, area: float = 10.0,
                                  path_loss: float = 3.0, snr_db: float = 10.0,
                                  budget: float = 1.0, seed=0):
    """Path-loss geometry: transmitters uniform in an ``area`` x ``area`` square, each
    receiver 0.5-1 away from its transmitter; Rayleigh fading as in
    :func:`rayleigh_power_control`, path gain ``d^-path_loss``.

    Examples
    --------
    >>> random_geometry_power_control(4, 16, seed=2).N
    16
    """
    rng = _rng(seed)
    tx = rng.uniform(0.0, area, size=(Q, 2))
    angle = rng.uniform(0.0, 2 * np.pi, size=Q)
    rx = tx + rng.uniform(0.5, 1.0, size=(Q, 1)) * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    d = np.linalg.norm(rx[:, None, :] - tx[None, :, :], axis=2)
    G = _rayleigh_gains(rng, Q, N, taps, np.maximum(d, 0.1) ** (-float(path_loss)))
    sigma = budget / N * 10.0 ** (-snr_db / 10.0)
    return PowerControlGame(G, sigma, budget)


def oscillating_power_control(cross: float = 2.0, noise: float = 0.1):
    """Two users, two carriers, unit direct gains and symmetric cross gain ``cross > 1``.

    From both users on carrier 0, simultaneous water-filling jumps to both on
    carrier 1 and back forever (each user moves away from the other's
    carrier); sequential water-filling stops at the equilibrium where they
    split the carriers.  ``rho(S^max) = cross > 1``: several equilibria.

    Examples
    --------
    >>> oscillating_power_control().certify(np.array([1.0, 0.0, 0.0, 1.0])).value < 1e-13
    True
    """
    G = np.array([[[1.0, 1.0], [cross, cross]], [[cross, cross], [1.0, 1.0]]])
    return PowerControlGame(G, noise, 1.0)


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


# -- hard games: the payoffs users bring ------------------------------------------------


@dataclass(frozen=True)
class HardGame:
    """One game of :func:`hard_games`.

    Attributes
    ----------
    name : str
    game : MatrixGame
    base : str or None
        The well-scaled game it was derived from (offset, scaled, row/column
        scaled), whose iterations it should match; ``None`` for the others.
    """

    name: str
    game: MatrixGame
    base: str | None = None


def offset_game(m: int = 30, n: int = 40, *, offset: float = 1000.0, seed=0) -> MatrixGame:
    """``A + offset`` for the uniform ``A`` of :func:`random_matrix_game`: payoffs in dollars.

    Same equilibria and duality gaps as ``A``.

    Examples
    --------
    >>> g = offset_game(3, 4, seed=1)
    >>> bool(np.allclose(g.A - 1000.0, random_matrix_game(3, 4, seed=1).A))
    True
    """
    return MatrixGame(random_matrix_game(m, n, seed=seed).A + offset)


def scaled_game(m: int = 30, n: int = 40, *, scale: float = 1e3, seed=0) -> MatrixGame:
    """``scale * A``: the same equilibria, gaps ``scale`` times larger."""
    return MatrixGame(scale * random_matrix_game(m, n, seed=seed).A)


def row_column_scaled_game(m: int = 60, n: int = 40, *, decades: float = 3.0,
                           seed=0) -> MatrixGame:
    """``D_r A D_c`` with log-uniform diagonal scales spanning ``decades`` powers of ten.

    Entries from about ``10^-decades`` to ``10^decades`` times those of a
    uniform ``A`` (rows and columns on very different scales).
    """
    rng = _rng(seed)
    A = rng.uniform(-1.0, 1.0, size=(m, n))
    r = 10.0 ** rng.uniform(-decades / 2, decades / 2, size=m)
    c = 10.0 ** rng.uniform(-decades / 2, decades / 2, size=n)
    return MatrixGame(r[:, None] * A * c[None, :])


def duplicated_game(m: int = 20, n: int = 25, *, copies: int = 3, seed=0) -> MatrixGame:
    """A uniform game with every row and every column repeated ``copies`` times.

    Its equilibria form a polytope (the mass of a strategy splits freely among
    its copies): a degenerate game with the value of the original.
    """
    A = random_matrix_game(m, n, seed=seed).A
    return MatrixGame(np.repeat(np.repeat(A, copies, axis=0), copies, axis=1))


def near_tie_game(m: int = 30, n: int = 30, *, eps: float = 1e-9, seed=0) -> MatrixGame:
    """Payoffs on a coarse grid {-1, 0, 1} perturbed by ``eps``: near-ties everywhere."""
    rng = _rng(seed)
    A = rng.integers(-1, 2, size=(m, n)).astype(float) + eps * rng.uniform(-1, 1, size=(m, n))
    return MatrixGame(A)


def rank_deficient_game(m: int = 40, n: int = 50, *, rank: int = 3, seed=0) -> MatrixGame:
    """``U V^T`` of rank ``rank`` (normal factors): many strategies are interchangeable."""
    rng = _rng(seed)
    return MatrixGame(rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n)) / rank)


def hilbert_game(n: int = 12) -> MatrixGame:
    """``A_ij = 1 / (i + j + 1) - 1/(2n)``: Hilbert-like, severely ill-conditioned.

    The shift makes the value non-trivial (the Hilbert matrix itself has a
    pure saddle point at its corner).
    """
    i = np.arange(n)
    return MatrixGame(1.0 / (i[:, None] + i[None, :] + 1.0) - 1.0 / (2 * n))


def degenerate_games() -> dict[str, MatrixGame]:
    """Small degenerate zero-sum games: ties among best responses, continua of equilibria.

    ``"tied_pure"``: a pure saddle point whose row has two best responses;
    ``"all_equal_column"``: a column constant across rows (every row is a best
    response to it); ``"continuum"``: every mixture of the first two rows is
    optimal; ``"weak_dominance"``: a weakly dominated row and column;
    ``"constant"`` and ``"zero"``: every point is an equilibrium; ``"one_by_one"``,
    ``"one_row"``, ``"one_column"``: the smallest shapes.

    Examples
    --------
    >>> sorted(degenerate_games())[:3]
    ['all_equal_column', 'constant', 'continuum']
    """
    return {
        "tied_pure": MatrixGame(np.array([[1.0, 1.0, 2.0], [0.0, 3.0, -1.0], [-1.0, 0.0, 4.0]])),
        "all_equal_column": MatrixGame(np.array([[2.0, 0.0, 5.0], [2.0, 4.0, -1.0],
                                                 [2.0, 3.0, 3.0]])),
        "continuum": MatrixGame(np.array([[1.0, -1.0], [1.0, -1.0], [0.0, -2.0]])),
        "weak_dominance": MatrixGame(np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0],
                                               [-1.0, -1.0, 1.0]])),
        "constant": MatrixGame(np.full((4, 3), 7.5)),
        "zero": MatrixGame(np.zeros((3, 5))),
        "one_by_one": MatrixGame(np.array([[-2.5]])),
        "one_row": MatrixGame(np.array([[3.0, -1.0, 2.0, -1.0]])),
        "one_column": MatrixGame(np.array([[3.0], [-1.0], [2.0], [3.0]])),
    }


def hard_games(seed=0, *, size: tuple[int, int] = (30, 40)) -> list[HardGame]:
    """The hard-games zoo: offsets, scales, row/column scales, degeneracy, near-ties, rank
    deficiency, Hilbert-like conditioning and the smallest shapes.

    Every game's tolerance should be relative to its :attr:`MatrixGame.spread`.

    Examples
    --------
    >>> zoo = hard_games(seed=1, size=(6, 5))
    >>> [h.name for h in zoo][:4]
    ['uniform', 'offset', 'scaled', 'row_column_scaled']
    >>> next(h for h in zoo if h.name == "offset").base
    'uniform'
    """
    m, n = size
    out = [
        HardGame("uniform", random_matrix_game(m, n, seed=seed)),
        HardGame("offset", offset_game(m, n, seed=seed), "uniform"),
        HardGame("scaled", scaled_game(m, n, seed=seed), "uniform"),
        HardGame("row_column_scaled", row_column_scaled_game(m, n, seed=seed)),
        HardGame("duplicated", duplicated_game(max(1, m // 3), max(1, n // 3), seed=seed)),
        HardGame("near_tie", near_tie_game(m, n, seed=seed)),
        HardGame("rank_deficient", rank_deficient_game(m, n, seed=seed)),
        HardGame("hilbert", hilbert_game(max(2, min(m, n) // 2))),
    ]
    out += [HardGame(name, g) for name, g in degenerate_games().items()]
    return out


def random_tree_game(*, seed=0, depth: int = 3, max_actions: int = 3, chance: float = 0.3,
                     exact: bool = False, max_payoff: int = 5):
    """A random two-player zero-sum extensive-form game with chance (perfect recall).

    The tree alternates at random between the players and chance down to
    ``depth`` moves; each decision node gets 1..``max_actions`` actions.
    Imperfect information: at a node a player observes only her own past
    moves and, with probability 1/2 at each chance node below it, the chance
    outcome, so several nodes share information sets.  Payoffs are integers
    in ``[-max_payoff, max_payoff]``; ``exact=True`` draws chance
    probabilities as exact fractions (``ExtensiveFormGame.exact_entries``
    then holds ``A`` exactly), otherwise as floats.
    """
    rng = _rng(seed)
    b = SequenceFormBuilder()
    # an information set is the player's own history plus what she observed: nodes
    # that agree on both share it, so perfect recall holds by construction
    visible = {}

    def walk(d, seqs, views, reach, cdepth):
        if d == depth or (d > 0 and rng.random() < 0.15):
            u = int(rng.integers(-max_payoff, max_payoff + 1))
            b.leaf(seqs[0], seqs[1], reach, u, -u, cdepth)
            return
        if rng.random() < chance:
            k = int(rng.integers(2, 4))
            if exact:
                w = [int(v) for v in rng.integers(1, 5, size=k)]
                probs = [Fraction(v, sum(w)) for v in w]
            else:
                w = rng.uniform(0.2, 1.0, size=k)
                probs = list(w / w.sum())
            shown = tuple(bool(rng.random() < 0.5) for _ in range(2))
            for o, p in enumerate(probs):
                nv = tuple(views[q] + ((("c", d, o),) if shown[q] else ()) for q in range(2))
                walk(d + 1, seqs, nv, reach * p, cdepth + 1)
            return
        player = int(rng.integers(0, 2))
        key = (player, views[player], seqs[player])
        n_act = visible.setdefault(key, int(rng.integers(1, max_actions + 1)))
        first = b.decision(player, key, seqs[player], range(n_act))
        for a in range(n_act):
            ns = list(seqs)
            ns[player] = first + a
            nv = list(views)
            nv[player] = views[player] + (("a", first + a),)
            walk(d + 1, tuple(ns), tuple(nv), reach, cdepth)

    walk(0, (0, 0), ((), ()), Fraction(1) if exact else 1.0, 0)
    return b.build()
