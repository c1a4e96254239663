"""Game files and other libraries' games.

* Gambit ``.nfg`` files: :func:`read_nfg`, :func:`parse_nfg`, :func:`write_nfg`,
  :func:`format_nfg`, :class:`NFGParseError`;
* Gambit ``.efg`` files: :func:`read_efg`, :func:`parse_efg`, :func:`write_efg`,
  :func:`format_efg`, :class:`EFGParseError`, :class:`EFGTree` (module
  :mod:`eqsolve.io.efg`);
* :func:`from_nashpy` and :func:`from_pygambit` (the libraries are imported
  by the caller, never by eqsolve), and :func:`to_openspiel_policy`.

The ``.nfg`` readers return a :class:`~eqsolve.problems.NormalFormGame`: exact
payoffs, labels, certification of any N-player profile, and
``.to_problem()`` for the two-player solvers.  The ``.efg`` readers return an
:class:`~eqsolve.problems.ExtensiveFormGame` (two-player zero-sum, sequence
form) with the parsed tree attached; :func:`from_pygambit` returns either,
as the pygambit game is a table or a tree.
"""

from .efg import EFGParseError, EFGTree, format_efg, parse_efg, read_efg, write_efg
from .interop import from_nashpy, from_pygambit, to_openspiel_policy
from .nfg import NFGParseError, format_nfg, parse_nfg, read_nfg, write_nfg

__all__ = ["read_nfg", "parse_nfg", "write_nfg", "format_nfg", "NFGParseError", "read_efg",
           "parse_efg", "write_efg", "format_efg", "EFGParseError", "EFGTree", "from_nashpy",
           "from_pygambit", "to_openspiel_policy"]
