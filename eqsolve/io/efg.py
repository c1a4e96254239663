"""Gambit ``.efg`` files (extensive games), read and written exactly.

The format (Gambit documentation, "The extensive game (.efg) file format"):
a prologue

.. code-block:: text

    EFG 2 R "title" { "Player 1" "Player 2" } "optional comment"

then the nodes of the tree in prefix order (a node, then the subtrees of its
children from first to last), one entry each:

* ``c "node label" set "set label" { "a" 1/2 "b" 0.5 } outcome ...`` -- a
  chance node of chance information set ``set`` with its actions and their
  probabilities;
* ``p "node label" player set "set label" { "a" "b" } outcome ...`` -- a
  decision node of ``player`` (1-based) at her information set ``set``;
* ``t "node label" outcome ...`` -- a terminal node;

where ``outcome ...`` is an outcome number, ``0`` for none, optionally
followed by its label and payoffs ``"label" { u_1, ..., u_N }``.  The second
and later nodes of an information set (or of an outcome) may omit its
description; a description that is repeated must match the first exactly.
Outcomes at nonterminal nodes are incremental: a play's payoff is the sum of
the outcomes met along it, the terminal node's included.

Numbers (integers, decimals, exponents, rationals ``p/q``) are read exactly
as :class:`~fractions.Fraction`.  Chance probabilities must be non-negative
and sum to one within :data:`PROBABILITY_TOLERANCE`; decimals that sum to one
only up to rounding (as OpenSpiel's ``export_gambit`` writes ``1/3`` as
``0.3333333333333333``) are kept as written in the tree and normalised,
exactly, when the game is built, the effect of that normalisation being added
to the certificate (see :func:`chance_rounding_bound`).

:func:`parse_efg` / :func:`read_efg` return an
:class:`~eqsolve.problems.ExtensiveFormGame` with the parsed tree attached as
``game.tree`` (an :class:`EFGTree`), which :func:`write_efg` writes back with
the exact numbers, so ``parse_efg(format_efg(g))`` is the same game.
:func:`parse_efg_tree` reads any ``.efg`` file (any number of players, any
payoffs) into an :class:`EFGTree` without building a game.

Information sets are keyed ``(player, number)`` with the file's numbers
(player 1-based); action labels are those of the file made unique and
non-empty within each set as Gambit does (``""`` becomes ``"_1"``, a repeated
``"x"`` becomes ``"x_1"``, ``"x_2"``).

References
----------
.. [1] R. D. McKelvey, A. M. McLennan and T. L. Turocy, *Gambit: Software Tools
   for Game Theory*, "Game representation formats", https://www.gambit-project.org.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from ..problems import _exact
from .nfg import GameFileError, read_text
from ..problems._exact import format_rational
from ..problems.extensive_form import ExtensiveFormGame, SequenceFormBuilder

__all__ = ["read_efg", "parse_efg", "parse_efg_tree", "write_efg", "format_efg", "EFGParseError",
           "EFGTree", "EFGNode", "EFGOutcome", "tree_to_game", "chance_rounding_bound",
           "PROBABILITY_TOLERANCE"]

#: chance probabilities at a node must sum to one within this (absolute, i.e. relative to 1)
PROBABILITY_TOLERANCE = 1e-6
# a leaf's payoff (a sum of outcomes) must be a finite float64
_MAX_PAYOFF = Fraction(sys.float_info.max)

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n\f\v]+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>[+-]?(?:\d+/\d+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?))(?![A-Za-z0-9./])
  | (?P<punct>[{},])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.X | re.S | re.ASCII)
_ESCAPE = re.compile(r"\\(.)", re.S)


class EFGParseError(GameFileError):
    """A malformed or unusable ``.efg`` file: says where (line, column) and what is wrong."""


# -- the tree -----------------------------------------------------------------
@dataclass(frozen=True)
class EFGOutcome:
    """An outcome: its number in the file, label and one exact payoff per player."""

    number: int
    label: str
    payoffs: tuple


@dataclass(frozen=True)
class EFGNode:
    """One node of an :class:`EFGTree`, with its information set resolved.

    Attributes
    ----------
    kind : {"c", "p", "t"}
        Chance, personal (decision) or terminal.
    label : str
    player : int
        The owner of a personal node (1-based); 0 for chance and terminal nodes.
    infoset : int
        The information set's number within its player (chance nodes: within
        chance); 0 for terminal nodes.
    infoset_label : str
    actions : tuple of str
        The action labels as written (empty for terminal nodes); the node has
        one child per action, in this order.
    probs : tuple of Fraction
        Chance nodes: the probabilities as written; empty otherwise.
    outcome : int
        The outcome attached to the node (0: none).
    line, column : int
        Where the node starts in the text it was read from (not compared).
    """

    kind: str
    label: str = ""
    player: int = 0
    infoset: int = 0
    infoset_label: str = ""
    actions: tuple = ()
    probs: tuple = ()
    outcome: int = 0
    line: int = field(default=0, compare=False, repr=False)
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class EFGTree:
    """An extensive game as written in a ``.efg`` file: immutable, exact.

    Attributes
    ----------
    title, comment : str
    players : tuple of str
    nodes : tuple of EFGNode
        The nodes in prefix order (a node, then its children's subtrees in
        action order), as in the file.
    outcomes : tuple of EFGOutcome
        The outcomes, in order of first appearance.
    """

    title: str
    players: tuple
    comment: str
    nodes: tuple
    outcomes: tuple
    players_line: int = field(default=0, compare=False, repr=False)

    def __post_init__(self):
        """Checks that the nodes form one tree in prefix order and refer only to outcomes
        listed with one payoff per player (trees built by hand get told what is wrong)."""
        for name in ("players", "nodes", "outcomes"):
            if not isinstance(getattr(self, name), tuple):
                raise TypeError(f"EFGTree.{name} must be a tuple, got "
                                f"{type(getattr(self, name)).__name__}")
        n = len(self.players)
        numbers = set()
        for o in self.outcomes:
            if not isinstance(o, EFGOutcome):
                raise TypeError(f"EFGTree.outcomes must hold EFGOutcome, got {type(o).__name__}")
            if o.number < 1 or o.number in numbers:
                raise ValueError(f"outcome numbers must be positive and distinct, got {o.number}")
            if len(o.payoffs) != n:
                raise ValueError(f"outcome {o.number} has {len(o.payoffs)} payoffs for {n} players")
            numbers.add(o.number)
        pending = 1
        for i, node in enumerate(self.nodes):
            if not isinstance(node, EFGNode):
                raise TypeError(f"EFGTree.nodes must hold EFGNode, got {type(node).__name__}")
            if pending == 0:
                raise ValueError(f"node {i + 1} follows a complete tree (nodes are listed in "
                                 "prefix order, one child per action)")
            if node.kind not in ("c", "p", "t"):
                raise ValueError(f"node {i + 1} has kind {node.kind!r}; expected 'c', 'p' or 't'")
            if (node.kind == "t") != (len(node.actions) == 0):
                raise ValueError(f"node {i + 1}: terminal nodes have no actions, others at least one")
            if node.kind == "c":
                if len(node.probs) != len(node.actions):
                    raise ValueError(f"chance node {i + 1} has {len(node.probs)} probabilities "
                                     f"for {len(node.actions)} actions")
                if any(p < 0 for p in node.probs):
                    raise ValueError(f"chance node {i + 1} has a negative probability")
                if abs(sum(node.probs, Fraction(0)) - 1) > PROBABILITY_TOLERANCE:
                    raise ValueError(f"the probabilities of chance node {i + 1} do not sum to 1 "
                                     f"(within {PROBABILITY_TOLERANCE:g})")
            if node.kind == "p" and not 1 <= node.player <= n:
                raise ValueError(f"node {i + 1} belongs to player {node.player}; the players "
                                 f"are 1..{n}")
            if node.outcome and node.outcome not in numbers:
                raise ValueError(f"node {i + 1} refers to outcome {node.outcome}, which is not "
                                 "in outcomes")
            pending += len(node.actions) - 1
        if pending:
            raise ValueError(f"the tree is incomplete: {pending} more node(s) needed")

    def outcome(self, number: int) -> EFGOutcome | None:
        """The outcome numbered ``number`` (``None`` for 0, the null outcome)."""
        if number == 0:
            return None
        table = self.__dict__.get("_table")
        if table is None:
            table = {o.number: o for o in self.outcomes}
            object.__setattr__(self, "_table", table)
        return table[number]

    def leaf_payoffs(self):
        """``(index, payoffs)`` for every terminal node (prefix order): the exact
        sum of the outcomes on the path from the root, the node's own included."""
        n = len(self.players)
        zero = (Fraction(0),) * n
        out = []
        stack = [zero]
        for i, node in enumerate(self.nodes):
            acc = stack.pop()
            o = self.outcome(node.outcome)
            if o is not None:
                acc = tuple(a + b for a, b in zip(acc, o.payoffs))
            if node.kind == "t":
                out.append((i, acc))
            else:
                stack.extend([acc] * len(node.actions))
        return out


