"""Optimistic online mirror descent: optimistic gradient and optimistic multiplicative weights.

The two-sequence (OOMD / past-extragradient) form, one operator evaluation
per iteration: from the anchor :math:`\\hat z_t` and the hint
:math:`M_t = F(z_{t-1})`,

.. math::

    z_t = P_{\\hat z_t}(\\eta_t M_t), \\qquad g_t = F(z_t), \\qquad
    \\hat z_{t+1} = P_{\\hat z_t}(\\eta_t g_t),

with :math:`P` the prox step of the geometry: projection (optimistic gradient,
Popov's method) or the entropic softmax step on simplices (optimistic
multiplicative weights, OMWU).  The adaptive step accepts :math:`\\eta_t` when

.. math:: \\eta_t\\langle g_t - M_t, z_t - \\hat z_{t+1}\\rangle \\le c\\,(D(\\hat z_{t+1}, z_t) + D(z_t, \\hat z_t)),

summed over the iterations so far (unused slack of earlier steps is carried
as a budget: the hint is stale, so the test of one step alone can fail for
every step size).  This is the inequality the regret analysis telescopes, so
the weighted average of the played points keeps the mirror-prox bound
:math:`\\operatorname{gap}(\\bar z_T) \\le \\max_u D(u, \\hat z_0) / \\sum_t \\eta_t`.
A failed test costs one more evaluation (the hint is kept, the step halved).
Fixed step default :math:`1/(2L)`.

:class:`~eqsolve.methods.online.OnlineOptimistic` is the same iteration for a
learner facing a stream of losses (with the self-confident steps of the
online analysis).

References
----------
.. [1] L. D. Popov, "A modification of the Arrow-Hurwicz method for search of
   saddle points", Math. Notes 28 (1980) 845-848.
.. [2] A. Rakhlin and K. Sridharan, "Optimization, learning, and games with
   predictable sequences", NeurIPS 2013.
.. [3] C.-Y. Wei, C.-W. Lee, M. Zhang and H. Luo, "Linear last-iterate convergence
   in constrained saddle-point optimization", ICLR 2021.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from ..backend import namespace
from .mirror_prox import ProxMethod
from .online import OnlineOptimistic
from .registry import register

__all__ = ["Optimistic", "OnlineOptimistic"]


class OptState(NamedTuple):
    u: Any  # anchor hat z_t (mirror coordinates)
    hint: Any  # M_t = F(z_{t-1})
    z: Any  # played point z_{t-1}
    Fz: Any  # F(z_{t-1}) (== hint; kept for the certificate)
    eta: float
    avg_sum: Any
    avg_weight: float
    backtracks: int
    last_eta: float
    budget: float  # sum of c * rhs - lhs over the accepted steps (>= 0)


@register
@dataclass(frozen=True)
class Optimistic(ProxMethod):
    """Optimistic mirror descent (past extragradient): one evaluation per iteration.

    The options are those of :class:`~eqsolve.methods.mirror_prox.ProxMethod`;
    the default step is ``1/(2L)``.
    """

    name: ClassVar[str] = "optimistic"
    summary: ClassVar[str] = ("optimistic online mirror descent: optimistic gradient "
                              "(Euclidean) / optimistic multiplicative weights (entropic), one "
                              "operator call per iteration")
    step_limit: ClassVar[tuple] = (0.5, "1/(2L)")
    # the optimistic step is half the extragradient one: 1/(2L)
    step_scale: ClassVar[float] = 0.5

    def init(self, problem, oracle, z0):
        u = self.geometry.init(z0)
        z = self.geometry.point(u)
        Fz = oracle(z)
        return OptState(u, Fz, z, Fz, self.eta0, namespace(z).zeros_like(z), 0.0, 0, self.eta0,
                        0.0)

    def step(self, problem, oracle, s):
        def trial(eta):
            v, surplus, z_play, g, u_new, _ = self.extra_step(oracle, s.u, s.hint, eta,
                                                              credit=s.budget)
            return v, (z_play, g, u_new, surplus)

        eta, backtracks, v, (z_play, g, u_new, surplus) = self.search(s.eta, trial)
        budget = max(0.0, s.budget + surplus) if self.adaptive else 0.0
        return OptState(u_new, g, z_play, g, eta * self.grown(v), s.avg_sum + eta * z_play,
                        s.avg_weight + eta, s.backtracks + backtracks, eta, budget)

    def restart(self, problem, oracle, s, name, at):
        zeros = namespace(at.z).zeros_like(at.z)
        if name == "last":
            # the anchor and the (stale) hint stay, so must the budget that pays for it
            return s._replace(avg_sum=zeros, avg_weight=0.0)
        u = self.geometry.init(at.z, strict=False)
        return s._replace(u=u, hint=at.Fz, z=at.z, Fz=at.Fz, avg_sum=zeros, avg_weight=0.0,
                          budget=0.0)
