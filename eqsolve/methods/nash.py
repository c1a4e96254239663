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
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .._validation import check_max_iter, check_positive
from ..backend import all_finite, namespace
from ..problems.preference import PreferenceGame, _lse
from ._driver import Method, NonFiniteError
from .nash_batch import BatchedNashMP

__all__ = ["NASH_MP", "NASH_MD"]


class NashState(NamedTuple):
    logpi: Any  # (B, n)
    p: Any  # estimate of P pi (B, n)
    k: int
    queries: int
    rng: Any


@dataclass(frozen=True)
class NashConfig:
    eta: float
    samples: int | None
    seed: int | None


class _Nash(Method):
    outputs: ClassVar[tuple] = ("last",)
    default_output: ClassVar[str] = "last"
    free_certificates: ClassVar[bool] = False

    def configure(self, problem, *, step=None, samples=None, seed=None):
        if not isinstance(problem, PreferenceGame):
            raise TypeError(f"{self.name} solves PreferenceGame problems; got {type(problem).__name__}")
        if problem.alpha != 1.0:
            raise ValueError(f"{self.name}'s closed-form steps need the reverse-KL regularizer; for "
                             "KL mixtures use method='mirror_prox' or 'optimistic'")
        cap = 1.0 / problem.lipschitz_entropic
        eta = cap if step is None else check_positive("step", step)
        self._capped = step is not None and eta > cap
        eta = min(eta, cap)
        if samples is not None:
            samples = check_max_iter(samples, "samples")
        return NashConfig(eta, samples, seed)

    def warnings(self, problem, cfg):
        if self._capped:
            return [f"step capped at 1/L = {cfg.eta:.3g} (L = max|P - 1/2|)"]
        return []

    def _query(self, problem, oracle, pi, rng, queries):
        """``P pi`` exactly, or estimated from sampled comparisons."""
        oracle.calls += 1
        if rng is None:
            return problem.preference_of(pi), queries
        xp = namespace(pi)
        P = np.asarray(problem.P)
        pis = np.asarray(pi)
        B, n = pis.shape
        m = self._cfg_samples
        est = np.empty((B, n))
        for b in range(B):
            opp = rng.choice(n, size=(n, m), p=pis[b] / pis[b].sum())
            wins = rng.random((n, m)) < P[b][np.arange(n)[:, None], opp]
            est[b] = wins.mean(axis=1)
        return xp.asarray(est, dtype=pi.dtype), queries + B * n * m

    def init(self, problem, oracle, z0, cfg):
        xp = namespace(z0)
        pi = problem._policies(z0)
        if not bool(xp.all(pi > 0)):
            raise ValueError(f"{self.name} needs a starting policy with full support")
        rng = None if cfg.samples is None else np.random.default_rng(cfg.seed)
        self._cfg_samples = cfg.samples
        logpi = xp.log(pi)
        logpi = logpi - _lse(xp, logpi)[:, None]
        p, q = self._query(problem, oracle, xp.exp(logpi), rng, 0)
        return NashState(logpi, p, 0, q, rng)

    def candidates(self, s, cfg):
        xp = namespace(s.logpi)
        return {"last": (xp.reshape(xp.exp(s.logpi), (-1,)), None)}

    def diagnostics(self, s, cfg):
        out = {"step": cfg.eta, "iterations": s.k}
        if cfg.samples is not None:
            out["preference_queries"] = s.queries
        return out


def _normalise(xp, v):
    return v - _lse(xp, v)[:, None]


class _NashMP(BatchedNashMP, _Nash):
    def step(self, problem, oracle, s, cfg):
        xp = namespace(s.logpi)
        eta, beta = cfg.eta, problem.beta
        anchor = s.logpi + (eta * beta) * problem.log_reference
        half = _normalise(xp, (anchor + eta * s.p) / (1.0 + eta * beta))
        q, n_q = self._query(problem, oracle, xp.exp(half), s.rng, s.queries)
        new = _normalise(xp, (anchor + eta * q) / (1.0 + eta * beta))
        if not all_finite(xp, new):
            raise NonFiniteError
        p, n_q = self._query(problem, oracle, xp.exp(new), s.rng, n_q)
        return NashState(new, p, s.k + 1, n_q, s.rng)


class _NashMD(_Nash):
    def step(self, problem, oracle, s, cfg):
        xp = namespace(s.logpi)
        beta = problem.beta
        eta = cfg.eta if beta == 0 else min(cfg.eta, 2.0 / (beta * (s.k + 2)))
        w = min(eta * beta, 1.0)
        mix = _normalise(xp, (1.0 - w) * s.logpi + w * problem.log_reference)
        p, n_q = self._query(problem, oracle, xp.exp(mix), s.rng, s.queries)
        new = _normalise(xp, mix + eta * p)
        if not all_finite(xp, new):
            raise NonFiniteError
        return NashState(new, p, s.k + 1, n_q, s.rng)


NASH_MP = _NashMP(name="nash_mp", summary="Nash mirror prox for regularised preference games "
                  "(closed-form KL steps, linear rate (1 + 2 beta)^(-N/2))")
NASH_MD = _NashMD(name="nash_md", summary="Nash mirror descent (geometric-mixture steps) for "
                  "regularised preference games")
