"""Reports of Small-Gain Nash certificates: Markdown, and self-contained HTML with figures.

The HTML page embeds four matplotlib figures as base64 PNG: the margin
:math:`\\alpha_*` against the weight ratio (the certified timescale band), a
trajectory of the certified Euler map inside the SGN ellipse
:math:`\\{\\|x - x^*\\|_M \\le \\|x_0 - x^*\\|_M\\}` against the Euclidean ball, the
distance and residual against iterations beside the certified rate
:math:`q^k`, and the eigenvalues of :math:`J` with the real extents of the
numerical ranges of :math:`J` and :math:`M^{1/2}JM^{-1/2}` (similar matrices
share eigenvalues; the metric moves the numerical range, whose left end is
the margin).

References
----------
.. [1] V. Sharma, arXiv:2512.06791 (2025), Figs. 1-2 (mini-toy phase portrait and
   pseudospectra).
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import numpy as np

from ...methods import get_method, run
from .weights import margin

__all__ = ["markdown", "html_report", "simulate"]


def _rows(cert):
    d = cert.to_dict()
    fmt = lambda v: "n/a" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))  # noqa
    rows = [("verdict", d["verdict"]), ("reason", d["reason"]),
            ("constants", f"{d['constants_basis']} ({d['constants_note']})"),
            ("region", d["region"]), ("blocks", d["blocks"]),
            ("block curvature mu", ", ".join(f"{m:.6g}" for m in d["mu"])),
            ("rho(Gamma)", fmt(d["rho"])),
            ("weights w", ", ".join(f"{w:.6g}" for w in d["weights"]) + f"  [{d['weights_method']}]"),
            ("margin alpha_*(w)", fmt(d["alpha"])), ("true margin in M (linear F)", fmt(d["true_margin"])),
            ("Euclidean margin (w = 1)", fmt(d["euclidean_margin"])),
            ("Lipschitz beta(w)", fmt(d["beta"])), ("flow contraction rate", fmt(d["flow_rate"])),
            ("certified Euler steps", f"(0, {d['euler_step_max']:.6g})"),
            ("default Euler step / factor", f"{d['euler_step']:.6g} / {fmt(d['euler_factor'])}"),
            ("RK4 rigorous step max", f"{fmt(d['rk4']['rigorous_step_max'])} ({d['rk4']['label']})"),
            ("RK4 guideline", f"{fmt(d['rk4']['guideline_step'])} ({d['rk4']['guideline_label']})")]
    if d["band"] is not None:
        b = d["band"]
        rows.append(("timescale band r = w2/w1", f"({fmt(b['r_lo'])}, {fmt(b['r_hi'])}), "
                     f"r* = {fmt(b['r_opt'])}, alpha_max = {fmt(b['alpha_max'])}"))
    return rows


def _matrix_md(name, A):
    n = len(A)
    head = "| " + name + " | " + " | ".join(f"j={j}" for j in range(n)) + " |\n"
    head += "|---" * (n + 1) + "|\n"
    return head + "".join(f"| i={i} | " + " | ".join(f"{v:.6g}" for v in row) + " |\n"
                          for i, row in enumerate(np.asarray(A, float)))


def markdown(cert) -> str:
    """Markdown summary of a certificate (tables of constants, L, C(w)).

    Examples
    --------
    >>> import eqsolve as eq
    >>> md = markdown(eq.small_gain(eq.problems.zoo.sgn_mini_toy()))
    >>> md.splitlines()[4]
    '| verdict | certified |'

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025).
    """
    out = "# Small-Gain Nash certificate\n\n| quantity | value |\n|---|---|\n"
    out += "".join(f"| {k} | {str(v).replace('|', '/')} |\n" for k, v in _rows(cert))
    out += "\n## Couplings L_ij\n\n" + _matrix_md("L", cert.L)
    out += "\n## Small-gain matrix C(w) = DK + K^T D\n\n" + _matrix_md("C", cert.small_gain_matrix)
    return out


def _equilibrium(cert):
    """The equilibrium of ``cert.game`` in its region: ``projected_euler`` to 1e-12, or None.

    The one call into the methods layer, through its driver's entry point.
    """
    try:
        return run(cert.game, get_method("projected_euler"), certificate=cert, tol=1e-12,
                   max_iter=200_000).z
    except ValueError:
        return None


def simulate(cert, x0=None, steps: int = 3000, step=None):
    """Certified Euler trajectory from ``x0`` and the equilibrium it approaches.

    Returns ``(trajectory (steps+1, d), x_star, h)``; ``x_star`` is the
    ``projected_euler`` solve to 1e-12 (or the last point when that fails).
    """
    game = cert.game
    h = cert.euler_step if step is None else float(step)
    if not h > 0:
        return None, None, h
    xs = _equilibrium(cert)
    if x0 is None:
        base = game.initial_point() if xs is None else xs
        x0 = base.copy()
        for k, s in enumerate(cert.region.slices):
            x0[s.start] += 0.15 * (-1) ** k
        x0 = cert.region.project(game.domain.project(x0))
    x = np.array(x0, dtype=float)
    traj = [x]
    for _ in range(steps):
        x = game.domain.project(x - h * game.operator(x))
        traj.append(x)
    return np.array(traj), (traj[-1] if xs is None else xs), h


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figures(cert, x0=None, steps=3000):
    """The report's figures as ``{title: base64 PNG}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    K, w = cert.constants.K, cert.weights
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    if len(w) == 2:
        r0 = w[1] / w[0]
        rs = np.geomspace(r0 / 1e3, r0 * 1e3, 400)
        ax.semilogx(rs, [margin(K, [1.0, r]) for r in rs], label=r"$\alpha_*(r)$")
        b = cert.band
        if b and b["r_lo"] < b["r_hi"]:
            ax.axvspan(max(b["r_lo"], rs[0]), min(b["r_hi"], rs[-1]), alpha=0.15, color="g",
                       label="certified band")
        ax.axvline(r0, ls="--", c="k", lw=1, label=f"chosen r = {r0:.4g}")
        ax.set_xlabel(r"weight ratio $r = w_2/w_1$")
    else:
        ss = np.geomspace(1e-2, 1e2, 200)
        for j in range(len(w)):
            ax.semilogx(ss, [margin(K, w * np.where(np.arange(len(w)) == j, s, 1.0)) for s in ss],
                        label=f"scale w_{j}")
        ax.set_xlabel("factor on one weight (others fixed)")
    ax.axhline(0, c="r", lw=0.8)
    ax.set_ylim(bottom=max(ax.get_ylim()[0], -2 * abs(cert.alpha) - 1))
    ax.set_ylabel(r"margin $\alpha_*$")
    ax.legend(fontsize=7)
    ax.set_title("margin against the weights")
    out["margin against the weight ratio"] = _png(fig)
    plt.close(fig)

    traj, xs, h = (simulate(cert, x0, steps) if cert.alpha > 0 and cert.geometry == "euclidean"
                   else (None, None, 0.0))
    if traj is not None:
        a, b = cert.region.slices[0].start, cert.region.slices[min(1, len(w) - 1)].start
        wa, wb = w[0], w[min(1, len(w) - 1)]
        E0 = cert.metric_norm(traj[0] - xs)
        R0 = float(np.linalg.norm(traj[0] - xs))
        t = np.linspace(0, 2 * math.pi, 400)
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        ax.plot(traj[:, a] - xs[a], traj[:, b] - xs[b], lw=1.2, label=f"Euler, h = {h:.3g}")
        ax.plot(E0 / math.sqrt(wa) * np.cos(t), E0 / math.sqrt(wb) * np.sin(t), "g--",
                label="SGN ellipse (M-ball)")
        ax.plot(R0 * np.cos(t), R0 * np.sin(t), "r:", label="Euclidean ball")
        ax.set_xlabel(f"x[{a}] - x*[{a}]")
        ax.set_ylabel(f"x[{b}] - x*[{b}]")
        ax.legend(fontsize=7)
        ax.set_title("trajectory: inside the SGN ellipse")
        out["trajectory in the SGN ellipse"] = _png(fig)
        plt.close(fig)

        q = cert.euler_factor(h)
        k = np.arange(len(traj))
        dist = np.array([cert.metric_norm(x - xs) for x in traj])
        res = np.array([np.linalg.norm(x - cert.game.domain.project(x - cert.game.operator(x)))
                        for x in traj])
        # stop the curves where they reach rounding level: the rest is noise
        small = np.nonzero(dist <= 1e-14 * max(dist[0], 1e-300))[0]
        end = int(small[0]) + 1 if small.size else len(k)
        k, dist, res = k[:end], dist[:end], res[:end]
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        ax.semilogy(k, np.maximum(dist, 1e-17), label=r"$\|x_k - x^*\|_M$")
        ax.semilogy(k, np.maximum(res, 1e-17), label="natural residual")
        ax.semilogy(k, dist[0] * q ** k, "k--", label=f"certified $q^k$, q = {q:.5f}")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=7)
        ax.set_title("convergence against the certified rate")
        out["residual against iterations"] = _png(fig)
        plt.close(fig)

    z = xs if xs is not None else cert.region.project(cert.game.initial_point())
    J = cert.game.jacobian(z)
    full = np.repeat(np.sqrt(w), cert.constants.sizes)
    Jw = (full[:, None] * J) / full[None, :]
    ev = np.linalg.eigvals(J)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.plot(ev.real, ev.imag, "ko", label="eigenvalues of J (= of $M^{1/2}JM^{-1/2}$)")
    for y, A, lab, c in ((0.1, J, "J", "r"), (-0.1, Jw, r"$M^{1/2}JM^{-1/2}$", "g")):
        e = np.linalg.eigvalsh((A + A.T) / 2)
        ax.plot([e[0], e[-1]], [y, y], c=c, lw=3, label=f"numerical range of {lab} (real part)")
    ax.axvline(0, c="gray", lw=0.8)
    ax.set_xlabel("real part")
    ax.set_ylabel("imaginary part")
    lim = max(0.3, 1.2 * float(np.abs(ev.imag).max()))
    ax.set_ylim(-lim, 2.2 * lim)  # room for the legend above the data
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("spectrum vs numerical range")
    out["eigenvalues of J against the weighted Jacobian"] = _png(fig)
    plt.close(fig)
    return out


