"""Nash-MP against Nash-MD and OMWU on regularised preference games: KL to the equilibrium vs queries.

For |Y| in {10, 100, 1000} and beta in {0.01, 0.1, 1} (random preference
matrices ``P = triu(U) + tril(1 - U^T)``, uniform reference), measures
``KL(pi*_beta || pi_k)`` against the number N of preference queries (one query
= one product ``P pi``) for

* ``nash_mp`` (two queries per iteration, step 1/L),
* ``nash_md`` (one query per iteration, steps min(1/L, 2/(beta (k+2)))),
* OMWU = ``optimistic`` with the entropic geometry on the same VI (one query),

and checks the claimed bound ``KL(pi*||pi_N) <= (1 + 2 beta)^(-N/2) KL(pi*||pi_0)``
for Nash-MP.  The reference ``pi*_beta`` is Nash-MP run to the rounding floor.
Writes ``benchmarks/results/nash_mp.json`` and ``nash_mp.png``::

    python benchmarks/nash_mp.py [--quick]
"""

from __future__ import annotations

import sys

import numpy as np

import _harness as harness
import eqsolve as eq
from eqsolve.problems import random_preferences

METHODS = {"nash_mp": {}, "nash_md": {}, "omwu": {"method": "optimistic", "geometry": "entropic"}}


def reference_solution(game, beta):
    iters = int(np.ceil(40 / np.log1p(2 * beta)))
    return eq.solve(game, method="nash_mp", tol=0, max_iter=iters, check_every=iters).z


def kl_curve(game, star, label, options, queries):
    options = dict(options)
    method = options.pop("method", label)
    curve = []

    def cb(p):
        curve.append((p.oracle_calls, game.kl_from(star, p.z)))
        return p.oracle_calls >= queries

    eq.solve(game, method=method, tol=0, max_iter=10 * queries, check_every=1, callback=cb,
             restart=False, **options)
    return curve


def run(sizes=(10, 100, 1000), betas=(0.01, 0.1, 1.0), queries=400) -> dict:
    record = harness.begin("nash_mp", {"sizes": list(sizes), "betas": list(betas),
                                       "queries": queries})
    out = {"cases": []}
    for n in sizes:
        P = random_preferences(n, seed=n)
        for beta in betas:
            game = eq.PreferenceGame(P, beta)
            star = reference_solution(game, beta)
            kl0 = game.kl_from(star, game.initial_point())
            case = {"n": n, "beta": beta, "kl0": kl0, "curves": {}}
            for label, options in METHODS.items():
                case["curves"][label] = kl_curve(game, star, label, options, queries)
            # the claim, on the points above the reference solution's rounding floor
            ok = [kl <= (1 + 2 * beta) ** (-(N - 1) / 2) * kl0 * (1 + 1e-9)
                  for N, kl in case["curves"]["nash_mp"] if kl > 1e-13]
            case["nash_mp_meets_bound"] = bool(all(ok))
            mp = [(N, kl) for N, kl in case["curves"]["nash_mp"] if kl > 1e-13]
            if len(mp) > 2:
                N, kl = np.array(mp).T
                case["nash_mp_factor_per_query"] = float(np.exp(np.polyfit(N, np.log(kl), 1)[0]))
            case["bound_factor_per_query"] = float((1 + 2 * beta) ** -0.5)
            out["cases"].append(case)
    return harness.finish(record, out, summarize(out))


def summarize(results) -> dict:
    """Per case, whether Nash-MP meets the bound and its fitted factor per query against it."""
    cases = [{"n": c["n"], "beta": c["beta"], "nash_mp_meets_bound": c["nash_mp_meets_bound"],
              "nash_mp_factor_per_query": c.get("nash_mp_factor_per_query"),
              "bound_factor_per_query": c["bound_factor_per_query"]} for c in results["cases"]]
    return {"meets_bound_everywhere": all(c["nash_mp_meets_bound"] for c in cases),
            "cases": cases}


def plot(record, path):
    plt = harness.pyplot()
    params = record["parameters"]
    sizes, betas = params["sizes"], params["betas"]
    fig, axes = plt.subplots(len(betas), len(sizes), figsize=(4.2 * len(sizes), 3.3 * len(betas)),
                             squeeze=False)
    for case in record["results"]["cases"]:
        ax = axes[betas.index(case["beta"]), sizes.index(case["n"])]
        for i, (label, curve) in enumerate(case["curves"].items()):
            if curve:
                N, kl = np.array(curve).T
                ax.semilogy(N, np.maximum(kl, 1e-17), color=f"C{i}", label=label)
        N = np.arange(1, params["queries"] + 1)
        ax.semilogy(N, case["kl0"] * (1 + 2 * case["beta"]) ** (-(N - 1) / 2), "k--", lw=1,
                    label="(1+2b)^(-N/2) bound")
        ax.set_ylim(1e-16, max(1.0, 2 * case["kl0"]))
        ax.set_title(f"|Y| = {case['n']}, beta = {case['beta']}", fontsize=9)
        ax.set_xlabel("preference queries N")
        ax.set_ylabel("KL(pi* || pi)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Nash mirror prox vs Nash-MD vs OMWU on regularised preference games")
    fig.tight_layout()
    harness.save_png(fig, path, dpi=100)


def report(record) -> None:
    queries = record["parameters"]["queries"]
    for c in record["results"]["cases"]:
        fin = {k: (v[-1][1] if v else None) for k, v in c["curves"].items()}
        print(f"|Y|={c['n']:5d} beta={c['beta']:<5} KL after {queries} queries: "
              + ", ".join(f"{k} {v:.2e}" for k, v in fin.items())
              + f" | Nash-MP factor/query {c.get('nash_mp_factor_per_query', float('nan')):.4f}"
              f" vs bound {c['bound_factor_per_query']:.4f}; meets bound: {c['nash_mp_meets_bound']}")


DEFAULTS = {}
#: |Y| in {10, 30}, beta in {0.1, 1}, 100 queries
QUICK = {"sizes": (10, 30), "betas": (0.1, 1.0), "queries": 100}


def main(argv=None) -> int:
    return harness.main(argv, benchmark="nash_mp", doc=__doc__, run=run, defaults=DEFAULTS,
                        quick=QUICK, plot=plot, report=report)


if __name__ == "__main__":
    sys.exit(main())
