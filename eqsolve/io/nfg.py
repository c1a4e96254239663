"""Gambit ``.nfg`` files (strategic games), payoff and outcome forms, read and written exactly.

The format (Gambit documentation, "Game representation formats"): a header

.. code-block:: text

    NFG 1 R "title" { "Player 1" "Player 2" } { 2 2 }

with either strategy counts (``{ 2 2 }``) or strategy labels
(``{ { "C" "D" } { "C" "D" } }``), an optional comment string, then the body:

* payoff form: one payoff per player for each pure profile, the profiles
  listed with the first player's strategy changing fastest;
* outcome form: a brace-enclosed list of outcomes ``{ "label" p_1, ..., p_N }``
  followed by one outcome number per profile (same order; ``0`` is the null
  outcome, all payoffs zero).

Whitespace (and commas between payoffs) is insignificant; inside double
quotes ``\\"`` is a quote.  Numbers are integers, decimals (``.80``,
``1e-3``) or rationals (``99/100``), read as exact
:class:`~fractions.Fraction`; writing prints integers, terminating decimals
and other rationals exactly, so ``read_nfg(write_nfg(g)) == g``.

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
from fractions import Fraction

import numpy as np

from ..problems import normal_form
from ..problems.normal_form import NormalFormGame

__all__ = ["read_nfg", "parse_nfg", "write_nfg", "format_nfg", "NFGParseError"]

_NUMBER = re.compile(r"[+-]?(?:\d+/\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
#: longest number token accepted (Python refuses to convert longer integer strings)
MAX_NUMBER_LENGTH = 4000


class NFGParseError(ValueError):
    """A malformed ``.nfg`` file: says where (line, column) and what was expected.

    Attributes
    ----------
    line, column : int
        1-based position of the offending token (``None`` when not tied to one).
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 source: str | None = None):
        self.line, self.column, self.source = line, column, source
        where = "" if line is None else f"line {line}, column {column}: "
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{where}{message}")


class _Token:
    __slots__ = ("kind", "text", "line", "col")

    def __init__(self, kind, text, line, col):
        self.kind, self.text, self.line, self.col = kind, text, line, col

    def describe(self) -> str:
        if self.kind == "eof":
            return "the end of the file"
        # long tokens are cut so that the message stays readable
        shown = repr(self.text if len(self.text) <= 30 else self.text[:27] + "...")
        return f"the string {shown}" if self.kind == "string" else shown


def _tokenize(text: str, source):
    """Yield tokens; a stray character or an unterminated string is a parse error."""
    pos, line, line_start, n = 0, 1, 0, len(text)
    while pos < n:
        m = _SPACE.match(text, pos)
        if m:
            chunk = m.group()
            nl = chunk.count("\n")
            if nl:
                line += nl
                line_start = pos + chunk.rfind("\n") + 1
            pos = m.end()
            continue
        col = pos - line_start + 1
        c = text[pos]
        if c in "{},":
            yield _Token(c, c, line, col)
            pos += 1
        elif c == '"':
            start_line, start_col = line, col
            buf = []
            pos += 1
            while True:
                if pos >= n:
                    raise NFGParseError("unterminated string (a closing double quote is missing)",
                                        start_line, start_col, source)
                ch = text[pos]
                if ch == "\\" and pos + 1 < n:
                    buf.append(text[pos + 1])
                    if text[pos + 1] == "\n":
                        line += 1
                        line_start = pos + 2
                    pos += 2
                    continue
                if ch == '"':
                    pos += 1
                    break
                if ch == "\n":
                    line += 1
                    line_start = pos + 1
                buf.append(ch)
                pos += 1
            yield _Token("string", "".join(buf), start_line, start_col)
        else:
            m = _NUMBER.match(text, pos)
            if m and not (m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "./")):
                yield _Token("number", m.group(), line, col)
                pos = m.end()
                continue
            m = _WORD.match(text, pos)
            if m:
                yield _Token("word", m.group(), line, col)
                pos = m.end()
                continue
            bad = text[pos:pos + 12].split()[0] if text[pos:pos + 12].split() else c
            raise NFGParseError(f"unexpected characters {bad!r}: expected a number, a quoted "
                                "string, '{' or '}'", line, col, source)
    col = pos - line_start + 1
    yield _Token("eof", "", line, col)


