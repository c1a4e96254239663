"""The .nfg throughput benchmark runs end to end at tiny sizes and round-trips exactly."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[f"_bench_{name}"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_nfg_io_benchmark_quick_run_round_trips_exactly(tmp_path):
    pytest.importorskip("matplotlib")
    bench = load("nfg_io")
    assert bench.main(["--quick", "--out", str(tmp_path / "io")]) == 0
    data = json.loads((tmp_path / "io.json").read_text())
    assert {(r["kind"], r["form"]) for r in data["rows"]} == {
        (k, f) for k in bench.KINDS for f in bench.FORMS}
    for r in data["rows"]:
        assert r["exact_round_trip"] and r["read_mb_s"] > 0 and r["write_mb_s"] > 0
    assert data["loadavg"] is None or len(data["loadavg"]) == 3
    assert (tmp_path / "io.png").stat().st_size > 10_000
