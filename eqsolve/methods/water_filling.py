"""Iterative water-filling (IWF) for power-control games: Jacobi, Gauss-Seidel, asynchronous.

Every user best-responds by water-filling, :math:`\\mathrm{WF}_q(p_{-q}) =
[\\mu_q - c_q(p_{-q})]_0^{u_q}`, and moves a fraction :math:`\\alpha_t` of the way:

.. math:: p_q^{t+1} = (1 - \\alpha_t)\\, p_q^t + \\alpha_t\\, \\mathrm{WF}_q(\\tilde p_{-q}^t),

where :math:`\\tilde p^t` is :math:`p^t` (``schedule="simultaneous"``, Jacobi),
the freshest powers with users updated in order 0..Q-1
(``"sequential"``, Gauss-Seidel), or delayed copies
:math:`p_r(t - d_{qr})`, :math:`0 \\le d_{qr} \\le` ``max_delay``, for a random set
of users, each updating with probability ``update_prob`` (``"asynchronous"``,
the Bertsekas-Tsitsiklis model; seeded).  ``damping`` is a constant
:math:`\\alpha \\in (0, 1]` or ``"diminishing"``, :math:`\\alpha_t = (t+1)^{-2/3}`
(:math:`\\sum \\alpha_t = \\infty`, :math:`\\sum \\alpha_t^2 < \\infty`; Hong-Garcia's
averaged IWF).  When :math:`\\rho_w < 1` (see
:meth:`~eqsolve.problems.PowerControlGame.contraction`) WF is a contraction in
the weighted block-max norm and every schedule converges linearly to the
unique equilibrium; the solve never depends on that sufficient condition.

Counting: ``oracle_calls`` is the number of single-user best responses
(water-fillings), each counted where its interference is formed (the
interference sum over the gains is the cost): Q per Gauss-Seidel sweep, one
per updated user of an asynchronous tick, and Q per Jacobi sweep plus Q at the
start, since a Jacobi sweep forms the interference at its new powers for the
next sweep.  That interference also certifies the new point, so the
simultaneous schedule's certificates are free of gain reads and are not
counted; ``certify_calls`` counts the other schedules' certifications, each Q
water-fillings over a fresh interference.  One iteration is one sweep
(asynchronous: one tick).  A period-2 cycle of the undamped schedules
(simultaneous IWF oscillates on strong-interference instances) ends the solve
with status ``"stalled"`` and a warning saying so.

Examples
--------
>>> import eqsolve as eq
>>> game = eq.zoo.rayleigh_power_control(4, 16, distance_ratio=10.0, path_loss=4.0, seed=0)
>>> res = eq.solve(game, "water_filling", schedule="sequential", tol=1e-10)
>>> res.converged, res.x.shape, res.certificate.details["contraction_factor"] < 1
(True, (4, 16), True)
>>> res.oracle_calls == 4 * res.iterations      # one water-filling per user per sweep
True

References
----------
.. [1] W. Yu, G. Ginis and J. M. Cioffi, IEEE JSAC 20 (2002) 1105-1115.
.. [2] G. Scutari, D. P. Palomar and S. Barbarossa, "Asynchronous iterative
   water-filling for Gaussian frequency-selective interference channels", IEEE
   Trans. Inf. Theory 54 (2008) 2868-2878.
.. [3] M. Hong and A. Garcia, "Averaged iterative water-filling algorithm: robustness
   and convergence", IEEE Trans. Signal Process. 59 (2011) 2448-2454.
.. [4] D. P. Bertsekas and J. N. Tsitsiklis, Parallel and Distributed Computation,
   Prentice Hall, 1989, ch. 6.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_max_iter, check_positive
from ..backend import HAS_NUMBA, BackendUnavailableError
from ..problems._water_filling import water_fill
from ..problems.power_control import PowerControlGame
from .base import Candidate, Method, NonFiniteError, StepCollapsedError, Traits
from .registry import register

__all__ = ["WaterFilling"]

SCHEDULES = ("simultaneous", "sequential", "asynchronous")
BACKENDS = ("numpy", "numba")
CYCLE_CHECKS = 5  # consecutive period-2 sweeps before the solve is declared oscillating


class WFState(NamedTuple):
    p: Any  # (Q, N) current powers
    prev: Any  # (Q, N) powers one iteration earlier (cycle detection)
    t: int
    cycles: int  # consecutive period-2 detections
    buf: Any  # (max_delay + 1, Q, N) ring of past iterates (asynchronous) or None
    rng: Any  # numpy Generator (asynchronous) or None
    c: Any  # (Q, N) interference at p (simultaneous: the next sweep's input) or None


def _check_options(schedule, damping, backend, update_prob, max_delay):
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if isinstance(damping, str):
        if damping != "diminishing":
            raise ValueError(f"damping must be a number in (0, 1] or 'diminishing', got {damping!r}")
    else:
        damping = check_positive("damping", damping)
        if damping > 1.0:
            raise ValueError(f"damping must lie in (0, 1], got {damping}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "numba" and not HAS_NUMBA:
        raise BackendUnavailableError("backend='numba' needs Numba, which is not installed: "
                                      "pip install 'eqsolve[numba]' (or use backend='numpy')")
    update_prob = check_positive("update_prob", update_prob)
    if update_prob > 1.0:
        raise ValueError(f"update_prob must lie in (0, 1], got {update_prob}")
    max_delay = check_max_iter(max_delay, name="max_delay", minimum=0)
    return damping, backend, update_prob, max_delay


def _kernels(backend):
    """The compiled sweeps for ``backend="numba"``, else ``None`` (the NumPy reference)."""
    if backend != "numba":
        return None
    global _NUMBA_KERNELS
    if _NUMBA_KERNELS is None:  # imported once: numba is optional and slow to import
        from . import _water_filling_numba

        _NUMBA_KERNELS = _water_filling_numba
    return _NUMBA_KERNELS


_NUMBA_KERNELS = None


@register
@dataclass(frozen=True)
class WaterFilling(Method):
    """Iterative water-filling: every user best-responds, damped, on a schedule.

    Parameters
    ----------
    schedule : {"simultaneous", "sequential", "asynchronous"}
        Jacobi, Gauss-Seidel, or random users with bounded delays.
    damping : float in (0, 1] or "diminishing"
        The fraction ``alpha`` of the way to the best response, or
        ``alpha_t = (t + 1)^(-2/3)``.
    backend : {"numpy", "numba"}
        The NumPy reference sweeps, or the compiled kernels.
    update_prob : float in (0, 1]
        Asynchronous: the probability that a user updates at a tick.
    max_delay : int
        Asynchronous: the largest delay (in ticks) of the powers a user reads.
    seed : int or None
        Asynchronous: the seed of the user and delay draws.
    """

    name: ClassVar[str] = "water_filling"
    summary: ClassVar[str] = ("iterative water-filling for power-control games: simultaneous "
                              "(Jacobi), sequential (Gauss-Seidel) and asynchronous schedules, "
                              "damped or not; NumPy or Numba")
    # the game's arrays are host float64: no CuPy path
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last",
                                      backends=("numpy", "numba"))

    schedule: str
    damping: Any  # float or "diminishing"
    backend: str
    update_prob: float
    max_delay: int
    seed: Any

    @classmethod
    def supports(cls, problem, **options):
        if not isinstance(problem, PowerControlGame):
            return (f"water_filling needs a PowerControlGame (water-filling is the best response "
                    f"of a power-control user), got {type(problem).__name__}; use extragradient "
                    "or mirror_prox for other problems")
        return None

    @classmethod
    def from_options(cls, problem, *, schedule="simultaneous", damping=1.0, backend="numpy",
                     update_prob=0.5, max_delay=3, seed=0):
        if seed is not None and not isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
            raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
        damping, backend, update_prob, max_delay = _check_options(
            schedule, damping, backend, update_prob, max_delay)
        return cls(schedule, damping, backend, update_prob, max_delay, seed)

    def warnings(self, problem):
        con = problem.contraction()
        if con["factor"] < 1.0:
            return []
        return [f"rho(S^max) = {con['rho']:.3g} (weighted factor {con['factor']:.3g}) >= 1: the "
                "sufficient condition for a unique equilibrium and for the convergence of every "
                "schedule does not hold; the certificate still measures the returned point exactly"]

    def init(self, problem, oracle, z0):
        p = np.array(z0, dtype=np.float64).reshape(problem.Q, problem.N)
        buf = rng = c = None
        if self.schedule == "asynchronous":
            buf = np.broadcast_to(p, (self.max_delay + 1,) + p.shape).copy()
            rng = np.random.default_rng(self.seed)
        elif self.schedule == "simultaneous":
            c = problem.interference(p)  # the first sweep's input, and the start's certificate's
            oracle.count(problem.Q)
        return WFState(p, p, 0, 0, buf, rng, c)

    def step(self, problem, oracle, s):
        alpha = self.damping if not isinstance(self.damping, str) else (s.t + 1.0) ** (-2.0 / 3.0)
        p, c, buf, responses = _SWEEPS[self.schedule](problem, s, alpha, self,
                                                      _kernels(self.backend))
        oracle.count(responses)
        if not np.all(np.isfinite(p)):
            raise NonFiniteError
        cycles = _cycle_count(problem, s, p, self.schedule)
        return WFState(p, s.p, s.t + 1, cycles, buf, s.rng, c)

    def candidates(self, s):
        # simultaneous: the sweep already computed the interference at p (its next input),
        # so certifying p costs Q water-fillings and no second read of the gains
        given = None if s.c is None else {"interference": s.c}
        return {"last": Candidate(s.p.reshape(-1), certify_with=given)}

    def diagnostics(self, s):
        return {"schedule": self.schedule, "damping": self.damping,
                "kernel_backend": self.backend, "sweeps": s.t}


# -- the three schedules (NumPy reference and Numba kernels) ---------------------
# each returns (powers, interference at them or None, delay buffer, best responses made)

def _jacobi(problem, s, alpha, method, kernels):
    # from p and c(p): water-fill every user, move, then c at the new powers (one pass over
    # the coupling), which the certificate of the new point and the next sweep both use
    p, Q, N = s.p, problem.Q, problem.N
    if kernels is not None:
        out, c = np.empty_like(p), np.empty_like(p)
        kernels.jacobi(problem.coupling, problem.floor, p, s.c, problem.budgets, *_caps(problem),
                       alpha, out, c, np.empty((N, Q)), np.empty(N))
        return out, c, s.buf, Q
    b = water_fill(s.c, problem.budgets, problem.caps)[0]
    p = b if alpha == 1.0 else p + alpha * (b - p)
    return p, problem.interference(p), s.buf, Q


def _gauss_seidel(problem, s, alpha, method, kernels):
    p, Q, N = s.p.copy(), problem.Q, problem.N
    if kernels is not None:
        kernels.gauss_seidel(problem.coupling_by_user(), problem.floor, p, problem.budgets,
                             *_caps(problem), alpha, np.arange(Q), np.empty(N), np.empty(N))
        return p, None, s.buf, Q
    rows, caps = problem.coupling_by_user(), problem.caps
    for q in range(Q):
        c = problem.floor[q] + np.einsum("rk,rk->k", rows[q], p)
        b = water_fill(c[None, :], problem.budgets[q:q + 1],
                       None if caps is None else caps[q:q + 1])[0][0]
        p[q] = b if alpha == 1.0 else p[q] + alpha * (b - p[q])
    return p, None, s.buf, Q


def _asynchronous(problem, s, alpha, method, kernels):
    Q, N, D = problem.Q, problem.N, method.max_delay + 1
    users = np.flatnonzero(s.rng.random(Q) < method.update_prob)
    # user q reads p_r(t - d_qr); delays never reach before the start
    delays = s.rng.integers(0, min(method.max_delay, s.t) + 1, size=(users.size, Q))
    slots = (s.t - delays) % D
    p = s.p.copy()
    if users.size and kernels is not None:
        kernels.asynchronous(problem.coupling_by_user(), problem.floor, s.buf, slots, users, s.p,
                             problem.budgets, *_caps(problem), alpha, p, np.empty(N), np.empty(N))
    elif users.size:
        seen = s.buf[slots, np.arange(Q)[None, :]]  # (U, Q, N) delayed copies
        rows = problem.coupling_by_user()[users]
        c = problem.floor[users] + np.einsum("urk,urk->uk", rows, seen)
        caps = None if problem.caps is None else problem.caps[users]
        b = water_fill(c, problem.budgets[users], caps)[0]
        p[users] = b if alpha == 1.0 else s.p[users] + alpha * (b - s.p[users])
    buf = s.buf.copy()
    buf[(s.t + 1) % D] = p
    return p, None, buf, int(users.size)


_SWEEPS = {"simultaneous": _jacobi, "sequential": _gauss_seidel, "asynchronous": _asynchronous}


def _cycle_count(problem, s, p, schedule):
    # period 2: p^{t+1} returns to p^{t-1} while moving far from p^t
    if schedule == "asynchronous" or s.t < 1:
        return 0
    scale = float(np.max(problem.budgets))
    step = float(np.max(np.abs(p - s.p)))
    back = float(np.max(np.abs(p - s.prev)))
    cycles = s.cycles + 1 if (step > 1e-6 * scale and back <= 1e-9 * step) else 0
    if cycles >= CYCLE_CHECKS:
        raise StepCollapsedError(
            f"{schedule} water-filling oscillates with period 2 (it returns to the iterate "
            f"of two sweeps before, {step:.3g} away from the last one): it cannot reach an "
            "equilibrium from here; use schedule='sequential' or damping < 1")
    return cycles


def _caps(problem):
    if problem.caps is None:
        return np.zeros((problem.Q, 1)), False  # one unused row per user
    return problem.caps, True
