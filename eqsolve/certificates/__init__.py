"""Certified residuals and the certificate object.

``residuals`` and ``certificate`` depend only on the backend and the domains:
problems use them to certify their own points.  Analyses that build on the
problems (Small-Gain Nash and its reports) are in :mod:`eqsolve.analysis`;
:class:`RegionCertificate` is the interface through which the methods use them.
"""

from .certificate import KINDS, Certificate, RegionCertificate, certify_region, set_region_certifier
from .residuals import (
    bimatrix_nash_gap,
    forward_backward_residual,
    gap_function,
    matrix_game_gap,
    natural_residual,
    operator_norm,
)
from .sequence_form import sequence_form_gap

__all__ = [
    "Certificate",
    "KINDS",
    "RegionCertificate",
    "certify_region",
    "set_region_certifier",
    "matrix_game_gap",
    "bimatrix_nash_gap",
    "forward_backward_residual",
    "natural_residual",
    "gap_function",
    "operator_norm",
    "sequence_form_gap",
]
