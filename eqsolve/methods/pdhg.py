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

``variant="halpern"`` (the default) is the reflected restarted Halpern PDHG
of Lu and Yang: with :math:`T` one PDHG step at fixed
:math:`\\tau = \\sigma = 0.99/\\|A\\|_2` (the norm from a power iteration),

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
.. [4] H. Lu and J. Yang, "Restarted Halpern PDHG for linear programming",
   arXiv:2407.16144 (2024).
.. [3] D. Applegate, O. Hinder, H. Lu and M. Lubin, "Faster first-order primal-dual
   methods for linear programming using restarts and sharpness", Math. Program. (2023).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from .._validation import check_max_iter, check_positive
from ..backend import namespace, to_float
from ._driver import Method, NonFiniteError, StepCollapsedError
from ._kernels import simplex_projector
from .pdhg_batch import BatchedHalpernPDHG
from .pdhg_halpern import HalpernPDHG

__all__ = ["PDHG"]


class PDHGState(NamedTuple):
    x: Any  # row player (maximiser)
    y: Any  # column player (minimiser)
    Ay: Any  # A @ y
    ATx: Any  # A.T @ x
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


@dataclass(frozen=True)
class PDHGConfig:
    tau0: float
    sigma0: float
    adaptive: bool
    gamma: float = 0.75
    b: float = 0.95
    delta: float = 1.5
    alpha0: float = 0.5
    eta: float = 0.95
    max_backtracks: int = 60
    omega: float = 1.0
    variant: str = "halpern"
    rho: float = 1.0
    beta: float = 0.2
    power_iters: int = 40
    backend: str = "numpy"