class _Parser:
    def __init__(self, text: str, source, max_contingencies: int):
        self.tokens = _tokenize(text, source)
        self.source = source
        self.max_contingencies = max_contingencies
        self.tok = next(self.tokens)

    def error(self, expected: str, tok=None):
        tok = tok or self.tok
        raise NFGParseError(f"expected {expected}, got {tok.describe()}", tok.line, tok.col, self.source)

    def advance(self):
        tok = self.tok
        self.tok = next(self.tokens)
        return tok

    def expect(self, kind: str, expected: str, text: str | None = None):
        if self.tok.kind != kind or (text is not None and self.tok.text != text):
            self.error(expected)
        return self.advance()

    def number(self, expected: str) -> Fraction:
        tok = self.expect("number", expected)
        if len(tok.text) > MAX_NUMBER_LENGTH:
            raise NFGParseError(f"a number of {len(tok.text)} characters is too long (at most "
                                f"{MAX_NUMBER_LENGTH})", tok.line, tok.col, self.source)
        try:
            return Fraction(tok.text)
        except ZeroDivisionError:
            raise NFGParseError(f"the rational {tok.text!r} has a zero denominator", tok.line, tok.col,
                                self.source) from None

    def count(self, expected: str) -> int:
        tok = self.tok
        if tok.kind != "number" or not tok.text.isdigit():
            self.error(expected)
        self.advance()
        if len(tok.text) > 18:
            raise NFGParseError(f"{expected[0].upper()}{expected[1:]}: a {len(tok.text)}-digit "
                                "number is far too large", tok.line, tok.col, self.source)
        value = int(tok.text)
        if value < 1:
            raise NFGParseError(f"expected {expected}, got {value}", tok.line, tok.col, self.source)
        return value

    def strings_in_braces(self, what: str) -> list[str]:
        self.expect("{", f"'{{' opening the list of {what}")
        out = []
        while self.tok.kind == "string":
            out.append(self.advance().text)
        self.expect("}", f"a quoted {what[:-1]} name or '}}' closing the list of {what}")
        return out

    def parse(self):
        self.expect("word", "'NFG' (a Gambit strategic-game file starts with NFG 1 R)", "NFG")
        version = self.tok
        if version.kind != "number" or version.text != "1":
            self.error("the format version 1 after 'NFG'")
        self.advance()
        if self.tok.kind != "word" or self.tok.text not in ("R", "D"):
            self.error("'R' or 'D' (the number type) after 'NFG 1'")
        self.advance()
        title = self.expect("string", "the game's title as a quoted string").text
        start = self.tok
        players = self.strings_in_braces("players")
        if not players:
            self.error("at least one player name", start)
        n = len(players)
        if n > normal_form.MAX_PLAYERS:
            raise NFGParseError(f"the file lists {n} players, more than the supported "
                                f"{normal_form.MAX_PLAYERS}", start.line, start.col, self.source)
        strat_start = self.tok
        self.expect("{", "'{' opening the strategy counts or labels")
        if self.tok.kind == "{":
            strategies = []
            for i in range(n):
                labels_tok = self.tok
                labels = self.strings_in_braces("strategies")
                if not labels:
                    self.error(f"at least one strategy for player {i + 1}", labels_tok)
                strategies.append(labels)
            shape = [len(s) for s in strategies]
        else:
            shape = [self.count(f"a strategy count for player {i + 1} (a positive integer)")
                     for i in range(n)]
            strategies = None
        self.expect("}", f"'}}' closing the strategies of the {n} players")
        size = math.prod(shape)
        if size > self.max_contingencies:
            raise NFGParseError(
                f"the game has {size} pure-strategy profiles (strategy counts {shape}), more than "
                f"the limit max_contingencies = {self.max_contingencies}; pass a larger "
                "max_contingencies to read_nfg if you have the memory",
                strat_start.line, strat_start.col, self.source)
        if strategies is None:
            strategies = [[str(k + 1) for k in range(s)] for s in shape]
        comment = self.advance().text if self.tok.kind == "string" else ""
        if self.tok.kind == "{":
            payoffs, outcomes, index = self.outcome_body(n, shape, size)
        else:
            payoffs, outcomes, index = self.payoff_body(n, shape, size), None, None
        if self.tok.kind != "eof":
            self.error("the end of the file (the game is complete)")
        game = NormalFormGame(payoffs, players=players, strategies=strategies, title=title,
                              comment=comment)
        if outcomes is not None:
            game.outcomes = outcomes
            game.outcome_index = index
        return game

    def payoff_body(self, n, shape, size):
        flat = []
        for k in range(size):
            for i in range(n):
                if self.tok.kind == "," and flat:
                    self.advance()
                flat.append(self.number(
                    f"the payoff of player {i + 1} at pure profile {k + 1} of {size} (a number)"))
        return self._tensor(np.array(flat, dtype=object).reshape(size, n), n, shape)

    def outcome_body(self, n, shape, size):
        self.expect("{", "'{' opening the list of outcomes")
        outcomes = []
        while self.tok.kind == "{":
            self.advance()
            label = self.expect("string", f"the quoted label of outcome {len(outcomes) + 1}").text
            pays = []
            for i in range(n):
                if i and self.tok.kind == ",":
                    self.advance()
                pays.append(self.number(f"the payoff of player {i + 1} in outcome {len(outcomes) + 1}"))
            self.expect("}", f"'}}' closing outcome {len(outcomes) + 1} ({n} payoffs, one per player)")
            outcomes.append((label, tuple(pays)))
        self.expect("}", "'{' opening an outcome or '}' closing the list of outcomes")
        index = []
        zero = (Fraction(0),) * n
        rows = []
        for k in range(size):
            tok = self.tok
            if tok.kind != "number" or not tok.text.isdigit():
                self.error(f"the outcome number of pure profile {k + 1} of {size} "
                           f"(an integer from 0 to {len(outcomes)})")
            j = int(tok.text)
            if j > len(outcomes):
                raise NFGParseError(f"outcome {j} does not exist: the file defines {len(outcomes)} "
                                    "outcomes (0 is the null outcome)", tok.line, tok.col, self.source)
            self.advance()
            index.append(j)
            rows.append(outcomes[j - 1][1] if j else zero)
        flat = np.empty((size, n), dtype=object)
        for k, r in enumerate(rows):
            flat[k, :] = r
        idx = np.array(index, dtype=np.int64).reshape(tuple(reversed(shape))).transpose()
        return self._tensor(flat, n, shape), outcomes, idx

    @staticmethod
    def _tensor(flat, n, shape):
        # profiles are listed with player 1 fastest: reshape reversed, then reverse the axes
        out = []
        for i in range(n):
            out.append(flat[:, i].reshape(tuple(reversed(shape))).transpose())
        return np.stack(out)


