"""Roofline benchmark: time per iteration against the time to stream the matrix.

A first-order iteration on a dense matrix game is memory-bound: each BLAS
product with ``A`` or ``A^T`` streams the whole matrix once, and the fused
kernel (``MatrixGame(A, fused=True)``) forms both in one pass.  This script
measures, in one run on one machine:

* the **streamed pass** ``t_pass``: the fastest read of ``A`` found -- the
  best of a thread-parallel and a serial Numba sum over its entries and the
  two BLAS products (only the latter without Numba) -- the bound every ratio
  below uses, beside the BLAS products' and the fused pair's time as
  multiples of it;
* for each method (``pdhg``, ``extragradient``, ``mirror_prox``,
  ``optimistic``), backend of its steps (``numpy``, ``numba``) and way of
  forming an evaluation's ``(A y, A^T x)`` (``blas``: two products,
  ``fused``: one pass, ``MatrixGame(A, fused=...)``), the time per iteration
  ``t_iter`` and

  - ``vs_two_passes = t_iter / (2 t_pass)``: the target is <= 1.2 for every
    method (mirror prox and extragradient evaluate ``F`` twice an iteration,
    so they need the fused pass to get there; optimistic evaluates once;
    pdhg's two products are sequential and stay BLAS);
  - the passes over ``A`` an iteration made (counted, certification
    included) and ``roofline_ratio = t_iter / (passes * t_pass)``, how close
    those passes ran to streaming speed;
* the **peak extra memory** of a solve (``tracemalloc``, which sees NumPy's
  buffers but not the fused kernel's per-thread accumulators, a few vectors)
  as a fraction of ``A.nbytes``: a solve must hold no copy of ``A``;
* a **batch of small games** (default 4096 games of 64 x 64, uniform[-1, 1])
  solved to certified duality gap 1e-6 by the batched ``pdhg``, NumPy path
  against the Numba kernel, each stopped at ``--batch-time-limit`` (300 s);
* on a CUDA GPU (CuPy), the same with CuPy arrays, and the matvec bandwidth as
  a fraction of the device's HBM peak (from its memory clock and bus width).

Usage::

    python benchmarks/roofline.py                 # n = 4096, float64 and float32
    python benchmarks/roofline.py --n 2048 --batch 1024
    python benchmarks/roofline.py --quick         # smoke run

Results: ``benchmarks/results/roofline.json`` and ``roofline.png``
(``roofline_quick.*`` with ``--quick``); ``run()`` returns the record.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.backend import HAS_NUMBA, gpu_available

METHODS = ("pdhg", "extragradient", "mirror_prox", "optimistic")
PRODUCTS = ("blas", "fused")
_KERNELS: dict = {}


def _sync(xp):
    if getattr(xp, "__name__", "").startswith("cupy"):
        xp.cuda.Device().synchronize()


def matvec_bandwidth(A, xp=np, repeats=15):
    """Bytes of ``A`` streamed per second by the fastest of ``repeats`` products (each way)."""
    v = xp.ones(A.shape[1], dtype=A.dtype)
    w = xp.ones(A.shape[0], dtype=A.dtype)
    best = {"A": np.inf, "AT": np.inf}
    for _ in range(repeats):
        for key, fn in (("A", lambda: A @ v), ("AT", lambda: A.T @ w)):
            _sync(xp)
            t = time.perf_counter()
            fn()
            _sync(xp)
            best[key] = min(best[key], time.perf_counter() - t)
    return {k: A.nbytes / t for k, t in best.items()}


def _stream_kernels():
    """Sums of a contiguous array, thread-parallel and serial: pure reads of it."""
    if not _KERNELS:
        from numba import njit, prange

        def total(flat):
            s = 0.0
            for i in prange(flat.shape[0]):
                s += flat[i]
            return s

        _KERNELS["parallel"] = njit(parallel=True, fastmath={"reassoc"})(total)
        _KERNELS["serial"] = njit(fastmath={"reassoc"})(total)
    return _KERNELS


def best_seconds(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def pass_times(A, repeats=15):
    """Seconds of the fastest pure read of ``A`` (``stream``), BLAS product each way, fused pair.

    ``stream`` is the fastest of a thread-parallel and a serial Numba sum over
    ``A``'s entries and the two BLAS products (threads cost more than they give
    on a small matrix): the fastest way found to read ``A`` once.
    """
    v, w = np.ones(A.shape[1], dtype=A.dtype), np.ones(A.shape[0], dtype=A.dtype)
    out = {"A": best_seconds(lambda: A @ v, repeats), "AT": best_seconds(lambda: A.T @ w, repeats)}
    reads = [out["A"], out["AT"]]
    if HAS_NUMBA:
        flat = A.reshape(-1)  # a view: A is C-contiguous
        for name, total in _stream_kernels().items():
            total(flat[:8])  # compile
            out[f"sum_{name}"] = best_seconds(lambda: total(flat), repeats)
            reads.append(out[f"sum_{name}"])
        fused = eq.MatrixGame(A, fused=True)
        fused.products(w, v)  # compile (cached on disk)
        out["fused_pair"] = best_seconds(lambda: fused.products(w, v), repeats)
    out["stream"] = min(reads)
    return out


def _count_passes(game):
    """Count the passes over ``A`` the game's products make (instance attributes shadow the
    methods, and ``operator`` calls ``self.products``)."""
    count = [0]
    matvec, rmatvec, products, normal = game.matvec, game.rmatvec, game.products, game.normal
    one = 1 if game.fused else 2

    def counted(fn, passes):
        def wrapper(*args):
            count[0] += passes(*args)
            return fn(*args)
        return wrapper

    game.matvec = counted(matvec, lambda y: 1)
    game.rmatvec = counted(rmatvec, lambda x: 1)
    game.normal = counted(normal, lambda v: 2)
    game.products = counted(products, lambda x, y: one if x.dtype == game.A.dtype == y.dtype else 2)
    return count


def time_per_iteration(game, method, backend, iters):
    """Seconds and passes over ``A`` per iteration, between the solve's second and last checkpoints."""
    kw = {"backend": backend} if backend != "default" else {}
    # pdhg iterates a float64 game on a float32 copy by default: its own dtype's row
    # measures each precision (the float32 rows are the default path's iterations)
    kw.update(_OWN_PRECISION.get(method, {}))
    count = _count_passes(game)
    at = {}

    def record(progress):
        at[progress.iteration] = count[0]

    try:
        res = eq.solve(game, method=method, tol=0, max_iter=iters, check_every=iters // 4,
                       callback=record, **kw)
    finally:
        for name in ("matvec", "rmatvec", "normal", "products"):
            game.__dict__.pop(name, None)
    h = res.history
    k0, k1 = h["iteration"][1], h["iteration"][-1]  # skip the start (norm estimates, warm-up)
    dt = (h["elapsed"][-1] - h["elapsed"][1]) / (k1 - k0)
    passes = (at[k1] - at[k0]) / (k1 - k0) if k0 in at and k1 in at else float("nan")
    return dt, passes