class _PDHG(BatchedHalpernPDHG, HalpernPDHG, Method):
    default_restart: ClassVar[bool] = True
    backends: ClassVar[tuple] = ("numpy", "cupy", "numba")
    artificial_restart: ClassVar[float] = 0.36
    free_certificates: ClassVar[bool] = True

    def configure(self, problem, *, variant="halpern", step=None, adaptive=None, primal_weight=1.0,
                  reflection=1.0, power_iters=40, backend=None):
        A = getattr(problem, "A", None)
        if A is None or getattr(problem, "residual_kind", None) != "duality_gap":
            raise TypeError(f"pdhg solves bilinear problems (MatrixGame); got {type(problem).__name__}")
        if variant not in ("halpern", "adaptive"):
            raise ValueError(f"variant must be 'halpern' or 'adaptive', got {variant!r}")
        if variant == "halpern":
            if adaptive:
                raise ValueError("variant='halpern' uses a fixed step; adaptive=True needs "
                                 "variant='adaptive'")
            rho = check_positive("reflection", reflection, allow_zero=True)
            if rho > 1.0:
                raise ValueError(f"reflection must lie in [0, 1], got {rho}")
            return PDHGConfig(None if step is None else check_positive("step", step), None,
                              False, variant="halpern", rho=rho,
                              power_iters=check_max_iter(power_iters, "power_iters"),
                              backend=backend or "numpy")
        if getattr(problem, "batch", None) is not None:
            raise ValueError("a batch of games is solved by variant='halpern' only")
        omega = check_positive("primal_weight", primal_weight)
        adaptive = (step is None) if adaptive is None else bool(adaptive)
        if step is None:
            # tau * sigma * ||A||^2 = 1/... with the cheap rigorous bound on ||A||_2
            step = 0.99 / problem.lipschitz if not adaptive else None
        if step is not None:
            step = check_positive("step", step)
        # tau = step / omega (primal y), sigma = step * omega (dual x); step None:
        # estimated in init (it costs products, which the oracle counts)
        return PDHGConfig(None if step is None else step / omega,
                          None if step is None else step * omega, adaptive, omega=omega,
                          variant="adaptive", backend=backend or "numpy")

    def batch_configure(self, problem, **options):
        return self.configure(problem, **options)

    def restart_by_default(self, cfg):
        # the Halpern variant restarts itself on its fixed-point residual
        return cfg.variant == "adaptive"

    def warnings(self, problem, cfg):
        if cfg.variant == "halpern":
            return []
        L = problem.lipschitz
        if not cfg.adaptive and cfg.tau0 and cfg.tau0 * cfg.sigma0 * L * L >= 1.0 + 1e-12:
            return [f"tau*sigma*L^2 = {cfg.tau0 * cfg.sigma0 * L * L:.3g} >= 1 with L >= ||A||_2: "
                    "PDHG's convergence condition is not verified"]
        return []

    def init(self, problem, oracle, z0, cfg):
        if cfg.variant == "halpern":
            return self.h_init(problem, oracle, z0, cfg)
        m = problem.m
        x, y = z0[:m], z0[m:]
        tau, sigma = cfg.tau0, cfg.sigma0
        if tau is None:
            # Goldstein et al.: start aggressive from a one-shot Rayleigh estimate of
            # ||A||^2 (a lower bound); the backtracking test makes it safe
            oracle.calls += 1
            rho = _rayleigh_estimate(problem)
            step = math.sqrt(2.0 / rho) if rho > 0 else 1.0
            tau, sigma = step / cfg.omega, step * cfg.omega
        oracle.calls += 1
        return self._fresh(x, y, problem.A @ y, problem.A.T @ x, tau, sigma, cfg.alpha0, 0)

    @staticmethod
    def _fresh(x, y, Ay, ATx, tau, sigma, alpha, backtracks):
        xp = namespace(x)
        return PDHGState(x, y, Ay, ATx, tau, sigma, alpha, xp.zeros_like(x), xp.zeros_like(y),
                         xp.zeros_like(Ay), xp.zeros_like(ATx), 0.0, backtracks, (math.inf, math.inf))

    def restart(self, problem, oracle, s, name, z, Fz, cfg):
        if cfg.variant == "halpern":
            return self.h_restart(problem, oracle, s, name, z, Fz, cfg)
        m = problem.m
        return self._fresh(z[:m], z[m:], -Fz[:m], Fz[m:], s.tau, s.sigma, s.alpha, s.backtracks)

    def step(self, problem, oracle, s, cfg):
        if cfg.variant == "halpern":
            return self.h_step(problem, oracle, s, cfg)
        A = problem.A
        proj_x, proj_y = (simplex_projector(d, cfg.backend) for d in problem.domain.blocks)
        xp = namespace(s.x)
        tau, sigma, backtracks = s.tau, s.sigma, 0
        while True:
            y1 = proj_y(s.y - tau * s.ATx)
            Ay1 = A @ y1
            x1 = proj_x(s.x + sigma * (2.0 * Ay1 - s.Ay))
            ATx1 = A.T @ x1
            oracle.calls += 1
            dy, dx, dAy = y1 - s.y, x1 - s.x, Ay1 - s.Ay
            inner = 2.0 * to_float(xp.sum(dAy * dx))
            dist = to_float(xp.sum(dy * dy)) / tau + to_float(xp.sum(dx * dx)) / sigma
            if not (math.isfinite(inner) and math.isfinite(dist)):
                raise NonFiniteError
            if not cfg.adaptive or cfg.gamma * dist >= inner:
                break
            c = cfg.b * cfg.gamma * dist / inner
            tau, sigma, backtracks = tau * c, sigma * c, backtracks + 1
            if backtracks > cfg.max_backtracks or tau < 1e-14 * s.tau:
                raise StepCollapsedError
        p = to_float(xp.linalg.vector_norm(-dy / tau - (s.ATx - ATx1)))
        d = to_float(xp.linalg.vector_norm(-dx / sigma - (s.Ay - Ay1)))
        alpha = s.alpha
        if cfg.adaptive and max(p, d) < max(s.residuals):
            # balance primal and dual progress (keeps tau * sigma)
            if p > cfg.delta * d:
                tau, sigma, alpha = tau / (1.0 - alpha), sigma * (1.0 - alpha), alpha * cfg.eta
            elif d > cfg.delta * p:
                tau, sigma, alpha = tau * (1.0 - alpha), sigma / (1.0 - alpha), alpha * cfg.eta
        return PDHGState(x1, y1, Ay1, ATx1, tau, sigma, alpha, s.sum_x + x1, s.sum_y + y1,
                         s.sum_Ay + Ay1, s.sum_ATx + ATx1, s.weight + 1.0,
                         s.backtracks + backtracks, (p, d))

    def candidates(self, s, cfg):
        if cfg.variant == "halpern":
            return self.h_candidates(s, cfg)
        xp = namespace(s.x)
        out = {"last": (xp.concat([s.x, s.y]), xp.concat([-s.Ay, s.ATx]))}
        if s.weight > 0:
            w = s.weight
            out["average"] = (xp.concat([s.sum_x / w, s.sum_y / w]),
                              xp.concat([-s.sum_Ay / w, s.sum_ATx / w]))
        else:
            out["average"] = out["last"]
        return out

    def diagnostics(self, s, cfg):
        if cfg.variant == "halpern":
            return self.h_diagnostics(s, cfg)
        return {"variant": "adaptive", "tau": s.tau, "sigma": s.sigma, "adaptive": cfg.adaptive,
                "backtracks": s.backtracks, "primal_residual": s.residuals[0],
                "dual_residual": s.residuals[1]}


def _rayleigh_estimate(problem) -> float:
    """``||A^T A v|| / ||v||`` for one deterministic pseudo-random ``v`` (a lower bound on ||A||^2)."""
    xp = problem.xp
    n = problem.n
    v = xp.cos(xp.arange(n, dtype=problem.A.dtype) * 2.399963) + 0.5  # golden-angle pattern
    w = problem.A.T @ (problem.A @ v)
    return to_float(xp.linalg.vector_norm(w)) / to_float(xp.linalg.vector_norm(v))


PDHG = _PDHG(
    name="pdhg",
    summary="primal-dual hybrid gradient for matrix games: reflected restarted Halpern PDHG "
    "(default) or adaptive PDHG with balancing and restarts",
)
