"""The second-order (local minimax) check: restricted Schur complement, finite differences."""

import numpy as np
import pytest

from eqsolve.analysis.second_order import second_order_check

from ..methods.test_two_timescale import quadratic


def test_degenerate_yy_hessian_uses_the_restricted_schur_complement():
    # f = x2^2/2 + x1 y: grad_yy f = 0 (singular); classical Schur complement undefined
    s, H = quadratic(np.diag([0.0, 1.0]), [[1.0], [0.0]], [[0.0]])
    check = second_order_check(s, np.zeros(3), hessian=lambda x, y: H)
    assert check.passed
    assert check.lambda_max_yy == pytest.approx(0.0)
    assert check.lambda_min_schur == pytest.approx(1.0)
    # same with the x2 direction concave: not a local minimax point
    s2, H2 = quadratic(np.diag([0.0, -1.0]), [[1.0], [0.0]], [[0.0]])
    bad = second_order_check(s2, np.zeros(3), hessian=lambda x, y: H2)
    assert not bad.passed and "NOT" in bad.message


def test_convex_in_y_fails_and_finite_differences_agree():
    s, H = quadratic([[1.0]], [[0.5]], [[0.3]])  # y minimises: grad_yy f = 0.3 > 0
    exact = second_order_check(s, np.zeros(2), hessian=lambda x, y: H)
    approx = second_order_check(s, np.zeros(2))
    assert not exact.passed and not approx.passed
    assert approx.lambda_max_yy == pytest.approx(exact.lambda_max_yy, abs=1e-6)
    assert approx.source.startswith("approximate")