# -- reading ------------------------------------------------------------------
class _Tokens:
    """The tokens of a text, with line and column computed only when needed."""

    def __init__(self, text: str, source):
        self.text, self.source = text, source
        self.pos = 0
        self.kind = self.value = None
        self.start = 0
        self._mark = (0, 1)         # (position, its line): lines are counted forward from here
        self.advance()

    def where(self, pos=None):
        pos = self.start if pos is None else pos
        at, line = self._mark
        if pos < at:
            at, line = 0, 1
        line += self.text.count("\n", at, pos)
        self._mark = (pos, line)
        return line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1

    def fail(self, message, pos=None):
        line, col = self.where(pos)
        raise EFGParseError(message, line, col, self.source)

    def describe(self):
        if self.kind == "eof":
            return "the end of the file"
        shown = self.value if len(self.value) <= 30 else self.value[:27] + "..."
        return f"the string {shown!r}" if self.kind == "string" else repr(shown)

    def advance(self):
        text, n = self.text, len(self.text)
        while True:
            if self.pos >= n:
                self.kind, self.value, self.start = "eof", "", n
                return
            m = _TOKEN.match(text, self.pos)
            if m is None:
                if text[self.pos] == '"':
                    self.fail("unterminated string (a closing double quote is missing)", self.pos)
                bad = (text[self.pos:self.pos + 12].split() or [text[self.pos]])[0]
                self.fail(f"unexpected characters {bad!r}: expected a number, a quoted string, "
                          "a node type (c, p, t), '{' or '}'", self.pos)
            kind = m.lastgroup
            self.pos = m.end()
            if kind == "ws":
                continue
            self.start = m.start()
            self.kind = kind if kind != "punct" else m.group()
            value = m.group()
            if kind == "string":
                value = value[1:-1]
                if "\\" in value:
                    value = _ESCAPE.sub(r"\1", value)
            self.value = value
            return

    def expected(self, what):
        self.fail(f"expected {what}, got {self.describe()}")

    def take(self, kind, what):
        if self.kind != kind:
            self.expected(what)
        value = self.value
        self.advance()
        return value

    def number(self, what) -> Fraction:
        start = self.start
        text = self.take("number", what)
        try:
            return _exact.parse_rational(text)
        except ValueError as exc:
            self.fail(str(exc), start)

    def integer(self, what, *, positive=False) -> int:
        if self.kind != "number" or not self.value.isdigit() or len(self.value) > 18:
            self.expected(what)
        value = int(self.value)
        if positive and value < 1:
            self.expected(what)
        self.advance()
        return value


