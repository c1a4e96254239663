"""Numba kernel of one regret-minimisation update on a treeplex (CFR+, PCFR+, DCFR).

The NumPy reference (:meth:`eqsolve.methods.cfr._RegretMatching.respond_numpy`)
makes a few vectorised passes per depth level; on trees with short
information sets its time goes to per-call overhead.  Here the whole update
is three sequential loops over the sets in canonical order: the sets are
listed by depth, so the reverse order is bottom-up and the forward order is
top-down.  Sums over a set's actions run in the same order as the
reference's; a parent sequence collects its child sets' values in reverse
order, so the two paths agree to a few ulps (``tests/methods/test_cfr.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["respond", "RM_PLUS", "PREDICTIVE", "DISCOUNTED"]

RM_PLUS, PREDICTIVE, DISCOUNTED = 0, 1, 2


@njit(cache=True, nogil=True)
def respond(parents, start, sizes, g, beta, R, mode, pos, neg, x, beta_out, inst):
    """Update the regrets ``R`` (in place) against the utility ``g`` under ``beta``
    and write the next plan ``x``, behaviour ``beta_out`` and the instantaneous
    regrets ``inst``."""
    k = sizes.shape[0]
    V = g.copy()
    setval = np.empty(k)
    for i in range(k - 1, -1, -1):
        acc = 0.0
        for s in range(start[i], start[i] + sizes[i]):
            acc += beta[s] * V[s]
        setval[i] = acc
        V[parents[i]] += acc
    inst[0] = 0.0
    beta_out[0] = 1.0
    for i in range(k):
        tot = 0.0
        for s in range(start[i], start[i] + sizes[i]):
            r = V[s] - setval[i]
            inst[s] = r
            if mode == DISCOUNTED:
                R[s] = (R[s] * pos if R[s] > 0 else R[s] * neg) + r
                d = R[s]
            else:
                R[s] = max(R[s] + r, 0.0)
                d = R[s] + r if mode == PREDICTIVE else R[s]
            d = max(d, 0.0)
            beta_out[s] = d
            tot += d
        if tot > 0:
            for s in range(start[i], start[i] + sizes[i]):
                beta_out[s] = beta_out[s] / tot
        else:
            for s in range(start[i], start[i] + sizes[i]):
                beta_out[s] = 1.0 / sizes[i]
    x[0] = 1.0
    for i in range(k):
        for s in range(start[i], start[i] + sizes[i]):
            x[s] = x[parents[i]] * beta_out[s]
