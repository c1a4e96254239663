"""Nash mirror prox on a batch of preference games, each stopped on its own.

The per-game update is the one of :mod:`eqsolve.methods.nash` (the step size
is shared, ``1/L`` for the largest ``L = max|P_b - 1/2|`` of the batch):

.. math::

    \\log\\pi^{+1/2}_b \\propto \\frac{\\log\\pi_b + \\eta\\beta\\log\\rho_b + \\eta P_b\\pi_b}{1 + \\eta\\beta},
    \\qquad
    \\log\\pi^{+}_b \\propto \\frac{\\log\\pi_b + \\eta\\beta\\log\\rho_b + \\eta P_b\\pi^{+1/2}_b}{1 + \\eta\\beta}.

After every iteration each game's regularised exploitability is evaluated
from the product :math:`P_b\\pi^+_b` the step made anyway (free), its best
policy kept, and a game whose exploitability reaches ``tol`` stops; the batch
loop (:mod:`eqsolve.methods._batch`) re-checks it with the single-game
certificate.  The games are stepped together and the finished ones masked
out.  Sampled preference queries (``samples=``) draw from one generator
shared by the games, so they keep the joint solve.

References
----------
.. [1] D. Tiapkin et al., "Accelerating Nash learning from human feedback via
   mirror prox", arXiv:2505.19731 (2025).
"""

from __future__ import annotations

from types import SimpleNamespace

from ..backend import finfo_eps, namespace, to_float
from ..certificates.residuals import gamma
from ..problems.preference import _lse
from ._batch import advance_by_mask

__all__ = ["BatchedNashMP"]


def _normalise(xp, v):
    return v - _lse(xp, v)[:, None]


class BatchedNashMP:
    """Per-game loop of ``nash_mp`` on a batch of :class:`~eqsolve.PreferenceGame`."""

    def batch_ok(self, problem, options) -> bool:
        return options.get("samples") is None

    def batch_configure(self, problem, **options):
        return self.configure(problem, **options)

    def batch_init(self, problem, Z0, cfg):
        xp = namespace(Z0)
        pi = problem._policies(Z0)
        if not bool(xp.all(pi > 0)):
            raise ValueError(f"{self.name} needs a starting policy with full support")
        logpi = _normalise(xp, xp.log(pi))
        p = problem.preference_of(xp.exp(logpi))
        B = problem.B
        s = SimpleNamespace(logpi=logpi, p=p, it=xp.zeros((B,), dtype=xp.int64),
                            bad=xp.zeros((B,), dtype=xp.int64), setup_calls=1, eta=cfg.eta)
        s.best_gap = self._gaps(problem, logpi, p)
        s.best, s.best_it = logpi * 1.0, xp.zeros((B,), dtype=xp.int64)
        return s

    @staticmethod
    def _gaps(problem, logpi, p):
        """Each game's exploitability plus the allowance of ``PreferenceGame.certify``."""
        xp = namespace(logpi)
        e, _, kl = problem.exploitability(xp.exp(logpi), Ppi=p)
        eps = finfo_eps(xp, logpi.dtype)
        scale = 1.0 + problem.beta * (xp.abs(kl) + to_float(xp.max(xp.abs(problem.log_reference))))
        return xp.maximum(e, xp.zeros_like(e)) + gamma(2 * problem.n + 8, eps) * 4.0 * scale

    def batch_advance(self, problem, s, active, steps, tol, max_iter, cfg):
        xp = namespace(s.logpi)
        eta, beta = cfg.eta, problem.beta

        def step(run):
            anchor = s.logpi + (eta * beta) * problem.log_reference
            half = _normalise(xp, (anchor + eta * s.p) / (1.0 + eta * beta))
            q = problem.preference_of(xp.exp(half))
            new = _normalise(xp, (anchor + eta * q) / (1.0 + eta * beta))
            p = problem.preference_of(xp.exp(new))
            R = run[:, None]
            s.logpi, s.p = xp.where(R, new, s.logpi), xp.where(R, p, s.p)
            s.it = s.it + xp.astype(run, s.it.dtype)

        return advance_by_mask(s, active, steps, tol, max_iter, step,
                               lambda: self._gaps(problem, s.logpi, s.p), {"best": "logpi"})

    @staticmethod
    def batch_best(s):
        """Every game's best policy, ``(B, n)``; no operator values are kept."""
        return namespace(s.best).exp(s.best), None

    @staticmethod
    def batch_calls(s, b):
        """Preference queries ``P pi`` made for game ``b`` (two per iteration, one to start)."""
        return 2 * int(s.it[b]) + s.setup_calls

    @staticmethod
    def batch_diagnostics(s, b):
        return {"step": s.eta, "iterations": int(s.it[b])}