#: options that keep a method's iterations in the game's own dtype
_OWN_PRECISION = {"pdhg": {"mixed_precision": False}}


def peak_memory(game, method):
    tracemalloc.start()
    eq.solve(game, method=method, tol=0, max_iter=20, **_OWN_PRECISION.get(method, {}))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def solve_batch(A, backend, tol=1e-6, max_iter=100_000, time_limit=None):
    kw = {"backend": backend} if backend else {}
    game = eq.MatrixGame(A)
    t = time.perf_counter()
    res = eq.solve(game, tol=tol, max_iter=max_iter, time_limit=time_limit, **kw)
    elapsed = time.perf_counter() - t
    return {"seconds": elapsed, "iterations": res.iterations, "status": res.status,
            "converged_games": res.info["converged_games"], "worst_gap": res.residual,
            "median_game_iterations": float(np.median([g.iterations for g in res.games]))}


def kernel_speedups(sizes=(256, 4096, 100_000), repeats=50, seed=0):
    """Seconds per call of each Numba kernel and of its reference, on vectors of each size."""
    import math

    from eqsolve.domains import Simplex
    from eqsolve.methods._numba_kernels import entropic_step, simplex_project

    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        v = rng.normal(size=n)
        geo = Simplex(n).geometry("entropic")
        u = geo.init(rng.dirichlet(np.ones(n)))
        pairs = {"simplex_projection": (lambda: Simplex(n).project(v), lambda: simplex_project(v, 1.0)),
                 "entropic_step": (lambda: geo.step(u, v, 0.1), lambda: entropic_step(u, v, 0.1, math.log(1.0)))}
        for name, (ref, fast) in pairs.items():
            fast()  # compile
            times = []
            for fn in (ref, fast):
                t = time.perf_counter()
                for _ in range(repeats):
                    fn()
                times.append((time.perf_counter() - t) / repeats)
            rows.append({"kernel": name, "n": n, "numpy_seconds": times[0], "numba_seconds": times[1],
                         "speedup": times[0] / times[1]})
            print(f"kernel {name:18s} n={n:6d}: numpy {times[0] * 1e6:9.1f} us, numba "
                  f"{times[1] * 1e6:9.1f} us -> {times[0] / times[1]:.1f}x")
    return rows


