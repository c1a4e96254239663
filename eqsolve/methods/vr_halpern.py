"""Variance-reduced Halpern iteration for finite-sum monotone inclusions (Cai, Alacaoglu, Diakonikolas).

Solves :math:`0 \\in F(u) + N_Z(u)` with :math:`F = \\frac1n\\sum_i F_i` (a
:class:`~eqsolve.problems.FiniteSumVI`), paying in component evaluations.

``variant="cocoercive"`` (Algorithm 1; components cocoercive on average): Halpern
with a PAGE estimator :math:`\\tilde F_k \\approx F(u_k)`, :math:`\\lambda_k = 2/(k+4)`,

.. math::

    u_{k+1} &= \\Pi_Z\\big(\\lambda_k u_0 + (1-\\lambda_k) u_k - \\eta \\tilde F_k\\big), \\\\
    \\tilde F_{k+1} &= \\begin{cases} F(u_{k+1}) & \\text{with probability } p_{k+1}
    \\text{ (a full pass)},\\\\ \\tilde F_k + \\frac1b \\sum_{i\\in S}\\big[F_i(u_{k+1}) -
    F_i(u_k)\\big] & \\text{otherwise, } |S| = b = \\lfloor\\sqrt n\\rfloor,\\end{cases}

with full passes at the first two iterations, :math:`p_k = 4/(k+4)` while
:math:`k - 1 \\le \\sqrt n`, then :math:`p = 4/(\\sqrt n + 5)` (about
:math:`6\\sqrt n` component evaluations per iteration), :math:`\\eta = 1/c` for
cocoercivity on average :math:`c`.

``variant="monotone"`` (Algorithm 2; components monotone and Lipschitz on average,
:math:`L_{avg}`): inexact Halpern on the resolvent, :math:`\\lambda_k = 1/(k+2)`,
:math:`\\eta = \\sqrt n / L_{avg}`,

.. math:: u_{k+1} = \\lambda_k u_0 + (1 - \\lambda_k)\\,\\tilde u_k, \\qquad
   \\tilde u_k \\approx J_{\\eta(F + N_Z)}(u_k),

where :math:`\\tilde u_k` is :math:`M_k = \\lfloor 0.05\\, n \\log(k+2)\\rfloor` steps of
the loopless variance-reduced forward-reflected-backward method (VR-FoRB) on the
1-strongly monotone finite sum :math:`\\Phi(v) = v - u_k + \\eta F(v)`, warm-started at
:math:`u_k`: with :math:`p = 1/n`, :math:`\\alpha = 1 - p`, a uniform index ``i``,

.. math::

    \\bar v = \\alpha v + (1-\\alpha) w, \\quad
    v \\leftarrow \\Pi_Z\\big(\\bar v - \\gamma[\\Phi(w) + \\Phi_i(v) - \\Phi_i(w^-)]\\big),

and, with probability ``p``, :math:`w^- \\leftarrow w`, :math:`w \\leftarrow v` (a full
pass for :math:`\\Phi(w)`); :math:`\\gamma = \\min(5\\sqrt{p(1-p)}, 1/2)/(1 + \\eta L_{avg})`
and at least :math:`2\\log(k+2)` inner steps (both only bind for small ``n``).
The point returned and certified is :math:`\\tilde u_k`.

The schedules are the authors' experiment constants (ALGORITHMS.md section 6); the
certificate never uses the estimator: the driver certifies the returned point
with full passes, counted in ``certify_calls``.  Options: ``variant`` (default
``"cocoercive"`` when the problem knows its cocoercivity on average, else
``"monotone"``), ``step`` (eta), ``batch``, ``inner_step``, ``inner_factor``
(0.05), ``seed``.  Checkpoints are spaced so that certification costs about 5 %
of the component evaluations.

Examples
--------
>>> import numpy as np, eqsolve as eq
>>> game = eq.FiniteSumVI.from_matrix_game(np.array([[3.0, -1.0], [-2.0, 1.0]]))
>>> res = eq.solve(game, method="vr_halpern", tol=1e-8, seed=0)
>>> res.converged, res.info["variant"], res.certificate.kind
(True, 'monotone', 'natural_residual')
>>> res.info["component_calls"] > 0 and res.residual <= 1e-8
True

References
----------
.. [1] X. Cai, A. Alacaoglu, J. Diakonikolas, "Variance reduced Halpern iteration for
   finite-sum monotone inclusions", ICLR 2024, arXiv:2310.02987.
.. [2] Z. Li, H. Bao, X. Zhang, P. Richtarik, "PAGE: a simple and optimal probabilistic
   gradient estimator for nonconvex optimization", ICML 2021.
.. [3] A. Alacaoglu, Y. Malitsky, "Stochastic variance reduction for variational
   inequality methods", COLT 2022.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_positive
from ..backend import all_finite
from .base import Candidate, Family, Method, NonFiniteError, Traits
from .registry import register

__all__ = ["VRHalpern", "PAGEHalpern", "ResolventHalpern"]

class VRState(NamedTuple):
    u0: Any  # anchor
    u: Any  # current iterate u_k
    est: Any  # cocoercive: the PAGE estimate of F(u_k); monotone: the inner point u~
    k: int
    rng: np.random.Generator
    inner_steps: int


def _check_options(problem, step, batch, inner_step, inner_factor, seed):
    """Validate vr_halpern's options; return the checked numbers."""
    if step is not None:
        step = check_positive("step", step)
    if inner_step is not None:
        inner_step = check_positive("inner_step", inner_step)
    inner_factor = check_positive("inner_factor", inner_factor)
    if batch is not None:
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)):
            raise TypeError(f"batch must be an integer, got {type(batch).__name__}")
        if not 1 <= batch <= problem.n_components:
            raise ValueError(f"batch must lie in [1, n] = [1, {problem.n_components}], got {batch}")
    if seed is not None and not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(f"seed must be an int, a numpy SeedSequence or None, got "
                        f"{type(seed).__name__}")
    if seed is not None and isinstance(seed, (int, np.integer)) and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return step, batch, inner_step, inner_factor


