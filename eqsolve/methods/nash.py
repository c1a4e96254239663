"""Nash mirror prox and Nash mirror descent for regularised preference games.

Nash-MP (Tiapkin et al.) is mirror prox in the KL geometry with the
:math:`\\beta\\,\\mathrm{KL}(\\cdot\\|\\rho)` term taken proximally; each step has a
closed form in log space (:math:`p_k = P\\pi_k`, then :math:`q_k = P\\pi_{k+1/2}`):

.. math::

    \\log\\pi_{k+1/2} &= \\frac{\\log\\pi_k + \\eta\\beta\\log\\rho + \\eta\\,p_k}{1 + \\eta\\beta}
        - \\operatorname{lse}(\\cdot), \\\\
    \\log\\pi_{k+1} &= \\frac{\\log\\pi_k + \\eta\\beta\\log\\rho + \\eta\\,q_k}{1 + \\eta\\beta}
        - \\operatorname{lse}(\\cdot),

two preference queries per iteration, step :math:`\\eta \\le 1/L` with
:math:`L = \\max|P_{yy'} - 1/2| \\le 1/2` (so :math:`\\eta = 2` is always
admissible; larger requests are capped and the result says so).  The claimed
rate is :math:`\\mathrm{KL}(\\pi^\\star_\\beta\\|\\pi_k) = O((1 + 2\\beta)^{-N/2})` in the
number N of queries, independent of the number of responses.

Nash-MD (Munos et al.): one query per iteration at the geometric mixture
:math:`\\pi^\\mu_k \\propto \\pi_k^{1-\\eta_k\\beta}\\rho^{\\eta_k\\beta}`,
:math:`\\log\\pi_{k+1} = \\log\\pi^\\mu_k + \\eta_k P\\pi^\\mu_k - \\operatorname{lse}`,
with :math:`\\eta_k = \\min(1/L, 2/(\\beta(k+2)))`.

On a batch of preference games (``P`` of shape ``(B, n, n)``), ``nash_mp``
runs game by game (:class:`BatchedNashMP`): the games are stepped together,
the finished ones masked out; after every iteration each game's
exploitability is evaluated from the product :math:`P_b\\pi^+_b` the step
made anyway (free), its best policy kept, and a game whose exploitability
reaches ``tol`` stops (re-checked with the single-game certificate).  The
step size is shared, ``1/L`` for the largest ``L`` of the batch.

``samples=m`` replaces each exact :math:`P\\pi` by an estimate from ``m``
sampled comparisons per response (opponent :math:`y' \\sim \\pi`, outcome
Bernoulli :math:`P_{yy'}`), seeded; ``info["preference_queries"]`` counts the
comparisons.  The certificate is still exact (full :math:`P`) at return.

References
----------
.. [1] D. Tiapkin et al., "Accelerating Nash learning from human feedback via
   mirror prox", arXiv:2505.19731 (2025).
.. [2] R. Munos et al., "Nash learning from human feedback", ICML 2024.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_max_iter, check_positive
from ..backend import all_finite, finfo_eps, namespace
from ..problems.preference import PreferenceGame, log_sum_exp
from ._batch import advance_by_mask
from .base import BatchMethod, Candidate, Method, NonFiniteError, Traits
from .registry import register

__all__ = ["NashMP", "NashMD", "BatchedNashMP", "kl_prox"]


class NashState(NamedTuple):
    logpi: Any  # (B, n)
    p: Any  # estimate of P pi (B, n)
    k: int
    queries: int
    rng: Any


def normalise(xp, v):
    """Log-policies ``v`` shifted so that each row's exponentials sum to one."""
    return v - log_sum_exp(xp, v)[:, None]


def kl_prox(xp, logpi, g, eta, beta, log_reference):
    """The KL-prox step of Nash-MP from ``log pi`` with payoff ``g`` (log of the new policy).

    ``normalise((log pi + eta beta log rho + eta g) / (1 + eta beta))``: the
    ``beta KL(. || rho)`` term is taken proximally.
    """
    return normalise(xp, (logpi + (eta * beta) * log_reference + eta * g) / (1.0 + eta * beta))


