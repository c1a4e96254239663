"""Game files and other libraries' games.

* Gambit ``.nfg`` files: :func:`read_nfg`, :func:`parse_nfg`, :func:`write_nfg`,
  :func:`format_nfg`, :class:`NFGParseError`;
* :func:`from_nashpy` and :func:`from_pygambit` (the libraries are imported
  by the caller, never by eqsolve).

Every reader returns a :class:`~eqsolve.problems.NormalFormGame`: exact
payoffs, labels, certification of any N-player profile, and
``.to_problem()`` for the two-player solvers.
"""

from .interop import from_nashpy, from_pygambit
from .nfg import NFGParseError, format_nfg, parse_nfg, read_nfg, write_nfg

__all__ = ["read_nfg", "parse_nfg", "write_nfg", "format_nfg", "NFGParseError", "from_nashpy",
           "from_pygambit"]
