"""Two-player tabular Markov games with entropy-regularised softmax (logit) policies.

Player i plays :math:`\\pi_i(\\cdot|s) = \\operatorname{softmax}`, parametrised for two
actions by one logit per state, :math:`\\pi_i(0|s) = \\sigma(\\theta_i(s))` (the
identifiable parametrisation: the full two-logit form has a null direction).
Both players share the discounted return :math:`J(\\pi) = V^\\pi(s_0)` and minimise
:math:`f_i = -(J(\\pi) + \\tau\\sum_s H(\\pi_i(\\cdot|s)))`.  With the occupancy
:math:`d = e_{s_0}^\\top (I - \\gamma P_\\pi)^{-1}` and :math:`p = \\pi_i(0|s)`,

.. math:: F_i(\\theta)_s = -p(1-p)\\,\\big[d(s)\\,(Q_i(s,0) - Q_i(s,1)) - \\tau\\,\\theta_i(s)\\big],

and the Fisher metric of player i is :math:`G_i = \\operatorname{diag}_s(p(1-p))`
(unweighted over states).  Real-analytic in θ, so complex-step Jacobians apply.

References
----------
.. [1] V. Sharma, arXiv:2512.06791 (2025), the tabular Markov experiment.
.. [2] R. S. Sutton et al., "Policy gradient methods for reinforcement learning with
   function approximation", NeurIPS 1999 (the policy-gradient theorem).
.. [3] S. Kakade, "A natural policy gradient", NeurIPS 2001.
"""

from __future__ import annotations

import numpy as np

from .differentiable import DifferentiableGame

__all__ = ["SoftmaxMarkovGame", "coordination_markov_game"]


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


class SoftmaxMarkovGame(DifferentiableGame):
    """Entropy-regularised two-player, two-action tabular Markov game in logit coordinates.

    Parameters
    ----------
    reward : (S, 2, 2) array
        Shared reward :math:`r(s, a_1, a_2)`.
    transition : (S, 2, 2, S) array
        :math:`P(s' | s, a_1, a_2)`; rows sum to one.
    gamma : float
        Discount in (0, 1).
    tau : float
        Entropy weight.
    start : int
        The start state :math:`s_0`.

    Examples
    --------
    >>> g = coordination_markov_game()
    >>> g.sizes, g.jacobian_method
    ((2, 2), 'complex')

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025), the tabular Markov experiment.
    .. [2] S. Kakade, "A natural policy gradient", NeurIPS 2001.
    """

    def __init__(self, reward, transition, gamma=0.9, tau=1.0, start=0):
        r = np.asarray(reward, float)
        P = np.asarray(transition, float)
        S = r.shape[0]
        if r.shape != (S, 2, 2) or P.shape != (S, 2, 2, S):
            raise ValueError(f"reward must have shape (S, 2, 2) and transition (S, 2, 2, S); got "
                             f"{r.shape} and {P.shape}")
        if not np.allclose(P.sum(-1), 1.0) or (P < 0).any():
            raise ValueError("transition rows must be probability vectors")
        if not 0 < gamma < 1:
            raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
        self.r, self.P, self.gamma, self.tau, self.start, self.S = r, P, gamma, tau, start, S
        super().__init__(self._field, [S, S], jacobian_method="complex", metric=self._fisher)

    def policies(self, z):
        """Probabilities of action 0 per state for each player."""
        return _sigmoid(z[: self.S]), _sigmoid(z[self.S:])

    def _field(self, z):
        p1, p2 = self.policies(z)
        pi1 = np.stack([p1, 1 - p1], axis=1)  # (S, 2)
        pi2 = np.stack([p2, 1 - p2], axis=1)
        joint = pi1[:, :, None] * pi2[:, None, :]  # (S, 2, 2)
        r_pi = np.einsum("sab,sab->s", joint, self.r)
        P_pi = np.einsum("sab,sabt->st", joint, self.P)
        A = np.eye(self.S) - self.gamma * P_pi
        V = np.linalg.solve(A, r_pi)
        d = np.linalg.solve(A.T, np.eye(self.S)[self.start])
        Qj = self.r + self.gamma * np.einsum("sabt,t->sab", self.P, V)  # joint-action values
        Q1 = np.einsum("sab,sb->sa", Qj, pi2)
        Q2 = np.einsum("sab,sa->sb", Qj, pi1)
        t1, t2 = z[: self.S], z[self.S:]
        g1 = p1 * (1 - p1) * (d * (Q1[:, 0] - Q1[:, 1]) - self.tau * t1)
        g2 = p2 * (1 - p2) * (d * (Q2[:, 0] - Q2[:, 1]) - self.tau * t2)
        return -np.concatenate([g1, g2])

    def _fisher(self, z):
        p1, p2 = self.policies(z)
        return [np.diag(p1 * (1 - p1)), np.diag(p2 * (1 - p2))]

    def kl_lyapunov(self, z, z_star, weights=(1.0, 1.0)):
        """:math:`V = \\sum_i w_i \\sum_s KL(\\pi_i^*(\\cdot|s) \\| \\pi_i(\\cdot|s))` (the paper's Lyapunov function)."""
        out = 0.0
        for w, p, q in zip(weights, self.policies(np.asarray(z_star)), self.policies(np.asarray(z))):
            out += w * float(np.sum(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))))
        return max(out, 0.0)  # KL >= 0; a negative sum is rounding


def coordination_markov_game(gamma: float = 0.9, tau: float = 1.0) -> SoftmaxMarkovGame:
    """The SGN paper's 2-state coordination game.

    Reward +1 when the actions match, -1 otherwise (both states); matching on
    action 0 leads to :math:`s_0` w.p. 0.9, on action 1 to :math:`s_1` w.p. 0.9,
    a mismatch to either state w.p. 1/2; start :math:`s_0`.

    Examples
    --------
    >>> import numpy as np
    >>> g = coordination_markov_game()
    >>> bool(np.allclose(g.operator(np.zeros(4)), 0))   # uniform play is stationary (unstable)
    True

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025), code markov/env.py.
    """
    r = np.array([[[1.0, -1.0], [-1.0, 1.0]]] * 2)
    P = np.empty((2, 2, 2, 2))
    P[:, 0, 0] = [0.9, 0.1]
    P[:, 1, 1] = [0.1, 0.9]
    P[:, 0, 1] = P[:, 1, 0] = [0.5, 0.5]
    return SoftmaxMarkovGame(r, P, gamma, tau, start=0)
