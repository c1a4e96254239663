"""Gambit .nfg throughput: MB/s reading and writing exact payoffs, against file size and pygambit.

For each payoff kind (``int``: integers in [-1000, 1000]; ``decimal``: two
decimal places; ``rational``: p/q with q up to 30; ``float``: the exact
decimal expansions of standard-normal float64 payoffs) and each body form
(``payoff`` and ``outcome``), a two-player game of n x n strategies is written
with :func:`eqsolve.io.write_nfg` and read back with
:func:`eqsolve.io.parse_nfg`; the read game must equal the written one
exactly and rewrite to the same bytes.  Each timing is the best of
``--repeats`` runs.  Where pygambit is installed, its ``read_nfg`` reads the
same file in a subprocess with a time limit (``--pygambit-limit`` seconds) and
the ratio of the two speeds is reported.

The machine's load average is recorded with the numbers: throughput measured
on a loaded machine is indicative only.

Usage::

    python benchmarks/nfg_io.py                  # n = 250, 500, 700, 1000
    python benchmarks/nfg_io.py --sizes 700 --kinds int
    python benchmarks/nfg_io.py --quick          # smoke run

Results: ``benchmarks/results/nfg_io.json`` and ``nfg_io.png``
(``nfg_io_quick.*`` with ``--quick``); ``run()`` returns the dict.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eqsolve.io import parse_nfg, write_nfg
from eqsolve.problems import NormalFormGame
from eqsolve.problems._exact import RationalArray

RESULTS = Path(__file__).resolve().parent / "results"
KINDS = ("int", "decimal", "rational", "float")
FORMS = ("payoff", "outcome")


def make_game(kind: str, n: int, seed: int = 0) -> NormalFormGame:
    rng = np.random.default_rng(seed)
    shape = (2, n, n)
    if kind == "int":
        return NormalFormGame(rng.integers(-1000, 1001, size=shape))
    if kind == "decimal":
        return NormalFormGame(RationalArray.from_parts(rng.integers(-10 ** 5, 10 ** 5, size=shape),
                                                       np.full(shape, 100)))
    if kind == "rational":
        return NormalFormGame(RationalArray.from_parts(rng.integers(-1000, 1001, size=shape),
                                                       rng.integers(1, 31, size=shape)))
    if kind == "float":
        return NormalFormGame(rng.standard_normal(shape))
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def _best(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


_PYGAMBIT = """
import sys, time
import pygambit
t = time.perf_counter()
pygambit.read_nfg(sys.argv[1])
print(time.perf_counter() - t)
"""


def pygambit_seconds(path: str, limit: float):
    """pygambit's read time for ``path`` (a subprocess, killed after ``limit`` s); None if absent."""
    try:
        import importlib.util

        if importlib.util.find_spec("pygambit") is None:
            return None, "pygambit not installed"
    except (ImportError, ValueError):
        return None, "pygambit not installed"
    try:
        out = subprocess.run([sys.executable, "-c", _PYGAMBIT, path], capture_output=True,
                             text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, f"did not finish within {limit:g} s"
    if out.returncode != 0:
        return None, f"failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}"
    return float(out.stdout.strip().splitlines()[-1]), "ok"


def run(sizes=(250, 500, 700, 1000), kinds=KINDS, forms=FORMS, repeats=3, pygambit_limit=60.0):
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for n in sizes:
                game = make_game(kind, n)
                for form in forms:
                    tw, text = _best(lambda: write_nfg(game, form=form), repeats)
                    tr, again = _best(lambda: parse_nfg(text), repeats)
                    exact = again == game and write_nfg(again, form=form) == text
                    mb = len(text.encode()) / 1e6
                    row = {"kind": kind, "form": form, "n": n, "megabytes": mb,
                           "write_s": tw, "read_s": tr, "write_mb_s": mb / tw, "read_mb_s": mb / tr,
                           "exact_round_trip": bool(exact)}
                    path = os.path.join(tmp, f"{kind}_{form}_{n}.nfg")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                    tg, note = pygambit_seconds(path, pygambit_limit)
                    row["pygambit_read_s"], row["pygambit"] = tg, note
                    row["speedup_vs_pygambit"] = (tg / tr) if tg else None
                    rows.append(row)
                    print(f"{kind:8s} {form:7s} n={n:5d} {mb:7.2f} MB  read {row['read_mb_s']:6.1f} "
                          f"MB/s  write {row['write_mb_s']:6.1f} MB/s  exact={exact}  "
                          f"pygambit: {note if tg is None else f'{tg:.2f} s ({tg / tr:.1f}x slower)'}",
                          flush=True)
    return {"benchmark": "nfg_io", "python": platform.python_version(),
            "numpy": np.__version__, "machine": platform.machine(), "cpus": os.cpu_count(),
            "loadavg": list(load) if load else None, "repeats": repeats,
            "pygambit_limit_s": pygambit_limit, "rows": rows,
            "note": "throughput on a loaded machine is indicative only; see loadavg"}


def plot(data, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, what in zip(axes, ("read", "write")):
        for kind in dict.fromkeys(r["kind"] for r in data["rows"]):
            for form, style in (("payoff", "-o"), ("outcome", "--s")):
                pts = [(r["megabytes"], r[f"{what}_mb_s"]) for r in data["rows"]
                       if r["kind"] == kind and r["form"] == form]
                if pts:
                    x, y = zip(*sorted(pts))
                    ax.plot(x, y, style, label=f"{kind}, {form} form")
        ax.axhline(10.0, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("file size (MB)")
        ax.set_title(f"{what} (exact payoffs)")
    axes[0].set_ylabel("MB/s")
    axes[0].legend(fontsize=7)
    load = data.get("loadavg")
    fig.suptitle(f".nfg throughput, load average {load[0]:.2f}" if load else ".nfg throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 700, 1000])
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--forms", nargs="+", default=list(FORMS), choices=FORMS)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pygambit-limit", type=float, default=60.0)
    p.add_argument("--quick", action="store_true", help="smoke run: n = 20, 40, one repeat")
    p.add_argument("--out", type=str, default=None, help="output path without extension")
    a = p.parse_args(argv)
    if a.quick:
        a.sizes, a.repeats, a.pygambit_limit = [20, 40], 1, 10.0
    data = run(sizes=a.sizes, kinds=a.kinds, forms=a.forms, repeats=a.repeats,
               pygambit_limit=a.pygambit_limit)
    out = Path(a.out) if a.out else RESULTS / ("nfg_io_quick" if a.quick else "nfg_io")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(data, indent=2))
    try:
        plot(data, out.with_suffix(".png"))
    except ImportError:
        print("matplotlib not installed: no figure", file=sys.stderr)
    ok = all(r["exact_round_trip"] for r in data["rows"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