@dataclass(frozen=True)
class _VRHalpern(Method):
    """Options shared by both algorithms.

    Parameters
    ----------
    step : float, optional
        ``eta``; default ``1/c`` (cocoercive, ``c`` the cocoercivity on
        average) or ``sqrt(n)/L_avg`` (monotone).
    batch : int, optional
        Minibatch of the PAGE estimator, in ``[1, n]`` (default ``sqrt(n)``).
    inner_step : float, optional
        VR-FoRB step ``gamma`` of the monotone algorithm (default: the
        authors' ``5 sqrt(p(1-p))``, capped at ``1/2``, over ``1 + eta L_avg``).
    inner_factor : float
        Inner iterations ``inner_factor * n * log(k + 2)`` of the monotone algorithm.
    seed : int, SeedSequence or None
        Seed of the sampling.
    """

    name: ClassVar[str] = "vr_halpern"
    summary: ClassVar[str] = ("variance-reduced Halpern for finite sums "
                              "(Cai-Alacaoglu-Diakonikolas): PAGE estimator (cocoercive) or "
                              "inexact resolvent by VR-FoRB (monotone)")
    variant: ClassVar[str]
    # as for halpern: restarting resets the anchor (linear rates on sharp problems); the
    # O(1/k) statements and the paper's experiments are for restart=False
    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last", restart=True)

    step_size: float
    n: int
    batch: int
    p_const: float
    inner_step: float
    inner_factor: float
    seed: Any
    min_check: int
    inner_step_given: bool = False

    @classmethod
    def supports(cls, problem, **options):
        if problem.n_components is None:
            return (f"vr_halpern needs a finite-sum problem (eqsolve.FiniteSumVI), got "
                    f"{type(problem).__name__}; wrap the components with FiniteSumVI (or "
                    "FiniteSumVI.from_matrix_game(A)) or use method='halpern'")
        return None

    @classmethod
    def step_constant(cls, problem):
        """The constant the default step divides by, or ``None``."""
        raise NotImplementedError

    @classmethod
    def cost_per_iteration(cls, n, batch) -> float:
        """Component evaluations per iteration (to space the certificates)."""
        raise NotImplementedError

    @classmethod
    def from_options(cls, problem, *, step=None, batch=None, inner_step=None, inner_factor=0.05,
                     seed=None):
        step, batch, inner_step, inner_factor = _check_options(
            problem, step, batch, inner_step, inner_factor, seed)
        n, L_avg = problem.n_components, problem.lipschitz_avg
        root = math.sqrt(n)
        batch = max(1, int(root)) if batch is None else int(batch)
        if step is None:
            const = cls.step_constant(problem)
            if const is None:
                raise ValueError(f"vr_halpern (variant={cls.variant!r}) sets its step from the "
                                 "problem's constants: give the FiniteSumVI L_avg= (or "
                                 "cocoercivity=), or pass step=")
            step = cls.default_step(const, root)
        p_in = 1.0 / max(n, 2)
        inner_given = inner_step is not None
        if inner_step is None:
            lip = 1.0 + step * (L_avg if L_avg is not None else 1.0 / step)
            # the authors' x5 constant, capped at 1/(2 L_Phi): it only binds for small n
            # (n < ~100), where 5 sqrt(p(1-p)) would exceed a stable forward step
            inner_step = min(5.0 * math.sqrt(p_in * (1.0 - p_in)), 0.5) / lip
        # certification (n evaluations each) kept near 5 % of the component evaluations
        min_check = max(1, math.ceil(20.0 * n / cls.cost_per_iteration(n, batch)))
        return cls(step, n, batch, 4.0 / (root + 5.0), inner_step, inner_factor, seed, min_check,
                   inner_given)

    def traits(self):
        return replace(self.TRAITS, min_certify_interval=self.min_check)

    def init(self, problem, oracle, z0):
        return VRState(z0, z0, self.first_estimate(oracle, z0), 0, np.random.default_rng(self.seed),
                       0)

    def restart(self, problem, oracle, s, name, at):
        return VRState(at.z, at.z, self.restart_estimate(at), 0, s.rng, s.inner_steps)

    def step(self, problem, oracle, s):
        new = self.advance(problem, oracle, s)
        if not (all_finite(np, new.u) and all_finite(np, new.est)):
            raise NonFiniteError
        return new

    def diagnostics(self, s):
        return {"variant": self.variant, "step": self.step_size, "anchor_iterations": s.k}


