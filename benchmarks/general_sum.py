"""General-sum games: exact bimatrix equilibria against QuantEcon, nashpy and Gambit.

Bimatrix section (functions ``bimatrix_*``; an N-player section can be added as
functions of its own, called from ``run``):

* **Lemke-Howson on random integer games** (n x n, payoffs in [0, 1000), seeded;
  ``--sizes``; the game objects are built before the clock starts):
  ``eq.solve(game, method="lemke_howson", label=0)`` (float
  pivoting checked exactly; exact Nash gap 0) against QuantEcon's float
  ``lemke_howson(init_pivot=0)`` (warm: called once first, so Numba's compilation
  is not timed), nashpy's ``lemke_howson(initial_dropped_label=0)`` (NaN or a
  wrong answer when its integer-free pivoting overflows) and Gambit's exact
  ``lcp_solve(rational=True, stop_after=1)`` (Lemke's algorithm, not the same
  path), each best of ``--repeats``, with every returned point's Nash gap
  computed exactly in rational arithmetic.  QuantEcon and eqsolve follow the
  same path from the same label, so their pivot counts agree.
* **All extreme equilibria**: the n x n coordination game (identity payoffs,
  2^n - 1 equilibria) and random integer games, ``eq.equilibria`` (vertex
  enumeration) against Gambit's exact ``enummixed_solve``: time and whether the
  two sets are equal.

* **Game families** (``eq.zoo``; ``--families``): covariance games (GAMUT's
  ``CovariantGame``, rho = -0.9 and 0, payoffs times 1000 rounded), the
  Sandholm-Gilpin-Conitzer games (``sgc``, one equilibrium of support 2k - 1 of
  4k - 1), tournament games (win-lose, n x C(n, k)) and the Savani-von Stengel
  games (Lemke-Howson exponentially long from every label; ``d x d``): the same
  four Lemke-Howson solvers from label 0 (time, pivots, exact gap; for the
  Savani-von Stengel games also eqsolve's shortest path over all labels), and on
  the smaller games eqsolve's vertex enumeration against Gambit's
  ``enummixed_solve`` (time, same set).

Usage::

    python benchmarks/general_sum.py            # the full run (quiet machine)
    python benchmarks/general_sum.py --quick    # smoke run

Results: ``benchmarks/results/general_sum.json`` and ``.png``
(``general_sum_quick.*`` with ``--quick``), in the record schema of
``benchmarks/_harness.py``.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from fractions import Fraction

import numpy as np

import _harness as harness
import eqsolve as eq


# -- exact checks ---------------------------------------------------------------------------
def exact_gap(A, B, x, y):
    """The Nash gap of a float or exact profile, in rational arithmetic (None if not finite)."""
    try:
        x = [v if isinstance(v, Fraction) else Fraction(float(v)) for v in x]
        y = [v if isinstance(v, Fraction) else Fraction(float(v)) for v in y]
    except (ValueError, OverflowError):
        return None
    sx, sy = sum(x), sum(y)
    if sx <= 0 or sy <= 0 or min(x) < 0 or min(y) < 0:
        return None
    x = [v / sx for v in x]
    y = [v / sy for v in y]
    qy = math.lcm(*(v.denominator for v in y))
    qx = math.lcm(*(v.denominator for v in x))
    Ay = (A.astype(object) @ np.array([int(v * qy) for v in y], dtype=object)).tolist()
    xB = (np.array([int(v * qx) for v in x], dtype=object) @ B.astype(object)).tolist()
    row = Fraction(max(Ay), qy) - sum(xi * Fraction(a, qy) for xi, a in zip(x, Ay))
    col = Fraction(max(xB), qx) - sum(yj * Fraction(b, qx) for yj, b in zip(y, xB))
    return row + col


def _best(fn, repeats):
    best, out = math.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def random_integer_game(n, seed, high=1000):
    rng = np.random.default_rng(seed)
    return rng.integers(0, high, size=(n, n)), rng.integers(0, high, size=(n, n))


# -- Lemke-Howson: one equilibrium ----------------------------------------------------------
def _eqsolve_game(A, B):
    return eq.BimatrixGame(A, B)


def _eqsolve_lh(game):
    res = eq.solve(game, method="lemke_howson", label=0)
    return res.exact, res.info["pivots"]


def _quantecon_game(A, B):
    import quantecon.game_theory as gt

    return gt.NormalFormGame((gt.Player(A.astype(float)), gt.Player(B.T.astype(float))))


def _quantecon_lh(g):
    import quantecon.game_theory as gt

    ne, res = gt.lemke_howson(g, init_pivot=0, full_output=True)
    return ne, res.num_iter


def _nashpy_child(A, B, queue):
    import nashpy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        out = nashpy.Game(A, B).lemke_howson(initial_dropped_label=0)
        queue.put((time.perf_counter() - t, [np.asarray(v, dtype=float) for v in out]))


def _nashpy_lh(A, B, limit=None):
    """nashpy's Lemke-Howson in a child process (its overflowing pivots can loop forever):
    ``((x, y), None)``, or TimeoutError after ``limit`` seconds."""
    import multiprocessing as mp

    limit = NASHPY_LIMIT if limit is None else limit
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_nashpy_child, args=(A, B, queue))
    proc.start()
    try:
        seconds, point = queue.get(timeout=limit)
    except Exception:
        proc.terminate()
        proc.join()
        raise TimeoutError(f"no answer within {limit:g} s") from None
    proc.join()
    _nashpy_lh.seconds = seconds
    return point, None


#: seconds nashpy may take per game
NASHPY_LIMIT = 20.0


def _gambit_lcp(A, B):
    import pygambit as gbt

    table = getattr(gbt, "StrategicGame", gbt.Game)
    g = table.from_arrays(A.tolist(), B.tolist())
    res = gbt.nash.lcp_solve(g, rational=True, stop_after=1)
    e = res.equilibria[0]
    p1, p2 = list(g.players)
    return (tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2])), None


def _available(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _as_is(A, B):
    return A, B


#: name -> (module needed, build the game (not timed), solve it (timed))
LH_SOLVERS = {"eqsolve": (None, _eqsolve_game, _eqsolve_lh),
              "quantecon": ("quantecon", _quantecon_game, _quantecon_lh),
              "nashpy": ("nashpy", _as_is, lambda g: _nashpy_lh(*g)),
              "gambit_lcp": ("pygambit", _as_is, lambda g: _gambit_lcp(*g))}


def bimatrix_lemke_howson(sizes, seeds, repeats, gambit_max_n):
    """Time and exact gap of one Lemke-Howson equilibrium per solver on random integer games."""
    if _available("quantecon"):
        _quantecon_lh(_quantecon_game(*random_integer_game(4, 0)))   # compile QuantEcon's Numba
    _eqsolve_lh(_eqsolve_game(*random_integer_game(4, 0)))           # and eqsolve's pivots
    rows = []
    for n in sizes:
        for seed in seeds:
            A, B = random_integer_game(n, seed)
            for name, (module, build, fn) in LH_SOLVERS.items():
                if module is not None and not _available(module):
                    continue
                if name == "gambit_lcp" and n > gambit_max_n:
                    continue
                try:
                    game = build(A, B)
                    t, (point, pivots) = _best(lambda: fn(game), repeats)
                    if name == "nashpy":   # timed in its process, without the fork
                        t = _nashpy_lh.seconds
                    gap = exact_gap(A, B, point[0], point[1])
                    note = "ok" if gap is not None else "no finite mixed profile returned"
                except Exception as exc:  # a baseline that fails is reported, not fatal
                    t, pivots, gap, note = None, None, None, f"failed: {type(exc).__name__} {exc}"
                rows.append({"n": n, "seed": seed, "solver": name, "seconds": t,
                             "pivots": pivots, "exact_gap": None if gap is None else float(gap),
                             "exact_equilibrium": gap == 0, "note": note})
                print(f"LH n={n:4d} seed={seed} {name:11s} "
                      f"{'-' if t is None else f'{t * 1e3:9.2f} ms'}  pivots={pivots}  "
                      f"exact gap={'-' if gap is None else f'{float(gap):.3g}'}  {note}",
                      flush=True)
    return rows


# -- every extreme equilibrium ----------------------------------------------------------------
def _gambit_enummixed(A, B):
    import pygambit as gbt

    table = getattr(gbt, "StrategicGame", gbt.Game)
    g = table.from_arrays([[gbt.Rational(int(v)) for v in row] for row in A],
                          [[gbt.Rational(int(v)) for v in row] for row in B])
    p1, p2 = list(g.players)
    return {(tuple(Fraction(v) for _, v in e[p1]), tuple(Fraction(v) for _, v in e[p2]))
            for e in gbt.nash.enummixed_solve(g, rational=True).equilibria}


def bimatrix_enumeration(coordination_sizes, random_sizes, seeds, repeats):
    """Every extreme equilibrium: eqsolve's vertex enumeration against Gambit's enummixed."""
    games = [(f"coordination {n}x{n}", np.eye(n, dtype=np.int64), np.eye(n, dtype=np.int64))
             for n in coordination_sizes]
    games += [(f"random {n}x{n} seed {s}", *random_integer_game(n, s, high=100))
              for n in random_sizes for s in seeds]
    rows = []
    for name, A, B in games:
        t, results = _best(lambda: eq.equilibria(eq.BimatrixGame(A, B)), repeats)
        ours = {r.exact for r in results}
        row = {"game": name, "m": int(A.shape[0]), "n": int(A.shape[1]), "eqsolve_s": t,
               "equilibria": len(ours),
               "all_exact": all(exact_gap(A, B, *e) == 0 for e in ours)}
        if _available("pygambit"):
            tg, ref = _best(lambda: _gambit_enummixed(A, B), repeats)
            row.update(gambit_s=tg, gambit_equilibria=len(ref), same_set=ours == ref,
                       speedup_vs_gambit=tg / t)
        rows.append(row)
        print(f"EQ {name:24s} {len(ours):4d} equilibria  eqsolve {t:8.4f} s"
              + (f"  gambit {row['gambit_s']:8.4f} s ({row['speedup_vs_gambit']:.1f}x)  "
                 f"same set: {row['same_set']}" if "gambit_s" in row else ""), flush=True)
    return rows


def _child(fn, args, queue):
    t = time.perf_counter()
    out = fn(*args)
    queue.put((time.perf_counter() - t, out))


def _timed_child(fn, args, limit):
    """``(seconds, fn(*args))`` computed in a child process, or TimeoutError after ``limit`` s."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    try:
        out = queue.get(timeout=limit)
    except Exception:
        proc.terminate()
        proc.join()
        raise TimeoutError(f"no answer within {limit:g} s") from None
    proc.join()
    return out


