"""The benchmark commands run end to end (tiny sizes) and report certified numbers."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[f"_bench_{name}"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def test_rates_command_writes_png_and_json(tmp_path):
    pytest.importorskip("matplotlib")
    rates = load("rates")
    assert rates.main(["--quick", "--out", str(tmp_path / "r")]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert (tmp_path / "r.png").stat().st_size > 10_000
    panels = data["panels"]
    assert {"bilinear", "matrix_game", "cocoercive", "strongly_monotone", "preference",
            "nonconvex_minimax"} <= set(panels)
    for entry in panels.values():
        for c in entry["curves"].values():
            r = np.asarray(c["residual"])
            assert np.all(np.isfinite(r)) and np.all(r >= 0)


def test_anchored_rate_matches_theory_in_the_rate_panel():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "cocoercive"]
    data = rates.run(iters=2000, panels=panel)
    c = data["panels"]["cocoercive"]["curves"]["halpern"]
    # O(1/k): the fitted slope on the last decade is at least as steep as the theory
    assert c["measured_slope"] <= c["theory_slope"] + 0.15


def test_matrix_game_benchmark_quick_run_reports_certified_gaps():
    pytest.importorskip("highspy")
    mg = load("matrix_games")
    out = mg.run(sizes=(40,), time_limit=2.0, pdlp_ladder=(1e-3,))
    (entry,) = out["sizes"]
    solvers = {r["solver"] for r in entry["runs"]}
    assert "pdhg" in solvers and "highs-ipm" in solvers
    assert "two_timescale_extragradient" not in solvers  # not a matrix-game method
    for r in entry["runs"]:
        if r.get("gap") is not None:
            assert r["gap"] >= 0


def test_nash_mp_benchmark_quick_run_meets_the_bound(tmp_path):
    pytest.importorskip("matplotlib")
    nm = load("nash_mp")
    assert nm.main(["--quick", "--out", str(tmp_path / "n")]) == 0
    data = json.loads((tmp_path / "n.json").read_text())
    assert all(case["nash_mp_meets_bound"] for case in data["cases"])


def test_roofline_benchmark_reports_ratios_memory_and_batches():
    roof = load("roofline")
    data = roof.run(n=96, batch=6, batch_size=8, iters=12, dtypes=("float64",), batch_max_iter=4000)
    rows = data["dtypes"]["float64"]["methods"]
    assert {r["method"] for r in rows} == set(roof.METHODS)
    for r in rows:
        # at least the bandwidth bound: passes of A cannot be faster than streaming it
        assert r["passes_per_iteration"] >= 2.0 and r["roofline_ratio"] > 0
    assert set(data["dtypes"]["float64"]["peak_memory_over_A"]) == {"pdhg", "extragradient"}
    for name in ("numpy", "numba"):
        if name in data["batch"]:
            assert data["batch"][name]["converged_games"] == 6
            assert data["batch"][name]["worst_gap"] <= 1e-6


def test_water_filling_benchmark_quick_run_converges_and_writes(tmp_path):
    pytest.importorskip("matplotlib")
    wf = load("water_filling")
    assert wf.main(["--quick", "--out", str(tmp_path / "w")]) == 0
    data = json.loads((tmp_path / "w.json").read_text())
    for entry in data["sizes"].values():
        for r in entry["runs"].values():
            assert r["status"] == "converged" and r["residual"] <= data["tol"]
    assert (tmp_path / "w.png").stat().st_size > 10_000


def test_water_filling_rate_panel_meets_the_contraction_bound():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "water_filling"]
    data = rates.run(iters=40, panels=panel)
    for c in data["panels"]["water_filling"]["curves"].values():
        assert c["theory_factor"] < 1
        assert c["measured_factor"] <= c["theory_factor"]


def test_vr_halpern_benchmark_quick_run_writes_certified_curves(tmp_path):
    pytest.importorskip("matplotlib")
    vb = load("vr_halpern")
    assert vb.main(["--quick", "--out", str(tmp_path / "v")]) == 0
    data = json.loads((tmp_path / "v.json").read_text())
    assert (tmp_path / "v.png").stat().st_size > 10_000
    (entry,) = data["sizes"].values()
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
