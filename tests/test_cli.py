"""The eqsolve command line: every subcommand, its output and its exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import eqsolve as eq
from eqsolve import cli
from eqsolve.cli import main

ROOT = Path(__file__).resolve().parents[1]
GAMES = ROOT / "examples" / "games"
RPS = str(GAMES / "rock_paper_scissors.nfg")
PD = str(GAMES / "prisoners_dilemma.nfg")
FAROL = str(GAMES / "el_farol.nfg")


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_solve_prints_equilibrium_value_and_certificate(capsys):
    code, out, err = run(["solve", RPS, "--method", "mirror_prox", "--tol", "1e-8"], capsys)
    assert code == 0, err
    assert "solved as MatrixGame" in out and "duality_gap" in out
    assert "Row: 1=0.333333  2=0.444444  3=0.222222" in out
    assert "value (payoff of Row):" in out
    assert "Nash gap of the file's exact game" in out


def test_solve_json_for_scripts(capsys):
    code, out, _ = run(["solve", PD, "--json", "--tol", "1e-9"], capsys)
    data = json.loads(out)
    assert code == 0 and data["exit_code"] == 0
    assert data["problem"] == "BimatrixGame" and data["game"]["players"] == ["Alice", "Bob"]
    assert data["game"]["strategies"][0] == ["Cooperate", "Defect"]
    assert data["profile"] == [[0.0, 1.0], [0.0, 1.0]]
    assert data["result"]["converged"] and data["result"]["certificate"]["kind"] == "nash_gap"
    assert data["nash_gap"]["value"] <= 1e-9


def test_solve_n_player_game(capsys):
    code, out, _ = run(["solve", FAROL, "--method", "mirror_prox", "--tol", "1e-8",
                        "--max-iter", "5000", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["problem"] == "NormalFormGame"
    assert data["result"]["residual"] <= 1e-8 and len(data["profile"]) == 3


def test_not_converged_exits_1(tmp_path, capsys):
    path = tmp_path / "random.nfg"
    A = np.random.default_rng(3).integers(-9, 10, size=(30, 30))
    eq.io.write_nfg(eq.NormalFormGame([A, -A]), path)
    code, out, _ = run(["solve", str(path), "--method", "extragradient", "--max-iter", "2",
                        "--tol", "1e-10"], capsys)
    assert code == 1 and "max_iter" in out
    code, out, _ = run(["solve", str(path), "--max-iter", "2", "--tol", "1e-10", "--json"], capsys)
    assert code == 1 and json.loads(out)["result"]["status"] == "max_iter"


def test_progress_and_time_limit_options(capsys):
    code, _, err = run(["solve", RPS, "--progress", "--time-limit", "30", "--output", "last"],
                       capsys)
    assert code == 0


@pytest.mark.parametrize("argv, match", [
    (["solve", "missing.nfg"], "game file 'missing.nfg' does not exist"),
    (["solve", RPS, "--method", "simplex"], "unknown method 'simplex'; valid methods are"),
    (["solve", PD, "--method", "pdhg"], "pdhg"),
    (["solve", str(GAMES)], "is a directory"),
])
def test_bad_input_exits_2_with_a_message(argv, match, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and match in err and out == ""


@pytest.mark.parametrize("argv, match", [
    (["solve", RPS, "--tol", "-1"], "argument --tol: expected a positive number, got '-1'"),
    (["solve", RPS, "--max-iter", "0"], "argument --max-iter: expected a positive integer"),
    (["solve", RPS, "--time-limit", "soon"], "argument --time-limit: expected a positive number"),
    (["solve"], "the following arguments are required: game"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_options_exit_2(argv, match, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2 and match in err


def test_malformed_file_names_line_and_column(tmp_path, capsys):
    path = tmp_path / "bad.nfg"
    path.write_text('NFG 1 R "x" { "a" "b" } { 2 2 }\n1 2 3\n')
    code, _, err = run(["solve", str(path)], capsys)
    assert code == 2
    assert "malformed game file" in err and "line 3, column 1" in err
    code, _, err = run(["certify", str(path), str(path)], capsys)
    assert code == 2 and "line 3, column 1" in err


def test_certify_equilibrium_and_non_equilibrium(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"profile": [["1/3", "4/9", "2/9"], [1 / 3, 4 / 9, 2 / 9]]}))
    bad.write_text(json.dumps([[1, 0, 0], [1, 0, 0]]))
    code, out, _ = run(["certify", RPS, str(good)], capsys)
    assert code == 0 and "nash_gap" in out and "within tol" in out
    code, out, _ = run(["certify", RPS, str(bad), "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and not data["within_tol"]
    # against (1, 1) each player gains 1 by switching to its strategy 2
    assert data["certificate"]["value"] == pytest.approx(2.0)
    assert data["certificate"]["details"]["gains"] == pytest.approx([1.0, 1.0])
    code, _, _ = run(["certify", RPS, str(bad), "--tol", "5"], capsys)
    assert code == 0


@pytest.mark.parametrize("content, match", [
    ("[[1, 0, 0]]", "the profile must list 2 mixed strategies"),
    ("[[1, 0], [1, 0, 0]]", r"profile\[0\] \(Row\) must be a list of 3 probabilities"),
    ('[["one", 0, 0], [1, 0, 0]]', r"profile\[0\]\[0\] must be a number"),
    ("[[null, 0, 1], [1, 0, 0]]", r"profile\[0\]\[0\] must be a number"),
    ("[[2, -1, 0], [1, 0, 0]]", "profile"),
    ('{"strategies": []}', 'or {"profile": \\[...\\]}'),
    ("[[1, 0, 0], [1, 0, 0", "is not valid JSON: line 1, column"),
])
def test_certify_bad_profiles_exit_2(tmp_path, content, match, capsys):
    p = tmp_path / "p.json"
    p.write_text(content)
    code, _, err = run(["certify", RPS, str(p)], capsys)
    assert code == 2
    assert __import__("re").search(match, err), err


def test_certify_missing_profile_exits_2(capsys):
    code, _, err = run(["certify", RPS, "nowhere.json"], capsys)
    assert code == 2 and "profile file 'nowhere.json' does not exist" in err


def test_report_writes_the_small_gain_html(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"type": "quadratic", "blocks": [1, 1], "J": [[1, 10], [0.05, 1]],
                                "region": [{"box": [-1, 1]}, {"ball": {"radius": 1}}]}))
    out_path = tmp_path / "sgn.html"
    code, out, err = run(["report", str(spec), "-o", str(out_path), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["report"] == str(out_path)
    assert "<html" in out_path.read_text().lower()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "cubic"}))
    code, _, err = run(["report", str(bad), "-o", str(out_path)], capsys)
    assert code == 2 and "bad spec" in err


def fake_benchmarks(tmp_path):
    d = tmp_path / "benches"
    d.mkdir()
    (d / "alpha_beta.py").write_text(
        '"""Alpha beta: records its arguments."""\n'
        "import json, sys\n"
        "open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n"
        "sys.exit(0 if '--ok' in sys.argv else 1)\n")
    (d / "_helpers.py").write_text("")
    return d


def test_bench_lists_and_runs_scripts_passing_arguments(tmp_path, capsys):
    d = fake_benchmarks(tmp_path)
    code, out, _ = run(["bench", "--dir", str(d), "--list"], capsys)
    assert code == 0 and "alpha-beta" in out and "Alpha beta: records" in out
    assert "helpers" not in out
    record = tmp_path / "args.json"
    code = main(["bench", "alpha-beta", "--dir", str(d), "--", str(record), "--ok", "--n", "3"])
    assert code == 0 and json.loads(record.read_text()) == ["--ok", "--n", "3"]
    assert main(["bench", "alpha_beta", "--dir", str(d), "--", str(record)]) == 1


def test_bench_discovers_the_checkout_benchmarks(capsys):
    code, out, _ = run(["bench"], capsys)
    assert code == 0
    for name in ("rates", "matrix-games", "nash-mp"):
        assert name in out
    assert main(["bench", "rates", "--", "--help"]) == 0


def test_bench_errors_exit_2(tmp_path, monkeypatch, capsys):
    d = fake_benchmarks(tmp_path)
    code, _, err = run(["bench", "nope", "--dir", str(d)], capsys)
    assert code == 2 and "unknown benchmark 'nope'; available: alpha-beta" in err
    code, _, err = run(["bench", "--dir", str(tmp_path / "none")], capsys)
    assert code == 2 and "is not a directory" in err
    monkeypatch.setattr(cli, "_default_benchmark_dirs", lambda: [tmp_path / "x", tmp_path / "y"])
    code, _, err = run(["bench", "rates"], capsys)
    assert code == 2 and "cannot find the benchmarks directory" in err and "--dir" in err


def test_double_dash_is_for_benchmarks_only(capsys):
    code, _, err = run(["solve", RPS, "--", "--quick"], capsys)
    assert code == 2 and "arguments after -- are passed to benchmark scripts only" in err


def test_help_everywhere(capsys):
    for argv in (["--help"], ["solve", "--help"], ["certify", "--help"], ["report", "--help"],
                 ["bench", "--help"]):
        code, out, _ = run(argv, capsys)
        assert code == 0 and "usage: eqsolve" in out
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and eq.__version__ in out


def test_python_dash_m_eqsolve():
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "eqsolve", "solve", RPS, "--json"], cwd=ROOT,
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["result"]["converged"]
    bad = subprocess.run([sys.executable, "-m", "eqsolve", "solve", "missing.nfg"], cwd=ROOT,
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_solve_an_efg_file(tmp_path, capsys):
    pytest.importorskip("pyspiel")
    from open_spiel.python.algorithms import gambit

    import pyspiel

    path = tmp_path / "kuhn.efg"
    path.write_text(gambit.export_gambit(pyspiel.load_game("kuhn_poker")))
    assert main(["solve", str(path), "--tol", "1e-6"]) == 0
    out = capsys.readouterr().out
    assert "extensive-form game: 6 + 6 information sets" in out and "behaviour strategies" in out
    assert main(["solve", str(path), "--tol", "1e-6", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lo, hi = data["result"]["certificate"]["details"]["value_bounds"]
    assert lo <= -1 / 18 <= hi
    assert len(data["behavior"]) == 12


def test_solve_a_malformed_efg_file(tmp_path, capsys):
    path = tmp_path / "bad.efg"
    path.write_text('EFG 2 R "x" { "a" "b" }\np "" 1 1 "" { "l" "r" } 0\n')
    assert main(["solve", str(path)]) == 2
    assert "malformed game file" in capsys.readouterr().err