def run(n=4096, batch=4096, batch_size=64, iters=60, dtypes=("float64", "float32"), seed=0,
        batch_max_iter=1_000_000, batch_time_limit=300.0):
    """Measure everything above; return the record (writes nothing).

    Each batch solve stops at ``batch_time_limit`` seconds (the NumPy path took
    310 s for the default batch on the 2-core machine); a speed-up against a
    NumPy batch that stopped there is a lower bound, and the record says so.
    """
    record = harness.begin("roofline", {
        "n": n, "batch": batch, "batch_size": batch_size, "iters": iters, "dtypes": list(dtypes),
        "seed": seed, "batch_max_iter": batch_max_iter, "batch_time_limit": batch_time_limit})
    rng = np.random.default_rng(seed)
    backends = ["numpy"] + (["numba"] if HAS_NUMBA else [])
    out = {"dtypes": {}, "batch": {}}
    if HAS_NUMBA:
        out["kernels"] = kernel_speedups()
    for dt in dtypes:
        A = rng.uniform(-1.0, 1.0, size=(n, n)).astype(dt)
        games = {"blas": eq.MatrixGame(A, fused=False)}
        if HAS_NUMBA:
            games["fused"] = eq.MatrixGame(A, fused=True)
        passes = pass_times(A)
        timings = [(method, backend, products,
                    *time_per_iteration(games[products], method, backend, iters))
                   for method in METHODS for backend in backends for products in games]
        # measured again after the solves, keeping each one's best: the machine's
        # bandwidth drifts (frequency, other processes), and the faster pass makes
        # the bound -- and so the ratio -- the harder to meet
        again = pass_times(A)
        passes = {k: min(v, again[k]) for k, v in passes.items()}
        t_pass = passes["stream"]
        print(f"{dt} n={n}: streamed pass {t_pass * 1e3:.2f} ms ({A.nbytes / t_pass / 1e9:.1f} GB/s); "
              + ", ".join(f"{k} {v / t_pass:.2f}x" for k, v in passes.items() if k != "stream")
              + " of it")
        rows = []
        for method, backend, products, t_it, n_pass in timings:
            rows.append({"method": method, "backend": backend, "products": products,
                         "seconds_per_iteration": t_it, "passes_per_iteration": n_pass,
                         "vs_two_passes": t_it / (2.0 * t_pass),
                         "roofline_ratio": t_it / (n_pass * t_pass)})
            print(f"{dt} n={n} {method:14s} {backend:6s} {products:5s} {t_it * 1e3:8.2f} ms/it "
                  f"= x{t_it / (2.0 * t_pass):.2f} two passes; {n_pass:.2f} passes/it, "
                  f"x{t_it / (n_pass * t_pass):.2f} of their streaming time")
        mem = {m: peak_memory(games["blas"], m) / A.nbytes for m in ("pdhg", "extragradient")}
        if "fused" in games:
            mem["extragradient_fused"] = peak_memory(games["fused"], "extragradient") / A.nbytes
        print(f"{dt}: peak extra memory / A.nbytes = {mem}")
        out["dtypes"][dt] = {"pass_seconds": passes,
                             "bandwidth_GBps": {k: A.nbytes / v / 1e9 for k, v in passes.items()},
                             "methods": rows, "peak_memory_over_A": mem}
        del A, games
    Ab = rng.uniform(-1.0, 1.0, size=(batch, batch_size, batch_size))
    out["batch"]["games"] = f"{batch} x {batch_size}x{batch_size}"
    for backend in [None] + (["numba"] if HAS_NUMBA else []):
        if backend == "numba":
            solve_batch(Ab[:8], "numba")  # compile (cached on disk) outside the timing
        r = solve_batch(Ab, backend, max_iter=batch_max_iter, time_limit=batch_time_limit)
        out["batch"][backend or "numpy"] = r
        print(f"batch {batch} x {batch_size}x{batch_size} to gap 1e-6, {backend or 'numpy'}: "
              f"{r['seconds']:.2f} s, {r['iterations']} iterations, "
              f"{r['converged_games']}/{batch} converged ({r['status']})")
    if "numba" in out["batch"]:
        out["batch"]["numba_speedup"] = out["batch"]["numpy"]["seconds"] / out["batch"]["numba"]["seconds"]
        # the NumPy path stopped by the time limit: its time, and the speed-up, are lower bounds
        out["batch"]["numba_speedup_is_lower_bound"] = out["batch"]["numpy"]["status"] == "time_limit"
        print(f"batch: numba {'at least ' if out['batch']['numba_speedup_is_lower_bound'] else ''}"
              f"{out['batch']['numba_speedup']:.1f}x the NumPy path")
    if gpu_available():
        out["gpu"] = run_gpu(batch, batch_size, seed)
    return harness.finish(record, out, summarize(out))