@dataclass(frozen=True)
class _Nash(Method):
    """Options of the Nash methods.

    Parameters
    ----------
    step : float, optional
        The step ``eta``, at most ``1/L`` with ``L = max|P - 1/2|`` (larger
        requests are capped, with a warning); default ``1/L``.
    samples : int, optional
        Estimate each ``P pi`` from this many sampled comparisons per response
        (default: exact products).
    seed : int, optional
        Seed of the sampled comparisons.

    Attributes
    ----------
    eta : float
        The step used: ``step`` (or ``1/L``) capped at ``1/L``.
    samples, seed
        As given.
    capped : bool
        Whether the requested step was larger than ``1/L`` and was capped
        (a warning of the solve says so).
    """

    TRAITS: ClassVar[Traits] = Traits(outputs=("last",), default_output="last")

    eta: float
    samples: int | None
    seed: Any
    capped: bool = False

    @classmethod
    def supports(cls, problem, **options):
        if not isinstance(problem, PreferenceGame):
            return f"{cls.name} solves PreferenceGame problems; got {type(problem).__name__}"
        return None

    @classmethod
    def from_options(cls, problem, *, step=None, samples=None, seed=None):
        if problem.alpha != 1.0:
            raise ValueError(f"{cls.name}'s closed-form steps need the reverse-KL regularizer; "
                             "for KL mixtures use method='mirror_prox' or 'optimistic'")
        cap = 1.0 / problem.lipschitz_entropic
        eta = cap if step is None else check_positive("step", step)
        if samples is not None:
            samples = check_max_iter(samples, "samples")
        return cls(min(eta, cap), samples, seed, step is not None and eta > cap)

    def warnings(self, problem):
        if self.capped:
            return [f"step capped at 1/L = {self.eta:.3g} (L = max|P - 1/2|)"]
        return []

    def query(self, problem, oracle, pi, rng, queries):
        """``P pi`` exactly, or estimated from ``samples`` sampled comparisons per response."""
        if rng is None:
            return oracle.preference_of(pi), queries
        oracle.count(1)
        xp = namespace(pi)
        P = np.asarray(problem.P)
        pis = np.asarray(pi)
        B, n = pis.shape
        m = self.samples
        est = np.empty((B, n))
        for b in range(B):
            opp = rng.choice(n, size=(n, m), p=pis[b] / pis[b].sum())
            wins = rng.random((n, m)) < P[b][np.arange(n)[:, None], opp]
            est[b] = wins.mean(axis=1)
        return xp.asarray(est, dtype=pi.dtype), queries + B * n * m

    def init(self, problem, oracle, z0):
        xp = namespace(z0)
        pi = problem.policies(z0)
        if not bool(xp.all(pi > 0)):
            raise ValueError(f"{self.name} needs a starting policy with full support")
        rng = None if self.samples is None else np.random.default_rng(self.seed)
        logpi = normalise(xp, xp.log(pi))
        p, q = self.query(problem, oracle, xp.exp(logpi), rng, 0)
        return NashState(logpi, p, 0, q, rng)

    def candidates(self, s):
        xp = namespace(s.logpi)
        return {"last": Candidate(xp.reshape(xp.exp(s.logpi), (-1,)))}

    def diagnostics(self, s):
        out = {"step": self.eta, "iterations": s.k}
        if self.samples is not None:
            out["preference_queries"] = s.queries
        return out


@register
@dataclass(frozen=True)
class NashMP(_Nash):
    """Nash mirror prox: two KL-prox steps (two preference queries) per iteration."""

    name: ClassVar[str] = "nash_mp"
    summary: ClassVar[str] = ("Nash mirror prox for regularised preference games (closed-form KL "
                              "steps, linear rate (1 + 2 beta)^(-N/2))")

    def step(self, problem, oracle, s):
        xp = namespace(s.logpi)
        eta, beta, ref = self.eta, problem.beta, problem.log_reference
        half = kl_prox(xp, s.logpi, s.p, eta, beta, ref)
        q, n_q = self.query(problem, oracle, xp.exp(half), s.rng, s.queries)
        new = kl_prox(xp, s.logpi, q, eta, beta, ref)
        if not all_finite(xp, new):
            raise NonFiniteError
        p, n_q = self.query(problem, oracle, xp.exp(new), s.rng, n_q)
        return NashState(new, p, s.k + 1, n_q, s.rng)

    def batched(self, problem):
        # sampled queries draw from one generator shared by the games: the joint solve
        return BatchedNashMP(self) if self.samples is None else None