#: seconds Gambit's enummixed_solve may take on one family game
GAMBIT_ENUM_LIMIT = 60.0


# -- game families --------------------------------------------------------------------------
def _integer_payoffs(game):
    """The game's payoffs as int64 arrays (every family here is integer and below 2^53)."""
    A, B = np.asarray(game.A, dtype=float), np.asarray(game.B, dtype=float)
    if max(np.abs(A).max(), np.abs(B).max()) >= 2.0 ** 53 or np.any(A != np.rint(A)) \
            or np.any(B != np.rint(B)):
        raise ValueError("family payoffs must be integers below 2^53")
    return A.astype(np.int64), B.astype(np.int64)


def family_instances(covariance_sizes, sgc_ks, tournaments, svs_dims, seed=0):
    """(family, instance name, A, B) for every requested member of the four families."""
    out = []
    for n in covariance_sizes:
        for rho in (-0.9, 0.0):
            g = eq.zoo.covariance_game((n, n), rho, seed=seed, scale=1000)
            out.append(("covariance", f"covariance {n}x{n} rho={rho:g}", *_integer_payoffs(g)))
    for k in sgc_ks:
        g = eq.zoo.sgc_game(k)
        out.append(("sgc", f"sgc k={k} ({4 * k - 1}x{4 * k - 1})", *_integer_payoffs(g)))
    for n, k in tournaments:
        g = eq.zoo.tournament_game(n, k, seed=seed)
        out.append(("tournament", f"tournament n={n} k={k} ({n}x{math.comb(n, k)})",
                    *_integer_payoffs(g)))
    for d in svs_dims:
        g = eq.zoo.savani_von_stengel_game(d)
        out.append(("savani_von_stengel", f"savani-von stengel d={d}", *_integer_payoffs(g)))
    return out


