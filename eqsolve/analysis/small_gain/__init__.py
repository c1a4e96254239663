"""Small-Gain Nash: certified contraction of game dynamics on a product region.

The modules, each importing only those listed before it:

* :mod:`~eqsolve.analysis.small_gain.regions` -- the region Ω (a product of
  per-player boxes and balls) and the grids that cover it;
* :mod:`~eqsolve.analysis.small_gain.constants` -- the block constants
  :math:`\\mu_i`, :math:`L_{ij}`, :math:`\\beta(w)` on Ω;
* :mod:`~eqsolve.analysis.small_gain.weights` -- the margin and the choice of weights;
* :mod:`~eqsolve.analysis.small_gain.report` -- Markdown and HTML reports;
* :mod:`~eqsolve.analysis.small_gain.certificate` -- :class:`SmallGainCertificate`;
* :mod:`~eqsolve.analysis.small_gain.certify` -- :func:`small_gain`, which computes it.

References
----------
.. [1] V. Sharma, "Small-Gain Nash: certified contraction to Nash equilibria in
   differentiable games", arXiv:2512.06791 (2025).
"""

from .certificate import SmallGainCertificate
from .certify import rk4_linear_step, small_gain
from .weights import margin, perron_weights, two_player_band

__all__ = ["small_gain", "SmallGainCertificate", "margin", "two_player_band", "perron_weights",
           "rk4_linear_step"]
