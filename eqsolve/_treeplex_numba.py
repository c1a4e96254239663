"""Numba kernels of the treeplex passes a certificate makes (best-response value, plans).

Loaded by :mod:`eqsolve.treeplex` when Numba is installed and the arrays are
NumPy's.  The sets are in canonical order (by depth), so the reverse order is
bottom-up and the forward order top-down: each pass is one loop over the
sets.  The operations on each value are those of the vectorised reference,
in the same order within a set (a parent collects its child sets in reverse
order), so the two agree to a few ulps (``tests/test_treeplex.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["support", "plans"]


@njit(cache=True, nogil=True)
def support(parents, start, sizes, g):
    """``max_x <g, x>`` over the treeplex, bottom-up."""
    V = g.copy()
    for i in range(sizes.shape[0] - 1, -1, -1):
        m = -np.inf
        for s in range(start[i], start[i] + sizes[i]):
            if V[s] > m:
                m = V[s]
        V[parents[i]] += m
    return V[0]


@njit(cache=True, nogil=True)
def plans(parents, start, sizes, z, out):
    """The plan of the behaviour strategy ``z`` plays (``z``'s negative entries read
    as 0, renormalised at each set, uniform where unreached) into ``out``; returns
    ``||out - z||_1``."""
    out[0] = 1.0
    dist = abs(1.0 - z[0])
    for i in range(sizes.shape[0]):
        p = max(z[parents[i]], 0.0)
        k = sizes[i]
        tot = 0.0
        for s in range(start[i], start[i] + k):
            b = max(z[s], 0.0) / p if p > 0 else 1.0 / k
            out[s] = b
            tot += b
        for s in range(start[i], start[i] + k):
            b = out[s] / tot if tot > 0 else 1.0 / k
            out[s] = out[parents[i]] * b
            dist += abs(out[s] - z[s])
    return dist