@register
@dataclass(frozen=True)
class NashMD(_Nash):
    """Nash mirror descent: one query per iteration at the geometric mixture."""

    name: ClassVar[str] = "nash_md"
    summary: ClassVar[str] = ("Nash mirror descent (geometric-mixture steps) for regularised "
                              "preference games")

    def step(self, problem, oracle, s):
        xp = namespace(s.logpi)
        beta = problem.beta
        eta = self.eta if beta == 0 else min(self.eta, 2.0 / (beta * (s.k + 2)))
        w = min(eta * beta, 1.0)
        mix = normalise(xp, (1.0 - w) * s.logpi + w * problem.log_reference)
        p, n_q = self.query(problem, oracle, xp.exp(mix), s.rng, s.queries)
        new = normalise(xp, mix + eta * p)
        if not all_finite(xp, new):
            raise NonFiniteError
        return NashState(new, p, s.k + 1, n_q, s.rng)


class BatchedNashMP(BatchMethod):
    """Per-game loop of ``nash_mp`` on a batch of :class:`~eqsolve.PreferenceGame`.

    The step is :func:`kl_prox`, as in :meth:`NashMP.step`; each game's
    exploitability is bounded with the allowance of ``PreferenceGame.certify``.
    """

    def __init__(self, method: NashMP):
        self.method = method

    def init(self, problem, Z0):
        xp = namespace(Z0)
        pi = problem.policies(Z0)
        if not bool(xp.all(pi > 0)):
            raise ValueError(f"{self.method.name} needs a starting policy with full support")
        logpi = normalise(xp, xp.log(pi))
        p = problem.preference_of(xp.exp(logpi))
        B = problem.B
        s = SimpleNamespace(logpi=logpi, p=p, it=xp.zeros((B,), dtype=xp.int64),
                            bad=xp.zeros((B,), dtype=xp.int64), setup_calls=1)
        s.best_gap = self.gaps(problem, logpi, p)
        s.best, s.best_it = logpi * 1.0, xp.zeros((B,), dtype=xp.int64)
        return s

    @staticmethod
    def gaps(problem, logpi, p):
        """Each game's exploitability plus the allowance of ``PreferenceGame.certify``."""
        xp = namespace(logpi)
        e, _, kl = problem.exploitability(xp.exp(logpi), Ppi=p)
        return (xp.maximum(e, xp.zeros_like(e))
                + problem.rounding_allowance(kl, finfo_eps(xp, logpi.dtype)))

    def advance(self, problem, s, active, steps, tol, max_iter):
        xp = namespace(s.logpi)
        eta, beta, ref = self.method.eta, problem.beta, problem.log_reference

        def step(run):
            half = kl_prox(xp, s.logpi, s.p, eta, beta, ref)
            q = problem.preference_of(xp.exp(half))
            new = kl_prox(xp, s.logpi, q, eta, beta, ref)
            p = problem.preference_of(xp.exp(new))
            R = run[:, None]
            s.logpi, s.p = xp.where(R, new, s.logpi), xp.where(R, p, s.p)
            s.it = s.it + xp.astype(run, s.it.dtype)

        return advance_by_mask(s, active, steps, tol, max_iter, step,
                               lambda: self.gaps(problem, s.logpi, s.p), {"best": "logpi"})

    def best(self, s):
        """Every game's best policy, ``(B, n)``; no operator values are kept."""
        return namespace(s.best).exp(s.best), None

    def calls(self, s, b):
        """Preference queries ``P pi`` made for game ``b`` (two per iteration, one to start)."""
        return 2 * int(s.it[b]) + s.setup_calls

    def diagnostics(self, s, b):
        return {"step": self.method.eta, "iterations": int(s.it[b])}
