"""Primal-dual hybrid gradient (Chambolle-Pock) for matrix games, adaptive and restarted.

For :math:`\\min_{y \\in \\Delta_n} \\max_{x \\in \\Delta_m} x^\\top A y`:

.. math::

    y^+ = \\Pi_{\\Delta_n}(y - \\tau A^\\top x), \\qquad
    x^+ = \\Pi_{\\Delta_m}(x + \\sigma A (2 y^+ - y)),

convergent when :math:`\\tau\\sigma\\|A\\|_2^2 < 1`.  The adaptive variant
(Goldstein, Li, Yuan, Esser, Baraniuk) needs no norm: a step is rejected when

.. math:: 2\\langle A\\,\\Delta y, \\Delta x\\rangle > \\gamma(\\|\\Delta y\\|^2/\\tau + \\|\\Delta x\\|^2/\\sigma)

and both steps shrink by :math:`c = b\\gamma(\\cdot)/(2\\langle\\cdot\\rangle)`;
the ratio :math:`\\tau/\\sigma` is balanced so that the primal and dual
residuals

.. math::

    p = \\|(y - y^+)/\\tau - A^\\top(x - x^+)\\|, \\qquad
    d = \\|(x - x^+)/\\sigma - A(y - y^+)\\|

stay within a factor :math:`\\Delta` of each other (with a decaying
adaptivity :math:`a_k`).  The driver restarts it from the better-certified of
its last iterate and average (PDLP's restart scheme, with the duality gap as
the restart measure).

The two variants are the classes :class:`HalpernPDHG` and :class:`AdaptivePDHG`,
selected by ``variant=`` under the one name ``pdhg``; their shared formulas
live in :mod:`eqsolve.methods.pdhg_halpern`.

``variant="halpern"`` (the default) is the reflected restarted Halpern PDHG
of Lu and Yang: with :math:`T` one PDHG step at fixed
:math:`\\tau = \\sigma = 0.98/\\|A\\|_2` (the norm from a power iteration, with a
2 % margin for its under-estimate),

.. math:: z_{k+1} = \\tfrac{k+1}{k+2}\\big((1+\\rho)\\,T(z_k) - \\rho z_k\\big) + \\tfrac{1}{k+2} z_0,
   \\qquad \\rho = 1,

restarted (anchor := :math:`T(z_k)`) when the fixed-point residual
:math:`\\|z_k - T(z_k)\\|_P` in the PDHG metric has fallen by ``beta`` = 0.2
since the last restart, or the epoch exceeds 36 % of all iterations.  The
certified point is :math:`T(z_k)` (feasible); :math:`z_k` itself may leave the
simplices.  On dense random games it needs about 1.6x fewer iterations than
the adaptive variant (measured, see ``benchmarks/``).

Each iteration costs one product with :math:`A` and one with :math:`A^\\top`
(``A (2y^+ - y)`` is formed from ``A y^+`` by linearity); both candidate
points are certified from those products alone, so certification is free.
``oracle_calls`` counts such pairs (one pair = one evaluation of
:math:`F(x, y) = (-Ay, A^\\top x)`).

References
----------
.. [1] A. Chambolle and T. Pock, "A first-order primal-dual algorithm for convex
   problems with applications to imaging", J. Math. Imaging Vis. 40 (2011) 120-145.
.. [2] T. Goldstein, M. Li, X. Yuan, E. Esser and R. Baraniuk, "Adaptive primal-dual
   hybrid gradient methods for saddle-point problems", arXiv:1305.0546 (2013).
.. [3] H. Lu and J. Yang, "Restarted Halpern PDHG for linear programming",
   arXiv:2407.16144 (2024).
.. [4] D. Applegate, O. Hinder, H. Lu and M. Lubin, "Faster first-order primal-dual
   methods for linear programming using restarts and sharpness", Math. Program. (2023).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from .._validation import check_max_iter, check_positive
from ..backend import HAS_NUMBA, namespace, narrow_float, to_float
from ._kernels import simplex_projector
from .base import (Candidate, Family, Method, NonFiniteError, StepCollapsedError, Terminated,
                   Traits)
from .pdhg_batch import BatchedHalpernPDHG
from .pdhg_halpern import (EPOCH_FRACTION, POLISH_SLACK, PRECONDITIONERS, RESTART_BETA,
                           diagonal_scaling, halpern_combination, halpern_step_size,
                           metric_residual2, pdhg_step, polish_cost, polish_subgame, polish_support,
                           lanczos_norm, power_norm, power_start,
                           restart_due, scaled_norm_bound, tangent_normal)
from .registry import register

__all__ = ["PDHG", "HalpernPDHG", "AdaptivePDHG", "FixedPDHG", "DETECT_EVERY"]

_SUMMARY = ("primal-dual hybrid gradient for bilinear saddle problems (matrix games, linear "
            "programs, BilinearSaddle): reflected restarted Halpern PDHG (default), adaptive "
            "PDHG, or fixed-step Chambolle-Pock")

#: iterations between two infeasibility checks of the iterates' displacement (each one
#: product with K or K^T, counted)
DETECT_EVERY = 64


def _supports(problem):
    if problem.saddle is None:
        return ("pdhg solves bilinear saddle problems (MatrixGame, LinearProgram, "
                f"BilinearSaddle); got {type(problem).__name__}")
    return None


def _prox_maps(S, backend, tau, sigma, row=None, col=None):
    """One-argument ``(prox_max, prox_min)`` for the steps ``sigma`` (maximiser), ``tau``.

    ``row``, ``col``: the diagonal steps' weights (None: scalar steps).  Zero
    terms on simplices with scalar steps take the compiled projection under
    ``backend="numba"``.
    """
    if row is None and S.plain:
        return (simplex_projector(S.max_domain, backend),
                simplex_projector(S.min_domain, backend))
    return (lambda w: S.prox_max(w, sigma, row)), (lambda w: S.prox_min(w, tau, col))


def _detect(S, oracle, it, dx, dy):
    """Raise :class:`Terminated` when the displacement ``(dx, dy)`` proves infeasibility."""
    if it % DETECT_EVERY:
        return
    found = S.detect(oracle, dx, dy)
    if found is not None:
        raise Terminated(*found)


def _norm_bound(problem) -> float:
    """A rigorous bound on ``||K||_2`` (the structure's, or the problem's Lipschitz bound)."""
    S = problem.saddle
    return S.norm_bound if S.norm_bound is not None else problem.lipschitz


def _precondition_option(problem, precondition):
    """The checked preconditioner: ``None`` resolves per problem (see the class docstring)."""
    single_entries = problem.batch is None and problem.saddle.entries is not None
    if precondition is None:
        return DEFAULT_PRECONDITION if single_entries else "none"
    if precondition == "auto":
        return "auto" if single_entries else "none"
    if precondition not in PRECONDITIONERS:
        raise ValueError(f"precondition must be one of {('auto',) + PRECONDITIONERS}, got "
                         f"{precondition!r}")
    if precondition != "none" and problem.batch is not None:
        raise ValueError(f"precondition={precondition!r} applies to one game; a batch of games "
                         "is solved with precondition='none' (leave it unset)")
    if precondition != "none" and not single_entries:
        raise ValueError(f"precondition={precondition!r} reads the entries of the matrix; a "
                         "LinearOperator problem takes precondition='none' (leave it unset)")
    return precondition


def _primal_weight_option(problem, primal_weight):
    """``(omega, adaptive)`` from ``primal_weight`` (None: adaptive off matrix games)."""
    if primal_weight is None:
        primal_weight = 1.0 if problem.saddle.keep_sums == (True, True) else "adaptive"
    if isinstance(primal_weight, str):
        if primal_weight != "adaptive":
            raise ValueError("primal_weight must be a positive number or 'adaptive', got "
                             f"{primal_weight!r}")
        if problem.batch is not None:
            raise ValueError("primal_weight='adaptive' applies to one problem; a batch of "
                             "games is solved with primal_weight=1 (leave it unset)")
        return 1.0, True
    omega = check_positive("primal_weight", primal_weight)
    if omega != 1.0 and problem.batch is not None:
        raise ValueError("a batch of games is solved with primal_weight=1 (leave it unset)")
    return omega, False


def _polish_option(problem, polish):
    dense_host = problem.saddle.polish
    if polish is None:
        return dense_host
    if polish and not dense_host:
        raise ValueError("polish=True solves a subproblem of the matrix's entries on the host: "
                         "it takes one NumPy or scipy.sparse matrix game or linear program (not "
                         "a batch, a LinearOperator, GPU arrays or a BilinearSaddle); leave "
                         "polish unset")
    return bool(polish)


#: the preconditioner of ``pdhg`` on one game when ``precondition`` is not given: Ruiz
#: where its first pass finds the rows' or columns' largest entries spread out (measured:
#: docs/design.md, "Hard games" and "Defaults that pay for themselves")
DEFAULT_PRECONDITION = "auto"
#: the fewest strategies (both players) for which pdhg projects with Numba by default
COMPILED_PROJECTION_DIM = 1024
#: default Lanczos steps for the step's norm on one problem (it stops earlier once the
#: estimate settles); a batch keeps its power iterations
LANCZOS_STEPS = 30
BATCH_POWER_ITERATIONS = 40
#: mixed precision: iterate on float32 until the float32 estimate of the duality gap at
#: the certified point is off the float64 certificate by this fraction of it
SWITCH_FRACTION = 0.1
#: ... or until the certified gap is within this factor of a float32 product's typical
#: error (measured: float32 iterates follow float64's to within 5 % down to ~3x that error)
SWITCH_REACH = 10.0
#: ... or until this many certificates in a row found the estimate at tol but not the gap
SWITCH_MISSES = 3
#: in float32, certify when the estimate fell by this factor since the last certificate,
#: or the iterations doubled (from MIN_LOOK on)
LOOK_FACTOR = 0.25
MIN_LOOK = 16
#: ... and switch when a doubling of the iterations gained less than this factor
STALL_GAIN = 1.5
#: the driver's schedule stays out of the way of a mixed-precision run (certify_now decides)
NEVER = 1 << 62


def _mixed_option(problem, mixed):
    """Whether to iterate on a float32 copy first (``None``: wherever the game offers one)."""
    offered = "float32" in problem.working_dtypes
    if mixed is None:
        return offered
    if not isinstance(mixed, bool):
        raise TypeError(f"mixed_precision must be True, False or None, got {mixed!r}")
    if mixed and not offered:
        raise ValueError("mixed_precision=True iterates on a float32 copy of the entries: it "
                         "takes one dense MatrixGame of float32 or float64 payoffs (not a "
                         "batch, a sparse, chunked or LinearOperator game, a linear program "
                         "or a BilinearSaddle); leave mixed_precision unset")
    return mixed
#: the first iteration at which ``pdhg`` may polish, and the growth of the spacing of polishes
POLISH_START = 64
POLISH_GROWTH = 2.0
#: the growth of a linear program's restricted set after a polish that did not help
POLISH_WIDEN = 4.0


class HState(NamedTuple):
    x: Any  # z_k (may leave the simplices)
    y: Any
    ATx: Any
    Ay: Any
    anchor: tuple  # (x0, y0, ATx0, Ay0)
    k: int  # iterations since the anchor
    t: tuple  # T(z_k) = (x1, y1, ATx1, Ay1): the certified point
    step: float
    ref: float  # fixed-point residual at the last restart
    epoch: int  # iteration of the last restart
    iteration: int
    restarts: int
    tau: Any = None  # diagonal steps (tau_j = step col_j), None without preconditioning
    sigma: Any = None
    scaling: tuple = (None, None)  # (row, col) weights
    next_polish: float = POLISH_START
    polishes: int = 0  # attempts
    polished: int = -1  # iteration of the last polish that was taken
    slack: float = POLISH_SLACK
    scaling_passes: int = 0  # passes over A's entries made by the preconditioner
    saddle: Any = None  # the problem's SaddleStructure
    omega: float = 1.0  # primal weight: tau = step / omega, sigma = step * omega
    reweights: int = 0  # restarts that changed omega
    work: Any = None  # the problem whose products the iterations use (a working copy)
    low: bool = False  # iterating on the float32 copy, certified against the user's game
    est: float = math.inf  # the working copy's duality gap at T(z_k) (low only)
    looked: float = math.inf  # est at the last certificate
    look_it: int = 0  # iteration of the last certificate
    look_value: float = math.inf  # certified gap at the last certificate
    target: float = 0.0  # the solve's tol (from the driver)
    misses: int = 0  # certificates in a row with est <= tol < certified gap
    raise_due: bool = False  # switch to float64 iterations at the next step
    switched: int = -1  # iteration of the switch
    norm_steps: int = 0  # Lanczos steps spent on the norm
    reach: float = 0.0  # the typical error of a float32 product (low only)


#: the iterations between two certificates of Halpern PDHG on a problem other than a
#: matrix game (whose certificate is cheap enough for every iteration)
CERTIFY_INTERVAL = 8
#: PDLP's smoothing of the primal weight at a restart: log omega moves this fraction of
#: the way to log(||dual move|| / ||primal move||)
WEIGHT_SMOOTHING = 0.5
#: moves shorter than this (in the preconditioned variables) leave the primal weight alone
WEIGHT_MIN_MOVE = 1e-10


def _weighted_steps(step, omega, row, col):
    """``(tau, sigma)`` of the minimiser and the maximiser: ``step / omega * col`` and
    ``step * omega * row``; ``(None, None)`` when both are the scalar ``step``."""
    if row is None and omega == 1.0:
        return None, None
    tau, sigma = step / omega, step * omega
    return (tau, sigma) if row is None else (tau * col, sigma * row)


def _resolved(precondition, s):
    """The preconditioner a run used (``"auto"`` resolves to ``"ruiz"`` or ``"none"``)."""
    if precondition != "auto":
        return precondition
    return "none" if s.scaling[0] is None else "ruiz"


def _cast(xp, v, dtype):
    """``v`` in ``dtype`` (None stays None; no copy when it already is)."""
    if v is None or v.dtype == dtype:
        return v
    return xp.astype(v, dtype)


def _initial_weight(S, row, col):
    """PDLP's start ``||c|| / ||b||`` from the linear terms in the preconditioned variables
    (1 where either is zero: a game, a saddle without linear terms)."""
    if not (S.f.has_linear and S.g.has_linear):
        return 1.0
    xp = S.xp
    # a scalar term is the same number on every coordinate
    c = xp.asarray(S.f.lin, dtype=S.dtype) * xp.ones(S.n_min, dtype=S.dtype)
    b = xp.asarray(S.g.lin, dtype=S.dtype) * xp.ones(S.n_max, dtype=S.dtype)
    if row is not None:
        c, b = c * xp.sqrt(col), b * xp.sqrt(row)
    ratio = to_float(xp.linalg.vector_norm(c)) / to_float(xp.linalg.vector_norm(b))
    return ratio if 0.0 < ratio < math.inf else 1.0


@dataclass(frozen=True)
class HalpernPDHG(Method):
    """Reflected restarted Halpern PDHG (Lu and Yang), restarting itself.

    Parameters
    ----------
    step : float, optional
        ``tau = sigma``; default ``0.98 / ||M||_2`` with the norm from
        ``power_iters`` Lanczos steps, ``M`` the preconditioned matrix
        restricted to the directions that keep the strategies' sums (so that
        adding a constant to ``A`` changes nothing).  A given step skips the
        norm's products (on a game streamed from disk, the step of an
        earlier solve, ``Result.info["step"]``, saves their passes).
    reflection : float
        ``rho`` in [0, 1]: 1 is the reflected step, 0 plain Halpern.
    power_iters : int, optional
        The most Lanczos steps for ``||M||_2`` (each one product pair,
        counted; :func:`~eqsolve.methods.pdhg_halpern.lanczos_norm` stops
        once the estimate settles, ``Result.info["norm_steps"]``); default 30
        (a chunked game too, so that it takes the dense game's step), or the
        problem's ``power_iterations`` where it sets one.  A batch of games
        uses as many power iterations (default 40).
    precondition : {"auto", "ruiz", "pock_chambolle", "ruiz_pock_chambolle", "none"}, optional
        Diagonal steps from the centred payoffs
        (:func:`~eqsolve.methods.pdhg_halpern.diagonal_scaling`; the passes
        over ``A`` are reported in ``Result.info["scaling_passes"]``).  Default
        ``"auto"`` on one dense, sparse or chunked game (a chunked game streams
        its passes and gets the dense game's scalings): Ruiz equilibration
        unless its first pass finds the largest entries of the rows, and those
        of the columns, within a factor 2 of each other (a uniform or Gaussian
        game, where it changes no iteration count), then scalar steps after
        that one pass; ``Result.info["precondition"]`` says which ran.
        ``"none"`` on a batch (the batch path has no diagonal steps) and on a
        ``LinearOperator``.
    polish : bool, optional
        At inner restarts (spaced geometrically, from iteration 64), solve a
        subproblem the iterate identifies exactly and restart from its
        solution when its certificate is smaller: a matrix game's subgame of
        the rows and columns near equilibrium
        (:func:`~eqsolve.methods.pdhg_halpern.polish_subgame`), a linear
        program restricted to the columns of small reduced cost, with pricing
        (:meth:`~eqsolve.problems.bilinear.LinearProgram.restricted_optimum`).
        Default ``True`` on one NumPy, sparse or chunked game (whose subgame
        is read in one pass) or linear program, ``False`` otherwise.
    primal_weight : float or "adaptive", optional
        ``omega``: the minimiser's step is ``step / omega`` and the
        maximiser's ``step * omega`` (their product, hence convergence, does
        not change).  ``"adaptive"`` starts from ``||c|| / ||b||`` (the two
        linear terms, preconditioned; 1 when either is zero) and, at every
        restart, moves ``log omega`` half way to the log of the ratio of the
        maximiser's to the minimiser's move since the previous restart
        (PDLP's primal weight update, Applegate et al.), which balances the
        two distances to the solution.  Default ``1`` when both blocks are
        simplices (matrix games: strategies on the same scale), ``"adaptive"``
        otherwise (linear programs, bilinear saddles on boxes and balls).
    mixed_precision : bool, optional
        Iterate on a float32 copy of the payoffs (of ``A - centre``, so that
        an offset costs no accuracy; :meth:`~eqsolve.problems.games.MatrixGame.working`),
        whose products cost half the memory traffic, and certify every
        returned point against the user's game with float64 products.  The
        candidates are certified when the float32 estimate of the duality gap
        reaches ``tol``, falls 4x, or the iterations double; the iterations go
        on in float64 (restarted at the current point) when the certified gap
        comes within 10x of a float32 product's typical error, when the
        estimate and the certificate disagree by 10 %, or when a doubling of
        the iterations gained less than 1.5x (``Result.info["float64_from"]``).
        Default ``True`` on one dense game of float32 or float64 payoffs whose
        spread fits float32's exponent range, ``False`` otherwise.  A float32
        game is always iterated in float32 first and certified in float64;
        ``False`` keeps its iterations in float32 throughout.
    backend : {"numpy", "numba"}, optional
        ``"numba"``: compiled simplex projections (without preconditioning),
        and the fused kernel on a batch of games.  Default ``"numba"`` on one
        host game of at least 1024 strategies (both players together) where
        Numba is installed (a sorted projection costs about as much as a
        float32 product at n = 2000; on a smaller game it costs less than
        loading the compiled kernel), ``"numpy"`` otherwise.
    """

    name: ClassVar[str] = "pdhg"
    summary: ClassVar[str] = _SUMMARY
    variant: ClassVar[str] = "halpern"
    # it restarts itself on its fixed-point residual; both candidates are
    # certified from the step's own products
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), restart=False,
                                      certify_every_iteration=True,
                                      backends=("numpy", "cupy", "numba"))

    step_size: float | None
    reflection: float
    power_iters: int
    backend: str
    precondition: str = "none"
    polish: bool = False
    omega: float = 1.0
    adaptive_weight: bool = False
    # True where the certificate costs little beside a step (matrix games: a max and a
    # min of the step's products), so that every iteration is certified
    cheap_certificate: bool = True
    mixed_precision: bool = False
    # the iterations run in float32 at first (mixed precision, or the game's float32
    # entries): the certificates are spaced out (certify_now)
    narrow: bool = False
    # the game's entries are float32: its points are returned in float32
    narrow_game: bool = False

    @classmethod
    def supports(cls, problem, **options):
        return _supports(problem)

    def traits(self):
        if self.mixed_precision or self.narrow:
            # float32 products are estimates: the candidates are certified with float64
            # products when certify_now asks (the estimate reached tol, or fell 4x)
            return dataclasses.replace(self.TRAITS, certify_every_iteration=False,
                                       min_certify_interval=NEVER)
        if self.cheap_certificate:
            return self.TRAITS
        # an objective bracket (rounding allowances of both products, sums rounded out)
        # costs about as much as a step: certify every CERTIFY_INTERVAL iterations
        # (certify_now), and a polished point at once
        return dataclasses.replace(self.TRAITS, certify_every_iteration=False,
                                   min_certify_interval=CERTIFY_INTERVAL)

    @classmethod
    def from_options(cls, problem, *, step=None, adaptive=None, reflection=1.0, power_iters=None,
                     precondition=None, polish=None, primal_weight=None, mixed_precision=None,
                     backend=None):
        if adaptive:
            raise ValueError("variant='halpern' uses a fixed step; adaptive=True needs "
                             "variant='adaptive'")
        rho = check_positive("reflection", reflection, allow_zero=True)
        if rho > 1.0:
            raise ValueError(f"reflection must lie in [0, 1], got {rho}")
        if power_iters is None:
            power_iters = problem.power_iterations or (
                BATCH_POWER_ITERATIONS if problem.batch is not None else LANCZOS_STEPS)
        omega, adaptive_weight = _primal_weight_option(problem, primal_weight)
        return cls(None if step is None else check_positive("step", step), rho,
                   check_max_iter(power_iters, "power_iters"),
                   backend or cls._default_backend(problem),
                   _precondition_option(problem, precondition), _polish_option(problem, polish),
                   omega, adaptive_weight, problem.saddle.averages_certified,
                   *cls._precision(problem, mixed_precision))

    @staticmethod
    def _precision(problem, mixed_precision):
        mixed = _mixed_option(problem, mixed_precision)
        narrow_game = problem.batch is None and narrow_float(problem.saddle.dtype)
        return mixed, mixed or narrow_game, narrow_game

    @staticmethod
    def _default_backend(problem) -> str:
        """The compiled simplex projections where Numba is installed, on one host game of at
        least COMPILED_PROJECTION_DIM strategies (a sort per projection costs as much as a
        float32 product at n = 2000; on small games it costs microseconds, less than
        loading the compiled kernel once per process)."""
        single_host = problem.batch is None and problem.backend == "numpy"
        large = problem.saddle.n_max + problem.saddle.n_min >= COMPILED_PROJECTION_DIM
        return "numba" if HAS_NUMBA and single_host and large else "numpy"

    def batched(self, problem):
        return BatchedHalpernPDHG(self)

    def init(self, problem, oracle, z0):
        S = problem.saddle
        xp = S.xp
        row = col = None
        passes = 0
        if self.precondition != "none":
            # passes over A's entries, not products: reported, not counted as evaluations
            row, col, passes = diagonal_scaling(xp, S.entries, S.centre, self.precondition)
        # the iterations' products: a float32 copy first under mixed precision
        work = problem.working("float32") if self.mixed_precision else problem
        W, wo = work.saddle, self._oracle(problem, oracle, work)
        wrow, wcol = _cast(xp, row, W.dtype), _cast(xp, col, W.dtype)
        step, steps = self.step_size, 0
        if step is None:
            # a given step needs no norm: on a chunked game the norm's products are
            # most of the start's passes over A
            start = power_start(xp, W.n_min, W.dtype)
            normal = tangent_normal(xp, wo.matvec, wo.rmatvec, wrow, wcol, S.keep_sums)
            norm, steps = lanczos_norm(xp, normal, start, self.power_iters)
            step = to_float(halpern_step_size(np, np.asarray(norm)))
        x, y = (_cast(xp, v, W.dtype) for v in S.parts(z0))
        ATx, Ay = wo.products(x, y)
        here = (x, y, ATx, Ay)
        omega = _initial_weight(S, row, col) if self.adaptive_weight else self.omega
        tau, sigma = _weighted_steps(step, omega, wrow, wcol)
        low = work is not problem or narrow_float(W.dtype)
        est = to_float(xp.max(Ay)) - to_float(xp.min(ATx)) if low else math.inf
        # what float32 iterations can resolve: a float32 product's typical error, u
        # sqrt(n) max|A_ij| (rounding errors of a sum add up like a random walk)
        reach = (2.0 ** -24 * math.sqrt(max(W.n_max, W.n_min)) * float(work.amax)
                 if low and hasattr(work, "amax") else 0.0)
        return HState(x, y, ATx, Ay, here, 0, here, step, math.inf, 0, 0, 0, tau, sigma,
                      (row, col), scaling_passes=passes, saddle=W, omega=omega, work=work,
                      low=low, est=est, norm_steps=steps, reach=reach)

    @staticmethod
    def _oracle(problem, oracle, work):
        """The oracle of the products with ``work`` (``problem`` or a working copy)."""
        return oracle if work is problem else oracle.working(work)

    @staticmethod
    def _high(problem):
        """The problem of the float64 iterations: ``problem`` itself, or its float64 copy
        when its entries are float32 (exact in float64)."""
        if "float64" in problem.working_dtypes:
            return problem.working("float64")
        return problem

    def restart(self, problem, oracle, s, name, at):
        S = s.saddle
        here = S.parts(at.z) + S.products(at.z, at.Fz)
        return s._replace(x=here[0], y=here[1], ATx=here[2], Ay=here[3], anchor=here, k=0,
                          t=here, epoch=s.iteration)

    def step(self, problem, oracle, s):
        if s.raise_due:
            s = self._raised(problem, oracle, s)
        row, col = s.scaling
        S = s.saddle
        work = problem if s.work is None else s.work
        wo = self._oracle(problem, oracle, work)
        xp = S.xp
        tau, sigma = (s.step, s.step) if s.tau is None else (s.tau, s.sigma)
        prox_x, prox_y = _prox_maps(S, self.backend, tau, sigma, _cast(xp, row, S.dtype),
                                    _cast(xp, col, S.dtype))
        t = pdhg_step(s.x, s.y, s.ATx, s.Ay, tau, sigma, prox_x, prox_y, wo.matvec, wo.rmatvec)
        x1, y1, ATx1, Ay1 = t
        r2 = to_float(metric_residual2(xp, x1 - s.x, y1 - s.y, Ay1 - s.Ay, tau, sigma))
        if not math.isfinite(r2):
            raise NonFiniteError
        r = math.sqrt(max(r2, 0.0))
        it = s.iteration + 1
        if s.low:
            s = s._replace(est=to_float(xp.max(Ay1)) - to_float(xp.min(ATx1)))
        # Halpern's z_k - T(z_k) tends to the minimal displacement, which certifies an
        # infeasible problem (Lu and Yang)
        _detect(S, wo, it, x1 - s.x, y1 - s.y)
        ref = r if s.ref == math.inf else s.ref
        if restart_due(r, ref, it, s.epoch, RESTART_BETA):
            new = s._replace(x=x1, y=y1, ATx=ATx1, Ay=Ay1, anchor=t, k=0, t=t, ref=r, epoch=it,
                             iteration=it, restarts=s.restarts + 1)
            if self.adaptive_weight:
                new = self._reweighted(new, s.anchor)
            if self.polish and it >= s.next_polish:
                new = self._polished(problem, oracle, new)
            return new
        c = (s.k + 1.0) / (s.k + 2.0)
        x, y, ATx, Ay = (halpern_combination(c, new, old, anc, self.reflection)
                         for new, old, anc in zip(t, (s.x, s.y, s.ATx, s.Ay), s.anchor))
        return s._replace(x=x, y=y, ATx=ATx, Ay=Ay, k=s.k + 1, t=t, ref=ref, iteration=it)

    def observe(self, s, certificate, tol):
        if not s.low:
            return s._replace(target=tol)
        value = certificate.value
        misses = s.misses + 1 if s.est <= tol < value else 0
        # the iterations doubled since the last certificate and gained less than
        # STALL_GAIN: float32 iterations have reached what they can
        stalled = (s.iteration >= 2 * s.look_it >= MIN_LOOK
                   and not value * STALL_GAIN <= s.look_value)
        s = s._replace(target=tol, looked=s.est, misses=misses, look_it=s.iteration,
                       look_value=min(value, s.look_value))
        if value <= tol:
            return s
        # the float32 products no longer see the gap the certificate sees: what is left
        # to gain lies below float32's rounding, so the next steps go on in float64
        off = abs(value - s.est) > SWITCH_FRACTION * value
        near = value <= SWITCH_REACH * s.reach
        due = off or near or misses >= SWITCH_MISSES or stalled
        return s._replace(raise_due=self.mixed_precision and due)

    def _raised(self, problem, oracle, s):
        """``s`` moved to float64 iterations: restarted at ``T(z_k)``, products in float64."""
        high = self._high(problem)
        ho = self._oracle(problem, oracle, high)
        H = high.saddle
        xp = H.xp
        x1, y1 = (_cast(xp, v, H.dtype) for v in s.t[:2])
        ATx1, Ay1 = ho.products(x1, y1)
        here = (x1, y1, ATx1, Ay1)
        row, col = s.scaling
        tau, sigma = _weighted_steps(s.step, s.omega, _cast(xp, row, H.dtype),
                                     _cast(xp, col, H.dtype))
        return s._replace(x=x1, y=y1, ATx=ATx1, Ay=Ay1, anchor=here, k=0, t=here, ref=math.inf,
                          epoch=s.iteration, tau=tau, sigma=sigma, saddle=H, work=high,
                          low=False, est=math.inf, raise_due=False, switched=s.iteration)

    def certify_now(self, s):
        # a polished point is certified at once: the next steps move away from it.  The
        # certified residual of T(z_k) is not monotone (it jumps at restarts), so the
        # driver's schedule, which spaces certificates out to 5 % of the iterations,
        # would miss the iterations where it is small: every CERTIFY_INTERVAL instead
        if s.polished == s.iteration:
            return True
        if s.low:
            # float64 products cost ~4.5 float32 iterations: certify when the float32
            # estimate says tol is reached, fell 4x, or the iterations doubled since the
            # last certificate (progress, and the switch rule's evidence)
            return (s.est <= s.target or s.est <= LOOK_FACTOR * s.looked
                    or s.iteration >= max(2 * s.look_it, MIN_LOOK))
        if self.mixed_precision:
            return True  # float64 iterations: the certificate is in the step's products
        return not self.cheap_certificate and s.iteration % CERTIFY_INTERVAL == 0

    def _reweighted(self, s, previous):
        """``s`` (just restarted at ``s.t``) with PDLP's primal weight update."""
        row, col = s.scaling
        xp = namespace(s.x)
        dv, du = s.t[0] - previous[0], s.t[1] - previous[1]
        if row is not None:
            dv, du = dv / xp.sqrt(row), du / xp.sqrt(col)
        nv = to_float(xp.linalg.vector_norm(dv))
        nu = to_float(xp.linalg.vector_norm(du))
        if not (nv > WEIGHT_MIN_MOVE and nu > WEIGHT_MIN_MOVE and math.isfinite(nv / nu)):
            return s
        omega = math.exp(WEIGHT_SMOOTHING * math.log(nv / nu)
                         + (1.0 - WEIGHT_SMOOTHING) * math.log(s.omega))
        tau, sigma = _weighted_steps(s.step, omega, row, col)
        # the residual at the restart was measured in the old metric: the next one, in
        # the new metric, is the reference
        return s._replace(omega=omega, tau=tau, sigma=sigma, ref=math.inf,
                          reweights=s.reweights + 1)

    def _polished(self, problem, oracle, s):
        """``s`` restarted from the polished point when its duality gap is smaller."""
        if s.saddle.polisher is not None:
            return self._restricted(problem, oracle, s)
        x1, y1, ATx1, Ay1 = s.t
        rows, cols = polish_support(x1, y1, Ay1, ATx1, s.slack)
        if polish_cost(rows.size, cols.size) > s.iteration * problem.m * problem.n:
            # the subgame would cost more than the iterations so far: later
            return s
        spaced = s._replace(next_polish=s.iteration * POLISH_GROWTH, polishes=s.polishes + 1)
        found = polish_subgame(problem.A, x1, y1, rows, cols, problem.centre)
        if found is None:
            return spaced._replace(slack=s.slack * 10.0)
        # a polished point is worth float64 iterations under mixed precision: it is as
        # accurate as the subgame's solve
        raise_ = s.low and self.mixed_precision
        target = self._high(problem) if raise_ else (problem if s.work is None else s.work)
        T = target.saddle
        xs, ys = (_cast(T.xp, v, T.dtype) for v in found)
        ATxs, Ays = self._oracle(problem, oracle, target).products(xs, ys)
        gap, gap1 = to_float(Ays.max() - ATxs.min()), to_float(Ay1.max() - ATx1.min())
        if not gap < gap1:
            # the support was not identified yet: look wider next time
            return spaced._replace(slack=s.slack * 10.0)
        here = (xs, ys, ATxs, Ays)
        polished = spaced._replace(x=xs, y=ys, ATx=ATxs, Ay=Ays, anchor=here, t=here,
                                   polished=s.iteration, slack=POLISH_SLACK)
        if not raise_:
            return polished
        row, col = s.scaling
        tau, sigma = _weighted_steps(s.step, s.omega, _cast(T.xp, row, T.dtype),
                                     _cast(T.xp, col, T.dtype))
        return polished._replace(tau=tau, sigma=sigma, saddle=T, work=target, low=False,
                                 est=math.inf, raise_due=False, switched=s.iteration)

    def _restricted(self, problem, oracle, s):
        """The polish of a problem with a ``polisher`` (a linear program): its restricted
        solve at ``T(z_k)``, taken when its certificate on the whole problem is smaller."""
        S, P = s.saddle, s.saddle.polisher
        widen = s.slack / POLISH_SLACK
        if P.polish_work(widen) > s.iteration:
            # the restricted solve would cost more than the iterations so far: later
            return s
        x1, y1, ATx1, Ay1 = s.t
        spaced = s._replace(next_polish=s.iteration * POLISH_GROWTH, polishes=s.polishes + 1)
        here = S.operator(x1, y1, ATx1, Ay1)
        found = P.restricted_optimum(x1, y1, S.parts(here)[1], widen)
        if found is None:
            return spaced._replace(slack=s.slack * POLISH_WIDEN)
        xs, ys = found
        ATxs, Ays = oracle.products(xs, ys)
        there = S.operator(xs, ys, ATxs, Ays)
        now = problem.certify(S.join(x1, y1), Fz=here).value
        if not problem.certify(S.join(xs, ys), Fz=there).value < now:
            return spaced._replace(slack=s.slack * POLISH_WIDEN)
        point = (xs, ys, ATxs, Ays)
        return spaced._replace(x=xs, y=ys, ATx=ATxs, Ay=Ays, anchor=point, t=point,
                               polished=s.iteration, slack=POLISH_SLACK)

    def candidates(self, s):
        x1, y1, ATx1, Ay1 = s.t
        S = s.saddle
        xp = S.xp
        if self.narrow_game:
            # a float32 game's points stay float32; the game certifies them with float64
            # products (the step's products are float32, or of the unrounded point)
            return {"last": Candidate(S.join(_cast(xp, x1, xp.float32), _cast(xp, y1, xp.float32)))}
        if s.low:
            # float32 products are no certificate: the point, widened and put back on the
            # simplices in float64 (its float32 sums are off by ~sqrt(n) ulps), is
            # certified by the game with float64 products
            x, y = (v / xp.sum(v) for v in (_cast(xp, x1, xp.float64), _cast(xp, y1, xp.float64)))
            return {"last": Candidate(S.join(x, y))}
        return {"last": Candidate(S.join(x1, y1), S.operator(x1, y1, ATx1, Ay1))}

    def diagnostics(self, s):
        out = {"variant": "halpern", "step": s.step, "reflection": self.reflection,
               "inner_restarts": s.restarts, "precondition": _resolved(self.precondition, s),
               "scaling_passes": s.scaling_passes, "primal_weight": s.omega,
               "primal_weight_updates": s.reweights, "norm_steps": s.norm_steps}
        if self.mixed_precision:
            out["mixed_precision"] = True
            out["float64_from"] = s.switched if s.switched >= 0 else None
        if self.polish:
            out["polish_attempts"] = s.polishes
            out["polished_iteration"] = s.polished if s.polished >= 0 else None
        return out


class PDHGState(NamedTuple):
    x: Any  # the maximiser (a game's row player, an LP's multipliers)
    y: Any  # the minimiser (a game's column player, an LP's primal point)
    Ay: Any  # K @ y
    ATx: Any  # K.T @ x
    tau: float
    sigma: float
    alpha: float  # balancing adaptivity a_k
    sum_x: Any
    sum_y: Any
    sum_Ay: Any
    sum_ATx: Any
    weight: float
    backtracks: int
    residuals: tuple
    scaling: tuple = (None, None)  # diagonal steps (row, col): tau_j = tau col_j, sigma_i = sigma row_i
    scaling_passes: int = 0
    saddle: Any = None
    iteration: int = 0


class _AveragedPDHG(Method):
    """The steps shared by adaptive and fixed-step PDHG (Chambolle-Pock with its average).

    Subclasses are frozen dataclasses with the fields ``adaptive``, ``omega``,
    ``max_backtracks``, ``backend``, ``precondition`` and ``exact_average``;
    they differ in the step they start from (:meth:`_start_steps`).
    """

    gamma: ClassVar[float] = 0.75
    b: ClassVar[float] = 0.95
    delta: ClassVar[float] = 1.5
    alpha0: ClassVar[float] = 0.5
    eta: ClassVar[float] = 0.95

    @classmethod
    def supports(cls, problem, **options):
        return _supports(problem)

    def traits(self):
        if self.exact_average:
            return self.TRAITS
        # the average's products are recomputed when it is certified: certify at the
        # driver's checkpoints instead of after every iteration
        return dataclasses.replace(self.TRAITS, certify_every_iteration=False)

    def _scaling(self, S):
        if self.precondition == "none":
            return None, None, 0
        return diagonal_scaling(S.xp, S.entries, S.centre, self.precondition)

    def init(self, problem, oracle, z0):
        S = problem.saddle
        x, y = S.parts(z0)
        row, col, passes = self._scaling(S)
        tau, sigma = self._start_steps(problem, oracle, S, row, col)
        ATx, Ay = oracle.products(x, y)
        return self._fresh(x, y, Ay, ATx, tau, sigma, self.alpha0, 0)._replace(
            scaling=(row, col), scaling_passes=passes, saddle=S)

    @staticmethod
    def _fresh(x, y, Ay, ATx, tau, sigma, alpha, backtracks):
        xp = namespace(x)
        return PDHGState(x, y, Ay, ATx, tau, sigma, alpha, xp.zeros_like(x), xp.zeros_like(y),
                         xp.zeros_like(Ay), xp.zeros_like(ATx), 0.0, backtracks,
                         (math.inf, math.inf))

    def restart(self, problem, oracle, s, name, at):
        S = s.saddle
        x, y = S.parts(at.z)
        ATx, Ay = S.products(at.z, at.Fz)
        return self._fresh(x, y, Ay, ATx, s.tau, s.sigma, s.alpha, s.backtracks)._replace(
            scaling=s.scaling, scaling_passes=s.scaling_passes, saddle=S, iteration=s.iteration)

    def step(self, problem, oracle, s):
        row, col = s.scaling
        S = s.saddle
        xp = namespace(s.x)
        # the diagonal steps are tau * col, sigma * row; the scalars adapt
        wr = 1.0 if row is None else row
        wc = 1.0 if col is None else col
        tau, sigma, backtracks = s.tau, s.sigma, 0
        while True:
            prox_x, prox_y = _prox_maps(S, self.backend, tau * wc, sigma * wr, row, col)
            x1, y1, ATx1, Ay1 = pdhg_step(s.x, s.y, s.ATx, s.Ay, tau * wc, sigma * wr, prox_x,
                                          prox_y, oracle.matvec, oracle.rmatvec)
            dy, dx, dAy = y1 - s.y, x1 - s.x, Ay1 - s.Ay
            inner = 2.0 * to_float(xp.sum(dAy * dx))
            dist = (to_float(xp.sum(dy * dy / wc)) / tau
                    + to_float(xp.sum(dx * dx / wr)) / sigma)
            if not (math.isfinite(inner) and math.isfinite(dist)):
                raise NonFiniteError
            if not self.adaptive or self.gamma * dist >= inner:
                break
            c = self.b * self.gamma * dist / inner
            tau, sigma, backtracks = tau * c, sigma * c, backtracks + 1
            if backtracks > self.max_backtracks or tau < 1e-14 * s.tau:
                raise StepCollapsedError
        # with fixed steps the difference of iterates tends to the minimal displacement,
        # which certifies an infeasible problem (Applegate, Diaz, Lu and Lubin)
        _detect(S, oracle, s.iteration + 1, dx, dy)
        p = to_float(xp.linalg.vector_norm(-dy / (tau * wc) - (s.ATx - ATx1)))
        d = to_float(xp.linalg.vector_norm(-dx / (sigma * wr) - (s.Ay - Ay1)))
        alpha = s.alpha
        if self.adaptive and max(p, d) < max(s.residuals):
            # balance primal and dual progress (keeps tau * sigma)
            if p > self.delta * d:
                tau, sigma, alpha = tau / (1.0 - alpha), sigma * (1.0 - alpha), alpha * self.eta
            elif d > self.delta * p:
                tau, sigma, alpha = tau * (1.0 - alpha), sigma / (1.0 - alpha), alpha * self.eta
        return PDHGState(x1, y1, Ay1, ATx1, tau, sigma, alpha, s.sum_x + x1, s.sum_y + y1,
                         s.sum_Ay + Ay1, s.sum_ATx + ATx1, s.weight + 1.0,
                         s.backtracks + backtracks, (p, d), s.scaling, s.scaling_passes, S,
                         s.iteration + 1)

    def candidates(self, s):
        S = s.saddle
        out = {"last": Candidate(S.join(s.x, s.y), S.operator(s.x, s.y, s.ATx, s.Ay))}
        if s.weight > 0:
            w = s.weight
            ax, ay = s.sum_x / w, s.sum_y / w
            # products averaged over the epoch are certified as products only where the
            # certificate's allowance covers their rounding (matrix games)
            Fz = S.operator(ax, ay, s.sum_ATx / w, s.sum_Ay / w) if self.exact_average else None
            out["average"] = Candidate(S.join(ax, ay), Fz)
        else:
            out["average"] = out["last"]
        return out

    def diagnostics(self, s):
        return {"variant": self.variant, "tau": s.tau, "sigma": s.sigma,
                "adaptive": self.adaptive, "backtracks": s.backtracks,
                "precondition": _resolved(self.precondition, s), "scaling_passes": s.scaling_passes,
                "primal_residual": s.residuals[0], "dual_residual": s.residuals[1]}


@dataclass(frozen=True)
class AdaptivePDHG(_AveragedPDHG):
    """Adaptive PDHG (Goldstein, Li, Yuan, Esser, Baraniuk), restarted by the driver.

    Parameters
    ----------
    step : float, optional
        ``sqrt(tau sigma)``; default: adaptive, from a one-shot Rayleigh
        estimate of ``||K||^2``; with ``adaptive=False``, ``0.99 / L``.
    adaptive : bool, optional
        Backtrack and balance the steps (default: ``True`` unless ``step`` is given).
    primal_weight : float
        ``omega``: ``tau = step / omega`` (the minimiser: a game's column
        player, an LP's primal point), ``sigma = step * omega`` (the maximiser).
    max_backtracks : int
        Backtracks of one step before the solve ends as ``"stalled"``.
    precondition : {"ruiz", "pock_chambolle", "ruiz_pock_chambolle", "none"}, optional
        Diagonal steps, as for ``variant="halpern"`` (the same default).
    backend : {"numpy", "numba"}
        ``"numba"``: compiled simplex projections (without preconditioning).
    """

    name: ClassVar[str] = "pdhg"
    summary: ClassVar[str] = _SUMMARY
    variant: ClassVar[str] = "adaptive"
    TRAITS: ClassVar[Traits] = Traits(restart=True, artificial_restart=EPOCH_FRACTION,
                                      certify_every_iteration=True,
                                      backends=("numpy", "cupy", "numba"))

    tau0: float | None
    sigma0: float | None
    adaptive: bool
    omega: float
    max_backtracks: int
    backend: str
    precondition: str = "none"
    exact_average: bool = True

    @classmethod
    def from_options(cls, problem, *, step=None, adaptive=None, primal_weight=1.0,
                     max_backtracks=60, precondition=None, backend=None):
        if problem.batch is not None:
            raise ValueError("a batch of games is solved by variant='halpern' only")
        omega = check_positive("primal_weight", primal_weight)
        adaptive = (step is None) if adaptive is None else bool(adaptive)
        if step is None and not adaptive:
            # tau * sigma * ||K||^2 < 1 with the cheap rigorous bound on ||K||_2
            L = _norm_bound(problem)
            step = 0.99 / L if L > 0 else 1.0  # L = 0: F constant on the domain
        if step is not None:
            step = check_positive("step", step)
        # step None: estimated in init (it costs products, which the oracle counts)
        return cls(None if step is None else step / omega, None if step is None else step * omega,
                   adaptive, omega, check_max_iter(max_backtracks, "max_backtracks", 0),
                   backend or "numpy", _precondition_option(problem, precondition),
                   problem.saddle.averages_certified)

    def warnings(self, problem):
        L = _norm_bound(problem)
        if self.precondition != "none":
            return []  # the diagonal steps change the condition; the backtracking checks it
        if not self.adaptive and self.tau0 and self.tau0 * self.sigma0 * L * L >= 1.0 + 1e-12:
            return [f"tau*sigma*L^2 = {self.tau0 * self.sigma0 * L * L:.3g} >= 1 with L >= "
                    "||K||_2: PDHG's convergence condition is not verified"]
        return []

    def _start_steps(self, problem, oracle, S, row, col):
        tau, sigma = self.tau0, self.sigma0
        if tau is None:
            # Goldstein et al.: start aggressive from a one-shot Rayleigh estimate of
            # ||M||^2 (a lower bound; M the scaled matrix on the directions that keep the
            # strategies' sums, so offsets do not shrink it); the backtracking makes it safe
            start = power_start(S.xp, S.n_min, S.dtype, offset=0.5)
            normal = tangent_normal(S.xp, oracle.matvec, oracle.rmatvec, row, col, S.keep_sums)
            rho = to_float(power_norm(S.xp, normal, start, 1)) ** 2
            step = math.sqrt(2.0 / rho) if rho > 0 else 1.0
            tau, sigma = step / self.omega, step * self.omega
        return tau, sigma


@dataclass(frozen=True)
class FixedPDHG(_AveragedPDHG):
    """Chambolle-Pock with fixed steps ``tau sigma ||M||^2 < 1``, certified by a rigorous norm bound.

    ``M = D_r K D_c`` is the preconditioned matrix (``K`` itself without
    preconditioning); its norm is bounded by Schur's test,
    ``||M||_2^2 <= max_i sum_j |M_ij| * max_j sum_i |M_ij|`` (one pass over
    the entries; rounded up), or by the problem's rigorous bound on
    ``||K||_2`` when only products are available.  No backtracking and no
    restarts (``restart=True`` asks the driver for them): the baseline of
    the PDHG family.

    Parameters
    ----------
    step : float, optional
        ``sqrt(tau sigma)``; default ``0.99 / bound``.
    primal_weight : float
        ``omega``: ``tau = step / omega`` (the minimiser), ``sigma = step * omega``.
    precondition : {"ruiz", "pock_chambolle", "ruiz_pock_chambolle", "none"}, optional
        Diagonal steps, as for ``variant="halpern"`` (the same default).
    backend : {"numpy", "numba"}
        ``"numba"``: compiled simplex projections (without preconditioning).
    """

    name: ClassVar[str] = "pdhg"
    summary: ClassVar[str] = _SUMMARY
    variant: ClassVar[str] = "fixed"
    TRAITS: ClassVar[Traits] = Traits(restart=False, certify_every_iteration=True,
                                      backends=("numpy", "cupy", "numba"))
    #: the fraction of 1 / ||M|| the default step takes
    STEP_FRACTION: ClassVar[float] = 0.99

    step_size: float | None
    omega: float
    backend: str
    precondition: str = "none"
    exact_average: bool = True
    adaptive: ClassVar[bool] = False
    max_backtracks: ClassVar[int] = 0

    @classmethod
    def from_options(cls, problem, *, step=None, primal_weight=1.0, precondition=None,
                     backend=None):
        if problem.batch is not None:
            raise ValueError("a batch of games is solved by variant='halpern' only")
        return cls(None if step is None else check_positive("step", step),
                   check_positive("primal_weight", primal_weight), backend or "numpy",
                   _precondition_option(problem, precondition),
                   problem.saddle.averages_certified)

    def warnings(self, problem):
        if self.step_size is None:
            return []
        L = _norm_bound(problem)
        if self.precondition == "none" and self.step_size * L >= 1.0:
            return [f"step * L = {self.step_size * L:.3g} >= 1 with L >= ||K||_2: "
                    "PDHG's convergence condition tau sigma ||K||^2 < 1 is not verified"]
        return []

    def _start_steps(self, problem, oracle, S, row, col):
        step = self.step_size
        if step is None:
            if row is None:
                bound = _norm_bound(problem)
            else:
                bound = scaled_norm_bound(S.xp, S.entries, S.centre, row, col)
            step = self.STEP_FRACTION / bound if bound > 0 else 1.0
        return step / self.omega, step * self.omega


@register
class PDHG(Family):
    """``pdhg``: Halpern PDHG (``variant="halpern"``, default), adaptive PDHG or fixed-step
    Chambolle-Pock (``variant="fixed"``)."""

    name: ClassVar[str] = "pdhg"
    summary: ClassVar[str] = _SUMMARY
    variants: ClassVar[dict] = {"halpern": HalpernPDHG, "adaptive": AdaptivePDHG,
                                "fixed": FixedPDHG}