def bimatrix_families(instances, repeats, gambit_max_n, enum_max_n):
    """Lemke-Howson (label 0) per solver and every extreme equilibrium on the families' games."""
    rows = []
    for family, name, A, B in instances:
        size = max(A.shape)
        for solver, (module, build, fn) in LH_SOLVERS.items():
            if module is not None and not _available(module):
                continue
            if solver == "gambit_lcp" and size > gambit_max_n:
                continue
            try:
                game = build(A, B)
                t, (point, pivots) = _best(lambda: fn(game), repeats)
                if solver == "nashpy":
                    t = _nashpy_lh.seconds
                gap = exact_gap(A, B, point[0], point[1])
                note = "ok" if gap is not None else "no finite mixed profile returned"
            except Exception as exc:  # a baseline that fails is reported, not fatal
                t, pivots, gap, note = None, None, None, f"failed: {type(exc).__name__} {exc}"
            row = {"family": family, "game": name, "m": int(A.shape[0]), "n": int(A.shape[1]),
                   "kind": "lemke_howson", "solver": solver, "seconds": t, "pivots": pivots,
                   "exact_gap": None if gap is None else float(gap),
                   "exact_equilibrium": gap == 0, "note": note}
            if solver == "eqsolve" and family == "savani_von_stengel":
                g = eq.BimatrixGame(A, B)
                row["pivots_all_labels"] = [
                    eq.solve(g, method="lemke_howson", label=k).info["pivots"]
                    for k in range(A.shape[0] + A.shape[1])]
            rows.append(row)
            print(f"FAM {name:34s} LH {solver:11s} "
                  f"{'-' if t is None else f'{t * 1e3:9.2f} ms'}  pivots={pivots}  exact gap="
                  f"{'-' if gap is None else f'{float(gap):.3g}'}  {note}", flush=True)
        if size > enum_max_n:
            continue
        t, results = _best(lambda: eq.equilibria(eq.BimatrixGame(A, B)), repeats)
        ours = {r.exact for r in results}
        row = {"family": family, "game": name, "m": int(A.shape[0]), "n": int(A.shape[1]),
               "kind": "enumeration", "solver": "eqsolve", "seconds": t, "equilibria": len(ours),
               "all_exact": all(exact_gap(A, B, *e) == 0 for e in ours)}
        if _available("pygambit"):
            try:
                tg, ref = _timed_child(_gambit_enummixed, (A, B), GAMBIT_ENUM_LIMIT)
                row.update(gambit_s=tg, gambit_equilibria=len(ref), same_set=ours == ref,
                           speedup_vs_gambit=tg / t)
            except TimeoutError as exc:    # SGC games from k = 4: enummixed runs for minutes
                row.update(gambit_note=f"enummixed: {exc}")
        rows.append(row)
        print(f"FAM {name:34s} EQ {len(ours):4d} equilibria  eqsolve {t:8.4f} s"
              + (f"  gambit {row['gambit_s']:8.4f} s ({row['speedup_vs_gambit']:.1f}x)  same set: "
                 f"{row['same_set']}" if "gambit_s" in row else ""), flush=True)
    return rows


