"""Analyses of games and of the points the methods return, above the methods layer.

* :mod:`eqsolve.analysis.small_gain` -- Small-Gain Nash: certified contraction
  of non-monotone games on a region (constants, weights, the certificate, its
  reports, the regions and their grids).
* :mod:`eqsolve.analysis.second_order` -- the second-order test of local
  minimax points.

These build on problems and may run methods (a report simulates the certified
flow); nothing below them imports them.  The front re-exports their entry
points: ``eqsolve.small_gain``, ``eqsolve.SmallGainCertificate``,
``eqsolve.second_order_check``.
"""
