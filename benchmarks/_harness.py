"""What every benchmark script shares: output paths, the machine record, the result schema, the CLI.

A benchmark script ``benchmarks/NAME.py`` exposes

* ``run(**parameters) -> dict``: measures and returns the record below,
  writing nothing (tests call it directly);
* ``main(argv=None) -> int``: the command line, built by :func:`main` here:
  ``--quick`` (the smoke size CI runs), ``--out DIR`` (default
  ``benchmarks/results/``), ``--replot JSON`` (redraw a stored record's figure
  and reprint its report without measuring anything), plus the script's own
  options, each named after a keyword of ``run``.

Every record, in memory and on disk (``DIR/NAME.json``, ``DIR/NAME_quick.json``
for ``--quick``, the figure beside it as ``.png``), has one shape::

    {"benchmark": NAME, "schema": 1,
     "machine": {...},        # machine_record(): CPU, cores, BLAS, versions, load before/after
     "parameters": {...},     # what was run: run's keyword arguments and fixed constants
     "results": {...},        # the measurements
     "summary": {...},        # the headline figures, derived from results only
     "notes": "..."}          # optional, free text

Load averages are ``[1 min, 5 min, 15 min]`` lists (``os.getloadavg()``), or
``null`` where a record did not keep them; the same keys, ``load_before`` and
``load_after``, are used wherever a script records load inside its results.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import scipy

import eqsolve as eq

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCHEMA_VERSION = 1
#: a 1-minute load above this many runnable processes per core flags the timings
LOAD_PER_CORE_LIMIT = 0.5

RECORD_KEYS = ("benchmark", "schema", "machine", "parameters", "results", "summary")
OPTIONAL_RECORD_KEYS = ("notes",)
MACHINE_KEYS = ("date", "platform", "cpu", "cpu_count", "python", "numpy", "scipy", "eqsolve",
                "blas", "packages", "load_before", "load_after", "under_load")
BLAS_KEYS = ("blas", "lapack", "version", "threads", "threads_source", "env")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: optional packages whose version matters to some benchmark (read without importing them)
OPTIONAL_PACKAGES = ("matplotlib", "highspy", "numba", "cvxpy", "cupy", "threadpoolctl", "dask",
                     "distributed", "zarr")


# --------------------------------------------------------------------------- machine record

def loadavg() -> list:
    """``[1 min, 5 min, 15 min]`` load average, or None where the platform has none."""
    try:
        return [float(x) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def cpu_model() -> str | None:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def blas_info() -> dict:
    """The BLAS and LAPACK NumPy uses and their thread count.

    threadpoolctl, when installed, reports the library actually loaded and its
    live thread count; otherwise the vendor comes from NumPy's build
    configuration and the thread count from the environment variables (None
    when unset: the library's default, one thread per core for OpenBLAS).
    """
    env = {k: os.environ.get(k) for k in THREAD_ENV}
    out = {"blas": None, "lapack": None, "version": None, "threads": None,
           "threads_source": None, "env": env}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        out["blas"] = deps.get("blas", {}).get("name")
        out["lapack"] = deps.get("lapack", {}).get("name")
        out["version"] = deps.get("blas", {}).get("version")
    except (TypeError, KeyError, AttributeError):
        pass  # NumPy < 1.26 has no machine-readable configuration
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"] if threadpool_info else []
    if pools:
        out["blas"] = pools[0].get("internal_api") or out["blas"]
        out["version"] = pools[0].get("version") or out["version"]
        out["threads"] = int(pools[0]["num_threads"])
        out["threads_source"] = "threadpoolctl"
    else:
        for k in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            if env[k] and env[k].isdigit():
                out["threads"], out["threads_source"] = int(env[k]), k
                break
    return out


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def under_load(load, cpu_count) -> bool | None:
    """Whether a 1-minute load exceeds :data:`LOAD_PER_CORE_LIMIT` per core (None if unknown)."""
    if not load or load[0] is None or not cpu_count:
        return None
    return bool(load[0] > LOAD_PER_CORE_LIMIT * cpu_count)


def machine_record() -> dict:
    """The machine as a benchmark run starts on it (``load_after`` is filled by :func:`finish`)."""
    load = loadavg()
    cores = os.cpu_count()
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": cores,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "eqsolve": eq.__version__,
        "blas": blas_info(),
        "packages": {p: _version(p) for p in OPTIONAL_PACKAGES},
        "load_before": load,
        "load_after": None,
        "under_load": under_load(load, cores),
    }


# --------------------------------------------------------------------------- records

def begin(benchmark: str, parameters: dict, *, stream=None) -> dict:
    """Start a record: the machine as it is now, and a warning if it is already busy.

    Call it before the first measurement; pass the result to :func:`finish`.
    """
    machine = machine_record()
    if machine["under_load"]:
        print(f"warning: timings taken under load: 1-min load {machine['load_before'][0]:.2f} "
              f"on {machine['cpu_count']} cores (above {LOAD_PER_CORE_LIMIT} per core); "
              "iteration and evaluation counts are unaffected, wall times are not",
              file=stream or sys.stderr)
    return {"benchmark": benchmark, "schema": SCHEMA_VERSION, "machine": machine,
            "parameters": to_jsonable(parameters), "results": None, "summary": None}


def finish(record: dict, results, summary: dict) -> dict:
    """Complete ``record`` with the measurements, their summary and the load after the run."""
    record["machine"]["load_after"] = loadavg()
    record["results"] = results
    record["summary"] = summary
    return record


def _is_load(x) -> bool:
    return x is None or (isinstance(x, list) and len(x) == 3
                         and all(v is None or isinstance(v, (int, float)) for v in x))


def validate(record) -> list:
    """What is wrong with ``record`` against the schema (an empty list when nothing is)."""
    if not isinstance(record, dict):
        return ["a record is a JSON object"]
    problems = [f"missing key {k!r}" for k in RECORD_KEYS if k not in record]
    problems += [f"unexpected key {k!r}" for k in record
                 if k not in RECORD_KEYS + OPTIONAL_RECORD_KEYS]
    if not isinstance(record.get("benchmark"), str):
        problems.append("'benchmark' must be a string")
    if record.get("schema") != SCHEMA_VERSION:
        problems.append(f"'schema' must be {SCHEMA_VERSION}")
    for k in ("parameters", "summary"):
        if k in record and not isinstance(record[k], dict):
            problems.append(f"{k!r} must be an object")
    if "results" in record and not isinstance(record["results"], (dict, list)):
        problems.append("'results' must be an object or a list")
    if "notes" in record and not isinstance(record["notes"], str):
        problems.append("'notes' must be a string")
    machine = record.get("machine")
    if not isinstance(machine, dict):
        return problems + ["'machine' must be an object"]
    problems += [f"machine: missing key {k!r}" for k in MACHINE_KEYS if k not in machine]
    problems += [f"machine: unexpected key {k!r}" for k in machine if k not in MACHINE_KEYS]
    for k in ("load_before", "load_after"):
        if not _is_load(machine.get(k)):
            problems.append(f"machine: {k!r} must be [1 min, 5 min, 15 min] or null")
    blas = machine.get("blas")
    if not isinstance(blas, dict):
        problems.append("machine: 'blas' must be an object")
    else:
        problems += [f"machine.blas: missing key {k!r}" for k in BLAS_KEYS if k not in blas]
    if not isinstance(machine.get("packages"), dict):
        problems.append("machine: 'packages' must be an object")
    return problems


def check(record) -> dict:
    """``record`` itself if it follows the schema; ValueError listing the problems otherwise."""
    problems = validate(record)
    if problems:
        raise ValueError("not a benchmark record: " + "; ".join(problems))
    return record


# --------------------------------------------------------------------------- files

def to_jsonable(obj):
    """``obj`` with NumPy scalars and arrays as Python numbers and lists, non-finite floats as None.

    JSON has no NaN or infinity; None keeps the files readable by any parser.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    # anything else (a status enum, a warning object) is kept as its text
    return str(obj)


def stem(benchmark: str, quick: bool = False, out: Path | None = None) -> Path:
    """The output path without suffix: ``out/NAME`` or ``out/NAME_quick``."""
    return Path(out if out is not None else RESULTS_DIR) / (benchmark + ("_quick" if quick else ""))


def write_json(record: dict, path) -> Path:
    """Write ``record`` (checked against the schema) as indented JSON; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = check(to_jsonable(record))
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return path


def read_json(path) -> dict:
    """A record from ``path``, checked against the schema."""
    return check(json.loads(Path(path).read_text()))


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend (ImportError without matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG at ``path`` and close it (figures are never shown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def write(record: dict, path_stem, plot: Callable | None = None) -> list:
    """Write ``STEM.json`` and, given ``plot(record, png_path)`` and matplotlib, ``STEM.png``."""
    path_stem = Path(path_stem)
    written = [write_json(record, path_stem.with_suffix(".json"))]
    if plot is not None:
        png = path_stem.with_suffix(".png")
        try:
            plot(record, png)
        except ImportError:
            print("matplotlib is not installed: no figure", file=sys.stderr)
        else:
            written.append(png)
    return written


# --------------------------------------------------------------------------- command line

COMMON_OPTIONS = ("quick", "out", "replot")


def main(argv, *, benchmark: str, doc: str, run: Callable, defaults: dict, quick: dict,
         plot: Callable | None = None, report: Callable | None = None,
         add_arguments: Callable | None = None) -> int:
    """The command line every benchmark shares; returns the exit code.

    ``defaults`` and ``quick`` are ``run``'s keyword arguments for a full and a
    smoke run; every option ``add_arguments(parser)`` adds must default to None
    and be named after a keyword of ``run``: given, it overrides both.
    ``report(record)`` prints the figures a reader checks.
    """
    parser = argparse.ArgumentParser(prog=f"{benchmark}.py", description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small smoke-test size CI runs")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR,
                        help="output directory (default benchmarks/results/); writes NAME.json and "
                             "NAME.png, NAME_quick.* with --quick")
    parser.add_argument("--replot", type=Path, default=None, metavar="JSON",
                        help="measure nothing: redraw the figure next to a stored record and "
                             "print its report")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    if args.replot is not None:
        record = read_json(args.replot)
        if report is not None:
            report(record)
        if plot is not None:
            plot(record, args.replot.with_suffix(".png"))
            print(f"wrote {args.replot.with_suffix('.png')}")
        return 0
    params = dict(quick if args.quick else defaults)
    params.update({k: v for k, v in vars(args).items() if k not in COMMON_OPTIONS and v is not None})
    record = run(**params)
    if report is not None:
        report(record)
    written = write(record, stem(benchmark, args.quick, args.out), plot)
    print("wrote " + " and ".join(str(p) for p in written))
    return 0