def summarize(results) -> dict:
    """Each method's best time per iteration over two streamed passes (and each row's),
    the pass times, the memory, the batch speed-up."""
    def label(r):
        return f"{r['method']}/{r['backend']}/{r['products']}"

    out = {"vs_two_passes_best": {dt: {m: min(r["vs_two_passes"] for r in d["methods"] if r["method"] == m)
                                       for m in METHODS}
                                  for dt, d in results["dtypes"].items()},
           "vs_two_passes": {dt: {label(r): r["vs_two_passes"] for r in d["methods"]}
                             for dt, d in results["dtypes"].items()},
           "roofline_ratio": {dt: {label(r): r["roofline_ratio"] for r in d["methods"]}
                              for dt, d in results["dtypes"].items()},
           "stream_GBps": {dt: d["bandwidth_GBps"]["stream"] for dt, d in results["dtypes"].items()},
           "pass_over_stream": {dt: {k: v / d["pass_seconds"]["stream"] for k, v in d["pass_seconds"].items()
                                     if k != "stream"}
                                for dt, d in results["dtypes"].items()},
           "peak_memory_over_A": {dt: max(d["peak_memory_over_A"].values())
                                  for dt, d in results["dtypes"].items()},
           "batch_numba_speedup": results["batch"].get("numba_speedup")}
    if "gpu" in results:
        out["gpu_matvec_fraction_of_hbm"] = results["gpu"]["matvec_fraction_of_hbm"]
    return out


