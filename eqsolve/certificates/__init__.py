"""Certified residuals and the certificate object.

``residuals`` and ``certificate`` depend only on the backend and the domains
(problems use them to certify their own points); higher-level certification
(Small-Gain Nash, reports) builds on the problems.
"""

from .certificate import KINDS, Certificate
from .residuals import (
    bimatrix_nash_gap,
    forward_backward_residual,
    gap_function,
    matrix_game_gap,
    natural_residual,
    operator_norm,
)

__all__ = [
    "Certificate",
    "KINDS",
    "matrix_game_gap",
    "bimatrix_nash_gap",
    "forward_backward_residual",
    "natural_residual",
    "gap_function",
    "operator_norm",
]
