"""Games past memory and past one process: time per pass against the pass's bound.

A chunked game streams ``A`` from disk (or from memory, or from workers) in row
blocks, so an iteration costs its passes over ``A``: pdhg makes two per
iteration (``x+`` needs ``A y+`` before ``A^T x+`` can start), extragradient
and mirror prox one per operator evaluation (``(A y, A^T x)`` is one fused
pass).  Each configuration is measured against the bound of its passes::

    python benchmarks/scale.py                 # 50,000 x 50,000 float64 (20 GB) on disk
    python benchmarks/scale.py --quick         # 300 x 300, seconds (tests)
    python benchmarks/scale.py --n 20000       # 3.2 GB: fits in the page cache

Bounds: in memory, one streamed row-block product pass (``A_b @ y`` over the
mapped file in the page cache, :func:`memory_pass_seconds`); from disk,
``bytes / bandwidth`` with the disk's bandwidth as the ``uncached``
configuration streams it (row blocks by ``pread``, pages dropped behind each,
measured twice; the smaller is used: a plain read right after writing the
file runs slower, the host still writing it back, and a second one is served
by the page cache).  Every configuration reports its construction (the scan)
in passes of its bound, its time per iteration and per pass against the
bound, and whether its iterates equal those of the same game in memory
(``same_iterations``, ``max_difference``; pdhg's defaults are the dense
game's, so they should, to rounding).

Configurations: ``memory`` (the matrix loaded whole, the reference; only when
it fits in half the RAM); blocks in memory, where the file fits in 60 % of the
RAM -- ``memmap_cached`` (``MatrixGame.from_npy``, the file in the page cache),
``memmap_cached_extragradient``, ``dask_cached`` (a dask array on the memory
map, threaded scheduler); from disk, the page cache dropped first
(``posix_fadvise(DONTNEED)``, no root needed) -- ``memmap``,
``memmap_2_threads``, ``uncached`` (``from_npy(path, page_cache=False)``:
every pass read from disk and dropped from the page cache, as a file larger
than the RAM is read), ``dask_threads``, ``float32`` (the game stored in
float32, read uncached: half the bytes; its certificate bounds the stored
game's gap in float64 arithmetic, one more pass per certificate -- every
iteration here); and ``cluster`` (a 2-worker ``LocalCluster`` holding a
``cluster_n`` x ``cluster_n`` game persisted in its workers' memory: the
per-pass latency of one task per worker), plus the throughput of
``solve_many`` on a batch of small games, in-process against the cluster.  A
disk configuration whose file fits in the RAM warms up after its first pass
(a memory map keeps the pages it touched): its ratio says how much the cache
served.  The first pdhg configuration starts as a default solve does (Ruiz
passes, 40 power iterations of two passes each, reported as
``start_passes``); the later ones pass its step (``step=``), as a user
re-solving the game would, and start after the scaling passes and one pass.
The data file is written by :func:`write_npy_game` into ``workdir``
(default: a directory in the system's temporary directory; 20 GB for the
default size) and removed afterwards unless ``keep`` is set.  Writes
``benchmarks/results/scale.{json,png}``.
"""

from __future__ import annotations

import gc
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import _harness as harness
import eqsolve as eq

#: rows written (and read for the bandwidth) at a time
WRITE_BLOCK_BYTES = 1 << 27


