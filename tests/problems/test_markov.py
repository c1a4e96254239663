"""The entropy-regularised softmax Markov game of the SGN paper."""

import numpy as np

from eqsolve.problems import zoo


def test_markov_pseudo_gradient_is_the_gradient_of_each_players_cost(rng):
    g = zoo.sgn_markov_game()

    def cost(z, i):
        p1, p2 = g.policies(z)
        pi1, pi2 = np.stack([p1, 1 - p1], 1), np.stack([p2, 1 - p2], 1)
        joint = pi1[:, :, None] * pi2[:, None, :]
        rp = np.einsum("sab,sab->s", joint, g.r)
        Pp = np.einsum("sab,sabt->st", joint, g.P)
        V = np.linalg.solve(np.eye(2) - g.gamma * Pp, rp)
        p = (p1, p2)[i]
        return -(V[0] - g.tau * np.sum(p * np.log(p) + (1 - p) * np.log(1 - p)))

    z = rng.normal(size=4)
    num = []
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1e-6
        num.append((cost(z + e, k // 2) - cost(z - e, k // 2)) / 2e-6)
    np.testing.assert_allclose(g.operator(z), num, atol=1e-8)
    G = g.metric(z)
    p1, _ = g.policies(z)
    np.testing.assert_allclose(np.diag(G[0]), p1 * (1 - p1))