# -- the record ---------------------------------------------------------------------------------
def run(sizes=(50, 100, 150, 200), seeds=(0, 1, 2), repeats=3, gambit_max_n=100,
        coordination_sizes=(5, 6, 7), random_sizes=(8, 10), enum_seeds=(0, 1, 2),
        nashpy_limit=20.0, covariance_sizes=(10, 30, 100), sgc_ks=(2, 3, 4, 5),
        tournaments=((8, 2), (10, 3), (12, 3)), svs_dims=(4, 6, 8, 10, 12), enum_max_n=11,
        gambit_enum_limit=60.0) -> dict:
    global NASHPY_LIMIT, GAMBIT_ENUM_LIMIT
    NASHPY_LIMIT = nashpy_limit
    GAMBIT_ENUM_LIMIT = gambit_enum_limit
    params = {"nashpy_limit": nashpy_limit, "sizes": list(sizes), "seeds": list(seeds), "repeats": repeats,
              "gambit_max_n": gambit_max_n, "coordination_sizes": list(coordination_sizes),
              "random_sizes": list(random_sizes), "enum_seeds": list(enum_seeds),
              "covariance_sizes": list(covariance_sizes), "sgc_ks": list(sgc_ks),
              "tournaments": [list(t) for t in tournaments], "svs_dims": list(svs_dims),
              "enum_max_n": enum_max_n, "gambit_enum_limit": gambit_enum_limit,
              "targets": {"lh_ratio_vs_quantecon": 2.0, "lh_seconds_at_200": 1.0}}
    record = harness.begin("general_sum", params)
    results = {"lemke_howson": bimatrix_lemke_howson(sizes, seeds, repeats, gambit_max_n),
               "enumeration": bimatrix_enumeration(coordination_sizes, random_sizes, enum_seeds,
                                                   repeats),
               "families": bimatrix_families(
                   family_instances(covariance_sizes, sgc_ks, tournaments, svs_dims), repeats,
                   gambit_max_n, enum_max_n)}
    return harness.finish(record, results, summarize(results))