def html_report(cert, path, *, x0=None, steps: int = 3000, title="Small-Gain Nash certificate"):
    """Write the self-contained HTML report of ``cert`` to ``path`` and return the path.

    Examples
    --------
    >>> import tempfile, pathlib, eqsolve as eq
    >>> cert = eq.small_gain(eq.problems.zoo.sgn_mini_toy())
    >>> with tempfile.TemporaryDirectory() as d:
    ...     page = html_report(cert, pathlib.Path(d) / "r.html", steps=50).read_text()
    >>> page.count("data:image/png;base64")
    4

    References
    ----------
    .. [1] V. Sharma, arXiv:2512.06791 (2025), Figs. 1-2.
    """
    try:
        figs = figures(cert, x0=x0, steps=steps)
    except ImportError as exc:
        raise ImportError(f"certificate.report needs matplotlib ({exc}); install eqsolve[plot]") \
            from None
    colour = {"certified": "#1b7f3a", "empirical": "#b8860b", "not certified": "#b22222"}
    esc = html.escape
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in _rows(cert))

    def matrix(A):
        return "<table class=m>" + "".join(
            "<tr>" + "".join(f"<td>{v:.6g}</td>" for v in row) + "</tr>"
            for row in np.asarray(A, float)) + "</table>"

    imgs = "".join(f"<figure><img src='data:image/png;base64,{b}' alt='{esc(t)}'>"
                   f"<figcaption>{esc(t)}</figcaption></figure>" for t, b in figs.items())
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}th{{text-align:left;padding-right:1em}}
table.m td{{border:1px solid #ccc;padding:2px 6px}}figure{{display:inline-block;margin:6px}}
.v{{color:white;background:{colour[cert.verdict]};padding:6px 12px;display:inline-block}}</style>
</head><body><h1>{esc(title)}</h1><p class=v>{esc(cert.verdict.upper())}: {esc(cert.reason)}</p>
<h2>Constants and steps</h2><table>{rows}</table>
<h2>Couplings L<sub>ij</sub></h2>{matrix(cert.L)}
<h2>Small-gain matrix C(w) = DK + K<sup>T</sup>D</h2>{matrix(cert.small_gain_matrix)}
<h2>Figures</h2>{imgs}
<p><small>eqsolve; V. Sharma, Small-Gain Nash, arXiv:2512.06791.</small></p></body></html>"""
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
