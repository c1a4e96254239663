"""Families of general-sum games from the equilibrium-computation literature.

Seeded, exact where the literature's games are exact, exported through
:mod:`eqsolve.zoo`:

* :func:`covariance_game` -- random games whose payoff vectors are correlated
  across players (GAMUT's ``CovariantGame``);
* :func:`sgc_game` -- the Sandholm-Gilpin-Conitzer games with one equilibrium of
  large support;
* :func:`tournament_game` -- win-lose games built from a random tournament;
* :func:`savani_von_stengel_game` -- games on which Lemke-Howson takes
  exponentially many pivots from every initial label, built from the dual
  cyclic polytope with Morris' labels.

Every function validates its arguments with a message naming the argument.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from itertools import combinations

import numpy as np

from .games import BimatrixGame
from .normal_form import NormalFormGame

__all__ = ["covariance_game", "sgc_game", "tournament_game", "savani_von_stengel_game",
           "gale_strings", "morris_labels"]


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_int(name: str, v, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(v).__name__}")
    if v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    return int(v)


# -- covariance games ---------------------------------------------------------------------------
def covariance_game(sizes, rho: float = 0.0, *, seed=0, scale: int | None = None):
    """A random game whose payoff vector at each pure profile is multivariate normal.

    GAMUT's ``CovariantGame`` (Nudelman, Wortman, Shoham & Leyton-Brown 2004):
    at every pure profile the players' payoffs ``(u_1, ..., u_N)`` are drawn
    independently of the other profiles from ``N(0, Sigma)`` with unit
    variances and correlation ``rho`` between every two players,
    ``Sigma = (1 - rho) I + rho 1 1^T``.  ``rho = 1`` gives common-payoff games,
    ``rho = 0`` independent payoffs, and ``rho = -1/(N - 1)`` (the smallest value
    for which ``Sigma`` is a covariance) constant-sum games: for two players
    ``rho`` near -1 is near zero-sum, the regime where many equilibria are
    rare and support enumeration does well; for ``rho`` near 1 games have many
    pure equilibria.

    The draw is ``u = sqrt(1 - rho) (e - mean(e) 1) + sqrt(1 + (N - 1) rho) mean(e) 1``
    with ``e ~ N(0, I_N)``, exact in distribution for every admissible ``rho``
    (the two terms are the eigen-components of ``Sigma``).

    Parameters
    ----------
    sizes : sequence of int
        Strategy counts ``(s_1, ..., s_N)``, ``N >= 2``, each ``>= 1``.
    rho : float
        Correlation between players' payoffs, in ``[-1/(N - 1), 1]``.
    seed : int or numpy.random.Generator
    scale : int, optional
        When given, the payoffs are ``round(scale * u)`` as integers (an exact
        game, as GAMUT's integer output); otherwise float64.

    Returns
    -------
    BimatrixGame for two players, NormalFormGame otherwise.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError("sizes must be a sequence of strategy counts, e.g. (5, 5)")
    sizes = tuple(_check_int(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes))
    N = len(sizes)
    if N < 2:
        raise ValueError(f"sizes must give at least two players, got {len(sizes)}")
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not math.isfinite(rho):
        raise TypeError(f"rho must be a finite real number, got {rho!r}")
    low = -1.0 / (N - 1)
    if not low - 1e-15 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [{low:g}, 1] for {N} players (the covariance "
                         f"(1 - rho) I + rho 11^T is then positive semidefinite), got {rho}")
    if scale is not None:
        scale = _check_int("scale", scale, 1)
    e = _rng(seed).standard_normal((N,) + sizes)
    mean = e.mean(axis=0, keepdims=True)
    u = math.sqrt(1.0 - rho) * (e - mean) + math.sqrt(max(1.0 + (N - 1) * rho, 0.0)) * mean
    if scale is not None:
        u = np.rint(scale * u).astype(np.int64)
    if N == 2:
        return BimatrixGame(u[0], u[1])
    return NormalFormGame(list(u))


# -- Sandholm-Gilpin-Conitzer games -------------------------------------------------------------
def sgc_game(k: int) -> BimatrixGame:
    """The game of Sandholm, Gilpin & Conitzer (AAAI 2005) with parameter ``k >= 2``.

    Each player has ``4k - 1`` actions: a "cycle" block ``C`` of ``2k - 1`` and a
    "pairing" block ``D`` of ``2k``.  The game has exactly one Nash equilibrium:
    both players uniform on ``C``, so its support is about half of the
    actions and support enumeration visits exponentially many smaller
    supports first (the paper's worst case for it; also in the
    bimatrix-generators of Fearnley, Igwe & Savani's 2015 study).

    Payoffs (row, column), in units of 1/4 so that the game is integer:

    * ``C x C``: 3, 3 everywhere except ``(2, 4)`` at column ``i + 1`` and
      ``(4, 2)`` at column ``i - 1`` (indices modulo ``2k - 1``): the column
      player wants to be one step ahead on the cycle, the row player one step
      behind;
    * ``C x D``: the row player gets 2, the column player 0;
    * ``D x C``: the row player gets 0, the column player 2;
    * ``D x D``: the row player gets 3 on the diagonal (matching), the column
      player 3 at the partner of the row's action (pairs ``(0, 1), (2, 3),
      ...``), 0 elsewhere -- no equilibrium there.
    """
    k = _check_int("k", k, 2)
    c, n = 2 * k - 1, 4 * k - 1
    A = np.zeros((n, n), dtype=np.int64)
    B = np.zeros((n, n), dtype=np.int64)
    i = np.arange(c)
    A[:c, :c] = 3
    B[:c, :c] = 3
    A[i, (i + 1) % c], B[i, (i + 1) % c] = 2, 4
    A[i, (i - 1) % c], B[i, (i - 1) % c] = 4, 2
    A[:c, c:] = 2
    B[c:, :c] = 2
    j = np.arange(2 * k)
    A[c + j, c + j] = 3
    B[c + j, c + (j ^ 1)] = 3            # partner: 0 <-> 1, 2 <-> 3, ...
    return BimatrixGame(A, B)


# -- tournament games ---------------------------------------------------------------------------
#: the most columns (k-subsets) a tournament game may have
TOURNAMENT_MAX_COLUMNS = 2_000_000


def tournament_game(n: int, k: int = 2, *, seed=0) -> BimatrixGame:
    """A win-lose game from a random tournament on ``n`` nodes (``n x C(n, k)``).

    The construction of Anbalagan, Norin, Savani & Vetta ("Polylogarithmic
    supports are required for approximate well-supported Nash equilibria
    below 2/3", WINE 2013), used as a benchmark family by Fearnley, Igwe &
    Savani (2015): a tournament (every pair of nodes joined by one arc, here
    oriented by a fair coin from ``seed``) gives a bipartite game where the
    row player picks a node ``r`` and the column player a ``k``-subset ``S`` of
    the nodes (columns in lexicographic order).  The column player wins (1)
    when ``r`` is in ``S``; the row player wins (1) when ``r`` is not in ``S``
    and beats every node of ``S``; otherwise both get 0.  On tournaments in
    which every ``k``-set is beaten by some node, no equilibrium has small
    supports.

    Parameters
    ----------
    n : int
        Nodes (row strategies), ``>= 2``.
    k : int
        Size of the column player's sets, ``1 <= k < n``.
    seed : int or numpy.random.Generator
        Orients the tournament.
    """
    n = _check_int("n", n, 2)
    k = _check_int("k", k, 1)
    if k >= n:
        raise ValueError(f"k must be smaller than n = {n}, got {k}")
    cols = math.comb(n, k)
    if cols > TOURNAMENT_MAX_COLUMNS:
        raise ValueError(f"n = {n}, k = {k} gives C(n, k) = {cols} columns, more than "
                         f"{TOURNAMENT_MAX_COLUMNS}; use a smaller n or k")
    rng = _rng(seed)
    upper = np.triu(rng.random((n, n)) < 0.5, 1)
    beats = upper | np.triu(~upper, 1).T            # exactly one arc per pair
    sets = np.array(list(combinations(range(n), k)), dtype=np.int64).reshape(cols, k)
    member = np.zeros((n, cols), dtype=bool)
    member[sets, np.arange(cols)[:, None]] = True
    # r beats all of S: every member s of S has beats[r, s]
    dominates = beats[:, sets].all(axis=2)
    A = (dominates & ~member).astype(np.int64)
    B = member.astype(np.int64)
    return BimatrixGame(A, B)


# -- Savani-von Stengel games -------------------------------------------------------------------
def gale_strings(d: int) -> list[tuple[int, ...]]:
    """The vertices of the dual cyclic polytope with ``2d`` facets in dimension ``d``.

    A vertex is the set of ``d`` facets it lies on; by Gale's evenness
    condition these are the ``d``-subsets of ``0..2d-1`` whose maximal runs of
    consecutive members not touching either end have even length.
    """
    d = _check_int("d", d, 1)
    n = 2 * d
    out = []
    for S in combinations(range(n), d):
        member = np.zeros(n + 2, dtype=bool)
        member[1:-1][list(S)] = True
        edges = np.flatnonzero(np.diff(member.astype(np.int8)))   # run starts and ends, padded
        starts, ends = edges[::2], edges[1::2]                     # run = positions start..end-1
        interior = (starts > 0) & (ends < n)
        if not np.any((ends - starts)[interior] % 2):
            out.append(S)
    return out


def morris_labels(d: int) -> tuple[int, ...]:
    """Morris' (1994) labels of the ``2d`` facets of the dual cyclic polytope (``d`` even).

    Facets ``0..d-1`` carry labels ``0..d-1``; facets ``d..2d-1`` carry
    ``d-1, d-3, d-2, d-5, d-4, ..., 1, 2, 0`` (1-based: ``d, d-2, d-1, ...,
    2, 3, 1``).  With these labels the polytope has exactly one completely
    labelled vertex besides the one on facets ``0..d-1`` (the facets
    ``d..2d-1``), and every Lemke path between them is exponentially long in
    ``d``.
    """
    d = _check_int("d", d, 2)
    if d % 2:
        raise ValueError(f"d must be even (Morris' labelling needs it), got {d}")
    second = [d - 1]
    for a in range(d - 3, 0, -2):
        second += [a, a + 1]
    second.append(0)
    return tuple(range(d)) + tuple(second)


def _solve_exact(M, rhs):
    """Solve ``M z = rhs`` for a nonsingular square Fraction matrix (Gauss-Jordan)."""
    n = len(M)
    T = [list(row) + [r] for row, r in zip(M, rhs)]
    for col in range(n):
        p = next(r for r in range(col, n) if T[r][col] != 0)
        T[col], T[p] = T[p], T[col]
        pv = T[col][col]
        T[col] = [v / pv for v in T[col]]
        for r in range(n):
            if r != col and T[r][col] != 0:
                f = T[r][col]
                T[r] = [a - f * b for a, b in zip(T[r], T[col])]
    return [T[r][n] for r in range(n)]


def _dual_cyclic_matrix(d: int) -> list[list[Fraction]]:
    """``C`` (d x d, exact) with ``{s >= 0 : C^T s <= 1}`` the dual cyclic polytope.

    The polytope is the polar ``{x : c_k^T x <= 1}`` of the cyclic polytope
    whose vertices ``c_k = mu(k + 1) - centroid`` lie on the moment curve
    ``mu(t) = (t, t^2, ..., t^d)``; facet ``k`` of it is vertex ``k`` of the
    cyclic polytope.  Coordinates are changed to the slacks ``s_k = 1 -
    c_k^T x`` of facets ``0..d-1`` (the vertex they meet, a Gale string, goes to
    the origin): for ``j >= d`` the slack of facet ``j`` is ``alpha_j + beta_j^T s``
    with ``beta_j = C_K^{-1} c_j`` and ``alpha_j = 1 - 1^T beta_j > 0``, so the
    facet is ``(-beta_j / alpha_j)^T s <= 1``: column ``j - d`` of ``C``.
    """
    n = 2 * d
    pts = [[Fraction(t) ** e for e in range(1, d + 1)] for t in range(1, n + 1)]
    centre = [sum(p[e] for p in pts) / n for e in range(d)]
    c = [[p[e] - centre[e] for e in range(d)] for p in pts]
    CK = [[c[k][e] for k in range(d)] for e in range(d)]        # columns c_0..c_{d-1}
    C = [[Fraction(0)] * d for _ in range(d)]
    for j in range(d, n):
        beta = _solve_exact(CK, c[j])
        alpha = 1 - sum(beta)
        if alpha <= 0:      # cannot happen: facets 0..d-1 meet at a vertex strictly inside the others
            raise AssertionError("the moment-curve polytope is not simple at its first vertex")
        for r in range(d):
            C[r][j - d] = -beta[r] / alpha
    return C


#: largest dimension accepted (entries grow like the moment curve's powers)
SVS_MAX_DIMENSION = 40


def savani_von_stengel_game(d: int) -> BimatrixGame:
    """A ``d x d`` game on which Lemke-Howson takes exponentially many pivots from every label.

    The hard-to-solve games of Savani & von Stengel ("Hard-to-solve bimatrix
    games", Econometrica 2006) in the imitation-game form of their
    simplification (Savani & von Stengel, "Unit vector games", IJET 2016;
    imitation games: McLennan & Tourky 2010): the row player's payoff is the
    identity (``A = I``, the row player wants to match the column) and the
    column player's payoff ``B`` makes ``P = {x >= 0 : B^T x <= 1}`` the dual
    cyclic polytope in dimension ``d`` with ``2d`` facets (:func:`gale_strings`),
    facets ``x_i >= 0`` being facets ``0..d-1`` and column ``j`` the facet among
    ``d..2d-1`` that carries Morris' label ``j`` (:func:`morris_labels`).  A
    Lemke-Howson path of the game drops a label and alternates between ``P``
    and the unit cube of the row player; its steps in ``P`` are Morris' Lemke
    path, so from every one of the ``2d`` labels the path has twice the length
    of a Morris path, which grows exponentially in ``d``.  The game has one
    Nash equilibrium (the completely labelled vertex on facets ``d..2d-1``).
    The 2006 paper's form, with a second dual cyclic polytope for the row
    player, is not what is built here.

    ``B`` is exact: its rational entries times their common denominator, an
    integer matrix (the entries' bit length grows with ``d``, about 24 bits at
    ``d = 8``).

    Parameters
    ----------
    d : int
        Even dimension, ``2 <= d <= 40``.
    """
    d = _check_int("d", d, 2)
    if d % 2:
        raise ValueError(f"d must be even, got {d}")
    if d > SVS_MAX_DIMENSION:
        raise ValueError(f"d must be at most {SVS_MAX_DIMENSION}, got {d}")
    labels = morris_labels(d)
    C = _dual_cyclic_matrix(d)
    # column j of B: the facet d + f whose Morris label is j
    order = [labels[d:].index(j) for j in range(d)]
    q = math.lcm(*(v.denominator for row in C for v in row))
    B = np.array([[int(C[r][f] * q) for f in order] for r in range(d)], dtype=object)
    if max(abs(int(v)) for v in B.ravel()) < 2 ** 62:
        B = B.astype(np.int64)
    return BimatrixGame(np.eye(d, dtype=np.int64), B)
