"""eqsolve: equilibria with certified residuals.

>>> import eqsolve as eq
>>> res = eq.solve(eq.MatrixGame([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]),
...                method="mirror_prox", tol=1e-8)
>>> res.converged, res.certificate.kind
(True, 'duality_gap')
"""

from __future__ import annotations

import functools

from . import io
from .analysis.correlated import certify_correlated, correlated_equilibrium
from .analysis.pure_equilibria import pure_equilibria
from .analysis.second_order import second_order_check
from .analysis.small_gain import SmallGainCertificate, small_gain
from .certificates import Certificate, set_region_certifier
from .domains import Ball, Box, Product, Reals, Simplex
from .treeplex import Treeplex
from .equilibria import equilibria
from .methods import METHODS, OnlineOptimistic, get_method, register, run
from .problems import (VI, BilinearSaddle, BimatrixGame, ChunkedMatrix, DifferentiableGame,
                       ExtensiveFormGame,
                       FiniteSumVI, LinearProgram, MatrixGame, NormalFormGame, PowerControlGame,
                       PreferenceGame, Problem, QuadraticGame, Saddle, zoo)
from .problems.bilinear import l1, linear, quadratic, zero
from .result import Result

__version__ = "0.1.0"

__all__ = [
    "solve",
    "solve_many",
    "equilibria",
    "ChunkedMatrix",
    "certify",
    "Result",
    "Certificate",
    "METHODS",
    "register",
    "second_order_check",
    "pure_equilibria",
    "correlated_equilibrium",
    "certify_correlated",
    "OnlineOptimistic",
    "Problem",
    "MatrixGame",
    "BimatrixGame",
    "PreferenceGame",
    "VI",
    "Saddle",
    "LinearProgram",
    "BilinearSaddle",
    "ExtensiveFormGame",
    "Treeplex",
    "linear",
    "quadratic",
    "l1",
    "zero",
    "Reals",
    "Box",
    "Simplex",
    "Ball",
    "Product",
    "zoo",
    "small_gain",
    "SmallGainCertificate",
    "DifferentiableGame",
    "QuadraticGame",
    "PowerControlGame",
    "FiniteSumVI",
    "NormalFormGame",
    "io",
]

# The certified flows (methods) certify their region through the certificates
# layer's RegionCertificate interface; the front wires in Small-Gain Nash
# (analysis), which the methods may not import.
set_region_certifier(small_gain)


def _check_problem(problem) -> Problem:
    if not isinstance(problem, Problem):
        raise TypeError(
            f"problem must be an eqsolve problem (MatrixGame, BimatrixGame, VI, Saddle, ...), "
            f"got {type(problem).__name__}; wrap a payoff matrix A as eqsolve.MatrixGame(A)"
        )
    return problem


