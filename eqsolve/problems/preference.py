"""Regularised preference games (Nash learning from human feedback).

Responses :math:`y \\in Y`, a preference matrix :math:`P_{yy'} = P(y \\succ y')` with
:math:`P + P^\\top = 1` and diagonal 1/2 (intransitive preferences allowed), a
reference policy :math:`\\rho` and :math:`\\beta \\ge 0`.  The symmetric game

.. math:: J(\\pi, \\pi') = \\pi^\\top P \\pi' - \\beta\\,\\mathrm{KL}(\\pi\\|\\rho) + \\beta\\,\\mathrm{KL}(\\pi'\\|\\rho)

has a unique symmetric equilibrium :math:`\\pi^\\star_\\beta` for :math:`\\beta > 0`,
the fixed point :math:`\\pi^\\star_\\beta \\propto \\rho\\,\\exp(P\\pi^\\star_\\beta/\\beta)`.
As a VI on the simplex its operator is
:math:`F(\\pi) = -P\\pi + \\beta(\\log\\pi - \\log\\rho)` (monotone: :math:`-P` is skew on
the tangent space, the KL term strongly monotone relative to entropy).

Certificate: the exact regularised exploitability (best response in closed form)

.. math:: E_\\beta(\\pi) = \\beta\\log\\sum_y \\rho(y)\\,e^{(P\\pi)_y/\\beta} + \\beta\\,\\mathrm{KL}(\\pi\\|\\rho) - \\tfrac12 \\ \\ge 0,

zero exactly at :math:`\\pi^\\star_\\beta` (the duality gap of J at (π, π) is
:math:`2E_\\beta`); for :math:`\\beta = 0` it is :math:`\\max_y (P\\pi)_y - \\tfrac12`.
The unregularised exploitability is reported beside it, so users see the
bias that :math:`\\beta` introduces.

A *batch* (one game per prompt, ``P`` of shape ``(B, n, n)``) is one problem
on a product of simplices; its residual is the largest exploitability of the
batch and the certificate lists each game's.

References
----------
.. [1] R. Munos et al., "Nash learning from human feedback", ICML 2024.
.. [2] D. Tiapkin et al., "Accelerating Nash learning from human feedback via
   mirror prox", arXiv:2505.19731 (2025).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_positive
from ..backend import finfo_eps, namespace, to_float
from ..certificates import Certificate
from ..certificates.residuals import gamma
from ..domains import Product, Simplex
from .base import Problem

__all__ = ["PreferenceGame", "random_preferences", "log_sum_exp"]


def log_sum_exp(xp, v):
    """Row-wise logsumexp of a (B, n) array."""
    vmax = xp.max(v, axis=1, keepdims=True)
    return vmax[:, 0] + xp.log(xp.sum(xp.exp(v - vmax), axis=1))


class PreferenceGame(Problem):
    """Regularised symmetric preference game; see the module docstring.

    Parameters
    ----------
    P : (n, n) or (B, n, n) array_like
        Preference probabilities, ``P[y, y'] = P(y > y')``; validated:
        entries in [0, 1], ``P + P^T = 1`` (so the diagonal is 1/2), to 1e-9.
    beta : float
        Regularisation strength, >= 0.
    reference : (n,) or (B, n) array_like, optional
        Reference policy (default uniform); a strictly positive distribution.
    regularizer : float or {"reverse_kl", "forward_kl"}
        Weight ``alpha`` in ``R = alpha KL(pi||ref) + (1 - alpha) KL(ref||pi)``
        (RSPO's mixtures); ``"reverse_kl"`` is 1 (Nash-MP's, the default),
        ``"forward_kl"`` is 0.  For ``alpha < 1`` the best response has no
        closed form: the exploitability is bounded above through the
        Lagrangian dual of the best-response problem (any multiplier gives an
        upper bound; each one-dimensional supremum is bounded from its
        bisection bracket), so the certificate stays rigorous.
    equilibrium : array_like, optional
        A known equilibrium; the certificate then reports KL(pi* || pi).

    Examples
    --------
    >>> import numpy as np
    >>> rps = np.array([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])
    >>> g = PreferenceGame(rps, beta=0.1)
    >>> round(g.certify(np.full(3, 1 / 3)).value, 12)      # uniform is the equilibrium
    0.0
    """

    residual_kind = "exploitability"
    monotone = True
    default_method = "mirror_prox"
    #: a batch can also be solved as one problem on the product of simplices (by
    #: methods without a per-game loop); ``nash_mp`` stops each game on its own
    joint_batch = True

    def __init__(self, P, beta: float, reference=None, *, regularizer="reverse_kl", equilibrium=None):
        P = check_array("P", P)
        if P.ndim not in (2, 3):
            raise ValueError(f"P must be (n, n) or a batch (B, n, n), got shape {tuple(P.shape)}")
        xp = namespace(P)
        self.batched = P.ndim == 3
        P3 = P if self.batched else P[None, ...]
        B, n, n2 = P3.shape
        if n != n2:
            raise ValueError(f"P must be square in its last two axes, got {tuple(P.shape)}")
        if bool(xp.any(P3 < 0)) or bool(xp.any(P3 > 1)):
            raise ValueError("P must hold probabilities in [0, 1]")
        sym = P3 + xp.permute_dims(P3, (0, 2, 1))
        dev = to_float(xp.max(xp.abs(sym - 1.0)))
        if dev > 1e-9:
            raise ValueError(f"P is not a preference matrix: P + P^T must be all ones (diagonal 1/2), "
                             f"largest deviation {dev:.3g}")
        self.beta = check_positive("beta", beta, allow_zero=True)
        if reference is None:
            ref = xp.full((B, n), 1.0 / n, dtype=P3.dtype)
        else:
            ref = check_array("reference", reference)
            if ref.ndim == 1 and ref.shape[0] == n:
                ref = xp.broadcast_to(ref[None, :], (B, n))
            if tuple(ref.shape) != (B, n):
                raise ValueError(f"reference must have shape ({n},) or ({B}, {n}), got {tuple(ref.shape)}")
            if bool(xp.any(ref <= 0)) or to_float(xp.max(xp.abs(xp.sum(ref, axis=1) - 1.0))) > 1e-9:
                raise ValueError("reference must be a strictly positive distribution (sums to 1, no zeros)")
            ref = xp.astype(ref, P3.dtype)
        alpha = {"reverse_kl": 1.0, "forward_kl": 0.0}.get(regularizer, regularizer)
        if isinstance(alpha, str) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
            raise ValueError("regularizer must be 'reverse_kl', 'forward_kl' or a weight in [0, 1], "
                             f"got {regularizer!r}")
        self.alpha = float(alpha)
        self._force_dual = False  # tests: take the dual route even for alpha = 1
        self.xp, self.P, self.B, self.n = xp, P3, B, n
        self.reference, self.log_reference = ref, xp.log(ref)
        self.domain = Product(*[Simplex(n) for _ in range(B)]) if self.batched else Simplex(n)
        # Lipschitz constant of pi -> P pi on the simplex (l1 -> l_inf), tangent directions
        self.lipschitz_entropic = max(to_float(xp.max(xp.abs(P3 - 0.5))), 1e-300)
        self.lipschitz = None
        self.equilibrium = None
        if equilibrium is not None:
            self.equilibrium = self.check_point("equilibrium", equilibrium)

    @property
    def batch(self):
        """``B`` for a batch of games (``P`` of shape (B, n, n)), else ``None``."""
        return self.B if self.batched else None

    def game(self, b: int) -> "PreferenceGame":
        """Game ``b`` of a batch as a single :class:`PreferenceGame` (views of ``P`` and the reference)."""
        if not self.batched:
            raise ValueError("game(b) needs a batch of games (P with shape (B, n, n))")
        if not -self.B <= b < self.B:
            raise IndexError(f"game index {b} out of range for a batch of {self.B}")
        g = PreferenceGame(self.P[b, ...], self.beta, self.reference[b, ...],
                           regularizer=self.alpha)
        g._force_dual = self._force_dual
        if self.equilibrium is not None:
            g.equilibrium = self.policies(self.equilibrium)[b, ...]
        return g

    # -- shapes ----------------------------------------------------------
    def policies(self, z):
        """The joint point ``z`` as one policy per game, shape ``(B, n)``."""
        return self.xp.reshape(z, (self.B, self.n))

    def preference_of(self, pi):
        """``(P pi)_y = P(y > pi)`` for each game of the batch, shape (B, n)."""
        return self.xp.sum(self.P * pi[:, None, :], axis=2)

    def initial_point(self):
        return self.xp.reshape(self.reference, (-1,))

    def split(self, z):
        return {"x": self.policies(z) if self.batched else z}

    # -- operator and certificate -----------------------------------------
    def operator(self, z):
        xp = self.xp
        pi = self.policies(z)
        F = -self.preference_of(pi)
        if self.beta > 0:
            a = self.alpha
            if a > 0:
                F = F + (self.beta * a) * (xp.log(pi) - self.log_reference)
            if a < 1:
                F = F - (self.beta * (1.0 - a)) * self.reference / pi
        return xp.reshape(F, (-1,))

    def exploitability(self, pi, Ppi=None):
        """Per-game ``(E_beta, unregularised exploitability, KL(pi||ref))``, each shape (B,)."""
        xp, beta = self.xp, self.beta
        if Ppi is None:
            Ppi = self.preference_of(pi)
        unreg = xp.max(Ppi, axis=1) - 0.5
        safe = xp.where(pi > 0, pi, xp.ones_like(pi))
        kl = xp.sum(xp.where(pi > 0, pi * (xp.log(safe) - self.log_reference), xp.zeros_like(pi)), axis=1)
        if beta == 0:
            return unreg, unreg, kl
        if self.alpha < 1.0 or self._force_dual:
            return self._dual_exploitability(pi, Ppi), unreg, kl
        e_beta = beta * log_sum_exp(xp, self.log_reference + Ppi / beta) + beta * kl - 0.5
        return e_beta, unreg, kl

    def _regulariser(self, p, ref):
        """Per-entry R terms (NumPy, float64), summing to R(p) on the simplex."""
        a = self.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            rev = np.where(p > 0, p * np.log(p / ref), 0.0)
            fwd = ref * np.log(ref / p)
        return a * rev + (1.0 - a) * fwd

    def _dual_exploitability(self, pi, Ppi):
        """Upper bound on max_pi' [<pi', P pi> - beta R(pi')] - 1/2 + beta R(pi) by weak duality.

        D(lam) = lam + sum_y sup_{p > 0} [(g_y - lam) p - beta r_y(p)] bounds the max
        for every lam; each concave 1-d sup is bracketed by bisection on its
        derivative, and bounded above by phi(p_hat) + max|phi'| * bracket width.
        """
        beta, a = self.beta, self.alpha
        g_all = np.asarray(Ppi, dtype=np.float64)
        ref_all = np.asarray(self.reference, dtype=np.float64)
        pi_all = np.asarray(pi, dtype=np.float64)
        out = []
        for g, ref, q in zip(g_all, ref_all, pi_all):
            log_ref = np.log(ref)

            def dphi(t, lam):  # d/dp of (g - lam) p - beta r(p) at p = exp(t); decreasing in t
                return (g - lam - beta * a * (t - log_ref + 1.0)
                        + beta * (1.0 - a) * np.exp(log_ref - t))

            def t_of(lam):  # bracket of the root in t = log p, by bisection
                lo, hi = np.full_like(g, -700.0), np.full_like(g, 700.0)
                for _ in range(64):
                    mid = 0.5 * (lo + hi)
                    pos = dphi(mid, lam) > 0
                    lo, hi = np.where(pos, mid, lo), np.where(pos, hi, mid)
                return lo, hi

            lam_lo, lam_hi = float(g.min()) - 50.0 * beta - 50.0, float(g.max()) + 50.0 * beta + 50.0
            for _ in range(100):  # sum p(lam) = 1; the sum decreases in lam
                lam = 0.5 * (lam_lo + lam_hi)
                lo, hi = t_of(lam)
                if np.sum(np.exp(0.5 * (lo + hi))) > 1.0:
                    lam_lo = lam
                else:
                    lam_hi = lam
            lam = 0.5 * (lam_lo + lam_hi)
            lo, hi = t_of(lam)
            p_hat = np.exp(0.5 * (lo + hi))
            phi = (g - lam) * p_hat - beta * self._regulariser(p_hat, ref)
            # concavity: sup phi <= phi(p_hat) + max|phi'| over the bracket * its width
            slack = np.maximum(np.abs(dphi(lo, lam)), np.abs(dphi(hi, lam))) * (np.exp(hi) - np.exp(lo))
            dual = lam + float(np.sum(phi + slack))
            out.append(dual - 0.5 + beta * float(np.sum(self._regulariser(q, ref))))
        return self.xp.asarray(np.array(out), dtype=pi.dtype)

    def certify(self, z, *, Fz=None, point: str = "given") -> Certificate:
        xp = self.xp
        pi = self.policies(z)
        e_beta, unreg, kl = self.exploitability(pi)
        eps = finfo_eps(xp, z.dtype)
        rnd = to_float(self.rounding_allowance(xp.max(xp.abs(kl)), eps))
        e = [max(to_float(v), 0.0) + rnd for v in e_beta]
        details = {"unregularised_exploitability": max(to_float(v) for v in unreg) + rnd,
                   "kl_to_reference": max(to_float(v) for v in kl), "beta": self.beta}
        if self.batched:
            details["per_game"] = tuple(e)
        if self.alpha < 1.0:
            details["regularizer"] = f"{self.alpha:g} KL(pi||ref) + {1 - self.alpha:g} KL(ref||pi)"
            details["bound"] = "Lagrangian dual of the best response (upper bound)"
        if self.equilibrium is not None:
            details["kl_from_equilibrium"] = self.kl_from(self.equilibrium, z)
        return Certificate("exploitability", max(e), point, rnd, details)

    def rounding_allowance(self, kl, eps):
        """The floating-point allowance of the exploitability at policies with ``KL(pi||ref) = kl``
        (a number, or one per game), for machine epsilon ``eps``."""
        # terms of size <= 1 + beta * (KL + |log ref|) summed over n entries
        xp = self.xp
        scale = 1.0 + self.beta * (xp.abs(kl) + to_float(xp.max(xp.abs(self.log_reference))))
        return gamma(2 * self.n + 8, eps) * 4.0 * scale

    # -- the equilibrium's fixed-point map ---------------------------------
    def best_response(self, pi):
        """Closed-form regularised best response ``rho * exp(P pi / beta)`` (normalised), (B, n)."""
        xp = self.xp
        if self.beta == 0:
            raise ValueError("the best response is a closed form only for beta > 0")
        v = self.log_reference + self.preference_of(pi) / self.beta
        return xp.exp(v - log_sum_exp(xp, v)[:, None])

    def kl_from(self, pi_star, pi) -> float:
        """KL(pi* || pi), largest over the batch (the Nash-MP convergence measure)."""
        xp = self.xp
        a, b = self.policies(xp.reshape(pi_star, (-1,))), self.policies(xp.reshape(pi, (-1,)))
        safe = xp.where(a > 0, a, xp.ones_like(a))
        return max(to_float(v) for v in xp.sum(xp.where(a > 0, a * (xp.log(safe) - xp.log(b)), xp.zeros_like(a)), axis=1))

    @property
    def interior_only(self) -> bool:
        return self.beta > 0

    def __repr__(self):
        b = f"batch of {self.B}, " if self.batched else ""
        return f"PreferenceGame({b}n={self.n}, beta={self.beta:g})"


def random_preferences(n: int, *, batch: int | None = None, seed=0, dtype=np.float64):
    """Random preference matrix ``P = triu(U) + tril(1 - U^T)``, diagonal 1/2 (ALGORITHMS.md 4.6).

    Examples
    --------
    >>> P = random_preferences(4, seed=0)
    >>> bool(np.allclose(P + P.T, 1.0))
    True
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shape = (n, n) if batch is None else (batch, n, n)
    U = rng.uniform(0.0, 1.0, size=shape)
    upper = np.triu(U, 1)
    P = upper + np.swapaxes(np.triu(1.0 - U, 1), -1, -2)
    idx = np.arange(n)
    P[..., idx, idx] = 0.5
    return P.astype(dtype)