@dataclass(frozen=True)
class PAGEHalpern(_VRHalpern):
    """Algorithm 1: Halpern with a PAGE estimator (components cocoercive on average)."""

    variant: ClassVar[str] = "cocoercive"

    @classmethod
    def step_constant(cls, problem):
        return problem.cocoercivity if problem.cocoercivity is not None else problem.lipschitz_avg

    @classmethod
    def default_step(cls, const, root):
        return 1.0 / const

    @classmethod
    def cost_per_iteration(cls, n, batch):
        return 4.0 * n / (math.sqrt(n) + 5.0) + 2.0 * batch

    def warnings(self, problem):
        c = problem.cocoercivity
        if c is None:
            return ["variant='cocoercive' assumes the components are cocoercive on average; this "
                    "problem does not say so, so no rate is claimed (the certificate still "
                    "measures the point)"]
        if self.step_size > (1 + 1e-12) / c:
            return [f"step {self.step_size:.3g} exceeds 1/c = {1 / c:.3g}, the cocoercive step; no "
                    "rate is claimed"]
        return []

    def first_estimate(self, oracle, z0):
        return oracle(z0)

    def restart_estimate(self, at):
        return at.Fz

    def advance(self, problem, oracle, s):
        return _page_step(problem, oracle, s, self)

    def candidates(self, s):
        # never the estimator: the driver certifies the point with a full pass
        return {"last": Candidate(s.u)}

    def diagnostics(self, s):
        return {**super().diagnostics(s), "batch": self.batch}


