"""The ``eqsolve`` command line: solve and certify game files, write reports, run benchmarks.

::

    eqsolve solve GAME.nfg|GAME.efg [--method M] [--tol T] [--max-iter N] [--time-limit S] [--json] [--progress]
    eqsolve certify GAME.nfg PROFILE.json [--tol T] [--json]
    eqsolve report SPEC.json -o REPORT.html [--json]
    eqsolve bench [NAME] [--dir DIR] [--list] [-- ARGS...]

Exit codes: 0 converged (``solve``), certified within ``--tol``
(``certify``), report written, benchmark succeeded; 1 not converged or gap
above ``--tol``; 2 bad input (unreadable or malformed files, bad options).
``python -m eqsolve`` is the same command.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from . import __version__, small_gain, solve
from .io import EFGParseError, NFGParseError, read_efg, read_nfg
from .problems._exact import parse_rational
from .problems.differentiable import game_from_spec

__all__ = ["main", "EXIT_OK", "EXIT_NOT_CONVERGED", "EXIT_BAD_INPUT"]

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2


class _BadInput(Exception):
    """Reported on stderr with exit code 2."""


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="eqsolve",
        description="Certified equilibria from the command line: every answer comes with a "
        "residual computed exactly at the returned point.",
        epilog="Exit codes: 0 converged / certified, 1 not converged / gap above --tol, 2 bad input.",
    )
    p.add_argument("--version", action="version", version=f"eqsolve {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("solve", help="solve a game file (Gambit .nfg or .efg) with a certified "
                       "residual",
                       description="Solve a Gambit .nfg game and print the equilibrium, its value "
                       "and certificate.  Two-player zero-sum games are solved as MatrixGame, other "
                       "two-player games as BimatrixGame, N-player games as NormalFormGame (generic "
                       "VI methods, no convergence guarantee).")
    s.add_argument("game", type=Path, help="the game file (.nfg, payoff or outcome form; .efg: a "
                   "two-player zero-sum extensive-form game)")
    s.add_argument("--method", default=None,
                   help="a registered method (eqsolve.METHODS); default: the problem's fastest")
    s.add_argument("--tol", type=_positive_float, default=1e-6,
                   help="target for the certified residual (default 1e-6)")
    s.add_argument("--max-iter", type=_positive_int, default=10_000, help="default 10000")
    s.add_argument("--time-limit", type=_positive_float, default=None, help="seconds")
    s.add_argument("--output", choices=("best", "last", "average"), default=None,
                   help="which point to return (default: the better certified)")
    s.add_argument("--progress", action="store_true", help="show a progress bar (stderr)")
    s.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    c = sub.add_parser("certify", help="certify a mixed-strategy profile of a game file",
                       description="Certify a profile (one mixed strategy per player) of a Gambit "
                       ".nfg game: the Nash gap, exact up to a rigorous rounding allowance.")
    c.add_argument("game", type=Path, help="the game file (.nfg)")
    c.add_argument("profile", type=Path,
                   help='JSON: a list of mixed strategies, one per player, e.g. [[0.5, 0.5], [1, 0]] '
                   '(entries may be strings such as "1/3"), or {"profile": [...]}')
    c.add_argument("--tol", type=_positive_float, default=1e-6,
                   help="exit 0 when the certified Nash gap is at most this (default 1e-6)")
    c.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    r = sub.add_parser("report", help="write the Small-Gain Nash HTML report of a game spec",
                       description="Certify a game given as a JSON spec with Small-Gain Nash "
                       "(eqsolve.small_gain) and write the HTML report.")
    r.add_argument("spec", type=Path, help="JSON spec of the game and region "
                   "(eqsolve.problems.differentiable.game_from_spec)")
    r.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    r.add_argument("--json", action="store_true", help="print the certificate as JSON")

    b = sub.add_parser("bench", help="run a benchmark script from benchmarks/",
                       description="Run one of the benchmark scripts of eqsolve's source checkout "
                       "(benchmarks/NAME.py); arguments after -- go to the script, e.g. "
                       "'eqsolve bench rates -- --quick'.",
                       usage="eqsolve bench [-h] [--dir DIR] [--list] [NAME] [-- SCRIPT_ARGS ...]")
    b.add_argument("name", nargs="?", help="the benchmark (omit, or --list, to list them)")
    b.add_argument("--dir", type=Path, default=None,
                   help="the benchmarks directory (default: next to the eqsolve package, then "
                   "$EQSOLVE_BENCHMARKS, then ./benchmarks)")
    b.add_argument("--list", action="store_true", help="list the available benchmarks")
    return p


# -- helpers ---------------------------------------------------------------
def _read_file(path: Path, reader, parse_error, kind: str):
    try:
        return reader(path)
    except FileNotFoundError:
        raise _BadInput(f"game file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise _BadInput(f"game file {str(path)!r} is a directory, not a {kind} file") from None
    except PermissionError:
        raise _BadInput(f"game file {str(path)!r} cannot be read (permission denied)") from None
    except parse_error as exc:
        raise _BadInput(f"malformed game file: {exc}") from None


def _read_game(path: Path):
    return _read_file(path, read_nfg, NFGParseError, ".nfg")


def _read_json(path: Path, what: str):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _BadInput(f"{what} {str(path)!r} does not exist") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise _BadInput(f"{what} {str(path)!r} cannot be read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput(f"{what} {str(path)!r} is not valid JSON: line {exc.lineno}, column "
                        f"{exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        # an integer of more than sys.get_int_max_str_digits() digits (refused before conversion)
        raise _BadInput(f"{what} {str(path)!r} holds a number too long to read: {exc}") from None
    except RecursionError:
        raise _BadInput(f"{what} {str(path)!r} nests lists or objects too deeply to read") from None


def _profile(data, game):
    if isinstance(data, dict):
        if "profile" not in data:
            raise _BadInput('the profile JSON must be a list of mixed strategies or {"profile": [...]}')
        data = data["profile"]
    n = game.num_players
    if not isinstance(data, list) or len(data) != n:
        raise _BadInput(f"the profile must list {n} mixed strategies (one per player), got "
                        f"{len(data) if isinstance(data, list) else type(data).__name__}")
    out = []
    for i, (x, s) in enumerate(zip(data, game.shape)):
        if not isinstance(x, list) or len(x) != s:
            raise _BadInput(f"profile[{i}] ({game.players[i]}) must be a list of {s} probabilities")
        row = []
        for k, v in enumerate(x):
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                raise _BadInput(f"profile[{i}][{k}] must be a number or a string such as \"1/3\", "
                                f"got {v!r}")
            try:
                # strings are read by the bounded-cost exact parser ("1e-9999999" is refused
                # at once rather than expanded)
                row.append(float(parse_rational(v.strip())) if isinstance(v, str) else float(v))
            except OverflowError:
                raise _BadInput(f"profile[{i}][{k}] is beyond float64's range (a probability "
                                "lies in [0, 1])") from None
            except ValueError as exc:
                shown = v if not isinstance(v, str) or len(v) <= 30 else v[:27] + "..."
                raise _BadInput(f"profile[{i}][{k}] must be a number or a string such as \"1/3\", "
                                f"got {shown!r} ({exc})") from None
        out.append(row)
    return tuple(out)


def _profile_lists(game, z):
    """One list of probabilities per player (labels may repeat, so not a dict)."""
    return [[float(p) for p in x] for x in game.split(np.asarray(z, dtype=np.float64)).values()]


def _print_profile(game, z):
    for i, probs in enumerate(_profile_lists(game, z)):
        shown = "  ".join(f"{lab}={p:.6g}" for lab, p in zip(game.strategies[i], probs) if p > 0)
        print(f"  {game.players[i]}: {shown}")


def _game_info(game, path):
    return {"file": str(path), "title": game.title, "players": list(game.players),
            "strategies": [list(s) for s in game.strategies], "zero_sum": game.zero_sum}


# -- commands --------------------------------------------------------------
def _read_efg(path: Path):
    try:
        return _read_file(path, read_efg, EFGParseError, ".efg")
    except ValueError as exc:    # a game the sequence form cannot take (imperfect recall, ...)
        raise _BadInput(str(exc)) from None


def _solve_efg(a) -> int:
    game = _read_efg(a.game)
    try:
        res = solve(game, method=a.method, tol=a.tol, max_iter=a.max_iter,
                    time_limit=a.time_limit, progress=a.progress, output=a.output)
    except (ValueError, TypeError) as exc:
        raise _BadInput(str(exc)) from None
    code = EXIT_OK if res.converged else EXIT_NOT_CONVERGED
    strategy = game.behavior(res.z)
    if a.json:
        out = {"game": {"file": str(a.game), "sequences": [game.X.dim, game.Y.dim]},
               "problem": type(game).__name__, "result": res.to_dict(),
               "behavior": {str(k): {str(act): p for act, p in probs.items()}
                            for k, probs in strategy.items()}, "exit_code": code}
        print(json.dumps(out, default=_json_default))
        return code
    print(f"extensive-form game: {game.X.n_sets} + {game.Y.n_sets} information sets, "
          f"{game.X.dim} x {game.Y.dim} sequences")
    print(res.summary())
    print("behaviour strategies (information set: action=probability):")
    for key, probs in strategy.items():
        shown = "  ".join(f"{act}={p:.6g}" for act, p in probs.items() if p > 0)
        print(f"  {key}: {shown}")
    print(f"value (payoff of player 1) in {res.certificate.details['value_bounds']}")
    return code


def _solve(a) -> int:
    if a.game.suffix.lower() == ".efg":
        return _solve_efg(a)
    game = _read_game(a.game)
    problem = game.to_problem() if game.num_players == 2 else game
    try:
        res = solve(problem, method=a.method, tol=a.tol, max_iter=a.max_iter,
                       time_limit=a.time_limit, progress=a.progress, output=a.output)
    except (ValueError, TypeError) as exc:
        raise _BadInput(str(exc)) from None
    # the solve certifies the float64 problem; this certifies the file's exact payoffs
    nash = game.certify(res.z)
    code = EXIT_OK if res.converged else EXIT_NOT_CONVERGED
    if a.json:
        out = {"game": _game_info(game, a.game), "problem": type(problem).__name__,
               "profile": _profile_lists(game, res.z), "result": res.to_dict(),
               "nash_gap": nash.to_dict(), "exit_code": code}
        print(json.dumps(out, default=_json_default))
        return code
    title = f' "{game.title}"' if game.title else ""
    print(f"game{title}: {game.num_players} players, strategies "
          f"{' x '.join(map(str, game.shape))}, solved as {type(problem).__name__}")
    print(res.summary())
    print("equilibrium (strategies with positive probability):")
    _print_profile(game, res.z)
    if res.value is not None:
        print(f"value (payoff of {game.players[0]}): {res.value:.10g}")
    print(f"Nash gap of the file's exact game at this profile: {nash.value:.6e}")
    return code


def _certify(a) -> int:
    game = _read_game(a.game)
    profile = _profile(_read_json(a.profile, "profile file"), game)
    try:
        z = game.check_point("profile", profile)
    except (ValueError, TypeError) as exc:
        raise _BadInput(str(exc)) from None
    cert = game.certify(z)
    code = EXIT_OK if cert.value <= a.tol else EXIT_NOT_CONVERGED
    if a.json:
        out = {"game": _game_info(game, a.game), "certificate": cert.to_dict(),
               "tol": a.tol, "within_tol": code == EXIT_OK, "exit_code": code}
        print(json.dumps(out, default=_json_default))
        return code
    print(cert)
    verdict = "within" if code == EXIT_OK else "above"
    print(f"Nash gap {cert.value:.6e} is {verdict} tol {a.tol:g}")
    return code


def _report(a) -> int:
    spec = _read_json(a.spec, "spec file")
    try:
        game, region = game_from_spec(spec)
        cert = small_gain(game, region)
    except (ValueError, TypeError) as exc:
        raise _BadInput(f"bad spec {str(a.spec)!r}: {exc}") from None
    try:
        cert.report(a.output)
    except OSError as exc:
        raise _BadInput(f"cannot write the report {str(a.output)!r}: {exc}") from None
    if a.json:
        print(json.dumps({"report": str(a.output), "certificate": cert.to_dict()},
                         default=_json_default))
    else:
        print(cert)
        print(f"wrote {a.output}")
    return EXIT_OK


def _find_benchmarks(explicit):
    if explicit is not None:
        if not explicit.is_dir():
            raise _BadInput(f"--dir {str(explicit)!r} is not a directory")
        return explicit
    candidates = _default_benchmark_dirs()
    for c in candidates:
        if c.is_dir() and _discover(c):
            return c
    raise _BadInput(
        "cannot find the benchmarks directory (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); the benchmarks are scripts in eqsolve's source checkout, not part of the installed "
        "package: run from a checkout, set EQSOLVE_BENCHMARKS, or pass --dir PATH"
    )


def _default_benchmark_dirs() -> list:
    """Where the benchmarks may be: the source checkout holding this package, then the user's hints."""
    dirs = [Path(__file__).resolve().parent.parent / "benchmarks"]
    if os.environ.get("EQSOLVE_BENCHMARKS"):
        dirs.append(Path(os.environ["EQSOLVE_BENCHMARKS"]))
    dirs.append(Path.cwd() / "benchmarks")
    return dirs


