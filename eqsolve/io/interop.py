"""Games from and strategies for other libraries: nashpy, pygambit, OpenSpiel.

The libraries are optional: the functions here take their objects and import
them only inside functions (OpenSpiel, to build its policy object).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from ..problems.extensive_form import ExtensiveFormGame
from ..problems.normal_form import NormalFormGame
from .efg import EFGNode, EFGOutcome, EFGTree, tree_to_game

__all__ = ["from_nashpy", "from_pygambit", "to_openspiel_policy"]


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


def _fraction(v) -> Fraction:
    # pygambit's Rational is a Fraction; its Decimal converts exactly
    if isinstance(v, (Fraction, int)):
        return Fraction(v)
    if isinstance(v, Decimal):
        return Fraction(v)
    return Fraction(str(v))


def _pygambit_tree(game) -> EFGTree:
    """The :class:`~eqsolve.io.efg.EFGTree` of a pygambit (>= 17) extensive game.

    Walks the tree in prefix order with an explicit stack through pygambit's
    public history API: a node is the tuple of action labels leading to it
    (``H.path(*actions)``); information sets and chance events are numbered
    in the order pygambit lists them (first appearance in prefix order, as
    Gambit numbers them in the files it writes); outcomes likewise.  Node and
    information-set labels are not exposed by that API and are left empty.
    """
    import pygambit

    H = pygambit.H
    players = list(game.players)
    number = {p: i + 1 for i, p in enumerate(players)}
    # every member node (its action path) -> its set's number
    member_set: dict = {}
    for p in players:
        for k, rep in enumerate(game.get_infosets(p)):
            for m in game.get_members(H.path(*rep.actions)):
                member_set[(p, m.actions)] = k + 1
    for k, rep in enumerate(game.get_events()):
        for m in game.get_members(H.path(*rep.actions)):
            member_set[(None, m.actions)] = k + 1
    labels = list(game.get_outcomes())
    outcome_number = {lab: k + 1 for k, lab in enumerate(labels)}
    outcomes = []
    for lab in labels:
        pays = game.get_outcome_payoffs(lab)
        outcomes.append(EFGOutcome(outcome_number[lab], lab, tuple(_fraction(pays[p]) for p in players)))
    nodes = []
    stack = [()]
    while stack:
        path = stack.pop()
        sel = H.path(*path)
        actions = tuple(game.get_actions(sel))
        lab = game.get_outcome(sel)
        o = 0 if lab is None else outcome_number[lab]
        if not actions:
            nodes.append(EFGNode("t", outcome=o))
            continue
        # only a chance event has action probabilities (whatever the players are called)
        probs = game.get_action_probs(sel)
        if probs:
            nodes.append(EFGNode("c", infoset=member_set[(None, path)], actions=actions,
                                 probs=tuple(_fraction(probs[a]) for a in actions), outcome=o))
        else:
            who = game.get_player(sel)
            nodes.append(EFGNode("p", player=number[who], infoset=member_set[(who, path)],
                                 actions=actions, outcome=o))
        stack.extend(path + (a,) for a in reversed(actions))
    return EFGTree(game.title or "", tuple(players), getattr(game, "description", "") or "",
                   tuple(nodes), tuple(outcomes))


def _pygambit_table_17(game) -> NormalFormGame:
    """A pygambit (>= 17) strategic game, read through its label-based API."""
    players = list(game.players)
    strategies = [list(game.get_strategies(p)) for p in players]
    shape = tuple(len(s) for s in strategies)
    payoffs = np.empty((len(players),) + shape, dtype=object)
    for idx in np.ndindex(shape):
        pays = game.get_payoffs({p: strategies[i][k] for i, (p, k) in enumerate(zip(players, idx))})
        for i, p in enumerate(players):
            payoffs[(i,) + idx] = _gambit_number(pays[p])
    return NormalFormGame(payoffs, players=players, strategies=strategies,
                          title=game.title or "", comment=game.description or "")


def from_pygambit(game) -> NormalFormGame | ExtensiveFormGame:
    """The eqsolve game of a pygambit game: strategic or extensive.

    * A strategic (table) game becomes a
      :class:`~eqsolve.problems.NormalFormGame`: player and strategy labels,
      the title and the comment are kept; payoffs stay exact (pygambit's
      rationals and decimals).
    * An extensive (tree) game (pygambit >= 17, ``pygambit.ExtensiveGame``)
      becomes an :class:`~eqsolve.problems.ExtensiveFormGame`, built from the
      tree walked once with exact payoffs and chance probabilities (outcomes
      at inner nodes add to every play through them), with the tree attached
      as ``game.tree`` (an :class:`~eqsolve.io.efg.EFGTree`, so
      :func:`~eqsolve.io.write_efg` writes it) and information sets keyed
      ``(player, number)`` as :func:`~eqsolve.io.read_efg` keys them.  It
      must be a two-player zero-sum (or constant-sum) game with perfect
      recall: otherwise a ``ValueError`` says which.  A tree game with other
      than two players (which the sequence form here does not take), and any
      tree game under pygambit < 17, is read through its reduced strategic
      form as pygambit defines it: a ``NormalFormGame``.

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
    if hasattr(game, "get_histories") and len(list(players)) == 2:
        return tree_to_game(_pygambit_tree(game))
    if hasattr(game, "get_strategies"):
        return _pygambit_table_17(game)
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