def run_gpu(batch, batch_size, seed, n=16384):
    import cupy as cp

    props = cp.cuda.runtime.getDeviceProperties(0)
    # double data rate: 2 transfers per clock, bus width in bits
    peak = 2.0 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8.0
    A = cp.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, n), dtype=cp.float32)
    bw = matvec_bandwidth(A, cp)
    game = eq.MatrixGame(A)
    time_per_iteration(game, "pdhg", "default", 40)  # warm-up: kernels compile
    t_it, passes = time_per_iteration(game, "pdhg", "default", 200)
    bound = passes * A.nbytes / min(bw.values())
    del A, game
    Ab = cp.asarray(np.random.default_rng(seed).uniform(-1.0, 1.0, size=(batch, batch_size, batch_size)))
    solve_batch(Ab[:8], None)
    r = solve_batch(Ab, None)
    res = {"device": props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"]),
           "hbm_peak_GBps": peak / 1e9,
           "matvec_bandwidth_GBps": {k: v / 1e9 for k, v in bw.items()},
           "matvec_fraction_of_hbm": min(bw.values()) / peak,
           "pdhg_n16384_float32": {"seconds_per_iteration": t_it, "roofline_ratio": t_it / bound,
                                   "fraction_of_hbm": passes * n * n * 4 / t_it / peak},
           "batch": r}
    print(f"GPU {res['device']}: matvec at {res['matvec_fraction_of_hbm']:.0%} of HBM; pdhg "
          f"n=16384 f32 {t_it * 1e3:.2f} ms/it ({res['pdhg_n16384_float32']['fraction_of_hbm']:.0%} "
          f"of HBM); batch {batch} x {batch_size}^2 to 1e-6 in {r['seconds']:.2f} s")
    return res


def plot(record, path):
    plt = harness.pyplot()
    data = record["results"]
    dts = list(data["dtypes"])
    fig, axes = plt.subplots(1, len(dts) + 1, figsize=(5 * (len(dts) + 1), 4))
    colours = {("numpy", "blas"): "C0", ("numba", "blas"): "C2", ("numpy", "fused"): "C1",
               ("numba", "fused"): "C3"}
    for ax, dt in zip(axes, dts):
        rows = data["dtypes"][dt]["methods"]
        labels = [f"{r['method']}\n{r['backend']}\n{r['products']}" for r in rows]
        ax.bar(range(len(rows)), [r["vs_two_passes"] for r in rows],
               color=[colours[r["backend"], r["products"]] for r in rows])
        ax.axhline(1.0, color="k", lw=1)
        ax.axhline(1.2, color="r", ls="--", lw=1, label="target 1.2x")
        ax.set_xticks(range(len(rows)), labels, fontsize=5)
        ax.set_ylabel("time per iteration / two streamed passes over A")
        ax.set_title(f"n = {record['parameters']['n']}, {dt}")
        ax.legend()
    ax = axes[-1]
    names = [k for k in ("numpy", "numba") if k in data["batch"]]
    ax.bar(names, [data["batch"][k]["seconds"] for k in names], color=["C0", "C1"][: len(names)])
    ax.set_ylabel("seconds to gap 1e-6 (all games)")
    ax.set_title("batch of small games")
    fig.tight_layout()
    harness.save_png(fig, path, dpi=110)


def report(record) -> None:
    s = record["summary"]
    for dt, best in s["vs_two_passes_best"].items():
        print(f"{dt}: streamed pass at {s['stream_GBps'][dt]:.1f} GB/s ("
              + ", ".join(f"{k} {v:.2f}x" for k, v in s["pass_over_stream"][dt].items())
              + " of it); best time per iteration / two streamed passes: "
              + ", ".join(f"{k} {v:.2f}" for k, v in best.items()))


def add_arguments(p) -> None:
    p.add_argument("--n", type=int, default=None, help="matrix size (4096)")
    p.add_argument("--batch", type=int, default=None, help="games in the batch (4096)")
    p.add_argument("--batch-size", type=int, default=None, help="size of each batched game (64)")
    p.add_argument("--iters", type=int, default=None, help="iterations per timed solve (60)")
    p.add_argument("--batch-time-limit", dest="batch_time_limit", type=float, default=None,
                   help="seconds each batch solve may take (300)")


DEFAULTS = {}
#: n = 96, a batch of 6 games of 8 x 8, float64 only
QUICK = {"n": 96, "batch": 6, "batch_size": 8, "iters": 12, "dtypes": ("float64",),
         "batch_max_iter": 4000}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="roofline", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
