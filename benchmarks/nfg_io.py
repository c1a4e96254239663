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
(``nfg_io_quick.*`` with ``--quick``), in the shared record schema of
``benchmarks/_harness.py``; ``run()`` returns the record.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import _harness as harness
from eqsolve.io import parse_nfg, write_nfg
from eqsolve.problems import NormalFormGame
from eqsolve.problems._exact import RationalArray

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


def run(sizes=(250, 500, 700, 1000), kinds=KINDS, forms=FORMS, repeats=3,
        pygambit_limit=60.0) -> dict:
    """Write and read every (kind, size, form); return the record (writes nothing)."""
    sizes, kinds, forms = tuple(sizes), tuple(kinds), tuple(forms)
    record = harness.begin("nfg_io", {"sizes": sizes, "kinds": kinds, "forms": forms,
                                      "repeats": repeats, "pygambit_limit": pygambit_limit})
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
    return harness.finish(record, {"rows": rows}, summarize({"rows": rows}))


def summarize(results) -> dict:
    """Slowest read and write throughput per payoff kind, and whether every file round-tripped."""
    rows = results["rows"]
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    return {"min_read_mb_s": {k: min(r["read_mb_s"] for r in rows if r["kind"] == k) for k in kinds},
            "min_write_mb_s": {k: min(r["write_mb_s"] for r in rows if r["kind"] == k)
                               for k in kinds},
            "all_exact": all(r["exact_round_trip"] for r in rows)}


def plot(record, path):
    plt = harness.pyplot()
    data = record["results"]
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
    load = record["machine"].get("load_before")
    fig.suptitle(f".nfg throughput, 1-min load {load[0]:.2f} at the start" if load and load[0]
                 is not None else ".nfg throughput")
    fig.tight_layout()
    harness.save_png(fig, path, dpi=110)


def report(record) -> None:
    for k, v in record["summary"]["min_read_mb_s"].items():
        print(f"{k:8s} slowest read {v:6.1f} MB/s, slowest write "
              f"{record['summary']['min_write_mb_s'][k]:6.1f} MB/s")
    print("every file round-tripped exactly" if record["summary"]["all_exact"]
          else "SOME FILES DID NOT ROUND-TRIP")


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="n (250 500 700 1000)")
    p.add_argument("--kinds", nargs="+", default=None, choices=KINDS)
    p.add_argument("--forms", nargs="+", default=None, choices=FORMS)
    p.add_argument("--repeats", type=int, default=None, help="best of this many (3)")
    p.add_argument("--pygambit-limit", dest="pygambit_limit", type=float, default=None,
                   help="seconds pygambit may take per file (60)")


DEFAULTS = {}
#: n = 20, 40, one repeat
QUICK = {"sizes": (20, 40), "repeats": 1, "pygambit_limit": 10.0}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="nfg_io", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