def write_npy_game(path, m: int, n: int, *, seed: int = 0, dtype="float64") -> Path:
    """A random ``m x n`` game (entries uniform on [-1, 1]) written to ``path`` as ``.npy``.

    Written row block by row block through a memory map, so it never needs
    ``m n`` bytes of RAM; block ``b`` draws from its own seeded generator, so
    the file depends on ``(m, n, seed, dtype)`` only.
    """
    path = Path(path)
    dtype = np.dtype(dtype)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(m, n))
    rows = max(1, WRITE_BLOCK_BYTES // (n * dtype.itemsize))
    for b, r0 in enumerate(range(0, m, rows)):
        r1 = min(r0 + rows, m)
        rng = np.random.default_rng([seed, b])
        out[r0:r1] = rng.uniform(-1.0, 1.0, size=(r1 - r0, n)).astype(dtype)
    out.flush()
    del out
    return path


def drop_cache(path) -> bool:
    """Drop ``path``'s pages from the page cache (True where the platform can)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


def read_bandwidth(path) -> float:
    """Bytes per second of one sequential read of the whole file."""
    buf = bytearray(WRITE_BLOCK_BYTES)
    total, t = 0, time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while True:
            k = f.readinto(buf)
            if not k:
                break
            total += k
    return total / (time.perf_counter() - t)


def stream_bandwidth(path) -> float:
    """Bytes per second of one pass read as the ``uncached`` configuration reads it:
    row blocks by ``pread``, each block's pages dropped from the page cache after it."""
    rows = eq.problems.chunked.NpyRows(path)
    try:
        m, n = rows.shape
        step = max(1, eq.problems.chunked.default_block_rows(n, rows.dtype.itemsize))
        t = time.perf_counter()
        for r0 in range(0, m, step):
            rows[r0:r0 + step]
        return m * rows.row_bytes / (time.perf_counter() - t)
    finally:
        rows.close()


def memory_pass_seconds(path, repeats: int = 3) -> float:
    """Seconds of one streamed pass in memory: ``A_b @ y`` over the row blocks of the
    memory-mapped file, its pages in the page cache and mapped (the best of ``repeats``
    after one pass that brings them in).  The bound of a pass over cached blocks."""
    mm = np.load(path, mmap_mode="r")
    m, n = mm.shape
    step = eq.problems.chunked.default_block_rows(n, mm.dtype.itemsize)
    y = np.full(n, 1.0 / n, dtype=mm.dtype)
    best = math.inf
    for k in range(repeats + 1):
        t = time.perf_counter()
        for r0 in range(0, m, step):
            mm[r0:r0 + step].view(np.ndarray) @ y
        if k:
            best = min(best, time.perf_counter() - t)
    del mm
    return best


def warm_kernels() -> None:
    """Load (or compile, once per machine) the scan kernels for read-only float64 and
    float32 blocks, so that no construction timed below includes it."""
    side = int(math.isqrt(eq.problems.chunked.KERNEL_MIN_ENTRIES)) + 1
    for dtype in (np.float64, np.float32):
        a = np.ones((side, side), dtype=dtype)
        a.flags.writeable = False
        eq.problems.chunked.matrix_stats(a)
        for reduce in ("max", "sum"):
            eq.problems.chunked.scaled_block(a, 0.5, np.ones(side), np.ones(side), reduce)


#: pdhg's options for the in-memory game's own-dtype path, which a chunked game follows
FLOAT64_PATH = {"mixed_precision": False}


def time_solve(game, iterations: int, method: str = "pdhg", **options) -> dict:
    """Run ``iterations`` iterations, certifying each; time and passes per iteration.

    Both are taken between the first checkpoint after iteration 1 and the
    last, so the start (construction scan, power iterations) is excluded and
    reported apart as ``start`` (seconds) and ``start_passes``.
    """
    seen = []

    def note(progress):
        seen.append((progress.iteration, progress.elapsed, game.counters().get("passes")))

    res = eq.solve(game, method=method, max_iter=iterations, tol=0, check_every=1,
                   callback=note, **options)
    (i0, t0, p0), (i1, t1, p1) = seen[0], seen[-1]
    steps = max(i1 - i0, 1)
    return {"per_iteration": (t1 - t0) / steps, "start": t0, "iterations": res.iterations,
            "passes": res.info.get("passes"),
            "passes_per_iteration": None if p0 is None else (p1 - p0) / steps,
            "start_passes": None if p0 is None else p0 - i0 * (p1 - p0) / steps,
            "step": res.info.get("step"),
            "residual": res.residual, "status": res.status, "elapsed": res.elapsed,
            "_z": res.z}


def _bound(config, pass_seconds):
    """The configuration against its bound: ``pass_seconds`` per pass (a streamed pass in
    memory for cached blocks, ``bytes / disk bandwidth`` for the uncached stream)."""
    passes = config["passes_per_iteration"]
    bound = passes * pass_seconds
    per_pass = config["per_iteration"] / passes
    return {**config, "bound": bound, "ratio": config["per_iteration"] / bound,
            "per_pass": per_pass, "pass_bound": pass_seconds,
            "construction_passes": config["construction"] / pass_seconds}


def _versus(config, reference):
    """``config`` with its iterates compared to the dense game's (same options)."""
    z = config.pop("_z")
    if reference is None:
        return {**config, "same_iterations": None, "max_difference": None}
    return {**config, "same_iterations": config["iterations"] == reference["iterations"],
            "max_difference": float(np.max(np.abs(z - reference["_z"])))}


def _cluster(cluster_n, iterations, batch, batch_n, seed):
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    out = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        A = np.random.default_rng(seed).uniform(-1, 1, (cluster_n, cluster_n))
        rows = max(1, cluster_n // 8)
        game = eq.MatrixGame(eq.ChunkedMatrix(client.persist(da.from_array(A, chunks=(rows, -1))),
                                              client=client))
        dense = time_solve(eq.MatrixGame(A), iterations, **FLOAT64_PATH)
        t = _versus(time_solve(game, iterations), dense)
        out["cluster"] = {**t, "n": cluster_n, "tasks_per_pass": game.A.graph_size(),
                          "latency_per_pass": t["per_iteration"] / 2.0,
                          "numpy_per_iteration": dense["per_iteration"]}
        games = [eq.MatrixGame(np.random.default_rng([seed, b]).uniform(-1, 1, (batch_n, batch_n)))
                 for b in range(batch)]
        t0 = time.perf_counter()
        # float64 iterations: float32 products round differently on the workers' one BLAS
        # thread than on two here
        here = eq.solve_many(games, tol=1e-4, max_iter=2000, **FLOAT64_PATH)
        t1 = time.perf_counter()
        there = eq.solve_many(games, client=client, tol=1e-4, max_iter=2000, **FLOAT64_PATH)
        t2 = time.perf_counter()
        # workers run BLAS on one thread (dask's default): equal to rounding, not bitwise
        diff = max(float(np.max(np.abs(a.z - b.z))) for a, b in zip(here, there))
        same_iterations = all(a.iterations == b.iterations for a, b in zip(here, there))
        out["solve_many"] = {"games": batch, "n": batch_n, "in_process": t1 - t0,
                             "cluster": t2 - t1, "speedup": (t1 - t0) / (t2 - t1),
                             "max_difference": diff, "same_iterations": same_iterations}
    return out


def run(n=50_000, iterations=10, workdir=None, cluster_n=4000, batch=16, batch_n=300,
        float32=True, seed=0, keep=False) -> dict:
    """Every configuration on an ``n x n`` game on disk; returns the record."""
    record = harness.begin("scale", {"n": n, "iterations": iterations, "cluster_n": cluster_n,
                                     "batch": batch, "batch_n": batch_n, "float32": float32,
                                     "seed": seed})
    work = Path(workdir) if workdir else Path(tempfile.gettempdir()) / "eqsolve_scale"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"game_{n}_{seed}.npy"
    out = {"configs": {}, "cache": {}}
    warm_kernels()
    try:
        t = time.perf_counter()
        write_npy_game(path, n, n, seed=seed)
        out["write_seconds"] = time.perf_counter() - t
        nbytes = n * n * 8
        out["bytes"] = nbytes
        out["cache"]["dropped"] = drop_cache(path)
        cold = read_bandwidth(path)
        warm = read_bandwidth(path)
        # the disk as the solver streams it (pages dropped behind each block), twice:
        # the bound of every disk configuration
        drop_cache(path)
        streams = [stream_bandwidth(path) for _ in range(2)]
        out["cache"].update({"cold_bandwidth": cold, "second_read_bandwidth": warm,
                             "stream_bandwidths": streams})
        bw = min(streams)
        configs = out["configs"]
        try:
            import psutil
            ram = psutil.virtual_memory().total
        except ImportError:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        disk_pass = nbytes / bw
        out["disk_pass_seconds"] = disk_pass

        # the dense game's iterates are the reference of every chunked pdhg configuration
        # (same default scaling and step; later configurations pass the step of the first
        # solve, ``step=``, which skips the power iterations and changes nothing else)
        refs, reuse = {}, {}
        if nbytes < ram / 2:
            drop_cache(path)
            A = np.load(path)
            # the in-memory game's own-dtype path: the one a chunked game takes (by
            # default an in-memory game iterates on a float32 copy first)
            refs["pdhg"] = time_solve(eq.MatrixGame(A), iterations, **FLOAT64_PATH)
            refs["extragradient"] = time_solve(eq.MatrixGame(A), iterations, "extragradient")
            configs["memory"] = {**refs["pdhg"], "bound": None, "ratio": None}
            configs["memory"].pop("_z")
            del A

        def config(name, make, pass_seconds, method="pdhg", drop=True):
            # the previous configuration's memory map must be gone: the kernel keeps
            # the pages a live mapping holds, whatever fadvise says
            gc.collect()
            if drop:
                drop_cache(path)
            options = reuse if method == "pdhg" else {}
            t = time.perf_counter()
            game = make()
            built = time.perf_counter() - t
            c = _bound({**time_solve(game, iterations, method, **options), "construction": built},
                       pass_seconds)
            configs[name] = _versus(c, refs.get(method))
            if method == "pdhg" and not reuse:
                reuse["step"] = configs[name]["step"]

        try:
            import dask
            import dask.array as da
        except ImportError:
            da = None

        def dask_game():
            mm = np.load(path, mmap_mode="r")
            rows = eq.problems.chunked.default_block_rows(n, 8)
            # name=False: no hash of the whole file's contents for the array's name (a
            # pass of its own, which the construction figure would otherwise include)
            return eq.MatrixGame(da.from_array(mm, chunks=(rows, -1), name=False))

        if nbytes < 0.6 * ram:
            # blocks in memory: the file in the page cache and mapped; the bound of a pass is
            # one streamed row-block product pass over the same mapping
            mem_pass = memory_pass_seconds(path)
            out["memory_pass_seconds"] = mem_pass
            config("memmap_cached", lambda: eq.MatrixGame.from_npy(path), mem_pass, drop=False)
            config("memmap_cached_extragradient", lambda: eq.MatrixGame.from_npy(path), mem_pass,
                   "extragradient", drop=False)
            if da is not None:
                with dask.config.set(scheduler="threads"):
                    config("dask_cached", dask_game, mem_pass, drop=False)
        # from disk: the page cache dropped first (a file that fits in RAM warms up after
        # its first pass; the ratio to the disk bound says how much the cache served)
        config("memmap", lambda: eq.MatrixGame.from_npy(path), disk_pass)
        config("memmap_2_threads", lambda: eq.MatrixGame.from_npy(path, threads=2), disk_pass)
        # every pass from disk, as for a file larger than the RAM: the disk bound itself
        config("uncached", lambda: eq.MatrixGame.from_npy(path, page_cache=False), disk_pass)
        if da is not None:
            with dask.config.set(scheduler="threads"):
                config("dask_threads", dask_game, disk_pass)
        if float32:
            p32 = work / f"game_{n}_{seed}_f32.npy"
            write_npy_game(p32, n, n, seed=seed, dtype="float32")
            try:
                gc.collect()
                drop_cache(p32)
                t = time.perf_counter()
                game = eq.MatrixGame.from_npy(p32, page_cache=False)
                built = time.perf_counter() - t
                c = _bound({**time_solve(game, iterations, **reuse), "construction": built},
                           disk_pass / 2)
                # the float32 game is another game: no dense reference
                configs["float32"] = _versus(c, None)
            finally:
                if not keep:
                    p32.unlink(missing_ok=True)
        if da is not None:
            out.update(_cluster(cluster_n, iterations, batch, batch_n, seed))
    finally:
        if not keep:
            path.unlink(missing_ok=True)
            if not any(work.iterdir()):
                shutil.rmtree(work, ignore_errors=True)
    return harness.finish(record, out, summarize(out))


def summarize(results) -> dict:
    s = {name: {"per_iteration": c["per_iteration"], "ratio_to_bound": c["ratio"],
                "passes_per_iteration": c["passes_per_iteration"],
                "construction_passes": c.get("construction_passes"),
                "max_difference_to_dense": c.get("max_difference")}
         for name, c in results["configs"].items()}
    s["bandwidth_GBps"] = min(results["cache"].get("stream_bandwidths")
                              or [results["cache"]["cold_bandwidth"]]) / 1e9
    if "cluster" in results:
        s["cluster_latency_per_pass"] = results["cluster"]["latency_per_pass"]
    if "solve_many" in results:
        s["solve_many_speedup"] = results["solve_many"]["speedup"]
    return s


def plot(record, path):
    plt = harness.pyplot()
    res = record["results"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    names = list(res["configs"])
    meas = [res["configs"][k]["per_iteration"] for k in names]
    bound = [res["configs"][k]["bound"] or math.nan for k in names]
    x = np.arange(len(names))
    axes[0].bar(x - 0.2, meas, 0.4, label="measured")
    axes[0].bar(x + 0.2, bound, 0.4, label="passes x one pass's bound (memory or disk)")
    axes[0].set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    axes[0].set_ylabel("seconds per iteration")
    n = record["parameters"]["n"]
    bw = min(res["cache"].get("stream_bandwidths") or [res["cache"]["cold_bandwidth"]])
    axes[0].set_title(f"{n} x {n} game, disk {bw / 1e9:.2f} GB/s (streamed)",
                      fontsize=9)
    axes[0].legend(fontsize=8)
    if "solve_many" in res:
        sm = res["solve_many"]
        axes[1].bar([0, 1], [sm["games"] / sm["in_process"], sm["games"] / sm["cluster"]])
        axes[1].set_xticks([0, 1], ["in process", "2-worker cluster"])
        axes[1].set_ylabel("games per second")
        axes[1].set_title(f"solve_many: {sm['games']} games {sm['n']} x {sm['n']}", fontsize=9)
    fig.tight_layout()
    harness.save_png(fig, path, dpi=110)


def report(record) -> None:
    res, load = record["results"], record["machine"]["load_before"]
    print("load average at start: " + ("not recorded" if not load else f"{load[0]:.2f}"))
    c = res["cache"]
    print(f"disk: cold {c['cold_bandwidth'] / 1e9:.2f} GB/s, second read "
          f"{c['second_read_bandwidth'] / 1e9:.2f} GB/s (page cache dropped: {c['dropped']}); "
          "streamed with pages dropped (the bound): "
          + ", ".join(f"{b / 1e9:.2f}" for b in c.get("stream_bandwidths", [])) + " GB/s")
    if "memory_pass_seconds" in res:
        print(f"one streamed pass in memory (the bound of cached blocks): "
              f"{res['memory_pass_seconds']:.4g} s; from disk: {res['disk_pass_seconds']:.4g} s")
    for name, cfg in res["configs"].items():
        ratio = "" if cfg["ratio"] is None else f", {cfg['ratio']:.2f}x the bound"
        built = ("" if cfg.get("construction_passes") is None else
                 f"construction {cfg['construction']:.3g} s = {cfg['construction_passes']:.2f} "
                 "passes; ")
        same = ("" if cfg.get("max_difference") is None else
                f"; vs dense: same iterations {cfg['same_iterations']}, largest difference "
                f"{cfg['max_difference']:.1e}")
        print(f"  {name:28s} {cfg['per_iteration']:.4g} s/iteration{ratio}; passes/iteration "
              f"{cfg['passes_per_iteration']}; {built}start {cfg['start']:.1f} s "
              f"({cfg.get('start_passes')} passes); certified gap {cfg['residual']:.3e}{same}")
    if "cluster" in res:
        cl = res["cluster"]
        print(f"cluster ({cl['n']} x {cl['n']} persisted, {cl['tasks_per_pass']} tasks per pass): "
              f"{cl['latency_per_pass'] * 1e3:.1f} ms per pass; NumPy "
              f"{cl['numpy_per_iteration'] * 1e3:.2f} ms per iteration")
    if "solve_many" in res:
        sm = res["solve_many"]
        print(f"solve_many {sm['games']} games: in process {sm['in_process']:.2f} s, cluster "
              f"{sm['cluster']:.2f} s (x{sm['speedup']:.2f}); same iteration counts: "
              f"{sm['same_iterations']}, largest difference {sm['max_difference']:.1e}")


def add_arguments(p) -> None:
    p.add_argument("--n", type=int, default=None, help="side of the game on disk (50000: 20 GB)")
    p.add_argument("--iterations", type=int, default=None, help="pdhg iterations per config (10)")
    p.add_argument("--workdir", type=str, default=None, help="where the data file is written")
    p.add_argument("--cluster-n", dest="cluster_n", type=int, default=None,
                   help="side of the game persisted in the cluster (4000)")
    p.add_argument("--batch", type=int, default=None, help="games for solve_many (16)")
    p.add_argument("--keep", action="store_true", default=None, help="keep the data files")


DEFAULTS = {}
#: 300 x 300 on disk, 5 iterations, a 200 x 200 game on the cluster, 4 games for solve_many
QUICK = {"n": 300, "iterations": 5, "cluster_n": 200, "batch": 4, "batch_n": 30}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="scale", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