def summarize(results) -> dict:
    """Per size: eqsolve's time over QuantEcon's (same game, same label; worst and median over
    the seeds), whether every eqsolve answer was exact, nashpy's failures; per enumerated game:
    the speed-up over Gambit and whether the sets agree."""
    lh = results["lemke_howson"]
    out = {"lemke_howson": {}, "enumeration": {}}
    for n in sorted({r["n"] for r in lh}):
        by = {(r["seed"], r["solver"]): r for r in lh if r["n"] == n}
        seeds = sorted({s for s, _ in by})
        ratios = [by[s, "eqsolve"]["seconds"] / by[s, "quantecon"]["seconds"] for s in seeds
                  if (s, "quantecon") in by and by[s, "quantecon"]["seconds"]
                  and by[s, "eqsolve"]["seconds"] is not None]
        entry = {
            "eqsolve_max_s": max(by[s, "eqsolve"]["seconds"] for s in seeds),
            "eqsolve_all_exact": all(by[s, "eqsolve"]["exact_equilibrium"] for s in seeds),
            "ratio_vs_quantecon_max": max(ratios) if ratios else None,
            "ratio_vs_quantecon_median": float(np.median(ratios)) if ratios else None,
            "nashpy_not_exact": sum(1 for s in seeds if (s, "nashpy") in by
                                    and not by[s, "nashpy"]["exact_equilibrium"]),
        }
        out["lemke_howson"][str(n)] = entry
    for r in results["enumeration"]:
        out["enumeration"][r["game"]] = {"equilibria": r["equilibria"],
                                         "speedup_vs_gambit": r.get("speedup_vs_gambit"),
                                         "same_set_as_gambit": r.get("same_set")}
    out["families"] = {}
    for r in results.get("families", []):
        e = out["families"].setdefault(r["game"], {"family": r["family"]})
        if r["kind"] == "lemke_howson":
            e[f"{r['solver']}_ms"] = None if r["seconds"] is None else r["seconds"] * 1e3
            e[f"{r['solver']}_exact"] = r["exact_equilibrium"]
            if r["solver"] == "eqsolve":
                e["pivots_label_0"] = r["pivots"]
                if "pivots_all_labels" in r:
                    e["pivots_min_over_labels"] = min(r["pivots_all_labels"])
        else:
            e.update(equilibria=r["equilibria"], enumeration_speedup_vs_gambit=r.get(
                "speedup_vs_gambit"), same_set_as_gambit=r.get("same_set"),
                gambit_equilibria=r.get("gambit_equilibria"), gambit_note=r.get("gambit_note"))
    return out


