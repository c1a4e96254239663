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

:class:`OnlineOptimistic` exposes the same step to a learner facing an
arbitrary sequence of linear losses, and reports its regret exactly.

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

from .._validation import check_array, check_positive
from ..backend import namespace, to_float
from .mirror_prox import ProxMethod, has_simplex
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


class OnlineOptimistic:
    """Optimistic online mirror descent for a learner facing linear losses.

    Each round: ``x = learner.play(hint)`` (the hint ``M_t`` predicts the
    next gradient; by default the last one observed), then
    ``learner.observe(g)`` with the observed gradient ``g_t``.  The regret
    against the best fixed point in hindsight is exact for linear losses:
    :math:`\\sum_t \\langle g_t, x_t\\rangle - \\min_{x \\in X} \\langle \\sum_t g_t, x\\rangle`.

    Parameters
    ----------
    domain : Domain
    step : float
        Learning rate :math:`\\eta`.
    geometry : {"auto", "euclidean", "entropic"}
    x0 : array, optional
        First anchor (default: the domain's centre: uniform on simplices).

    Examples
    --------
    >>> import numpy as np
    >>> from eqsolve.domains import Simplex
    >>> learner = OnlineOptimistic(Simplex(3), step=0.5)
    >>> for t in range(100):
    ...     x = learner.play()
    ...     learner.observe(np.array([1.0, 0.0, 2.0]))   # a fixed loss: learner should find e_2
    >>> bool(learner.play()[1] > 0.99), learner.regret < 3.0
    (True, True)
    """

    def __init__(self, domain, step: float, *, geometry: str = "auto", x0=None):
        self.domain = domain
        self.eta = check_positive("step", step)
        if geometry == "auto":
            geometry = "entropic" if has_simplex(domain) else "euclidean"
        self.geometry = domain.geometry(geometry)
        if x0 is None:
            xp = namespace()
            x0 = domain.project(xp.full((domain.dim,), 1.0 / domain.dim, dtype=xp.float64)) \
                if has_simplex(domain) else domain.project(xp.zeros(domain.dim, dtype=xp.float64))
        self._u = self.geometry.init(check_array("x0", x0, shape=(domain.dim,)))
        xp = namespace(self._u)
        self._last_g = xp.zeros_like(self._u)
        self._x = None
        self._gsum = xp.zeros_like(self._u)
        self._loss = 0.0
        self.rounds = 0

    def play(self, hint=None):
        """The point for this round, optimistic about ``hint`` (default: the last gradient)."""
        m = self._last_g if hint is None else check_array("hint", hint, shape=(self.domain.dim,))
        self._x = self.geometry.point(self.geometry.step(self._u, m, self.eta))
        return self._x

    def observe(self, g):
        """Feed the gradient of this round's loss at the played point."""
        if self._x is None:
            raise RuntimeError("call play() before observe()")
        g = check_array("g", g, shape=(self.domain.dim,))
        xp = namespace(g)
        self._loss += to_float(xp.sum(g * self._x))
        self._gsum = self._gsum + g
        self._u = self.geometry.step(self._u, g, self.eta)
        self._last_g = g
        self._x = None
        self.rounds += 1

    @property
    def regret(self) -> float:
        """Exact regret against the best fixed point of the domain in hindsight."""
        return self._loss + to_float(self.domain.support(-self._gsum))
