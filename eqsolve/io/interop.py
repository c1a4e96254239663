"""Games from other libraries: nashpy and pygambit (optional imports, never required)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from ..problems.normal_form import NormalFormGame

__all__ = ["from_nashpy", "from_pygambit"]


def from_nashpy(game) -> NormalFormGame:
    """The :class:`~eqsolve.problems.NormalFormGame` of a nashpy ``Game``.

    nashpy's convention is eqsolve's: the row player receives
    ``x @ A @ y`` and the column player ``x @ B @ y``, both maximising; a
    zero-sum nashpy game (``B = -A``) becomes a zero-sum game, so
    ``.to_problem()`` gives a :class:`~eqsolve.MatrixGame`.  Integer
    payoffs stay exact; float payoffs are taken at their exact binary value.

    Parameters
    ----------
    game : nashpy.Game

    Examples
    --------
    >>> import nashpy, eqsolve as eq                       # doctest: +SKIP
    >>> g = from_nashpy(nashpy.Game([[1, -1], [-1, 1]]))   # doctest: +SKIP
    >>> eq.solve(g.to_problem(), tol=1e-9).value           # doctest: +SKIP
    0.0
    """
    mats = getattr(game, "payoff_matrices", None)
    if mats is None or len(mats) != 2:
        raise TypeError(f"game must be a nashpy.Game (with payoff_matrices), got {type(game).__name__}")
    A, B = (np.asarray(m) for m in mats)
    if A.ndim != 2 or A.shape != B.shape:
        raise ValueError(f"game's payoff matrices must be two 2-d arrays of one shape, got shapes "
                         f"{A.shape} and {B.shape}")
    return NormalFormGame([A.tolist(), B.tolist()], players=["Row", "Column"])


def _gambit_number(v):
    # pygambit returns its own Rational (a Fraction) or decimal.Decimal: keep both exact
    if isinstance(v, (Fraction, Decimal, int)):
        return v
    return Fraction(str(v))


def from_pygambit(game) -> NormalFormGame:
    """The :class:`~eqsolve.problems.NormalFormGame` of a pygambit strategic game.

    Player and strategy labels, the title and the comment are kept; payoffs
    stay exact (pygambit's rationals and decimals).  Extensive-form games are
    read through their reduced strategic form, as pygambit defines it.

    Parameters
    ----------
    game : pygambit.gambit.Game

    Examples
    --------
    >>> import pygambit as gbt                                      # doctest: +SKIP
    >>> g = gbt.StrategicGame.from_arrays([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])  # doctest: +SKIP
    >>> from_pygambit(g).zero_sum                                   # doctest: +SKIP
    True
    """
    players = getattr(game, "players", None)
    if players is None or not hasattr(game, "title"):
        raise TypeError(f"game must be a pygambit Game, got {type(game).__name__}")
    players = list(players)
    if players and isinstance(players[0], str):
        # pygambit 17 names players and strategies by their labels and gives the payoff
        # tables (exact Rationals) at once
        tables = game.to_arrays()
        return NormalFormGame(
            np.stack([np.asarray(t, dtype=object) for t in tables]).tolist(),
            players=[p or f"Player {i + 1}" for i, p in enumerate(players)],
            strategies=[[lab or str(k + 1) for k, lab in enumerate(game.get_strategies(p))]
                        for p in players],
            title=game.title or "", comment=getattr(game, "description", None) or "")
    strategies = [list(p.strategies) for p in players]
    shape = tuple(len(s) for s in strategies)
    payoffs = np.empty((len(players),) + shape, dtype=object)
    for idx in np.ndindex(shape):
        outcome = game[tuple(int(a) for a in idx)]
        for i, p in enumerate(players):
            # a strategic game's profile without an outcome (None) pays everyone zero
            payoffs[(i,) + idx] = 0 if outcome is None else _gambit_number(outcome[p])
    return NormalFormGame(
        payoffs,
        players=[p.label or f"Player {i + 1}" for i, p in enumerate(players)],
        strategies=[[s.label or str(k + 1) for k, s in enumerate(ss)] for ss in strategies],
        title=game.title or "",
        # pygambit 16.3 renamed the game's comment to its description
        comment=getattr(game, "description", None) or getattr(game, "comment", "") or "",
    )