def parse_nfg(text: str, *, max_contingencies: int | None = None, source: str | None = None):
    """Parse the text of a Gambit ``.nfg`` file into a :class:`~eqsolve.problems.NormalFormGame`.

    Parameters
    ----------
    text : str
    max_contingencies : int, optional
        Refuse games with more pure-strategy profiles than this (default
        :data:`eqsolve.problems.normal_form.MAX_CONTINGENCIES`, one million).
    source : str, optional
        A name for error messages (the file name).

    Raises
    ------
    NFGParseError
        With the line and column of the first token that does not fit and
        what was expected there.

    Examples
    --------
    >>> g = parse_nfg('NFG 1 R "Matching pennies" { "Row" "Column" } { 2 2 } '
    ...               '1 -1  -1 1  -1 1  1 -1')
    >>> g.players, g.shape, g.zero_sum
    (('Row', 'Column'), (2, 2), True)
    >>> parse_nfg('NFG 1 R "" { "A" } { 2 } 1')
    Traceback (most recent call last):
    ...
    eqsolve.io.nfg.NFGParseError: line 1, column 27: expected the payoff of player 1 at pure profile 2 of 2 (a number), got the end of the file
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    limit = normal_form.MAX_CONTINGENCIES if max_contingencies is None else max_contingencies
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"max_contingencies must be a positive integer, got {max_contingencies!r}")
    return _Parser(text, source, limit).parse()


def read_nfg(source, *, max_contingencies: int | None = None):
    """Read a Gambit ``.nfg`` file (payoff or outcome form, any number of players).

    Parameters
    ----------
    source : str, os.PathLike or file object
        A path, or an open text or binary file.
    max_contingencies : int, optional
        See :func:`parse_nfg`.

    Returns
    -------
    NormalFormGame
        With the players' and strategies' labels, the title, the comment and
        the exact payoffs; ``.to_problem()`` gives a ``MatrixGame`` or
        ``BimatrixGame`` for two players.

    Raises
    ------
    NFGParseError
        For a malformed file (a ``ValueError``), naming line and column.
    FileNotFoundError
        When the path does not exist.

    Examples
    --------
    >>> import io
    >>> g = read_nfg(io.StringIO('NFG 1 R "PD" { "1" "2" } { { "C" "D" } { "C" "D" } } "" '
    ...                          '{ { "" 3, 3 } { "" 5, 0 } { "" 0, 5 } { "" 1, 1 } } 1 2 3 4'))
    >>> g.strategies, g.payoffs[0].tolist()
    ((('C', 'D'), ('C', 'D')), [[3.0, 0.0], [5.0, 1.0]])
    """
    name = None
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        with open(name, "rb") as f:
            data = f.read()
    elif hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", None)
        name = name if isinstance(name, str) else None
    else:
        raise TypeError(f"source must be a path or a file object, got {type(source).__name__}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            # older Gambit versions wrote labels in Latin-1
            data = data.decode("latin-1")
    if not isinstance(data, str):
        raise TypeError(f"source.read() must return str or bytes, got {type(data).__name__}")
    return parse_nfg(data, max_contingencies=max_contingencies, source=name)


def _format_number(v: Fraction) -> str:
    """Exact text of a rational: an integer, a terminating decimal, or p/q."""
    p, q = v.numerator, v.denominator
    if q == 1:
        return str(p)
    twos = fives = 0
    r = q
    while r % 2 == 0:
        r //= 2
        twos += 1
    while r % 5 == 0:
        r //= 5
        fives += 1
    if r != 1:
        return f"{p}/{q}"
    k = max(twos, fives)
    digits = str(abs(p) * 10**k // q).rjust(k + 1, "0")
    text = f"{digits[:-k]}.{digits[-k:]}".rstrip("0")
    return ("-" if p < 0 else "") + text


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_nfg(game, *, form: str | None = None) -> str:
    """The text of ``game`` as a Gambit ``.nfg`` file (see :func:`write_nfg`)."""
    if not isinstance(game, NormalFormGame):
        raise TypeError(f"game must be a NormalFormGame, got {type(game).__name__}; "
                        "convert with eqsolve.io.from_nashpy / from_pygambit or build one")
    if form is None:
        form = "outcome" if game.outcomes is not None else "payoff"
    if form not in ("payoff", "outcome"):
        raise ValueError(f"form must be 'payoff', 'outcome' or None, got {form!r}")
    n = game.num_players
    out = io.StringIO()
    out.write(f"NFG 1 R {_quote(game.title)} {{ {' '.join(_quote(p) for p in game.players)} }}\n\n")
    out.write("{ ")
    out.write("\n".join("{ " + " ".join(_quote(s) for s in strat) + " }" for strat in game.strategies))
    out.write("\n}\n")
    out.write(_quote(game.comment) + "\n\n")
    # profiles in file order: player 1 fastest = C order of the axis-reversed tensor
    order = tuple(reversed(range(n)))
    if form == "payoff":
        flat = [game.exact_payoffs[i].transpose(order).ravel() for i in range(n)]
        size = flat[0].shape[0]
        out.write(" ".join(" ".join(_format_number(flat[i][k]) for i in range(n)) for k in range(size)))
        out.write("\n")
        return out.getvalue()
    if game.outcomes is not None:
        outcomes, index = game.outcomes, game.outcome_index
    else:
        # one outcome per distinct payoff vector, in file order
        seen, outcomes = {}, []
        size = math.prod(game.shape)
        flat = np.stack([game.exact_payoffs[i].transpose(order).ravel() for i in range(n)], axis=1)
        idx = []
        for k in range(size):
            key = tuple(flat[k])
            if key not in seen:
                outcomes.append(("", key))
                seen[key] = len(outcomes)
            idx.append(seen[key])
        index = np.array(idx, dtype=np.int64).reshape(tuple(reversed(game.shape))).transpose()
    out.write("{\n")
    for label, pays in outcomes:
        out.write("{ " + _quote(label) + " " + ", ".join(_format_number(p) for p in pays) + " }\n")
    out.write("}\n")
    out.write(" ".join(str(int(j)) for j in np.asarray(index).transpose(order).ravel()))
    out.write("\n")
    return out.getvalue()


def write_nfg(game, target=None, *, form: str | None = None):
    """Write ``game`` as a Gambit ``.nfg`` file, exactly.

    Parameters
    ----------
    game : NormalFormGame
    target : str, os.PathLike or text file object, optional
        Where to write; when omitted the text is returned.
    form : {"payoff", "outcome"}, optional
        The body's form.  By default the form the game was read in (outcome
        form keeps the outcome labels and numbering), else the payoff form.

    Returns
    -------
    str or None
        The file's text when ``target`` is omitted.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from eqsolve.problems import NormalFormGame
    >>> g = NormalFormGame([[[1, Fraction(1, 3)]], [[-1, "0.25"]]], players=["A", "B"])
    >>> print(write_nfg(g))
    NFG 1 R "" { "A" "B" }
    <BLANKLINE>
    { { "1" }
    { "1" "2" }
    }
    ""
    <BLANKLINE>
    1 -1 1/3 0.25
    <BLANKLINE>
    >>> parse_nfg(write_nfg(g)) == g
    True
    """
    text = format_nfg(game, form=form)
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