def _parse(text: str, source) -> EFGTree:
    t = _Tokens(text, source)
    if t.kind != "word" or t.value != "EFG":
        t.expected("'EFG' (a Gambit extensive-game file starts with EFG 2 R)")
    t.advance()
    if t.kind != "number" or t.value != "2":
        t.expected("the format version 2 after 'EFG'")
    t.advance()
    if t.kind != "word" or t.value not in ("R", "D"):
        t.expected("'R' or 'D' (the number type) after 'EFG 2'")
    t.advance()
    title = t.take("string", "the game's title as a quoted string")
    players_line = t.where()[0]
    t.take("{", "'{' opening the list of players")
    players = []
    while t.kind == "string":
        players.append(t.value)
        t.advance()
    t.take("}", "a quoted player name or '}' closing the list of players")
    n = len(players)
    comment = ""
    if t.kind == "string":
        comment = t.value
        t.advance()

    personal: dict = {}     # (player, number) -> (label, actions)
    chance: dict = {}       # number -> (label, actions, probs)
    outcomes: dict = {}     # number -> EFGOutcome
    nodes = []
    pending = 1             # nodes still to read before the tree is complete
    while pending:
        if t.kind == "eof":
            t.fail(f"the tree is incomplete: {pending} more node(s) expected (every chance or "
                   "personal node has one child per action)")
        line, col = t.where()
        kind = t.value if t.kind == "word" else None
        if kind not in ("c", "p", "t"):
            t.expected("a node: 'c' (chance), 'p' (personal) or 't' (terminal)")
        t.advance()
        label = t.take("string", "the node's label as a quoted string")
        player = number = 0
        set_label, actions, probs = "", (), ()
        if kind == "p":
            ppos = t.start
            player = t.integer("the number of the player who moves (a positive integer)",
                               positive=True)
            if player > n:
                t.fail(f"player {player} does not exist: the file lists {n} player(s)", ppos)
        if kind in ("c", "p"):
            npos = t.start
            number = t.integer("the information set's number (a positive integer)",
                               positive=True)
            spos = t.start
            table_key = number if kind == "c" else (player, number)
            known = (chance if kind == "c" else personal).get(table_key)
            what = (f"chance information set {number}" if kind == "c"
                    else f"information set {number} of player {player}")
            if t.kind == "string":
                set_label = t.value
                t.advance()
                t.take("{", f"'{{' opening the actions of {what}")
                acts, ps = [], []
                while t.kind == "string":
                    acts.append(t.value)
                    t.advance()
                    if kind == "c":
                        ppos = t.start
                        p = t.number(f"the probability of action {acts[-1]!r} (a number)")
                        if p < 0:
                            t.fail(f"the probability of action {acts[-1]!r} of {what} is "
                                   f"negative ({format_rational(p)})", ppos)
                        ps.append(p)
                if not acts:
                    t.expected(f"a quoted action label ({what} needs at least one action)")
                t.take("}", "a quoted action label or '}' closing the actions")
                actions, probs = tuple(acts), tuple(ps)
                if known is None:
                    if kind == "c":
                        total = sum(probs, Fraction(0))
                        if abs(total - 1) > PROBABILITY_TOLERANCE:
                            t.fail(f"the probabilities of {what} (node {label!r}) sum to "
                                   f"{_approx(total)}, not 1 (within "
                                   f"{PROBABILITY_TOLERANCE:g})", npos)
                        chance[number] = (set_label, actions, probs)
                    else:
                        personal[table_key] = (set_label, actions)
                elif known != ((set_label, actions, probs) if kind == "c" else (set_label, actions)):
                    t.fail(f"{what} is described differently than where it first appears "
                           "(label, actions and probabilities must match exactly, or be omitted)",
                           spos)
            elif known is None:
                t.fail(f"{what} is used before it is described (its first node must give its "
                       "label and actions)", npos)
            else:
                set_label, actions = known[0], known[1]
                probs = known[2] if kind == "c" else ()
        opos = t.start
        outcome = t.integer("the outcome's number (0 for none)")
        if t.kind == "string":
            if outcome == 0:
                t.fail("the null outcome 0 cannot have a label or payoffs", opos)
            o_label = t.value
            t.advance()
            t.take("{", f"'{{' opening the payoffs of outcome {outcome}")
            pays = []
            for i in range(n):
                if i and t.kind == ",":
                    t.advance()
                pays.append(t.number(f"the payoff of player {i + 1} in outcome {outcome} "
                                     f"({n} payoffs, one per player)"))
            t.take("}", f"'}}' closing the {n} payoffs of outcome {outcome}")
            o = EFGOutcome(outcome, o_label, tuple(pays))
            if outcome not in outcomes:
                outcomes[outcome] = o
            elif outcomes[outcome] != o:
                t.fail(f"outcome {outcome} is described differently than where it first "
                       "appears (label and payoffs must match exactly, or be omitted)", opos)
        elif outcome and outcome not in outcomes:
            t.fail(f"outcome {outcome} is used before it is described (give its label and "
                   "payoffs where it first appears)", opos)
        nodes.append(EFGNode(kind, label, player, number, set_label, actions, probs, outcome,
                             line, col))
        pending += len(actions) - 1
    if t.kind != "eof":
        t.expected("the end of the file (the tree is complete)")
    return EFGTree(title, tuple(players), comment, tuple(nodes), tuple(outcomes.values()),
                   players_line)