def _discover(directory: Path) -> dict:
    """``{name: script}`` for every ``NAME.py`` in the directory (``_``-prefixed files excluded)."""
    return {p.stem.replace("_", "-"): p for p in sorted(directory.glob("*.py"))
            if not p.name.startswith("_")}


def _bench(a) -> int:
    directory = _find_benchmarks(a.dir)
    scripts = _discover(directory)
    if not scripts:
        raise _BadInput(f"no benchmark scripts (*.py) in {str(directory)!r}")
    if a.list or a.name is None:
        for name, path in scripts.items():
            print(f"{name:20s} {_first_line(path)}")
        return EXIT_OK
    name = a.name.replace("_", "-")
    if name not in scripts:
        raise _BadInput(f"unknown benchmark {a.name!r}; available: {', '.join(scripts)}")
    args = list(a.args)
    env = dict(os.environ)
    # the script imports the same eqsolve as this command
    pkg_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.call([sys.executable, str(scripts[name]), *args], env=env)


def _first_line(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return ""
    return doc.strip().splitlines()[0] if doc else ""


def _json_default(o):
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def main(argv=None) -> int:
    """Run the ``eqsolve`` command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["certify", "no-such-game.nfg", "profile.json"])   # the message goes to stderr
    2
    """
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after the first "--" belongs to a benchmark script, not to eqsolve
    passthrough = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1:]
    try:
        a = parser.parse_args(argv)
        if passthrough and a.command != "bench":
            parser.error(f"arguments after -- are passed to benchmark scripts only "
                         f"('eqsolve bench NAME -- ...'), not to {a.command}")
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    a.args = passthrough
    commands = {"solve": _solve, "certify": _certify, "report": _report, "bench": _bench}
    try:
        return commands[a.command](a)
    except _BadInput as exc:
        print(f"eqsolve: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