def solve(problem, method: str | None = None, *, x0=None, tol: float = 1e-6, max_iter: int = 10_000,
          time_limit: float | None = None, callback=None, progress: bool = False, check_every=None,
          output: str | None = None, backend: str | None = None, **options) -> Result:
    """Solve ``problem`` with ``method`` until its certified residual is at most ``tol``.

    Parameters
    ----------
    problem : Problem
        ``MatrixGame``, ``BimatrixGame``, ``VI``, ``Saddle``, ...
    method : str, optional
        A name in :data:`METHODS` (``"mirror_prox"``, ``"pdhg"``, ...).  By
        default the problem's ``default_method``, the fastest measured for its
        class: ``pdhg`` for matrix games, ``mirror_prox`` for preference games,
        ``logit`` for normal-form games (N players), ``extragradient`` for VIs,
        saddle problems and bimatrix games.
    x0 : array or tuple of arrays, optional
        Start point inside the domain (one vector per player block, or the
        joint vector).  Default: the domain's centre (uniform strategies).
        Never modified.
    tol : float
        Target for the certified residual (duality gap, Nash gap, natural
        residual, ... -- see ``problem.residual_kind``).  ``0`` sets no target:
        the solve runs to ``max_iter`` or ``time_limit`` (fixed-budget
        experiments).  A positive ``tol`` below the certificate's rounding
        floor (:meth:`~eqsolve.problems.base.Problem.rounding_floor`) ends at
        once with status ``"tol_below_floor"``.
    max_iter : int
    time_limit : float, optional
        Seconds.
    callback : callable, optional
        Called with a :class:`~eqsolve.methods.Progress` at each certification;
        returning ``True`` stops the solve (status ``"stopped"``).
    progress : bool
        Show a progress bar.
    check_every : int, optional
        Certify every ``check_every`` iterations; by default about every 5 %
        of the iterations done so far (at most every 100), every iteration
        for methods whose certificate is free, and no more often than a
        method's minimum interval (an expensive certificate).  Not for a batch
        of games solved game by game (each is certified after each iteration).
    output : {"best", "last", "average"}, optional
        Which point to return: the last iterate, the ergodic average, or
        (``"best"``) the point with the smallest certified residual over every
        checkpoint of the solve, last iterates and averages alike.  The
        default is the method's (``"best"`` for most; ``"last"`` for methods
        with only a last iterate).  The certificate names the point it
        certifies and ``info["certified_iteration"]`` where it was certified.
        A batch of games solved game by game always returns each game's best.
    backend : {"numpy", "numba", "cupy"}, optional
        By default the arrays decide (NumPy in, NumPy out; CuPy in, CuPy out).
        ``"numba"`` runs the method's compiled CPU kernels (methods listing it
        in ``backends``); ``"cupy"`` moves a problem built from NumPy arrays to
        the GPU (``"numpy"`` the other way).  ``BackendUnavailableError`` when
        the package or the GPU is missing.
    **options
        Method options, e.g. ``step``, ``adaptive``, ``geometry``.

    Returns
    -------
    Result
        Its ``certificate`` is computed exactly at the returned point.

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> game = eq.MatrixGame(np.array([[3.0, -1.0], [-2.0, 1.0]]))
    >>> res = eq.solve(game, tol=1e-9)
    >>> round(res.value, 6), res.residual <= 1e-9
    (0.142857, True)

    References
    ----------
    A. Nemirovski, SIAM J. Optim. 15 (2004) 229-251.
    """
    _check_problem(problem)
    m = get_method(problem.default_method if method is None else method)
    return run(problem, m, x0=x0, tol=tol, max_iter=max_iter, time_limit=time_limit,
               callback=callback, progress=progress, check_every=check_every, output=output,
               backend=backend, **options)


def solve_many(problems, method: str | None = None, *, client=None, **solve_options) -> list[Result]:
    """Solve each of ``problems``: in this process, or spread over a dask cluster.

    Parameters
    ----------
    problems : iterable of Problem
    method : str, optional
        As for :func:`solve` (each problem's default when omitted).
    client : dask.distributed.Client, optional
        Solve the problems as tasks on this cluster's workers (each problem is
        shipped pickled -- a chunked game as its source, never its data -- and
        each Result comes back pickled).  ``None``: one by one, here.
    **solve_options
        The options of :func:`solve` (``tol``, ``max_iter``, method options),
        the same for every problem.

    Returns
    -------
    list of Result
        In the order of ``problems``; each equals ``solve(problem, method,
        **solve_options)``.  A problem that fails raises its error here.

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> games = [eq.MatrixGame(np.array([[3.0, -1.0], [-2.0, 1.0]]) * s) for s in (1.0, 2.0)]
    >>> [round(r.value, 6) for r in eq.solve_many(games, tol=1e-9)]
    [0.142857, 0.285714]
    """
    problems = [_check_problem(p) for p in problems]
    if client is None:
        return [solve(p, method, **solve_options) for p in problems]
    if not hasattr(client, "map") or not hasattr(client, "gather"):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    # the options travel bound to the task, so none is taken for one of client.map's own
    task = functools.partial(_solve_task, method=method, **solve_options)
    futures = client.map(task, problems, pure=False)
    return client.gather(futures)


def _solve_task(problem, method=None, **solve_options):
    # a module-level function, so that the task pickles by reference
    return solve(problem, method, **solve_options)


def certify(problem, point) -> Certificate:
    """Certify a point the user brings: the exact residual of ``problem`` at ``point``.

    Parameters
    ----------
    problem : Problem
    point : array or tuple of arrays
        The joint point, or one vector per player (``(x, y)`` for games).
        It must lie in the domain (``ValueError`` otherwise).

    Examples
    --------
    >>> import numpy as np, eqsolve as eq
    >>> game = eq.MatrixGame([[1.0, -1.0], [-1.0, 1.0]])      # matching pennies
    >>> cert = eq.certify(game, (np.array([1.0, 0.0]), np.array([0.5, 0.5])))
    >>> cert.kind, round(cert.value, 12)     # the column player gains 1 by deviating
    ('duality_gap', 1.0)
    """
    _check_problem(problem)
    z = problem.check_point("point", point)
    return problem.certify(z, point="given")