def parse_efg_tree(text: str, *, source: str | None = None) -> EFGTree:
    """Parse the text of a ``.efg`` file into an :class:`EFGTree` (any players and payoffs).

    Raises
    ------
    EFGParseError
        With the line and column of the first thing that does not fit and
        what was expected there.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _parse(text, source)


# -- the sequence form --------------------------------------------------------
def _normalize_labels(labels) -> tuple:
    """Gambit's rule: a label that is empty or repeated becomes ``label_k`` (k = 1, 2, ...,
    skipping names already present), so that labels are unique and non-empty."""
    counts = Counter(labels)
    used = set(labels)
    seen: Counter = Counter()
    out = []
    for lab in labels:
        if counts[lab] == 1 and lab != "":
            out.append(lab)
            continue
        while True:
            seen[lab] += 1
            cand = f"{lab}_{seen[lab]}"
            if cand not in used:
                break
        used.add(cand)
        out.append(cand)
    return tuple(out)


def _approx(v: Fraction) -> str:
    try:
        return f"{float(v):.12g}"
    except OverflowError:
        return "more than 1e308"


def _node_name(node: EFGNode, index: int) -> str:
    what = {"c": "chance node", "p": "decision node", "t": "terminal node"}[node.kind]
    return f"the {what} on line {node.line}" if node.line else f"{what} {index + 1} (prefix order)"


def _up(v: float) -> float:
    return math.nextafter(v, math.inf)


def chance_rounding_bound(tree: EFGTree) -> float:
    """A bound on how much normalising the chance probabilities moves any payoff.

    Let ``p`` be a chance node's probabilities as written, ``S`` their sum and
    ``p' = p / S`` the normalised ones.  For any behaviour strategies, the
    expected payoff to player 1 below a node ``v`` with the file's numbers,
    ``V(v)``, and with the normalised ones, ``V'(v)``, differ by at most
    ``E(v)``, where ``E`` is 0 at a leaf, the largest ``E`` of its children
    at a decision node (the behaviour probabilities sum to one), and at a
    chance node

    .. math::

        E(v) = \\sum_a p_a E(v_a) + |S - 1|\\, M(v),

    because ``V(v) - V'(v) = \\sum_a p_a (V(v_a) - V'(v_a)) + (S - 1) V'(v)``
    and ``|V'(v)| <= M(v)``, the largest absolute payoff (player 1's, the sum
    of the outcomes along the play) of a leaf below ``v``.  So every
    ``x^T A y`` of the normalised sequence form is within ``E(root)`` of the
    file's, and the duality gap, a difference of two such values, within
    ``2 E(root)``.  Computed in floating point rounded upward at every step
    (all terms are non-negative), so the returned float is an upper bound.
    Zero when every chance node's probabilities sum to one exactly.
    """
    return _chance_rounding(tree, None)


def _chance_rounding(tree: EFGTree, leaves) -> float:
    if all(sum(node.probs, Fraction(0)) == 1 for node in tree.nodes if node.kind == "c"):
        return 0.0
    leaf = {i: abs(pay[0]) for i, pay in (tree.leaf_payoffs() if leaves is None else leaves)}
    stack = []          # (E, M) of the subtrees already seen, in reverse prefix order
    for i in range(len(tree.nodes) - 1, -1, -1):
        node = tree.nodes[i]
        if node.kind == "t":
            stack.append((0.0, _up(float(leaf[i]))))
            continue
        kids = [stack.pop() for _ in node.actions]      # first child on top
        m = max(k[1] for k in kids)
        if node.kind == "p":
            e = max(k[0] for k in kids)
        else:
            e = 0.0
            for p, (ek, _) in zip(node.probs, kids):
                if ek:
                    e = _up(e + _up(_up(float(p)) * ek))
            dev = abs(sum(node.probs, Fraction(0)) - 1)
            if dev:
                e = _up(e + _up(_up(float(dev)) * m))
        stack.append((e, m))
    return stack.pop()[0]


def tree_to_game(tree: EFGTree, source=None) -> ExtensiveFormGame:
    """The :class:`~eqsolve.problems.ExtensiveFormGame` of an :class:`EFGTree` (see :func:`parse_efg`).

    ``source`` names the file in error messages.
    """
    n = len(tree.players)
    if n != 2:
        why = ("a one-player game (a decision problem) has no opponent" if n == 1
               else "eqsolve solves two-player zero-sum games")
        raise EFGParseError(f"the file lists {n} player(s); ExtensiveFormGame takes two-player "
                            f"zero-sum (or constant-sum) games: {why}", tree.players_line or None,
                            1 if tree.players_line else None, source)
    # constant-sum check first, naming two leaves whose totals differ
    leaves = tree.leaf_payoffs()
    first = None
    for i, pay in leaves:
        total = pay[0] + pay[1]
        if any(abs(u) > _MAX_PAYOFF for u in pay):
            node = tree.nodes[i]
            raise EFGParseError(
                f"the payoffs at {_node_name(node, i)} (the sum of the outcomes along its play) "
                f"are beyond float64's range ({_approx(max(abs(u) for u in pay))}); rescale the "
                "payoffs", node.line or None, node.column or None, source)
        if first is None:
            first = (i, total)
        elif total != first[1]:
            a, b = tree.nodes[first[0]], tree.nodes[i]
            raise EFGParseError(
                "the game is not zero-sum or constant-sum: the payoffs at "
                f"{_node_name(a, first[0])} add up to {format_rational(first[1])}, at "
                f"{_node_name(b, i)} to {format_rational(total)}; ExtensiveFormGame takes "
                "two-player zero-sum or constant-sum games (a general-sum game needs a different "
                "solution concept)", b.line or None, b.column or None, source)
    leaf_pay = dict(leaves)
    rounding = 2.0 * _chance_rounding(tree, leaves)
    b = SequenceFormBuilder()
    labels = {}
    one = Fraction(1)
    # an explicit stack (no recursion: trees may be deep): (seq1, seq2, reach, chance depth)
    stack = [(0, 0, one, 0)]
    for i, node in enumerate(tree.nodes):
        s1, s2, reach, depth = stack.pop()
        if node.kind == "t":
            pay = leaf_pay[i]
            b.leaf(s1, s2, reach, pay[0], pay[1], depth)
            continue
        k = len(node.actions)
        if node.kind == "c":
            total = sum(node.probs, Fraction(0))
            children = [(s1, s2, reach * (p / total), depth + 1) for p in node.probs]
        else:
            key = (node.player, node.infoset)
            # per node, so that the builder sees (and refuses) a set whose nodes differ
            acts = labels.get(node.actions)
            if acts is None:
                acts = labels[node.actions] = _normalize_labels(node.actions)
            own = s1 if node.player == 1 else s2
            try:
                first_seq = b.decision(node.player - 1, key, own, acts)
            except ValueError as exc:
                raise EFGParseError(str(exc), node.line or None, node.column or None,
                                    source) from None
            if node.player == 1:
                children = [(first_seq + j, s2, reach, depth) for j in range(k)]
            else:
                children = [(s1, first_seq + j, reach, depth) for j in range(k)]
        stack.extend(reversed(children))
    game = b.build(chance_rounding=rounding)
    game.tree = tree
    game.source = source
    return game


# -- public readers -----------------------------------------------------------
def parse_efg(text: str, *, source: str | None = None) -> ExtensiveFormGame:
    """Parse the text of a Gambit ``.efg`` file into an :class:`~eqsolve.problems.ExtensiveFormGame`.

    Parameters
    ----------
    text : str
    source : str, optional
        A name for error messages (the file name).

    Returns
    -------
    ExtensiveFormGame
        The sequence form, exact payoffs and chance probabilities rounded once
        to float64; ``game.tree`` is the parsed :class:`EFGTree`;
        ``game.chance_rounding`` is twice :func:`chance_rounding_bound` (0
        unless probabilities were normalised), added to every certificate.

    Raises
    ------
    EFGParseError
        (a ``ValueError``) for a malformed file -- with the line and column
        and what was expected -- and for a file that is not a two-player
        zero-sum or constant-sum game with perfect recall, saying why.

    Examples
    --------
    >>> g = parse_efg('EFG 2 R "pennies" { "1" "2" } '
    ...               'p "" 1 1 "" { "H" "T" } 0 '
    ...               'p "" 2 1 "" { "h" "t" } 0 t "" 1 "" { 1 -1 } t "" 2 "" { -1 1 } '
    ...               'p "" 2 1 "" { "h" "t" } 0 t "" 2 t "" 1')
    >>> g.X.dim, g.Y.dim, g.A.toarray().tolist()
    (3, 3, [[0.0, 0.0, 0.0], [0.0, 1.0, -1.0], [0.0, -1.0, 1.0]])
    >>> g.behavior(g.initial_point())[(2, 1)]
    {'h': 0.5, 't': 0.5}
    """
    return tree_to_game(parse_efg_tree(text, source=source), source)


def read_efg(source) -> ExtensiveFormGame:
    """Read a Gambit ``.efg`` file (see :func:`parse_efg`).

    Parameters
    ----------
    source : str, os.PathLike or file object
        A path, or an open text or binary file.

    Raises
    ------
    EFGParseError
        See :func:`parse_efg`.
    FileNotFoundError
        When the path does not exist.
    """
    text, name = read_text(source)
    return parse_efg(text, source=name)


# -- writing ------------------------------------------------------------------
def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_efg(game) -> str:
    """The text of a game's tree as a ``.efg`` file (see :func:`write_efg`)."""
    tree = game if isinstance(game, EFGTree) else getattr(game, "tree", None)
    if not isinstance(tree, EFGTree):
        raise TypeError(
            f"game must be an EFGTree or a game that carries one (read by read_efg, parse_efg or "
            f"from_pygambit), got {type(game).__name__}; the sequence form alone does not keep "
            "the game tree")
    out = io.StringIO()
    out.write(f"EFG 2 R {_quote(tree.title)} {{ {' '.join(_quote(p) for p in tree.players)} }}\n")
    out.write(_quote(tree.comment) + "\n\n")
    for node in tree.nodes:
        out.write(f"{node.kind} {_quote(node.label)} ")
        if node.kind == "p":
            out.write(f"{node.player} ")
        if node.kind != "t":
            out.write(f"{node.infoset} {_quote(node.infoset_label)} {{ ")
            if node.kind == "c":
                out.write(" ".join(f"{_quote(a)} {format_rational(p)}"
                                   for a, p in zip(node.actions, node.probs)))
            else:
                out.write(" ".join(_quote(a) for a in node.actions))
            out.write(" } ")
        o = tree.outcome(node.outcome)
        if o is None:
            out.write("0\n")
        else:
            pays = ", ".join(format_rational(v) for v in o.payoffs)
            out.write(f"{o.number} {_quote(o.label)} {{ {pays} }}\n")
    return out.getvalue()