def plot(record, path):
    plt = harness.pyplot()
    lh = record["results"]["lemke_howson"]
    fam = record["results"].get("families", [])
    fig, axes = plt.subplots(1, 3 if fam else 2, figsize=(17 if fam else 11, 4.6))
    ax = axes[0]
    for solver, style in (("eqsolve", "-o"), ("quantecon", "--s"), ("nashpy", ":^"),
                          ("gambit_lcp", "-.d")):
        pts = sorted((r["n"], r["seconds"]) for r in lh if r["solver"] == solver
                     and r["seconds"] is not None)
        if not pts:
            continue
        ns = sorted({n for n, _ in pts})
        worst = [max(t for m, t in pts if m == n) for n in ns]
        ax.plot(ns, worst, style, label=solver)
    ax.set_yscale("log")
    ax.set_xlabel("n (n x n random integer game)")
    ax.set_ylabel("seconds (worst seed)")
    ax.set_title("Lemke-Howson, label 0")
    ax.legend(fontsize=8)
    ax = axes[1]
    en = record["results"]["enumeration"]
    names = [r["game"] for r in en]
    x = np.arange(len(names))
    ax.bar(x - 0.2, [r["eqsolve_s"] for r in en], 0.4, label="eqsolve (vertex enumeration)")
    if all("gambit_s" in r for r in en) and en:
        ax.bar(x + 0.2, [r["gambit_s"] for r in en], 0.4, label="Gambit enummixed")
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("seconds")
    ax.set_title("every extreme equilibrium")
    ax.legend(fontsize=8)
    if fam:
        ax = axes[2]
        names = list(dict.fromkeys(r["game"] for r in fam))
        x = np.arange(len(names))
        solvers = ("eqsolve", "quantecon", "nashpy", "gambit_lcp")
        width = 0.8 / len(solvers)
        for i, solver in enumerate(solvers):
            by = {r["game"]: r["seconds"] for r in fam
                  if r["kind"] == "lemke_howson" and r["solver"] == solver}
            if not by:
                continue
            ax.bar(x + (i - 1.5) * width, [by.get(g) or np.nan for g in names], width,
                   label=f"{solver} (LH, label 0)")
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=70, ha="right", fontsize=6)
        ax.set_yscale("log")
        ax.set_ylabel("seconds")
        ax.set_title("game families: one equilibrium (failed runs absent)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    harness.save_png(fig, path)


def report(record) -> None:
    s = record["summary"]

    def fmt(v, spec=".2f"):
        return "-" if v is None else format(v, spec)

    for n, e in s["lemke_howson"].items():
        print(f"LH n={n}: eqsolve worst {e['eqsolve_max_s'] * 1e3:.2f} ms, exact: "
              f"{e['eqsolve_all_exact']}, time / QuantEcon's: worst "
              f"{fmt(e['ratio_vs_quantecon_max'])}, median "
              f"{fmt(e['ratio_vs_quantecon_median'])}, nashpy inexact: {e['nashpy_not_exact']}")
    for g, e in s["enumeration"].items():
        print(f"{g}: {e['equilibria']} equilibria, {fmt(e['speedup_vs_gambit'], '.1f')}x "
              f"Gambit's speed, same set: {e['same_set_as_gambit']}")
    for g, e in s.get("families", {}).items():
        times = ", ".join(f"{k[:-3]} {fmt(v)} ms" for k, v in e.items() if k.endswith("_ms"))
        extra = (f", shortest LH path over labels {e['pivots_min_over_labels']} pivots"
                 if "pivots_min_over_labels" in e else "")
        enum = (f"; {e['equilibria']} equilibria, {fmt(e['enumeration_speedup_vs_gambit'], '.1f')}x"
                f" Gambit enummixed's speed, same set: {e['same_set_as_gambit']} (Gambit found "
                f"{e['gambit_equilibria']}{'; ' + e['gambit_note'] if e['gambit_note'] else ''})"
                if "equilibria" in e else "")
        print(f"{g}: LH label 0 {times}; eqsolve pivots {e.get('pivots_label_0')}{extra}{enum}")


def add_arguments(p) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="LH game sizes n")
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    p.add_argument("--repeats", type=int, default=None, help="best of this many (3)")
    p.add_argument("--gambit-max-n", dest="gambit_max_n", type=int, default=None,
                   help="largest n given to Gambit's lcp_solve (100)")
    p.add_argument("--coordination-sizes", dest="coordination_sizes", type=int, nargs="+",
                   default=None)
    p.add_argument("--random-sizes", dest="random_sizes", type=int, nargs="+", default=None)
    p.add_argument("--covariance-sizes", dest="covariance_sizes", type=int, nargs="+",
                   default=None, help="n of the n x n covariance games (rho = -0.9 and 0)")
    p.add_argument("--sgc-ks", dest="sgc_ks", type=int, nargs="+", default=None,
                   help="k of the SGC games (4k - 1 strategies)")
    p.add_argument("--svs-dims", dest="svs_dims", type=int, nargs="+", default=None,
                   help="even dimensions d of the Savani-von Stengel games")
    p.add_argument("--enum-max-n", dest="enum_max_n", type=int, default=None,
                   help="largest family game given to the enumerations (11)")
    p.add_argument("--gambit-enum-limit", dest="gambit_enum_limit", type=float, default=None,
                   help="seconds Gambit's enummixed may take per family game (60)")
    p.add_argument("--nashpy-limit", dest="nashpy_limit", type=float, default=None,
                   help="seconds nashpy may take per game (20)")


DEFAULTS = {}
QUICK = {"sizes": (12, 20), "seeds": (0,), "repeats": 1, "gambit_max_n": 20, "nashpy_limit": 3.0,
         "coordination_sizes": (3,), "random_sizes": (4,), "enum_seeds": (0,),
         "covariance_sizes": (6,), "sgc_ks": (2,), "tournaments": ((5, 2),), "svs_dims": (4, 6),
         "enum_max_n": 12, "gambit_enum_limit": 20.0}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="general_sum", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report, add_arguments=add_arguments)


if __name__ == "__main__":
    sys.exit(main())
