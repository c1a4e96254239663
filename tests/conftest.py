"""Shared fixtures and references: a seeded generator, exact LP values (HiGHS), simplex points."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from scipy.optimize import linprog

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile("ci")


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def lp_value(A) -> float:
    """Exact value of max_x min_y x^T A y by HiGHS (the independent reference)."""
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A.T, np.ones((n, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    out = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs")
    assert out.status == 0, out.message
    return -out.fun


def random_simplex_point(rng, n, sparse=False):
    """A random point of the probability simplex (optionally with zero entries)."""
    p = rng.exponential(size=n)
    if sparse:
        p[rng.random(n) < 0.5] = 0.0
        if p.sum() == 0:
            p[rng.integers(n)] = 1.0
    return p / p.sum()
