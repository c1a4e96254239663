"""Quickstart: solve a real zero-sum game and print its equilibrium with a certificate.

The game is a small *attacker-defender* (security) game: a defender splits
patrol time over 5 sites, an attacker picks a site.  A site ``i`` has value
``v_i`` to the attacker; an attack on a patrolled site is caught with
probability ``d_i`` and costs the attacker a penalty ``c``.  The attacker's
payoff for (attack i, patrol j) is ``v_i`` if ``i != j`` and
``(1 - d_i) v_i - d_i c`` if ``i == j``.  We also solve a 200 x 200 random game with restarted PDHG and
compare the certified value bracket with the exact LP value from HiGHS.

Run:  python examples/quickstart.py
"""

import numpy as np
from scipy.optimize import linprog

import eqsolve as eq

values = np.array([5.0, 4.0, 3.0, 2.5, 1.0])
detect = np.array([0.9, 0.8, 0.9, 0.7, 0.6])
penalty = 2.0
A = np.tile(values[:, None], (1, 5))
A[np.diag_indices(5)] = (1 - detect) * values - detect * penalty

game = eq.MatrixGame(A)  # row player (attacker) maximises x^T A y
res = eq.solve(game, method="mirror_prox", tol=1e-9)
print("Attacker-defender game")
print(res.summary())
np.set_printoptions(precision=4, suppress=True)
print("attacker mixes sites :", res.x)
print("defender patrols     :", res.y)


def lp_value(A):
    """Value of max_x min_y x^T A y by linear programming (HiGHS)."""
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0  # maximise v
    A_ub = np.hstack([-A.T, np.ones((n, 1))])  # v <= (x^T A)_j for all j
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    bounds = [(0, None)] * m + [(None, None)]
    out = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    return -out.fun


big = eq.zoo.random_matrix_game(200, seed=0)
res = eq.solve(big, method="pdhg", tol=1e-6)
lo, hi = res.certificate.details["value_bounds"]
v = lp_value(np.asarray(big.A))
print()
print("Random 200 x 200 game (uniform[-1, 1] entries)")
print(res.summary())
print(f"certified bracket [{lo:.9f}, {hi:.9f}] contains the HiGHS LP value {v:.9f}: {lo <= v <= hi}")
