"""Analyses of games and of the points the methods return, above the methods layer.

* :mod:`eqsolve.analysis.small_gain` -- Small-Gain Nash: certified contraction
  of non-monotone games on a region (constants, weights, the certificate, its
  reports, the regions and their grids).
* :mod:`eqsolve.analysis.second_order` -- the second-order test of local
  minimax points.
* :mod:`eqsolve.analysis.pure_equilibria` -- every pure Nash equilibrium of a
  finite game, exactly (``eqsolve.equilibria(game, method="pure")``).
* :mod:`eqsolve.analysis.correlated` -- correlated and coarse correlated
  equilibria (HiGHS LP, optimistic-hedge self-play), certified.

These build on problems and may run methods (a report simulates the certified
flow); nothing below them imports them.  The front re-exports their entry
points: ``eqsolve.small_gain``, ``eqsolve.SmallGainCertificate``,
``eqsolve.second_order_check``, ``eqsolve.equilibria``,
``eqsolve.pure_equilibria``, ``eqsolve.correlated_equilibrium``,
``eqsolve.certify_correlated``.
"""
