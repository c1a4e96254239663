"""Optimistic online mirror descent for a learner facing a stream of losses.

Each round the learner plays :math:`x_t = P_{\\hat x_t}(\\eta_t M_t)` (optimistic
about the hint :math:`M_t`, by default the last gradient it saw), observes
:math:`g_t`, the gradient of the round's loss at :math:`x_t`, and moves its
anchor :math:`\\hat x_{t+1} = P_{\\hat x_t}(\\eta_t g_t)`; :math:`P` is the prox
step of the geometry (projection, or the entropic softmax step on simplices).

Step sizes, unless a constant ``step`` is given (the analysis of [1]_,
constants from the standard OOMD argument):

* convex losses: the self-confident step
  :math:`\\eta_t = \\min\\{1/(cL),\\; D/\\sqrt{\\delta + \\sum_{s<t}\\|g_s - M_s\\|_*^2}\\}`,
  ``c = 4``, ``D`` the diameter of the domain in the geometry.  The cap
  :math:`1/(cL)` is what lets smoothness turn the prediction errors into
  :math:`\\sigma^2_{1:T} + \\Sigma^2_{1:T}` (the stability terms
  :math:`\\|x_t - \\hat x_t\\|^2` absorb the :math:`L^2\\|x_t - x_{t-1}\\|^2`
  part of :math:`\\|g_t - M_t\\|^2`), giving regret
  :math:`O(D\\sqrt{\\sigma^2_{1:T}} + D\\sqrt{\\Sigma^2_{1:T}} + LD^2)`;
* :math:`\\lambda`-strongly convex losses: :math:`\\eta_t = 1/\\max\\{cL, \\lambda t\\}`,
  for which :math:`1/\\eta_{t+1} - 1/\\eta_t \\le \\lambda` (the condition the
  strongly convex telescope needs) and the regret is
  :math:`O(\\frac1\\lambda \\sum_t \\|g_t - M_t\\|_*^2 / t)`, logarithmic in
  :math:`\\sigma^2_{1:T} + \\Sigma^2_{1:T}`.

References
----------
.. [1] S. Chen, Y.-J. Zhang, W.-W. Tu, P. Zhao and L. Zhang, "Optimistic online
   mirror descent for bridging stochastic and adversarial online convex
   optimization", ICML 2023 (arXiv:2302.04552).
.. [2] A. Rakhlin and K. Sridharan, "Optimization, learning, and games with
   predictable sequences", NeurIPS 2013.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_array, check_positive
from ..backend import namespace, to_float
from ..domains import Ball, Box, Domain, Product, Reals, Simplex
from .mirror_prox import has_simplex

__all__ = ["OnlineOptimistic", "geometry_diameter"]

#: the stability constant c of the cap 1/(cL)
STABILITY = 4.0
HINTS = ("last", "none")
#: without ``lipschitz``: a move of at least ``LARGE_MOVE * D`` gives a secant estimate of the
#: smoothness (smaller moves are dominated by the noise the learner itself responds to)
LARGE_MOVE = 1.0 / 16.0
#: without ``lipschitz``: the adaptive step is scaled by this until the first estimate, so
#: that the first moves are about ``TRUST * D`` long (a probe, not a jump across the domain)
TRUST = 1.0 / 16.0
#: the share of the small moves' root-mean-square gradient change taken as unexplained by a move
NOISE_SHARE = 0.5
#: a large move's secant counts only when its gradient change exceeds this many times the
#: root-mean-square change of the small moves
SIGNIFICANCE = 2.0
#: rounds without a large move after which the learner stops waiting for an estimate (the
#: losses are too flat to need a cap)
PATIENCE = 10


def _block_diameter(domain: Domain, entropic: bool) -> float:
    if entropic and isinstance(domain, Box):
        # the Fermi-Dirac geometry: D^2 / 2 = max_x h(x) - h(centre) = log 2 * sum_i w_i, in
        # the norm sqrt(4 / max w) ||.||_2 in which h is 1-strongly convex
        return math.sqrt(2.0 * math.log(2.0) * float(np.sum(domain.upper - domain.lower)))
    if entropic:
        # sqrt(2 * max KL(u || uniform)) for the unit-mass softmax step (the KL
        # radius scales with the mass r, the dual norm of the gradient by 1/r)
        return math.sqrt(2.0 * math.log(domain.dim))
    if isinstance(domain, Simplex):
        return domain.radius * math.sqrt(2.0) if domain.dim > 1 else 0.0
    if isinstance(domain, Ball):
        return 2.0 * domain.radius
    if isinstance(domain, Box):
        return float(np.linalg.norm(domain.upper - domain.lower)) if domain.bounded else math.inf
    if isinstance(domain, Reals):
        return math.inf
    if isinstance(domain, Product):
        return math.sqrt(sum(_block_diameter(b, False) ** 2 for b in domain.blocks))
    raise TypeError(f"the diameter of {domain!r} is not known; pass a constant step=")


def geometry_diameter(domain: Domain, geometry: str) -> float:
    """The diameter ``D`` of ``domain`` in ``geometry`` that the self-confident step uses.

    Euclidean: the largest distance between two points (``inf`` when
    unbounded).  Entropic simplex blocks: :math:`\\sqrt{2\\log n}`, so that
    :math:`D^2/2` is the KL radius of the simplex around its centre.  The
    entropic geometry of a bounded box (Fermi-Dirac): :math:`\\sqrt{2\\log 2
    \\sum_i w_i}` with the box's widths :math:`w`, its Bregman radius around the
    centre, in the norm in which its mirror map is 1-strongly convex.  Products
    combine their blocks' diameters in the Euclidean way.

    Examples
    --------
    >>> round(geometry_diameter(Ball(3, radius=2.0), "euclidean"), 12)
    4.0
    >>> round(geometry_diameter(Simplex(4), "entropic") ** 2 / 2, 12) == round(math.log(4), 12)
    True
    """
    if isinstance(domain, Product):
        return math.sqrt(sum(_block_diameter(b, geometry == "entropic" and b.entropic) ** 2
                             for b in domain.blocks))
    return _block_diameter(domain, geometry == "entropic"
                           and (domain.entropic or isinstance(domain, Box)))


class OnlineOptimistic:
    """Optimistic online mirror descent with adaptive (self-confident) steps.

    Each round: ``x = learner.play(hint)`` (the hint ``M_t`` predicts the
    next gradient; by default the last one observed), then
    ``learner.observe(g)`` with the observed gradient ``g_t``.
    :attr:`regret` is the exact regret of the linearised losses against the
    best fixed point in hindsight,
    :math:`\\sum_t \\langle g_t, x_t\\rangle - \\min_{x \\in X} \\langle \\sum_t g_t, x\\rangle`,
    which bounds the regret of any convex losses with these gradients from
    above; the exact regret on known losses is computed by the stream that
    produced them (:class:`eqsolve.problems.sea.SEAStream`).

    Parameters
    ----------
    domain : Domain
        The decision set.  The adaptive convex step needs it bounded (its
        diameter sets the step); a constant ``step`` or ``strong_convexity``
        works on any domain.
    step : float, optional
        A constant learning rate.  None (default): the self-confident step
        :math:`\\min\\{1/(4L), D/\\sqrt{\\delta + \\sum_{s<t}\\|g_s - M_s\\|_*^2}\\}`,
        or :math:`1/\\max\\{4L, \\lambda t\\}` when ``strong_convexity`` is
        positive.
    geometry : {"auto", "euclidean", "entropic"}
        ``"auto"``: entropic when the domain is, or has a block that is, a
        simplex (on products, simplex blocks take the entropic step and the
        others the Euclidean one), Euclidean otherwise.  The dual norm of the
        prediction errors is :math:`\\ell_\\infty` on entropic blocks,
        :math:`\\ell_2` elsewhere.
    strong_convexity : float
        :math:`\\lambda \\ge 0`, the strong-convexity modulus of the expected
        losses in the geometry's norm (relative to the mirror map in the
        entropic geometry).  Positive: the :math:`1/(\\lambda t)` schedule.
    lipschitz : float, optional
        :math:`L \\ge 0`, the smoothness constant of the expected losses (the
        Lipschitz constant of their gradients).  It sets the stability cap
        :math:`1/(4L)`; 0: no cap.  None (default, with no constant ``step``):
        the learner estimates it online (:attr:`lipschitz_estimate`): over
        moves of at least ``D/16`` the largest secant along the move,
        :math:`\\max(e_t - \\nu, 0)/\\|x_t - x_{t-1}\\|` with
        :math:`e_t = |\\langle g_t - g_{t-1}, x_t - x_{t-1}\\rangle| / \\|x_t - x_{t-1}\\|`
        (the gradient change along the move: noise enters it only through its
        component along the move), where
        :math:`\\nu` is half the root-mean-square gradient change of the
        smaller moves (the part a move does not explain: noise, adversarial
        variation), counting only large moves whose change exceeds twice that
        root-mean-square (noise on a flat loss is no curvature); until the first such move the adaptive step is scaled by
        1/16, so the first moves are probes about ``D/16`` long rather than a
        jump across the domain, and after 10 rounds without one the learner
        stops waiting (no cap).
    hint : {"last", "none"}
        The default hint of :meth:`play`: the last observed gradient
        (optimistic OMD) or zero (plain online mirror descent / online
        gradient descent).
    delta : float, optional
        :math:`\\delta > 0` in the self-confident step, in squared gradient
        units.  Default: :math:`(4LD)^2` when ``lipschitz`` is positive (the
        first step is then the cap); otherwise the first nonzero squared
        prediction error (or hint) the learner meets, which makes the steps
        invariant to rescaling the losses.
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

    Without a step, on a fixed linear loss the prediction errors vanish and
    the regret stays bounded:

    >>> from eqsolve.domains import Ball
    >>> learner = OnlineOptimistic(Ball(2))
    >>> for t in range(1000):
    ...     x = learner.play()
    ...     learner.observe(np.array([3.0, 4.0]))
    >>> learner.regret < 10.0, max(learner.steps) <= learner.diameter / 5.0
    (True, True)
    """

    def __init__(self, domain, step: float | None = None, *, geometry: str = "auto",
                 strong_convexity: float = 0.0, lipschitz: float | None = None,
                 hint: str = "last", delta: float | None = None, x0=None):
        if not isinstance(domain, Domain):
            raise TypeError(f"domain must be an eqsolve Domain (Box, Ball, Simplex, Product, ...), "
                            f"got {type(domain).__name__}")
        self.domain = domain
        self.eta = None if step is None else check_positive("step", step)
        self.strong_convexity = check_positive("strong_convexity", strong_convexity, allow_zero=True)
        self.lipschitz = None if lipschitz is None else check_positive("lipschitz", lipschitz,
                                                                       allow_zero=True)
        if hint not in HINTS:
            raise ValueError(f"hint must be one of {HINTS}, got {hint!r}")
        self.hint = hint
        if self.eta is not None and self.strong_convexity > 0:
            raise ValueError("give either a constant step or strong_convexity (which sets the "
                             "1/(lambda t) schedule), not both")
        if not isinstance(geometry, str) or geometry not in ("auto", "euclidean", "entropic"):
            raise ValueError(f"geometry must be 'auto', 'euclidean' or 'entropic', got {geometry!r}")
        if geometry == "auto":
            geometry = "entropic" if has_simplex(domain) else "euclidean"
        self.geometry = domain.geometry(geometry)
        self._entropic_blocks = self._dual_blocks(domain, geometry)
        self.diameter = geometry_diameter(domain, geometry) if self.eta is None else None
        if self.eta is None and self.strong_convexity == 0 and not math.isfinite(self.diameter):
            raise ValueError(f"the adaptive step needs a bounded domain (its diameter sets the "
                             f"step), got {domain!r}; give a constant step= or strong_convexity=")
        L = self.lipschitz or 0.0
        #: the stability cap 1/(cL) every adaptive step respects (inf without L)
        self.step_cap = 1.0 / (STABILITY * L) if L > 0 else math.inf
        #: the smoothness the learner has measured (secants over large moves) when no
        #: ``lipschitz`` was given; None while it has not seen a large move
        self.lipschitz_estimate = None
        self._estimating = self.lipschitz is None and self.eta is None
        self._prev = None  # (x, g) of the last round, for the secant
        self._large = []  # (gradient change, move) of large moves
        self._small, self._small_sq = 0, 0.0  # small moves: count, sum of squared changes
        if delta is not None:
            self._delta = check_positive("delta", delta)
        elif L > 0 and self.diameter is not None and self.diameter > 0:
            self._delta = (STABILITY * L * self.diameter) ** 2
        else:
            self._delta = None  # set by the first nonzero prediction error
        if x0 is None:
            xp = namespace()
            if has_simplex(domain):
                x0 = domain.project(xp.full((domain.dim,), 1.0 / domain.dim, dtype=xp.float64))
            elif isinstance(domain, Box) and geometry == "entropic":
                x0 = xp.asarray(0.5 * (domain.lower + domain.upper))  # strictly inside
            else:
                x0 = domain.project(xp.zeros(domain.dim, dtype=xp.float64))
        self._u = self.geometry.init(check_array("x0", x0, shape=(domain.dim,)))
        xp = namespace(self._u)
        self._last_g = xp.zeros_like(self._u)
        self._x = None
        self._m = None
        self._round_eta = None
        self._gsum = xp.zeros_like(self._u)
        self._loss = 0.0
        #: sum of the squared dual norms of the prediction errors g_t - M_t
        self.prediction_error = 0.0
        #: the step of every completed round
        self.steps: list = []
        self.rounds = 0

    @staticmethod
    def _dual_blocks(domain, geometry):
        """``(slice, scale)`` per block: ``None`` for an l_inf dual norm (entropic simplex
        blocks), else the factor of the squared l_2 norm (1, or ``max w / 4`` for the
        entropic geometry of a box, whose mirror map is ``4 / max w``-strongly convex)."""
        if geometry != "entropic":
            return None
        if isinstance(domain, Product):
            return [(s, None if b.entropic else 1.0) for b, s in zip(domain.blocks, domain.slices)]
        if isinstance(domain, Box):
            return [(slice(0, domain.dim), float(np.max(domain.upper - domain.lower)) / 4.0)]
        return [(slice(0, domain.dim), None)]

    def _dual_sq(self, v) -> float:
        xp = namespace(v)
        if self._entropic_blocks is None:
            return to_float(xp.sum(v * v))
        out = 0.0
        for s, scale in self._entropic_blocks:
            w = v[s]
            out += to_float(xp.max(xp.abs(w))) ** 2 if scale is None else scale * to_float(
                xp.sum(w * w))
        return out

    def _step(self):
        """This round's step, or None while no scale is known (then any step gives the same move)."""
        if self.eta is not None:
            return self.eta
        t = self.rounds + 1
        L = self.lipschitz or 0.0
        trust = 1.0
        if self._estimating:
            if self.lipschitz_estimate is not None:
                L = self.lipschitz_estimate
            else:
                trust = TRUST
        cap = 1.0 / (STABILITY * L) if L > 0 else math.inf
        if self.strong_convexity > 0:
            if trust < 1.0 and self._delta is None:
                return None
            eta = 1.0 / max(STABILITY * L, self.strong_convexity * t)
            if trust < 1.0:
                eta = min(eta, trust * self.diameter / math.sqrt(self._delta)) \
                    if self.diameter and math.isfinite(self.diameter) else eta
            return eta
        if self.diameter == 0:
            return min(cap, 1.0)  # a single point: nothing moves
        if self._delta is None:
            return None
        return min(cap, trust * self.diameter / math.sqrt(self._delta + self.prediction_error))

    def _primal(self, v) -> float:
        """The norm of a move in the geometry (l_2, or l_1 on entropic simplex blocks)."""
        xp = namespace(v)
        if self._entropic_blocks is None:
            return math.sqrt(to_float(xp.sum(v * v)))
        out = 0.0
        for s, scale in self._entropic_blocks:
            w = v[s]
            out += to_float(xp.sum(xp.abs(w))) ** 2 if scale is None else to_float(
                xp.sum(w * w)) / scale
        return math.sqrt(out)

    def _estimate(self, x, g):
        """Update the smoothness estimate from this round's secant.

        A gradient change ``e`` along a move ``d`` (the change's component along the
        move, ``|<g_t - g_{t-1}, x_t - x_{t-1}>| / d``) has two parts: the move's (at most
        ``L d``) and one the move does not explain (noise, adversarial variation),
        of typical size ``nu``, read off the small moves.  Over the large moves
        (at least ``LARGE_MOVE * D``) whose change is significant (more than
        ``SIGNIFICANCE`` times the small moves' root-mean-square change) the
        estimate is the largest ``max(e - nu, 0) / d``, so that noise alone
        (linear losses) gives zero and curvature ``L`` about ``L``; before any
        small move ``nu`` is 0 and every large move counts (an overestimate:
        smaller steps).
        """
        prev, self._prev = self._prev, (x, g)
        if prev is None:
            return
        dx = x - prev[0]
        d = self._primal(dx)
        # the gradient change along the move, <g_t - g_{t-1}, dx> / ||dx||: curvature along
        # the move still counts in full (<H dx, dx> / ||dx||), while noise counts only through
        # its component along dx (about 1/sqrt(n) of its norm: on linear losses with noise the
        # full norm ||g_t - g_{t-1}||_* read the noise of the first moves as curvature, and the
        # cap it set slowed the learner's way to the optimal vertex, 1.63x the reference's
        # regret in benchmarks/sea.py's constants experiment, 1.26x along the move).  A move
        # that its step makes unstable grows along the top curvature direction, where this
        # quotient is the largest curvature, so the cap catches up where it matters
        # (anisotropic quadratics up to condition 1000: regret not above the full norm's).
        e = abs(to_float(namespace(dx).sum((g - prev[1]) * dx))) / d if d > 0 else 0.0
        if d >= LARGE_MOVE * self.diameter and d > 0:
            self._large.append((e, d))
            if len(self._large) > 64:
                # keep the 64 largest secants: the maximum is all the estimate needs
                self._large.sort(key=lambda ed: ed[0] / ed[1])
                del self._large[0]
        else:
            self._small_sq += e * e
            self._small += 1
        if self._large:
            # half the root-mean-square change of the small moves: the part of a change
            # that a move does not explain (the small moves' changes also hold their own
            # L d, amplified by the learner's response to the noise, so the whole of it
            # would underestimate L on noisy quadratics; measured in benchmarks/sea.py)
            rms = math.sqrt(self._small_sq / self._small) if self._small else 0.0
            nu = NOISE_SHARE * rms
            # a large move whose gradient change is within SIGNIFICANCE x the typical change
            # of the small moves says nothing about curvature (noise on a flat loss)
            self.lipschitz_estimate = max((max(e - nu, 0.0) / d for e, d in self._large
                                           if e > SIGNIFICANCE * rms), default=0.0)
        elif self.rounds + 1 >= PATIENCE:
            # no large move in the first rounds: the losses barely move the learner, so a
            # cap is not needed; stop waiting (the trust factor is lifted)
            self.lipschitz_estimate = 0.0

    def play(self, hint=None):
        """The point for this round, optimistic about ``hint`` (default: the learner's ``hint`` rule)."""
        if hint is None:
            m = self._last_g if self.hint == "last" else namespace(self._u).zeros_like(self._u)
        else:
            m = check_array("hint", hint, shape=(self.domain.dim,))
        eta = self._step()
        if eta is None:
            scale = self._dual_sq(m)
            if scale > 0:
                self._delta = scale
                eta = self._step()
        self._m, self._round_eta = m, eta
        # eta None here means m == 0: the play step does not move for any eta
        self._x = self.geometry.point(self._u if eta is None else self.geometry.step(self._u, m, eta))
        return self._x

    def observe(self, g):
        """Feed the gradient of this round's loss at the played point."""
        if self._x is None:
            raise RuntimeError("call play() before observe()")
        g = check_array("g", g, shape=(self.domain.dim,))
        xp = namespace(g)
        err = self._dual_sq(g - self._m)
        eta = self._round_eta
        if eta is None:
            # the play step did not move, so any step is consistent with it: take the
            # first nonzero scale the stream shows
            scale = err if err > 0 else self._dual_sq(g)
            if scale > 0:
                self._delta = scale
                eta = self._step()
        self._loss += to_float(xp.sum(g * self._x))
        self._gsum = self._gsum + g
        if eta is not None:
            self._u = self.geometry.step(self._u, g, eta)
        self.prediction_error += err
        self.steps.append(eta if eta is not None else 0.0)
        if self._estimating and math.isfinite(self.diameter or math.inf):
            self._estimate(self._x, g)
        self._last_g = g
        self._x = None
        self.rounds += 1

    @property
    def regret(self) -> float:
        """Exact regret of the linearised losses against the best fixed point in hindsight."""
        return self._loss + to_float(self.domain.support(-self._gsum))
