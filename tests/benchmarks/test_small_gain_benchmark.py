"""The Small-Gain benchmark runs end to end (small sizes) and reproduces the paper's numbers."""

import pytest

from .test_benchmark_scripts import HAS_MATPLOTLIB, load, quick_run


def test_small_gain_benchmark_quick_run(tmp_path):
    record = quick_run("small_gain", tmp_path)
    data = record["results"]
    if HAS_MATPLOTLIB:
        assert (tmp_path / "small_gain_quick.png").stat().st_size > 20_000
    mt = data["mini_toy"]
    assert mt["alpha_sgn"] == pytest.approx(0.29289, abs=1e-5)
    assert mt["euler_true"] == pytest.approx(1.1716, abs=1e-4)
    assert mt["rk4_true"] == pytest.approx(1.6316, abs=1e-4)
    assert record["summary"]["mini_toy_alpha"] == mt["alpha_sgn"]
    for r in data["lq"]["rows"]:  # certified exactly below 1/sqrt(ab), steps below the limits
        assert r["certified"] == (r["lambda"] < data["lq"]["theory_threshold"])
        if r["certified"]:
            assert r["euler_sgn"] <= r["euler_true"] and r["rk4_rigorous"] <= r["rk4_true"]
    for r in data["random"]["rows"]:
        if r["certified"]:
            assert r["alpha_sgn"] <= r["alpha_true"] + 1e-12
    for r in data["step_sweep"]["rows"]:  # measured contraction within the certified factor
        if r["certified_factor"] is not None:
            assert r["worst_factor"] <= r["certified_factor"] + 1e-12
    mk = data["markov"]
    assert mk["final_lyapunov"]["npg"] < mk["final_lyapunov"]["pg"]


def test_rates_has_the_small_gain_panel_within_its_certified_factor():
    rates = load("rates")
    panel = [p for p in rates.PANELS if p.name == "small_gain"]
    data = rates.run(iters=1500, panels=panel)
    c = data["results"]["panels"]["small_gain"]["curves"]["projected_euler"]
    assert c["measured_factor"] <= c["theory_factor"]