@dataclass(frozen=True)
class ResolventHalpern(_VRHalpern):
    """Algorithm 2: inexact Halpern on the resolvent, by VR-FoRB (monotone components)."""

    variant: ClassVar[str] = "monotone"

    @classmethod
    def step_constant(cls, problem):
        return problem.lipschitz_avg

    @classmethod
    def default_step(cls, const, root):
        return root / const

    @classmethod
    def cost_per_iteration(cls, n, batch):
        return float(n)

    def warnings(self, problem):
        out = []
        if problem.monotone is None:
            out.append("variant='monotone' assumes F is monotone; this problem does not say so")
        if problem.lipschitz_avg is None and not self.inner_step_given:
            out.append("the problem has no L_avg: the inner step assumes eta * L_avg = 1; give "
                       "the FiniteSumVI L_avg= or pass inner_step=")
        return out

    def first_estimate(self, oracle, z0):
        return z0

    def restart_estimate(self, at):
        return at.z

    def advance(self, problem, oracle, s):
        return _inexact_resolvent_step(problem, oracle, s, self)

    def candidates(self, s):
        # the inner point u~, certified by the driver with a full pass
        return {"last": Candidate(s.est)}

    def diagnostics(self, s):
        return {**super().diagnostics(s), "inner_step": self.inner_step,
                "inner_steps": s.inner_steps}


@register
class VRHalpern(Family):
    """``vr_halpern``: Algorithm 1 (``variant="cocoercive"``, the default when the problem
    knows its cocoercivity on average) or Algorithm 2 (``"monotone"``)."""

    name: ClassVar[str] = "vr_halpern"
    summary: ClassVar[str] = _VRHalpern.summary
    variants: ClassVar[dict] = {"cocoercive": PAGEHalpern, "monotone": ResolventHalpern}

    @classmethod
    def default_variant(cls, problem):
        return "cocoercive" if problem.cocoercivity is not None else "monotone"


def _page_probability(k: int, method) -> float:
    """Probability of a full pass at iteration ``k`` (the authors' schedule)."""
    if k <= 1:
        return 1.0
    return 4.0 / (k + 4.0) if k - 1 <= math.sqrt(method.n) else method.p_const


def _page_step(problem, oracle, s, method):
    lam = 2.0 / (s.k + 4.0)
    u1 = problem.domain.project(lam * s.u0 + (1.0 - lam) * s.u - method.step_size * s.est)
    k1 = s.k + 1
    if s.rng.random() < _page_probability(k1, method):
        est = oracle(u1)
    else:
        S = s.rng.choice(method.n, size=method.batch, replace=False)
        est = s.est + oracle.sample_diff(S, u1, s.u)
    return VRState(s.u0, u1, est, k1, s.rng, s.inner_steps)


def _vr_forb(problem, oracle, u, method, rng, steps):
    """``steps`` VR-FoRB iterations on ``0 in v - u + eta (F + N_Z)(v)``, started at ``u``."""
    eta, gamma, n = method.step_size, method.inner_step, method.n
    p = 1.0 / max(n, 2)
    alpha = 1.0 - p
    project = problem.domain.project
    w = w_prev = v = u
    phi_w = eta * oracle(u)  # Phi(w) = w - u + eta F(w), and w = u
    for _ in range(steps):
        i = rng.integers(n, size=1)
        vbar = alpha * v + (1.0 - alpha) * w
        g = phi_w + (v - w_prev) + eta * oracle.sample_diff(i, v, w_prev)
        v = project(vbar - gamma * g)
        if rng.random() < p:
            w_prev, w = w, v
            phi_w = w - u + eta * oracle(w)
    return v


def _inexact_resolvent_step(problem, oracle, s, method):
    # at least 2 log(k+2) steps: for small n the n log k budget would be a single step,
    # while a step costs 2 of the n evaluations each outer iteration spends anyway
    log_k = math.log(s.k + 2)
    steps = max(int(method.inner_factor * method.n * log_k), math.ceil(2 * log_k))
    u_tilde = _vr_forb(problem, oracle, s.u, method, s.rng, steps)
    lam = 1.0 / (s.k + 2.0)
    u1 = lam * s.u0 + (1.0 - lam) * u_tilde
    return VRState(s.u0, u1, u_tilde, s.k + 1, s.rng, s.inner_steps + steps)


