"""Every equilibrium of a game, each exact and certified: ``eqsolve.equilibria``.

Two-player games (``BimatrixGame``, dense ``MatrixGame``, a two-player
``NormalFormGame``) are enumerated in exact rational arithmetic
(:mod:`eqsolve.problems._pivoting`); each equilibrium comes back as a
:class:`~eqsolve.result.Result` with its exact strategies (``Result.exact``)
and its exact Nash gap as the certificate (0), the float certificate of the
rounded point in ``certificate.details["float_certificate"]``.

``ENUMERATORS`` maps each ``method=`` name to the function that enumerates;
a new enumerator is one entry.
"""

from __future__ import annotations

import time

import numpy as np

from .analysis.pure_equilibria import pure_equilibria
from .methods import run
from .methods._checkpoint import make_result
from .methods.lemke_howson import ExactProfile, check_label, exact_certificate
from .problems import BimatrixGame, MatrixGame, NormalFormGame
from .problems._pivoting import integer_game_of, support_enumeration, vertex_enumeration

__all__ = ["equilibria", "ENUMERATORS"]


def _two_player(game):
    """The ``BimatrixGame``/``MatrixGame`` to enumerate (a two-player ``NormalFormGame`` keeps
    its exact payoffs)."""
    if isinstance(game, NormalFormGame):
        if game.num_players != 2:
            raise ValueError(f"equilibria enumerates two-player games exactly; this game has "
                             f"{game.num_players} players")
        U = game.exact_payoffs
        return BimatrixGame(np.array(U[0]), np.array(U[1]))
    if isinstance(game, (BimatrixGame, MatrixGame)):
        why = None
        if isinstance(game, BimatrixGame) and game.chunked:
            why = "a chunked BimatrixGame"
        elif isinstance(game, MatrixGame) and (game.kind != "dense" or game.batch is not None):
            why = f"a {'batch of games' if game.batch is not None else game.kind} MatrixGame"
        elif game.backend != "numpy":
            why = f"a game on the {game.backend} backend"
        if why:
            raise TypeError(f"equilibria needs a dense NumPy game, got {why}; build it from "
                            "in-memory NumPy arrays")
        return game
    raise TypeError(f"game must be a BimatrixGame, MatrixGame or two-player NormalFormGame, got "
                    f"{type(game).__name__}")


def _results(game, profiles, method, elapsed, info=None):
    out = []
    ig = integer_game_of(game) if profiles else None
    for x, y in profiles:
        z = np.array([float(v) for v in x + y], dtype=game.dtype)
        cert = exact_certificate(game, ExactProfile(x, y, ig, True), game.certify(z, point="last"))
        out.append(make_result(game, method, cert, z, None, status="converged", tol=0.0,
                               iterations=0, oracle_calls=0, elapsed=elapsed,
                               info=dict(info or {})))
    return out


def _vertex(game, **options):
    _no_options("vertex_enumeration", options)
    t = time.perf_counter()
    eqs = vertex_enumeration(integer_game_of(game))
    return _results(game, eqs, "vertex_enumeration", time.perf_counter() - t)


def _support(game, **options):
    _no_options("support_enumeration", options)
    t = time.perf_counter()
    eqs = support_enumeration(integer_game_of(game))
    return _results(game, eqs, "support_enumeration", time.perf_counter() - t)


def _lemke_howson(game, labels=None, **options):
    m, n = game.m, game.n
    if labels is None:
        labels = range(m + n)
    elif isinstance(labels, (int, np.integer)) and not isinstance(labels, bool):
        labels = [labels]
    labels = [check_label(k, m, n) for k in labels]
    found = {}
    for k in labels:
        res = run(game, "lemke_howson", label=k, **options)
        if res.exact is None or res.residual != 0.0:
            raise RuntimeError(f"Lemke-Howson from label {k} stopped with status {res.status!r} "
                               "before reaching an equilibrium; raise max_iter or time_limit")
        key = res.exact
        if key not in found:
            res.info["labels"] = [k]
            found[key] = res
        else:
            found[key].info["labels"].append(k)
    return [found[k] for k in sorted(found)]


def _no_options(name, options):
    if options:
        raise TypeError(f"{name} takes no options, got {sorted(options)}")


#: method name -> enumerator(game, **options) -> list of Results
ENUMERATORS = {
    "vertex_enumeration": _vertex,
    "support_enumeration": _support,
    "lemke_howson": _lemke_howson,
}


def equilibria(game, method: str = "vertex_enumeration", **options) -> list:
    """Every extreme Nash equilibrium of a two-player game, exactly, each certified.

    Parameters
    ----------
    game : BimatrixGame, MatrixGame or two-player NormalFormGame
        Dense NumPy payoffs; exact payoffs (integers, Fractions, Decimals; a
        ``NormalFormGame`` also from strings such as ``"1/3"``) are used as
        given, float payoffs at their exact binary values.
    method : str
        ``"vertex_enumeration"`` (default): every vertex of the best-response
        polytope ``P = {x >= 0 : B^T x <= 1}`` and of ``Q = {y >= 0 : A y <= 1}``
        in exact integer pivoting (every lexicographically feasible basis
        once), then every complementary pair of vertices: all extreme
        equilibria, also of degenerate games (equilibrium components are the
        convex hulls of cliques of them), with no limit on the number of
        strategies (labels are bitsets of any size).  ``"support_enumeration"``:
        pairs of supports of equal size with nonsingular indifference systems;
        complete for nondegenerate games only -- on a degenerate game it can
        miss equilibria (supports of different sizes, singular systems) that
        vertex enumeration finds.  ``"pure"``: every pure-strategy equilibrium,
        exactly, of a game with any number of players
        (:func:`eqsolve.analysis.pure_equilibria.pure_equilibria`).
        ``"lemke_howson"``: the equilibria reached by
        Lemke-Howson from the labels ``labels`` (default: all ``m + n``), each
        once; not all equilibria need be reachable.
    **options
        ``lemke_howson`` takes ``labels`` and the options of
        ``solve(..., method="lemke_howson")`` (``pivoting``, ``max_iter``,
        ``time_limit``, ...).

    Returns
    -------
    list of Result
        One per equilibrium, sorted by their exact strategies: ``exact`` the
        strategies (tuples of Fractions), ``residual`` the exact Nash gap (0;
        the duality gap for a ``MatrixGame``), ``status`` ``"converged"``,
        ``certificate.details["float_certificate"]`` the float certificate of
        ``z``.  With ``method="lemke_howson"``, ``info["labels"]`` lists the
        labels that reached each.

    Examples
    --------
    >>> import eqsolve as eq
    >>> bos = eq.BimatrixGame([[2, 0], [0, 1]], [[1, 0], [0, 2]])   # battle of the sexes
    >>> [tuple(map(str, r.exact[0])) for r in eq.equilibria(bos)]
    [('0', '1'), ('2/3', '1/3'), ('1', '0')]
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    if method == "pure":
        # any number of players: every pure profile checked exactly
        _no_options("pure", options)
        return pure_equilibria(game)
    game = _two_player(game)
    try:
        enumerate_ = ENUMERATORS[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r} for equilibria; valid methods are: "
                         f"{', '.join(sorted([*ENUMERATORS, 'pure']))}") from None
    return enumerate_(game, **options)
