"""Every pure-strategy Nash equilibrium of a finite game, exactly.

A pure profile ``a`` is a Nash equilibrium when no player gains by a
unilateral deviation: :math:`U_i(a) \\ge U_i(b, a_{-i})` for every player
``i`` and strategy ``b``.  The check runs over all profiles at once on the
float64 payoffs (one maximum per player along its own axis), and is then made
exact: float64 rounding is monotone, so an entry whose float is strictly
below the best float is exactly below the best exact value; only entries
tied in float64 with the profile's own payoff are compared again as exact
rationals (:class:`fractions.Fraction`, from the game's exact payoffs).  So
the answer is exact for rational payoffs (Gambit ``.nfg`` files) and for
float payoffs (at their exact binary values) alike.

:func:`equilibria` dispatches on ``method``; ``"pure"`` is this enumeration.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..certificates import Certificate
from ..problems.games import BimatrixGame, MatrixGame
from ..problems.normal_form import NormalFormGame
from ..result import Result

__all__ = ["pure_equilibria", "payoff_tables"]


def payoff_tables(game, what: str = "this analysis"):
    """``(U, floats)``: every player's payoffs as one float64 array ``(N, s_1, ..., s_N)``,
    and whether they are the game's own (float) payoffs rather than roundings of exact ones.

    Takes a ``NormalFormGame`` or one dense NumPy ``MatrixGame`` / ``BimatrixGame``;
    shared by the pure- and correlated-equilibrium analyses.
    """
    if isinstance(game, NormalFormGame):
        return np.asarray(game.payoffs, dtype=np.float64), False
    if isinstance(game, (MatrixGame, BimatrixGame)):
        if not isinstance(game.A, np.ndarray) or getattr(game, "batch", None) is not None:
            raise TypeError(f"{what} needs the payoffs of one game as dense NumPy arrays (not a "
                            "batch, sparse, chunked or GPU game)")
        A = np.asarray(game.A, dtype=np.float64)
        B = -A if isinstance(game, MatrixGame) else np.asarray(game.B, dtype=np.float64)
        return np.stack([A, B]), True
    raise TypeError(f"game must be a NormalFormGame, BimatrixGame or MatrixGame, got "
                    f"{type(game).__name__}")


def _tables(game):
    """``(float payoffs (N, s_1, ..., s_N), exact lookup(i, index) -> Fraction, exact_floats)``."""
    U, floats = payoff_tables(game, "pure equilibria")
    if not floats:
        def exact(i, idx):
            return game.exact_payoffs[(i,) + idx]
    else:
        # float payoffs are exact binary rationals: float comparisons are exact already
        # (widening float32 to float64 is exact, negating is exact)
        def exact(i, idx):
            return Fraction(float(U[(i,) + idx]))
    return U, exact, floats


def _is_equilibrium_exactly(U, exact, profile) -> bool:
    """Recheck a float-screened profile in exact arithmetic (only the float ties)."""
    for i in range(U.shape[0]):
        own = profile[i]
        line = [slice(None) if k == i else a for k, a in enumerate(profile)]
        col = U[(i,) + tuple(line)]
        ties = np.flatnonzero(col == col[own])
        if ties.size <= 1:
            continue
        mine = exact(i, tuple(profile))
        for b in ties:
            if b == own:
                continue
            other = list(profile)
            other[i] = int(b)
            if exact(i, tuple(other)) > mine:
                return False
    return True


def pure_equilibria(game) -> list[Result]:
    """Every pure-strategy Nash equilibrium of ``game``, each as a certified :class:`Result`.

    Parameters
    ----------
    game : NormalFormGame, BimatrixGame or MatrixGame

    Returns
    -------
    list of Result
        In lexicographic order of the profiles.  Each has ``z`` the joint
        pure profile (0/1 blocks), ``x``/``y`` for two players, ``value`` the
        first player's payoff, a ``nash_gap`` (``duality_gap`` for a
        ``MatrixGame``) certificate whose value is the exact gap, 0, and in
        ``info``: ``"profile"`` (strategy indices), ``"labels"`` (strategy
        labels, for a ``NormalFormGame``), ``"exact"`` (each player's strategy
        as a tuple of :class:`~fractions.Fraction`) and ``"payoffs"`` (every
        player's exact payoff).

    Examples
    --------
    >>> from eqsolve.problems import NormalFormGame
    >>> coord = NormalFormGame([[[2, 0], [0, 1]], [[2, 0], [0, 1]]])   # a coordination game
    >>> [r.info["profile"] for r in pure_equilibria(coord)]
    [(0, 0), (1, 1)]
    >>> pure_equilibria(coord)[1].residual
    0.0
    """
    U, exact, floats_exact = _tables(game)
    N = U.shape[0]
    shape = U.shape[1:]
    ok = np.ones(shape, dtype=bool)
    for i in range(N):
        # a profile survives for player i when its payoff ties the best along axis i
        ok &= U[i] == np.max(U[i], axis=i, keepdims=True)
    found = [tuple(int(a) for a in p) for p in np.argwhere(ok)]
    if not floats_exact:
        found = [p for p in found if _is_equilibrium_exactly(U, exact, p)]
    return [_result(game, U, exact, p) for p in found]


def _result(game, U, exact, profile) -> Result:
    N = U.shape[0]
    shape = U.shape[1:]
    blocks = []
    for i in range(N):
        e = np.zeros(shape[i])
        e[profile[i]] = 1.0
        blocks.append(e)
    z = np.concatenate(blocks)
    payoffs = tuple(exact(i, profile) for i in range(N))
    details = {"exact": True, "gains": (0.0,) * N, "profile": profile,
               "payoffs": tuple(float(p) for p in payoffs)}
    if isinstance(game, MatrixGame):
        details["value_bounds"] = (float(payoffs[0]), float(payoffs[0]))
    kind = game.residual_kind
    cert = Certificate(kind, 0.0, "given", 0.0, details)
    info = {"profile": profile,
            "exact": tuple(tuple(Fraction(int(k == profile[i])) for k in range(shape[i]))
                           for i in range(N)),
            "payoffs": payoffs}
    if isinstance(game, NormalFormGame):
        info["labels"] = tuple(game.strategies[i][a] for i, a in enumerate(profile))
    x = y = None
    if N == 2:
        x, y = blocks
    return Result(z=z, certificate=cert, status="converged", tol=0.0, method="pure",
                  backend="numpy", x=x, y=y, value=float(payoffs[0]), info=info)



