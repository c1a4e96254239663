"""The benchmark commands run end to end at their --quick size and report certified numbers."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2] / "benchmarks"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
#: every script in benchmarks/ has a quick run below (test_every_benchmark_has_a_quick_run)
QUICK_RUNS = {"assignment", "efg", "general_sum", "general_sum_nplayer", "hard_games",
              "matrix_games", "nash_mp", "nfg_io", "rates", "roofline", "scale", "sea", "small_gain",
              "vr_halpern", "water_filling"}


def load(name):
    # the scripts import their shared harness as a sibling module, as when run as scripts
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[f"_bench_{name}"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def quick_run(name, tmp_path):
    """``main(["--quick", "--out", tmp_path])``; the record it wrote, checked against the schema."""
    mod = load(name)
    harness = sys.modules["_harness"]
    assert mod.main(["--quick", "--out", str(tmp_path)]) == 0
    record = harness.read_json(tmp_path / f"{name}_quick.json")
    assert record["benchmark"] == name
    assert record["machine"]["load_before"] is not None and record["machine"]["load_after"] is not None
    if HAS_MATPLOTLIB:
        assert (tmp_path / f"{name}_quick.png").stat().st_size > 10_000
    return record


def test_every_benchmark_has_a_quick_run():
    scripts = {p.stem for p in ROOT.glob("*.py") if not p.name.startswith("_")}
    assert scripts == QUICK_RUNS


def test_rates_command_writes_png_and_json(tmp_path):
    data = quick_run("rates", tmp_path)
    panels = data["results"]["panels"]
    assert {"bilinear", "matrix_game", "cocoercive", "strongly_monotone", "preference",
            "nonconvex_minimax"} <= set(panels)
    assert data["parameters"]["panels"] == list(panels)
    for name, entry in panels.items():
        for label, c in entry["curves"].items():
            r = np.asarray(c["residual"])
            assert np.all(np.isfinite(r)) and np.all(r >= 0)
            assert data["summary"][name][label]["final_residual"] == c["residual"][-1]


def test_anchored_rate_matches_theory_in_the_rate_panel():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "cocoercive"]
    data = rates.run(iters=2000, panels=panel)
    c = data["results"]["panels"]["cocoercive"]["curves"]["halpern"]
    # O(1/k): the fitted slope on the last decade is at least as steep as the theory
    assert c["measured_slope"] <= c["theory_slope"] + 0.15


def test_matrix_game_benchmark_quick_run_reports_certified_gaps(tmp_path):
    pytest.importorskip("highspy")
    out = quick_run("matrix_games", tmp_path)
    (entry,) = out["results"]["sizes"]
    solvers = {r["solver"] for r in entry["runs"]}
    assert "pdhg" in solvers and "highs-ipm" in solvers
    assert "two_timescale_extragradient" not in solvers  # not a matrix-game method
    for r in entry["runs"]:
        if r.get("gap") is not None:
            assert r["gap"] >= 0
        assert len(r["load_before"]) == len(r["load_after"]) == 3
    assert out["summary"]["ratio_vs_best_highs"][str(entry["n"])]["highs-ipm"] == \
        entry["runs"][[r["solver"] for r in entry["runs"]].index("highs-ipm")]["ratio_vs_best_highs"]


def test_nash_mp_benchmark_quick_run_meets_the_bound_and_replots(tmp_path):
    nm = load("nash_mp")
    data = quick_run("nash_mp", tmp_path)
    assert all(case["nash_mp_meets_bound"] for case in data["results"]["cases"])
    assert data["summary"]["meets_bound_everywhere"]
    if HAS_MATPLOTLIB:
        # --replot draws the figure from the stored record alone
        png = tmp_path / "nash_mp_quick.png"
        png.unlink()
        assert nm.main(["--replot", str(tmp_path / "nash_mp_quick.json")]) == 0
        assert png.stat().st_size > 10_000


def test_roofline_benchmark_reports_ratios_memory_and_batches(tmp_path):
    roof = load("roofline")
    data = quick_run("roofline", tmp_path)
    res = data["results"]
    rows = res["dtypes"]["float64"]["methods"]
    assert {r["method"] for r in rows} == set(roof.METHODS)
    for r in rows:
        assert r["passes_per_iteration"] >= 1.0 and r["roofline_ratio"] > 0 and r["vs_two_passes"] > 0
    if "numba" in res["batch"]:  # Numba installed: every method ran both ways
        passes = {(r["method"], r["backend"], r["products"]): r["passes_per_iteration"] for r in rows}
        assert set(passes) == {(m, b, p) for m in roof.METHODS for b in ("numpy", "numba")
                               for p in roof.PRODUCTS}
        for m in ("extragradient", "mirror_prox", "optimistic"):
            # every evaluation's pair of products is one pass when fused (counts, not times)
            assert passes[m, "numpy", "fused"] == pytest.approx(passes[m, "numpy", "blas"] / 2)
        assert passes["pdhg", "numpy", "fused"] == passes["pdhg", "numpy", "blas"]  # sequential
    assert {"pdhg", "extragradient"} <= set(res["dtypes"]["float64"]["peak_memory_over_A"])
    batch = data["parameters"]["batch"]
    for name in ("numpy", "numba"):
        if name in res["batch"]:
            assert res["batch"][name]["converged_games"] == batch
            assert res["batch"][name]["worst_gap"] <= 1e-6


def test_water_filling_benchmark_quick_run_converges_and_writes(tmp_path):
    data = quick_run("water_filling", tmp_path)
    for entry in data["results"]["sizes"].values():
        for r in entry["runs"].values():
            assert r["status"] == "converged" and r["residual"] <= data["parameters"]["tol"]


def test_water_filling_rate_panel_meets_the_contraction_bound():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "water_filling"]
    data = rates.run(iters=40, panels=panel)
    for c in data["results"]["panels"]["water_filling"]["curves"].values():
        assert c["theory_factor"] < 1
        assert c["measured_factor"] <= c["theory_factor"]


def test_vr_halpern_benchmark_quick_run_writes_certified_curves(tmp_path):
    vb = load("vr_halpern")
    data = quick_run("vr_halpern", tmp_path)
    (entry,) = data["results"]["sizes"].values()
    assert {"EG", "VR-EG", "EAG", "FEG", "Alg 1", "Alg 2"} <= set(entry["curves"])
    for c in entry["curves"].values():
        r, e = np.asarray(c["residual"]), np.asarray(c["epochs"])
        assert np.all(np.isfinite(r)) and np.all(r >= 0)
        assert np.all(np.diff(e) >= 0) and e[-1] <= 1.2 * entry["epochs"] + 2
    for cmp in entry["comparison"].values():
        assert cmp["ratio"] is None or cmp["ratio"] > 0
    # the curves are full-pass certificates: the VR-EG start is the certified uniform point
    fs = vb.game(60)
    assert entry["curves"]["VR-EG"]["residual"][0] == fs.certify(fs.initial_point()).value
    with pytest.raises(ValueError, match="one budget per size"):
        vb.run(sizes=(60, 80), epochs=(10,))


def test_scale_command_counts_passes(tmp_path):
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    data = quick_run("scale", tmp_path)
    configs = data["results"]["configs"]
    for name in ("memmap", "memmap_2_threads", "dask_threads", "float32", "memmap_cached",
                 "dask_cached", "uncached"):
        # pdhg: two passes an iteration; a float32 game's certificate (float64 arithmetic,
        # here every iteration) reads it once more
        assert configs[name]["passes_per_iteration"] == (3.0 if name == "float32" else 2.0)
        assert configs[name]["bound"] > 0 and configs[name]["residual"] > 0
        assert configs[name]["construction_passes"] > 0 and configs[name]["per_pass"] > 0
    for name in ("memmap", "memmap_2_threads", "dask_threads", "memmap_cached", "dask_cached",
                 "uncached"):
        # the dense game's scaling and step: the same iterates
        assert configs[name]["same_iterations"] and configs[name]["max_difference"] <= 1e-10
    assert configs["float32"]["max_difference"] is None      # another game: no reference
    assert data["results"]["cluster"]["tasks_per_pass"] == 2        # one task per worker
    assert data["results"]["solve_many"]["same_iterations"]
    import tempfile
    # the data file is removed after the run
    assert not (Path(tempfile.gettempdir()) / "eqsolve_scale" / "game_300_0.npy").exists()


def test_sea_benchmark_quick_run_reports_exact_regret_grids(tmp_path):
    data = quick_run("sea", tmp_path)
    res, summary = data["results"], data["summary"]
    assert set(res["convex"]) == {"ball", "simplex"}
    for rows in list(res["convex"].values()) + [res["strongly_convex"]]:
        for r in rows:
            assert len(r["x"]) == len(r["T"]) and np.all(np.diff(r["x"]) > 0)
            for v in r["regret"].values():
                assert len(v) == len(r["T"]) and np.all(np.isfinite(v))
    for dom in ("ball", "simplex"):
        assert set(summary["convex_slope"][dom]) == {"optimistic OMD", "OMD", "optimistic FTRL"}
    # optimism wins on fast periodic (predictable) drift
    fast = [r for r in res["predictable"] if r["variation"] == "fast"]
    assert all(r["optimism_better"] for r in fast)
    assert all(r["path_length"] > 0 for r in res["dynamic"])
    # the constants experiment: default learner against the textbook one knowing L
    regimes = {r["regime"]: r for r in res["constants"]}
    assert {"noise 0.1", "slow drift"} <= set(regimes)
    for r in regimes.values():
        assert np.isfinite(r["default"]) and np.isfinite(r["reference"])
    assert summary["constants_ratio"]["noise 0.1"] == regimes["noise 0.1"]["ratio"]


def test_general_sum_nplayer_quick_run_certifies_every_answer(tmp_path):
    data = quick_run("general_sum_nplayer", tmp_path)
    rows = data["results"]["games"]
    assert {"3x3x3", "2x2x2x2"} <= {r["family"] for r in rows}
    for r in rows:
        ours = r["solvers"]["eqsolve logit"]
        assert ours["reached"] and ours["gap"] <= 1e-8 and ours["status"] == "converged"
        for out in r["solvers"].values():
            assert out["time"] > 0
    fam = data["summary"]["3x3x3"]
    assert fam["eqsolve logit"]["reached"] == fam["eqsolve logit"]["games"]
    if importlib.util.find_spec("pygambit") is not None:
        # every catalog game runs, tree games (Selten's horse) in their strategic form, and
        # Gambit's logit answers each with a profile certified here
        catalog = [r for r in rows if r["family"].startswith("catalog")]
        assert len(catalog) == 5 and any("selten" in r["game"] for r in catalog)
        for r in catalog:
            assert r["solvers"]["gambit logit"]["gap"] is not None
            assert r["solvers"]["gambit logit"]["reached"]

def test_hard_games_benchmark_quick_run_reaches_every_tolerance(tmp_path):
    data = quick_run("hard_games", tmp_path)
    s = data["summary"]
    assert s["every_game_converged"], s["not_converged"]
    assert max(s["offset_scaled_iterations_over_base"].values()) <= 1.2
    for g in data["results"]["games"]:
        assert {"pdhg", "highs-ds", "highs-ipm"} <= {r["solver"] for r in g["runs"]}


def test_nfg_io_benchmark_quick_run_round_trips_exactly(tmp_path):
    data = quick_run("nfg_io", tmp_path)
    bench = sys.modules["_bench_nfg_io"]
    rows = data["results"]["rows"]
    assert {(r["kind"], r["form"]) for r in rows} == {(k, f) for k in bench.KINDS
                                                      for f in bench.FORMS}
    for r in rows:
        assert r["exact_round_trip"] and r["read_mb_s"] > 0 and r["write_mb_s"] > 0
    assert data["summary"]["all_exact"]


def test_assignment_command_checks_every_bracket(tmp_path):
    data = quick_run("assignment", tmp_path)
    entry = data["results"]["12"]
    runs = {r["solver"]: r for r in entry["runs"]}
    for v in ("adaptive", "fixed", "halpern"):
        assert runs[f"pdhg-{v}"]["brackets_checked"] > 0
        assert "1e-06" in runs[f"pdhg-{v}"]["reached"]
    assert runs["highs-ds"]["objective_ok"]


def test_efg_benchmark_quick_run_certifies_every_solver(tmp_path):
    pytest.importorskip("pyspiel")
    data = quick_run("efg", tmp_path)
    games = data["results"]["games"]
    assert set(games) == {"kuhn", "leduc"}
    for entry in games.values():
        solvers = {r["solver"] for r in entry["runs"]}
        assert {"pcfr+", "cfr+", "dcfr", "openspiel_cfr+", "highs"} <= solvers
        for r in entry["runs"]:
            if r.get("nash_conv") is not None:
                assert r["nash_conv"] >= 0
        # the LP's point is exact up to HiGHS' tolerances: its certified NashConv is tiny
        highs = [r for r in entry["runs"] if r["solver"] == "highs"][0]
        assert highs["nash_conv"] < 1e-6
    assert data["summary"]["leduc"]["best_method"] is not None


def test_extensive_form_rate_panel_meets_theory():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "extensive_form"]
    data = rates.run(iters=1500, panels=panel)
    curves = data["results"]["panels"]["extensive_form"]["curves"]
    # CFR+'s average: at least the O(1/sqrt T) of the regret bound
    assert curves["cfr (cfr+, average)"]["measured_slope"] <= -0.5 + 0.1
    # dilated OMWU's last iterate converges linearly on this game (unique equilibrium)
    assert curves["optimistic"]["measured_factor"] < 0.999
    assert curves["optimistic"]["residual"][-1] < 1e-6


def test_general_sum_quick_run_reports_exact_equilibria(tmp_path):
    out = quick_run("general_sum", tmp_path)
    lh = out["results"]["lemke_howson"]
    ours = [r for r in lh if r["solver"] == "eqsolve"]
    assert ours and all(r["exact_equilibrium"] and r["exact_gap"] == 0.0 for r in ours)
    by = {(r["n"], r["seed"], r["solver"]): r for r in lh}
    for r in ours:
        qe = by.get((r["n"], r["seed"], "quantecon"))
        if qe is not None:  # the same path from the same label
            assert qe["pivots"] == r["pivots"]
    for e in out["results"]["enumeration"]:
        assert e["all_exact"]
        if "same_set" in e:
            assert e["same_set"]
    assert out["results"]["enumeration"][0]["equilibria"] == 7   # the 3 x 3 coordination game
    fam = out["results"]["families"]
    assert {r["family"] for r in fam} == {"covariance", "sgc", "tournament", "savani_von_stengel"}
    for r in fam:
        if r["kind"] == "lemke_howson" and r["solver"] in ("eqsolve", "gambit_lcp"):
            assert r["exact_equilibrium"], r        # both exact: gap 0
        if r["kind"] == "enumeration":
            assert r["all_exact"] and r.get("same_set", True), r
    svs = {r["game"]: r for r in fam if r["family"] == "savani_von_stengel"
           and r["solver"] == "eqsolve" and r["kind"] == "lemke_howson"}
    assert [min(r["pivots_all_labels"]) for r in svs.values()] == [8, 16]   # d = 4, 6
    sgc = [r for r in fam if r["family"] == "sgc" and r["kind"] == "enumeration"]
    assert [r["equilibria"] for r in sgc] == [1]