def write_efg(game, target=None):
    """Write a game's tree as a Gambit ``.efg`` file, with its exact numbers.

    Parameters
    ----------
    game : ExtensiveFormGame with a ``tree`` (from :func:`read_efg`,
        :func:`parse_efg` or :func:`~eqsolve.io.from_pygambit`), or an
        :class:`EFGTree`
        Every node is written with its information set's and outcome's full
        description; probabilities are written as read (not normalised).
    target : str, os.PathLike or text file object, optional
        Where to write; when omitted the text is returned.

    Returns
    -------
    str or None
        The file's text when ``target`` is omitted.

    Examples
    --------
    >>> g = parse_efg('EFG 2 R "" { "A" "B" } c "" 1 "" { "x" 1/3 "y" 2/3 } 0 '
    ...               't "" 1 "" { 1, -1 } t "" 2 "" { -0.5, 0.5 }')
    >>> print(write_efg(g))
    EFG 2 R "" { "A" "B" }
    ""
    <BLANKLINE>
    c "" 1 "" { "x" 1/3 "y" 2/3 } 0
    t "" 1 "" { 1, -1 }
    t "" 2 "" { -0.5, 0.5 }
    <BLANKLINE>
    >>> parse_efg(write_efg(g)).tree == g.tree
    True
    """
    text = format_efg(game)
    if target is None:
        return text
    if isinstance(target, (str, os.PathLike)):
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
    elif hasattr(target, "write"):
        target.write(text)
    else:
        raise TypeError(f"target must be a path or a text file object, got {type(target).__name__}")
    return None
