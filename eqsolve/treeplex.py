"""Treeplexes: the sequence-form strategy sets of extensive-form games.

A player with perfect recall chooses a *realisation plan* ``x >= 0`` over
her sequences (the empty sequence and one sequence per action at each of
her information sets) with

.. math::

    x_\\varnothing = 1, \\qquad \\sum_{a \\in A(I)} x_{Ia} = x_{\\sigma(I)}
    \\quad\\text{for every information set } I,

where :math:`\\sigma(I)` is the sequence that leads to ``I``.  The set is a
*treeplex* (Koller, Megiddo and von Stengel 1996; Hoda et al. 2010).

Layout (every operation below is a few vectorised passes, one per depth
level, never a loop over nodes).  Sequence 0 is the empty sequence;
information set ``i`` owns the contiguous sequences
``start[i] : start[i] + sizes[i]`` with ``start = 1 + cumsum(sizes)`` shifted;
information sets are listed by depth (the number of the player's own
decisions above them) and, within a depth, by parent sequence.  Then each
depth level is one contiguous slice of information sets and one of
sequences, and the children of the sequences of one level are contiguous
runs of the next.  :func:`canonical_order` gives that order for any
topologically ordered input.

References
----------
.. [1] D. Koller, N. Megiddo and B. von Stengel, "Efficient computation of
   equilibria for extensive two-person games", Games Econ. Behav. 14 (1996).
.. [2] S. Hoda, A. Gilpin, J. Pena and T. Sandholm, "Smoothing techniques for
   computing Nash equilibria of sequential games", Math. Oper. Res. 35 (2010).
.. [3] Z. Fan, C. Kroer and G. Farina, "On the optimality of dilated entropy
   and lower bounds for online learning in extensive-form games",
   NeurIPS 2024 (weight-one dilated entropy is optimal up to log factors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._treeplex_projection import project_treeplex
from .backend import HAS_NUMBA, finfo_eps, namespace, to_float
from .domains import Domain, Geometry, floating as _floating

__all__ = ["Treeplex", "DilatedEntropyGeometry", "canonical_order"]


def _int_vector(name, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence of integers, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def canonical_order(parents, sizes):
    """The permutation that lists information sets by (depth, parent sequence).

    ``parents[i]`` is the parent sequence of information set ``i`` in the
    input's numbering (sequence 0 empty, set ``i``'s sequences contiguous
    after those of sets ``0..i-1``); the input must be topological (a set's
    parent sequence belongs to an earlier set).  Returns ``(order, seq_map)``:
    ``order[j]`` is the input index of the ``j``-th set of the canonical
    order, and ``seq_map[s]`` the canonical index of input sequence ``s``.
    """
    parents = _int_vector("parents", parents)
    sizes = _int_vector("sizes", sizes)
    start = 1 + np.concatenate(([0], np.cumsum(sizes)[:-1])) if sizes.size else np.zeros(0, np.int64)
    owner = np.repeat(np.arange(sizes.size), sizes)          # set of each non-empty sequence
    depth = np.zeros(sizes.size, np.int64)
    for i in range(sizes.size):     # build-time only: one pass over the sets
        p = parents[i]
        depth[i] = 0 if p == 0 else depth[owner[p - 1]] + 1
    # the parent's canonical position orders siblings; parents sit one level up,
    # so sort level by level
    order = np.empty(sizes.size, np.int64)
    seq_map = np.zeros(1 + int(sizes.sum()), np.int64)
    pos, next_seq = 0, 1
    for d in range(int(depth.max()) + 1 if sizes.size else 0):
        members = np.flatnonzero(depth == d)
        members = members[np.argsort(seq_map[parents[members]], kind="stable")]
        order[pos: pos + members.size] = members
        pos += members.size
        for i in members:
            seq_map[start[i]: start[i] + sizes[i]] = np.arange(next_seq, next_seq + sizes[i])
            next_seq += sizes[i]
    return order, seq_map


class _Level:
    """The index arrays of one depth level (host NumPy; moved per namespace on use)."""

    def __init__(self, tp: "Treeplex", d: int):
        i0, i1 = tp.level_sets[d], tp.level_sets[d + 1]
        s0, s1 = tp.start[i0], tp.start[i1 - 1] + tp.sizes[i1 - 1]
        self.sets = slice(int(i0), int(i1))
        self.seqs = slice(int(s0), int(s1))
        self.seg = (tp.start[i0:i1] - s0).astype(np.int64)          # segment starts in the slice
        self.owner = np.repeat(np.arange(i1 - i0), tp.sizes[i0:i1])  # local set of each sequence
        par = tp.parents[i0:i1]
        # runs of sets with one parent (sorted by parent): reduceat starts and the parents
        first = np.flatnonzero(np.concatenate(([True], par[1:] != par[:-1])))
        self.par_runs = first.astype(np.int64)
        self.par_seq = par[first].astype(np.int64)
        self.seq_parent = par[self.owner]                            # parent of each sequence
        self.width = int(tp.sizes[i0:i1].max())


class Treeplex(Domain):
    """The sequence-form strategy set of one player (a treeplex).

    Parameters
    ----------
    parents : sequence of int
        ``parents[i]``: the sequence that leads to information set ``i``
        (0: the empty sequence).
    sizes : sequence of int
        ``sizes[i] >= 1``: the number of actions at information set ``i``.

    Information sets must be in canonical order (by depth, then parent
    sequence; :func:`canonical_order` gives it), so that set ``i``'s sequences
    are ``start[i] : start[i] + sizes[i]``.  A simplex of size ``n`` is the
    treeplex with one information set, ``Treeplex([0], [n])``, whose point
    carries the empty sequence's 1 in front.

    Examples
    --------
    >>> import numpy as np
    >>> T = Treeplex([0, 1, 1], [2, 2, 2])      # Kuhn-like: a choice, then one of two follow-ups
    >>> T.dim, T.n_sets
    (7, 3)
    >>> x = T.uniform()
    >>> x
    array([1.  , 0.5 , 0.5 , 0.25, 0.25, 0.25, 0.25])
    >>> bool(T.contains(x)), float(T.support(np.array([0., 1, 0, 0, 0, 3, 0])))
    (True, 4.0)
    """

    bounded = True
    #: the dilated entropy applies, so ``geometry="auto"`` picks it
    entropic = True

    def __init__(self, parents, sizes):
        parents = _int_vector("parents", parents)
        sizes = _int_vector("sizes", sizes)
        if parents.shape != sizes.shape:
            raise ValueError(f"parents and sizes must have one entry per information set, got "
                             f"{parents.size} and {sizes.size}")
        if sizes.size and sizes.min() < 1:
            i = int(np.argmin(sizes))
            raise ValueError(f"sizes[{i}] = {sizes[i]}: every information set needs at least one action")
        self.parents, self.sizes = parents, sizes
        self.n_sets = int(sizes.size)
        self.start = (1 + np.concatenate(([0], np.cumsum(sizes)[:-1]))).astype(np.int64) \
            if sizes.size else np.zeros(0, np.int64)
        self.dim = 1 + int(sizes.sum())
        self.owner = np.concatenate(([-1], np.repeat(np.arange(self.n_sets), sizes))).astype(np.int64)
        if self.n_sets:
            bad = (parents < 0) | (parents >= self.start)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"parents[{i}] = {parents[i]} must be a sequence of an earlier "
                                 f"information set (0 <= parent < {self.start[i]}): list sets "
                                 "topologically")
        depth = np.zeros(self.n_sets, np.int64)
        for i in range(self.n_sets):                     # construction only
            p = parents[i]
            depth[i] = 0 if p == 0 else depth[self.owner[p]] + 1
        key = depth * (self.dim + 1) + parents
        if self.n_sets > 1 and np.any(np.diff(key) < 0):
            raise ValueError("information sets must be listed by depth and then by parent "
                             "sequence; reorder them with eqsolve.treeplex.canonical_order "
                             "(ExtensiveFormGame does it for you)")
        self.depth = depth
        n_levels = int(depth.max()) + 1 if self.n_sets else 0
        self.level_sets = np.searchsorted(depth, np.arange(n_levels + 1)).astype(np.int64)
        self.levels = tuple(_Level(self, d) for d in range(n_levels))
        #: parent sequence of every sequence (-1 for the empty one)
        self.seq_parent = np.concatenate(([-1], parents[self.owner[1:]])).astype(np.int64)
        #: the most sequences a pure plan plays (the rounding allowances' term count)
        self.plan_size = int(round(float(self.support(np.ones(self.dim))))) if self.n_sets else 1

    # -- helpers -------------------------------------------------------------
    def _idx(self, arr: np.ndarray, like):
        """An index array of the namespace of ``like`` (cached per namespace)."""
        xp = namespace(like)
        if xp.__name__.endswith("numpy") or "numpy" in xp.__name__:
            return arr
        cache = self.__dict__.setdefault("_idx_cache", {})
        key = (id(arr), id(xp))
        hit = cache.get(key)
        if hit is None:
            hit = xp.asarray(arr)
            cache[key] = hit
        return hit

    @staticmethod
    def _is_numpy(xp) -> bool:
        return "numpy" in xp.__name__

    def _segment(self, xp, kind: str, v, starts, owner_len):
        """Per-segment ``sum`` or ``max`` of ``v`` (segments begin at ``starts``)."""
        if self._is_numpy(xp):
            ufunc = np.add if kind == "sum" else np.maximum
            return ufunc.reduceat(v, starts)
        # array-API path: a padded gather, reduced along the padded axis
        starts_np = np.asarray(starts)
        stops = np.concatenate((starts_np[1:], [owner_len]))
        width = int((stops - starts_np).max())
        offs = np.arange(width)
        idx = starts_np[:, None] + offs[None, :]
        valid = idx < stops[:, None]
        idx = np.where(valid, idx, 0)
        vals = xp.reshape(xp.take(v, self._idx(idx.ravel(), v), axis=0), idx.shape)
        mask = self._idx(valid, v)
        if kind == "sum":
            return xp.sum(xp.where(mask, vals, xp.zeros_like(vals)), axis=1)
        return xp.max(xp.where(mask, vals, xp.full_like(vals, -math.inf)), axis=1)

    def _add_children(self, xp, out, level: _Level, phi):
        """``out[parent] += sum of phi over the sets with that parent`` (returns ``out``)."""
        sums = self._segment(xp, "sum", phi, level.par_runs, phi.shape[0])
        if self._is_numpy(xp):
            out[level.par_seq] += sums
            return out
        scatter = np.zeros(self.dim, np.int64)
        scatter[level.par_seq] = np.arange(1, level.par_seq.size + 1)
        padded = xp.concat([xp.zeros(1, dtype=out.dtype), sums])
        return out + xp.take(padded, self._idx(scatter, out), axis=0)

    # -- conversions ---------------------------------------------------------
    def uniform(self, like=None):
        """The realisation plan of the uniform behaviour strategy."""
        beta = np.ones(self.dim)
        beta[1:] = 1.0 / self.sizes[self.owner[1:]]
        beta = beta if like is None else namespace(like).asarray(beta, dtype=like.dtype)
        return self.reach(beta)

    def reach(self, beta):
        """The realisation plan of the behaviour strategy ``beta`` (per sequence,
        ``beta[s]`` the probability of its last action; ``beta[0]`` is ignored)."""
        beta = _floating(beta)
        xp = namespace(beta)
        if self._is_numpy(xp):
            x = np.empty_like(beta)
            x[0] = 1.0
            for L in self.levels:
                x[L.seqs] = x[L.seq_parent] * beta[L.seqs]
            return x
        parts = [xp.ones(1, dtype=beta.dtype)]
        for L in self.levels:
            x = xp.concat(parts)
            parts.append(xp.take(x, self._idx(L.seq_parent, beta), axis=0) * beta[L.seqs])
        return xp.concat(parts)

    def behavior(self, x):
        """Behaviour probabilities ``x_s / x_parent(s)`` (uniform where the parent is 0)."""
        x = _floating(x)
        xp = namespace(x)
        par = xp.take(x, self._idx(np.maximum(self.seq_parent, 0), x), axis=0)
        uni = self._const(np.concatenate(([1.0], 1.0 / self.sizes[self.owner[1:]])), x)
        safe = xp.where(par > 0, par, xp.ones_like(par))
        beta = xp.where(par > 0, x / safe, uni)
        return xp.concat([xp.ones(1, dtype=x.dtype), beta[1:]])

    def plan_of(self, z):
        """``(plan, dist)``: the realisation plan of the behaviour strategy that ``z``
        plays (negative entries read as 0, renormalised at every set, uniform where
        unreached) and its l1 distance from ``z`` (0 for the plans the methods make,
        up to rounding)."""
        z = _floating(z)
        xp = namespace(z)
        if HAS_NUMBA and isinstance(z, np.ndarray) and z.dtype == np.float64:
            from ._treeplex_numba import plans

            out = np.empty_like(z)
            return out, float(plans(self.parents, self.start, self.sizes, z, out))
        plan = self.reach(self.normalize_behavior(self.behavior(xp.maximum(z, xp.zeros_like(z)))))
        return plan, to_float(xp.sum(xp.abs(plan - z)))

    def normalize_behavior(self, beta):
        """``beta`` scaled to sum to one at every information set (uniform where it sums to 0)."""
        beta = _floating(beta)
        xp = namespace(beta)
        if self.n_sets == 0:
            return xp.ones_like(beta)
        tail = beta[1:]
        sums = self._segment(xp, "sum", tail, self.start - 1, tail.shape[0])
        per = xp.take(sums, self._idx(self.owner[1:], beta), axis=0)
        uni = self._const(1.0 / self.sizes[self.owner[1:]], beta)
        safe = xp.where(per > 0, per, xp.ones_like(per))
        return xp.concat([xp.ones(1, dtype=beta.dtype), xp.where(per > 0, tail / safe, uni)])

    # -- linear optimisation -------------------------------------------------
    def best_response(self, g):
        """``(value, plan)``: ``max_x <g, x>`` over the treeplex and a pure plan attaining it.

        Bottom-up: each information set takes its best action's value (its own
        entry plus its child sets' values) and passes it to its parent sequence.
        """
        g = _floating(g)
        xp = namespace(g)
        v = xp.asarray(g, copy=True) if self._is_numpy(xp) else g
        best = [None] * len(self.levels)
        for d in range(len(self.levels) - 1, -1, -1):
            L = self.levels[d]
            vl = v[L.seqs]
            m = self._segment(xp, "max", vl, L.seg, vl.shape[0])
            best[d] = (vl, m)
            v = self._add_children(xp, v, L, m)
        value = v[0]
        # top-down: the first action attaining each set's maximum
        beta = np.zeros(self.dim)
        beta[0] = 1.0
        for d, L in enumerate(self.levels):
            vl, m = (np.asarray(a) for a in best[d])
            hit = vl >= m[L.owner]
            first = np.minimum.reduceat(np.where(hit, np.arange(vl.size), vl.size), L.seg)
            b = np.zeros(vl.size)
            b[first] = 1.0
            beta[L.seqs] = b
        return value, self.reach(xp.asarray(beta, dtype=g.dtype) if not self._is_numpy(xp) else beta)

    def support(self, g):
        g = _floating(g)
        xp = namespace(g)
        if self.n_sets == 0:
            return g[0]
        if HAS_NUMBA and isinstance(g, np.ndarray) and g.dtype == np.float64:
            from ._treeplex_numba import support

            return support(self.parents, self.start, self.sizes, g)
        v = xp.asarray(g, copy=True) if self._is_numpy(xp) else g
        for d in range(len(self.levels) - 1, -1, -1):
            L = self.levels[d]
            vl = v[L.seqs]
            v = self._add_children(xp, v, L, self._segment(xp, "max", vl, L.seg, vl.shape[0]))
        return v[0]

    def segment_sum(self, level, v):
        """Per-information-set sums of ``v`` (the values of ``level``'s sequences)."""
        return self._segment(namespace(v), "sum", v, level.seg, v.shape[0])

    def segment_max(self, level, v):
        """Per-information-set maxima of ``v`` (the values of ``level``'s sequences)."""
        return self._segment(namespace(v), "max", v, level.seg, v.shape[0])

    def expected(self, g, beta):
        """Bottom-up values under the behaviour strategy ``beta``: ``(seq_values, set_values)``.

        ``seq_values[s] = g_s + sum of the values of the sets below s`` (the
        counterfactual value of sequence ``s``, up to the opponent's reach,
        which ``g`` already carries); ``set_values[i] = sum_a beta_a
        seq_values[ia]``.  ``seq_values[0]`` is ``<g, reach(beta)>``.
        """
        g = _floating(g)
        xp = namespace(g)
        v = xp.asarray(g, copy=True) if self._is_numpy(xp) else g
        set_vals = [None] * len(self.levels)
        for d in range(len(self.levels) - 1, -1, -1):
            L = self.levels[d]
            vl = v[L.seqs] * beta[L.seqs]
            m = self._segment(xp, "sum", vl, L.seg, vl.shape[0])
            set_vals[d] = m
            v = self._add_children(xp, v, L, m)
        sets = xp.concat(set_vals) if set_vals else xp.zeros(0, dtype=g.dtype)
        return v, sets

    # -- projection and membership -------------------------------------------
    def _violation(self, z) -> float:
        xp = namespace(z)
        neg = to_float(xp.max(xp.maximum(-z, xp.zeros_like(z))))
        worst = max(neg, abs(to_float(z[0]) - 1.0))
        if self.n_sets:
            tail = z[1:]
            sums = self._segment(xp, "sum", tail, self.start - 1, tail.shape[0])
            par = xp.take(z, self._idx(self.parents, z), axis=0)
            worst = max(worst, to_float(xp.max(xp.abs(sums - par))))
        return worst

    def project(self, z, kernel: str = "numpy"):
        """The Euclidean projection of ``z`` onto the treeplex (exact; see
        :mod:`eqsolve._treeplex_projection`).  Coordinate 0 of the result is 1
        whatever ``z_0``; non-NumPy arrays are projected on the host and moved back.
        ``kernel="numba"`` uses the compiled kernels (same result up to rounding)."""
        return project_treeplex(self, z, None, kernel)

    def project_weighted(self, z, t, kernel: str = "numpy"):
        """Projection in the metric ``sum_s (u_s - z_s)^2 / t_s`` (``t > 0``, a scalar or
        one weight per sequence; ``t_0`` is ignored since ``u_0 = 1``): the projection
        a diagonally preconditioned step ``z - t * g`` needs.  ``kernel`` as in
        :meth:`project`.

        Examples
        --------
        >>> import numpy as np
        >>> Treeplex([0], [2]).project_weighted(np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0, 3.0]))
        array([1.  , 0.75, 0.25])
        """
        return project_treeplex(self, z, t, kernel)

    def geometry(self, kind: str = "euclidean") -> "Geometry":
        if kind == "entropic":
            return DilatedEntropyGeometry(self)
        return super().geometry(kind)

    def __repr__(self):
        return f"Treeplex({self.dim} sequences, {self.n_sets} information sets)"


@dataclass(frozen=True)
class DilatedEntropyGeometry(Geometry):
    """The weight-one dilated entropy of a treeplex.

    :math:`d(x) = \\sum_I x_{\\sigma(I)} \\sum_{a} \\beta_{Ia} \\log \\beta_{Ia}` with
    :math:`\\beta_{Ia} = x_{Ia}/x_{\\sigma(I)}`, a sum of perspectives of the
    entropy, so its Bregman divergence is
    :math:`D(x, x') = \\sum_I x_{\\sigma(I)}\\,\\mathrm{KL}(\\beta_I \\| \\beta'_I)
    = \\sum_s x_s (\\log\\beta_s - \\log\\beta'_s)`.  Mirror coordinates are the
    log behaviour probabilities ``u_s = log beta_s`` (``u_0 = 0``), so deep
    sequences never underflow.  The prox step
    :math:`\\arg\\min_x \\eta\\langle g, x\\rangle + D(x, x')` is computed
    bottom-up in closed form: at each set, :math:`\\beta^+ \\propto \\beta'
    \\exp(-q)` with :math:`q_{Ia} = \\eta g_{Ia} + \\sum_{J \\text{ below } Ia}
    \\varphi_J` and :math:`\\varphi_I = -\\log \\sum_a \\beta'_a e^{-q_{Ia}}`.
    Unit weights: optimal up to log factors [3] and equivalent to kernelised
    OMWU; the adaptive steps of the prox methods need no strong-convexity
    constant.
    """

    name = "entropic"

    def init(self, z, strict: bool = True):
        tp = self.domain
        z = _floating(z)
        xp = namespace(z)
        if not strict:
            z = xp.maximum(z, xp.asarray(xp.finfo(z.dtype).smallest_normal, dtype=z.dtype))
            return xp.log(tp.normalize_behavior(tp.behavior(z)))
        if not bool(xp.all(z > 0)):
            raise ValueError(
                "the dilated-entropy geometry needs a starting point with every sequence "
                "played with positive probability; mix it with the uniform strategy "
                "(Treeplex.uniform()) or use a regret-minimisation method")
        return xp.log(tp.normalize_behavior(tp.behavior(z)))

    def point(self, u):
        xp = namespace(u)
        return self.domain.reach(xp.exp(u))

    def step(self, u, g, eta):
        tp = self.domain
        xp = namespace(u)
        q = eta * g
        if not tp._is_numpy(xp):
            return self._step_generic(xp, u, q)
        out = np.zeros_like(u)
        q = np.array(q, copy=True)
        for d in range(len(tp.levels) - 1, -1, -1):
            L = tp.levels[d]
            logits = u[L.seqs] - q[L.seqs]
            m = np.maximum.reduceat(logits, L.seg)
            lse = m + np.log(np.add.reduceat(np.exp(logits - m[L.owner]), L.seg))
            out[L.seqs] = logits - lse[L.owner]
            q = tp._add_children(xp, q, L, -lse)
        return out

    def _step_generic(self, xp, u, q):
        tp = self.domain
        parts = [None] * len(tp.levels)
        for d in range(len(tp.levels) - 1, -1, -1):
            L = tp.levels[d]
            logits = u[L.seqs] - q[L.seqs]
            own = tp._idx(L.owner, u)
            m = tp._segment(xp, "max", logits, L.seg, logits.shape[0])
            e = xp.exp(logits - xp.take(m, own, axis=0))
            lse = m + xp.log(tp._segment(xp, "sum", e, L.seg, e.shape[0]))
            parts[d] = logits - xp.take(lse, own, axis=0)
            q = tp._add_children(xp, q, L, -lse)
        return xp.concat([xp.zeros(1, dtype=u.dtype)] + parts)

    def divergence(self, ua, ub, za=None):
        xp = namespace(ua)
        za = self.point(ua) if za is None else za
        return xp.sum(za * (ua - ub))

    def divergence_slack(self, ua, ub, za=None):
        xp = namespace(ua)
        za = self.point(ua) if za is None else za
        # plus the mass defect of every set (each sums to its parent up to rounding)
        return xp.sum(za * xp.abs(ua - ub)) + float(self.domain.n_sets + 1)
