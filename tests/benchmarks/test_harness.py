"""The shared benchmark harness: machine record, record schema, JSON files, stored results."""

import json
import math
import os

import numpy as np
import pytest

from .test_benchmark_scripts import ROOT, load

load("nash_mp")  # puts benchmarks/ on sys.path, as for the scripts
import _harness as harness  # noqa: E402


def test_machine_record_has_every_field():
    m = harness.machine_record()
    assert set(m) == set(harness.MACHINE_KEYS)
    assert set(m["blas"]) == set(harness.BLAS_KEYS)
    assert m["cpu_count"] == os.cpu_count() and m["numpy"] == np.__version__
    assert m["python"] and m["scipy"] and m["eqsolve"] and m["date"] and m["platform"]
    assert set(m["blas"]["env"]) == set(harness.THREAD_ENV)
    assert set(m["packages"]) == set(harness.OPTIONAL_PACKAGES)
    assert len(m["load_before"]) == 3 and m["load_after"] is None
    assert isinstance(m["under_load"], bool)


def test_a_record_gets_the_load_after_the_run_and_follows_the_schema(tmp_path):
    rec = harness.begin("demo", {"n": np.int64(3), "sizes": (1, 2)})
    assert rec["parameters"] == {"n": 3, "sizes": [1, 2]}
    rec = harness.finish(rec, {"x": np.arange(3), "nan": float("nan")}, {"best": np.float64(0.5)})
    assert len(rec["machine"]["load_after"]) == 3
    path = harness.write_json(rec, harness.stem("demo", True, tmp_path).with_suffix(".json"))
    assert path.name == "demo_quick.json"
    back = harness.read_json(path)
    assert back["results"] == {"x": [0, 1, 2], "nan": None} and back["summary"] == {"best": 0.5}


def test_a_loaded_machine_is_flagged_at_the_start(monkeypatch, capsys):
    cores = os.cpu_count()
    monkeypatch.setattr(harness, "loadavg", lambda: [4.0 * cores, 1.0, 1.0])
    rec = harness.begin("demo", {})
    assert rec["machine"]["under_load"] is True
    assert "timings taken under load" in capsys.readouterr().err
    monkeypatch.setattr(harness, "loadavg", lambda: [0.0, 0.0, 0.0])
    assert harness.begin("demo", {})["machine"]["under_load"] is False
    assert capsys.readouterr().err == ""


def test_the_schema_names_what_is_wrong(tmp_path):
    rec = harness.finish(harness.begin("demo", {}), {}, {})
    assert harness.validate(rec) == []
    bad = dict(rec, extra=1)
    del bad["summary"]
    bad["machine"] = dict(rec["machine"], load_before=[1.0])
    problems = harness.validate(bad)
    assert "missing key 'summary'" in problems and "unexpected key 'extra'" in problems
    assert any("load_before" in p for p in problems)
    with pytest.raises(ValueError, match="not a benchmark record"):
        harness.write_json(bad, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_non_finite_numbers_are_written_as_null():
    out = harness.to_jsonable({"a": [math.inf, np.float32(2.0)], 3: np.array([[1.0, np.nan]])})
    assert out == {"a": [None, 2.0], "3": [[1.0, None]]}
    json.dumps(out, allow_nan=False)


@pytest.mark.parametrize("path", sorted((ROOT / "results").glob("*.json")), ids=lambda p: p.name)
def test_every_stored_result_follows_the_schema(path):
    record = json.loads(path.read_text())
    assert harness.validate(record) == []
    # the file belongs to the benchmark it names: NAME.json or NAME_<variant>.json
    assert path.stem == record["benchmark"] or path.stem.startswith(record["benchmark"] + "_")
    assert (ROOT / f"{record['benchmark']}.py").exists()
