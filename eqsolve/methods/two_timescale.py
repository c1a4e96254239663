"""Two-timescale extragradient for nonconvex-nonconcave minimax.

For :math:`\\min_x \\max_y f(x, y)` with field :math:`F = (\\nabla_x f, -\\nabla_y f)`
and the timescale preconditioner :math:`\\Lambda_\\tau = \\operatorname{diag}(I_x/\\tau, I_y)`
(the minimising player :math:`\\tau` times slower),

.. math::

    z_{k+1/2} = \\Pi_Z(z_k - \\eta\\,\\Lambda_{\\tau_k} F(z_k)), \\qquad
    z_{k+1} = \\Pi_Z(z_k - \\eta\\,\\Lambda_{\\tau_k} F(z_{k+1/2})),

with :math:`\\eta` backtracked (accepted when
:math:`\\eta\\|\\Lambda F(z_{k+1/2}) - \\Lambda F(z_k)\\| \\le c\\|z_{k+1/2} - z_k\\|`) and
:math:`\\tau_k = \\min(\\tau_{\\max}, \\tau_0 g^k)` (``tau_growth`` g = 1 keeps it
fixed; g > 1 is the increasing separation of the ICML 2024 follow-up).
Chae, Kim and Kim show that for :math:`\\tau` large and :math:`\\eta` small its
linearly stable points are exactly the (strict) local minimax points, even
when :math:`\\nabla^2_{yy} f` is singular.  There is no global guarantee: the
certificate is the first-order residual (``||grad f||`` unconstrained, the
natural residual otherwise), nothing more.

:func:`eqsolve.second_order_check` tests whether a returned point is a local
minimax point (the second-order condition of Jin, Netrapalli and Jordan).

References
----------
.. [1] J. Chae, K. Kim and D. Kim, "Two-timescale extragradient for finding local
   minimax points", ICLR 2024 (arXiv:2305.16242).
.. [2] C. Jin, P. Netrapalli and M. Jordan, "What is local optimality in
   nonconvex-nonconcave minimax optimization?", ICML 2020.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from .._validation import check_positive
from ..backend import namespace, to_float
from ..problems.vi import Saddle
from .base import Candidate, Method, NonFiniteError, StepCollapsedError, Traits
from .registry import register

__all__ = ["TwoTimescaleEG"]


class TTState(NamedTuple):
    z: Any
    Fz: Any  # raw F(z) (unscaled)
    eta: float
    k: int
    backtracks: int
    last_eta: float


@register
@dataclass(frozen=True)
class TwoTimescaleEG(Method):
    """Extragradient with the minimising player ``tau`` times slower.

    Parameters
    ----------
    step : float, optional
        First step ``eta`` (backtracked and grown); default ``1/L`` from the
        problem, or 1.
    tau : float
        Timescale separation ``tau >= 1`` at the start.
    tau_growth : float
        Factor ``g >= 1`` by which ``tau`` grows per iteration (1: fixed).
    tau_max : float
        Largest ``tau``.
    c : float
        Margin of the acceptance test ``eta ||Lam dF|| <= c ||dz||``.
    growth : float
        Factor by which the step grows after an accepted iteration.
    """

    name: ClassVar[str] = "two_timescale_extragradient"
    summary: ClassVar[str] = ("extragradient with timescale separation tau for "
                              "nonconvex-nonconcave minimax (local minimax points); first-order "
                              "certificate, optional second-order check")
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last")

    eta0: float
    tau0: float
    tau_growth: float
    tau_max: float
    c: float
    growth: float

    @classmethod
    def supports(cls, problem, **options):
        if not isinstance(problem, Saddle):
            return ("two_timescale_extragradient solves min-max problems (Saddle); got "
                    f"{type(problem).__name__}")
        return None

    @classmethod
    def from_options(cls, problem, *, step=None, tau=10.0, tau_growth=1.0, tau_max=1e6, c=0.9,
                     growth=1.2):
        tau = check_positive("tau", tau)
        if tau < 1.0:
            raise ValueError(f"tau must be >= 1 (the minimising player is the slower one), got {tau}")
        tau_growth = check_positive("tau_growth", tau_growth)
        if tau_growth < 1.0:
            raise ValueError(f"tau_growth must be >= 1, got {tau_growth}")
        L = problem.lipschitz
        eta0 = check_positive("step", step) if step is not None else (1.0 / L if L else 1.0)
        return cls(eta0, tau, tau_growth, check_positive("tau_max", tau_max),
                   check_positive("c", c), check_positive("growth", growth))

    def tau(self, k: int) -> float:
        return min(self.tau_max, self.tau0 * self.tau_growth ** k)

    def _scale(self, problem, z, k):
        xp = namespace(z)
        ones = xp.ones_like(z)
        return xp.concat([ones[: problem.nx] / self.tau(k), ones[problem.nx :]])

    def init(self, problem, oracle, z0):
        return TTState(z0, oracle(z0), self.eta0, 0, 0, self.eta0)

    def step(self, problem, oracle, s):
        xp = namespace(s.z)
        lam = self._scale(problem, s.z, s.k)
        proj = problem.domain.project
        g0 = lam * s.Fz
        eta, backtracks = s.eta, 0
        while True:
            z_half = proj(s.z - eta * g0)
            g_half = lam * oracle(z_half)
            lhs = eta * to_float(xp.linalg.vector_norm(g_half - g0))
            rhs = self.c * to_float(xp.linalg.vector_norm(z_half - s.z))
            if not (math.isfinite(lhs) and math.isfinite(rhs)):
                raise NonFiniteError
            if lhs <= rhs * (1 + 1e-12):
                break
            eta *= 0.5
            backtracks += 1
            if backtracks > 60:
                raise StepCollapsedError
        z1 = proj(s.z - eta * g_half)
        return TTState(z1, oracle(z1), eta * self.growth, s.k + 1, s.backtracks + backtracks, eta)

    def candidates(self, s):
        return {"last": Candidate(s.z, s.Fz)}

    def diagnostics(self, s):
        return {"step": s.last_eta, "tau": self.tau(s.k), "backtracks": s.backtracks}