def to_openspiel_policy(game: ExtensiveFormGame, result_or_point):
    """An OpenSpiel ``TabularPolicy`` playing the behaviour strategies of a point.

    Parameters
    ----------
    game : ExtensiveFormGame
        Made by :meth:`ExtensiveFormGame.from_openspiel
        <eqsolve.problems.ExtensiveFormGame.from_openspiel>`, so that its
        information sets are keyed by OpenSpiel's information-state strings
        and its actions are OpenSpiel's action ids.
    result_or_point : Result or array_like
        A solve's result (its ``z``) or a joint point ``z = (x, y)`` of
        realisation plans, read as :meth:`ExtensiveFormGame.behavior
        <eqsolve.problems.ExtensiveFormGame.behavior>` reads it (renormalised
        at every information set) -- the strategies the certificate speaks of.

    Returns
    -------
    open_spiel.python.policy.TabularPolicy
        Over all of OpenSpiel's information states; states the game does not
        hold (reached only through chance outcomes of probability zero) keep
        the uniform policy.  ``exploitability.nash_conv(game.source, policy)``
        is the certificate's NashConv up to its rounding allowance.

    Raises
    ------
    TypeError
        When ``game`` is not an ExtensiveFormGame from OpenSpiel.
    ValueError
        When the point's length does not match the game.
    """
    if not isinstance(game, ExtensiveFormGame):
        raise TypeError(f"game must be an ExtensiveFormGame, got {type(game).__name__}")
    try:
        import pyspiel
        from open_spiel.python import policy as os_policy
    except ImportError:
        raise ImportError("to_openspiel_policy needs OpenSpiel: pip install "
                          "'eqsolve[openspiel]'") from None
    source = game.source
    if not isinstance(source, pyspiel.Game):
        raise TypeError("game was not made by ExtensiveFormGame.from_openspiel (its information "
                        "sets are not keyed by OpenSpiel's information-state strings), so it has "
                        "no OpenSpiel policy; write its strategies with game.behavior(z)")
    z = getattr(result_or_point, "z", result_or_point)
    z = np.asarray(z, dtype=np.float64)
    if z.shape != (game.n1 + game.n2,):
        raise ValueError(f"result_or_point must be a joint point of length {game.n1 + game.n2} "
                         f"(player 1's {game.n1} sequences, then player 2's {game.n2}), got shape "
                         f"{z.shape}")
    strategy = game.behavior(z)
    pol = os_policy.TabularPolicy(source)
    table = pol.action_probability_array
    lookup = pol.state_lookup
    for key, probs in strategy.items():
        row = lookup.get(key)
        if row is None:
            raise ValueError(f"information state {key!r} is not one of {source}'s: the game was "
                             "built from a different OpenSpiel game")
        table[row, :] = 0.0
        for action, p in probs.items():
            table[row, action] = p
    return pol
