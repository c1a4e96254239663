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
``1e-3``) or rationals (``99/100``), read exactly (int64 numerators and
denominators where they fit, :class:`~fractions.Fraction` elsewhere; see
:mod:`eqsolve.problems._exact`), after a check of their digit count and
exponent so that the work per byte is bounded; values beyond float64's range
are refused.  Writing prints integers, terminating decimals and other
rationals exactly, so ``read_nfg(write_nfg(g)) == g``.  Bodies are scanned
vectorised; the token parser takes over from the first thing the scanner does
not recognise, so every error names its line and column.

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

from ..problems import _exact, normal_form
from ..problems._exact import RationalArray, format_rational
from ..problems.normal_form import NormalFormGame

__all__ = ["read_nfg", "parse_nfg", "write_nfg", "format_nfg", "NFGParseError", "GameFileError", "read_text"]

_NUMBER = re.compile(r"[+-]?(?:\d+/\d+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_ONLY_SPACE = re.compile(r"[ \t\r\n\f\v]*\Z")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# one outcome ``{ "label" p_1, ..., p_N }`` whose payoffs are plain number text
_OUTCOME = re.compile(r'[ \t\r\n\f\v]*\{[ \t\r\n\f\v]*"((?:[^"\\]|\\.)*)"([ \t\r\n\f\v,0-9+\-.eE/]*)\}',
                      re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
#: longest number token accepted (Python refuses to convert longer integer strings)
MAX_NUMBER_LENGTH = _exact.MAX_NUMBER_LENGTH

# byte classes of the vectorised number scanner
_WS, _COMMA, _DIGIT, _SIGN, _DOT, _EXP, _SLASH, _OTHER = range(8)
_CLASS = np.full(256, _OTHER, dtype=np.uint8)
_CLASS[[ord(c) for c in " \t\r\n\f\v"]] = _WS
_CLASS[ord(",")] = _COMMA
_CLASS[ord("0"):ord("9") + 1] = _DIGIT
_CLASS[[ord("+"), ord("-")]] = _SIGN
_CLASS[ord(".")] = _DOT
_CLASS[[ord("e"), ord("E")]] = _EXP
_CLASS[ord("/")] = _SLASH
_POW10 = np.array([10 ** k for k in range(19)], dtype=np.int64)
_INT64_MAX = (1 << 63) - 1


class GameFileError(ValueError):
    """A malformed game file: says where (line, column) and what is wrong.

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


class NFGParseError(GameFileError):
    """A malformed ``.nfg`` file: says where (line, column) and what was expected."""


class _Token:
    __slots__ = ("kind", "text", "line", "col", "pos")

    def __init__(self, kind, text, line, col, pos):
        self.kind, self.text, self.line, self.col, self.pos = kind, text, line, col, pos

    def describe(self) -> str:
        if self.kind == "eof":
            return "the end of the file"
        # long tokens are cut so that the message stays readable
        shown = repr(self.text if len(self.text) <= 30 else self.text[:27] + "...")
        return f"the string {shown}" if self.kind == "string" else shown


def _tokenize(text: str, source, pos=0, line=1, line_start=0):
    """Yield tokens from ``pos``; a stray character or an unterminated string is a parse error."""
    n = len(text)
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
            yield _Token(c, c, line, col, pos)
            pos += 1
        elif c == '"':
            start_line, start_col, start = line, col, pos
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
            yield _Token("string", "".join(buf), start_line, start_col, start)
        else:
            m = _NUMBER.match(text, pos)
            if m and not (m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "./")):
                yield _Token("number", m.group(), line, col, pos)
                pos = m.end()
                continue
            m = _WORD.match(text, pos)
            if m:
                yield _Token("word", m.group(), line, col, pos)
                pos = m.end()
                continue
            bad = text[pos:pos + 12].split()[0] if text[pos:pos + 12].split() else c
            raise NFGParseError(f"unexpected characters {bad!r}: expected a number, a quoted "
                                "string, '{' or '}'", line, col, source)
    col = pos - line_start + 1
    yield _Token("eof", "", line, col, pos)


class _Scan:
    """The result of :func:`_scan_numbers`: the first ``count`` numbers that read cleanly."""

    __slots__ = ("num", "den", "big", "count", "resume", "starts", "commas")

    def __init__(self, num, den, big, count, resume, starts, commas):
        self.num, self.den, self.big, self.count = num, den, big, count
        self.resume, self.starts, self.commas = resume, starts, commas


def _empty_scan():
    z = np.zeros(0, dtype=np.int64)
    return _Scan(z, z.copy(), {}, 0, 0, z.copy(), z.copy())


def _scan_numbers(s: str, limit: int, *, integers_only: bool = False) -> _Scan:
    """Read up to ``limit`` whitespace- or comma-separated numbers from the start of ``s``, vectorised.

    The text is classified byte by byte with a lookup table; token boundaries,
    the number grammar (sign, digits, one point, one exponent, or p/q) and the
    comma rule (at most one between numbers, none before the first) are
    checked with cumulative sums, and integers of up to 18 digits are
    assembled from their digits with one ``reduceat``.  Longer numbers go
    through :func:`~eqsolve.problems._exact.parse_rational` one at a time.

    Scanning stops before the first thing that is not plainly a number in
    this grammar (a malformed token, a stray character, a second comma, a
    number out of range, a zero denominator); the caller hands the rest to the
    token parser, which reads what is valid and reports the rest with its line
    and column.  The work is a fixed number of passes over the bytes.
    """
    if limit <= 0 or not s:
        return _empty_scan()
    L = len(s)
    if not s.isascii():
        L = _NON_ASCII.search(s).start()
    b = np.frombuffer(s[:L].encode("ascii"), dtype=np.uint8)
    cls = _CLASS[b]
    stop_at = (cls == _OTHER) if not integers_only else ((cls != _WS) & (cls != _DIGIT))
    bad_pos = np.flatnonzero(stop_at)
    if bad_pos.size:
        L = int(bad_pos[0])
        b, cls = b[:L], cls[:L]
    isnum = cls >= _DIGIT
    edge = np.diff(isnum.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    if ends.size and ends[-1] == L and L < len(s):
        # the token runs into a character the scanner does not know ("12x"): not a number
        starts, ends = starts[:-1], ends[:-1]
    starts, ends = starts[:limit], ends[:limit]
    T = starts.size
    if T == 0:
        return _empty_scan()
    L = int(ends[-1])
    b, cls = b[:L], cls[:L]

    # int32 running counts halve the memory traffic of the passes below
    idx_t = np.int32 if L < 2**31 - 1 else np.int64

    def prefix(mask):
        out = np.zeros(L + 1, dtype=idx_t)
        np.cumsum(mask, out=out[1:])
        return out

    P_comma = prefix(cls == _COMMA)
    prev_end = np.concatenate(([0], ends[:-1]))
    commas = P_comma[starts] - P_comma[prev_end]
    bad = commas > 1
    bad[0] |= commas[0] > 0

    # token number of every byte (bytes between tokens get the previous token's)
    is_start = np.zeros(L, dtype=bool)
    is_start[starts] = True
    tid = np.cumsum(is_start, dtype=np.int64)
    tid -= 1
    special = np.flatnonzero(cls >= _SIGN)
    tok_of = tid[special]
    sc = cls[special]
    is_sign, is_dot, is_exp, is_slash = (sc == _SIGN), (sc == _DOT), (sc == _EXP), (sc == _SLASH)
    count = {c: np.bincount(tok_of[m], minlength=T)
             for c, m in ((_DOT, is_dot), (_EXP, is_exp), (_SLASH, is_slash))}
    bad |= (count[_DOT] > 1) | (count[_EXP] > 1) | (count[_SLASH] > 1)
    bad |= (count[_SLASH] > 0) & ((count[_DOT] + count[_EXP]) > 0)
    two_parts = bool(is_exp.any() or is_slash.any())

    def cls_at(pos):
        return cls[np.minimum(pos, L - 1)]

    st, en = starts[tok_of], ends[tok_of]
    prev_cls = cls[np.maximum(special - 1, 0)]
    nxt, nxt2 = special + 1, special + 2
    ok = np.ones(special.size, dtype=bool)
    ok[is_sign] = (special[is_sign] == st[is_sign]) | (prev_cls[is_sign] == _EXP)
    if two_parts:
        P_sep = prefix((cls == _EXP) | (cls == _SLASH))
        # a point comes before the exponent
        ok[is_dot] = P_sep[special[is_dot]] == P_sep[st[is_dot]]
        after = (nxt < en) & ((cls_at(nxt) == _DIGIT)
                              | ((cls_at(nxt) == _SIGN) & (nxt2 < en) & (cls_at(nxt2) == _DIGIT)))
        ok[is_exp] = ((special[is_exp] > st[is_exp]) & ((prev_cls[is_exp] == _DIGIT)
                                                         | (prev_cls[is_exp] == _DOT)) & after[is_exp])
        ok[is_slash] = ((special[is_slash] > st[is_slash]) & (prev_cls[is_slash] == _DIGIT)
                        & (nxt[is_slash] < en[is_slash]) & (cls_at(nxt[is_slash]) == _DIGIT))
    bad[tok_of[~ok]] = True

    # digits before the exponent / slash ("A") and after it ("B"), each with its place value
    is_digit = cls == _DIGIT
    digit = np.flatnonzero(is_digit)
    tok_d = tid[digit]
    end_d = ends[tok_d]
    dval = (b[digit] - ord("0")).astype(np.int64)
    if two_parts:
        in_b = P_sep[digit + 1] > P_sep[starts[tok_d]]
        isA = is_digit.copy()
        isA[digit[in_b]] = False
        P_A = prefix(isA)
        P_B = prefix(is_digit)
        P_B -= P_A
        rank = np.where(in_b, P_B[end_d] - P_B[digit + 1], P_A[end_d] - P_A[digit + 1])
    else:
        P_A = prefix(is_digit)
        rank = P_A[end_d] - P_A[digit + 1]
    contrib = np.zeros(L, dtype=np.int64)
    contrib[digit] = dval * _POW10[np.minimum(rank, 18)] * (rank <= 18)
    nA = P_A[ends] - P_A[starts]
    bad |= nA == 0
    if two_parts:
        nB = P_B[ends] - P_B[starts]
        cB = np.zeros(L, dtype=np.int64)
        cB[digit[in_b]] = contrib[digit[in_b]]
        contrib -= cB
        valB = np.add.reduceat(cB, starts)
    else:
        nB = np.zeros(T, dtype=np.int64)
        valB = nB
    valA = np.add.reduceat(contrib, starts)

    negative = b[starts] == ord("-")
    frac = np.zeros(T, dtype=np.int64)
    dots = special[is_dot]
    frac[tok_of[is_dot]] = P_A[ends[tok_of[is_dot]]] - P_A[dots + 1]
    exp_neg = np.zeros(T, dtype=bool)
    exps = special[is_exp]
    exp_neg[tok_of[is_exp]] = b[np.minimum(exps + 1, L - 1)] == ord("-")
    rational = count[_SLASH] > 0

    shift = np.where(exp_neg, -valB, valB) - frac      # value = A * 10**shift (decimals)
    slow = (nA > 18) | np.where(rational, nB > 18, nB > 4)
    dec = ~rational & ~slow
    up = dec & (shift >= 0)
    down = dec & (shift < 0)
    zero = valA == 0
    slow |= up & ~zero & ((shift > 18) | (valA > _INT64_MAX // _POW10[np.clip(shift, 0, 18)]))
    slow |= down & ~zero & (shift < -18)
    bad |= rational & ~slow & (valB == 0)
    num = np.where(negative, -valA, valA)
    den = np.ones(T, dtype=np.int64)
    fast_up = up & ~slow
    num[fast_up] *= _POW10[np.clip(shift[fast_up], 0, 18)]
    fast_down = down & ~slow
    den[fast_down] = _POW10[np.clip(-shift[fast_down], 0, 18)]
    fast_rat = rational & ~slow & ~bad
    den[fast_rat] = valB[fast_rat]
    first_bad = int(np.argmax(bad)) if bad.any() else T
    big = {}
    lo, hi = starts.tolist(), ends.tolist()
    parse = _exact.parse_rational
    for t in np.flatnonzero(slow[:first_bad]).tolist():
        try:
            f = parse(s[lo[t]:hi[t]])
        except ValueError:
            first_bad = t
            break
        p, q = f.numerator, f.denominator
        if -_INT64_MAX <= p <= _INT64_MAX and q <= _INT64_MAX:
            num[t], den[t] = p, q
        else:
            big[t] = f
            num[t], den[t] = 0, 1
    j = first_bad
    num, den = num[:j], den[:j]
    g = np.gcd(num, den)
    g[g == 0] = 1
    num //= g
    den //= g
    resume = int(ends[j - 1]) if j else 0
    return _Scan(num, den, big, j, resume, starts[:j], commas[:j])


def _concat(parts, width: int = 1) -> RationalArray:
    """One flat RationalArray from (RationalArray or list of Fractions) pieces."""
    nums, dens, big, offset = [], [], {}, 0
    for part in parts:
        if isinstance(part, list):
            part = RationalArray.from_fractions(part, (len(part),))
        nums.append(part.num.ravel())
        dens.append(part.den.ravel())
        big.update({k + offset: f for k, f in part.big.items()})
        offset += part.num.size
    return RationalArray(np.concatenate(nums) if nums else np.zeros(0, np.int64),
                         np.concatenate(dens) if dens else np.zeros(0, np.int64), big)


def _profile_positions(shape) -> np.ndarray:
    """For each profile in file order (player 1 fastest), its C-order position in ``shape``."""
    size = math.prod(shape)
    return np.arange(size, dtype=np.int64).reshape(shape).transpose(
        tuple(reversed(range(len(shape))))).ravel()


class _Parser:
    def __init__(self, text: str, source, max_contingencies: int):
        self.text = text
        self.source = source
        self.max_contingencies = max_contingencies
        self.seek(0)

    def seek(self, pos: int):
        """Continue tokenizing at character ``pos`` (where a fast scan left off)."""
        line = self.text.count("\n", 0, pos) + 1
        line_start = self.text.rfind("\n", 0, pos) + 1
        self.tokens = _tokenize(self.text, self.source, pos, line, line_start)
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
        try:
            return _exact.parse_rational(tok.text)
        except ValueError as exc:
            raise NFGParseError(str(exc), tok.line, tok.col, self.source) from None

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
            flat, table, index = self.outcome_body(n, shape, size)
        else:
            flat, table, index = self.payoff_body(n, size), None, None
        if self.tok.kind != "eof":
            self.error("the end of the file (the game is complete)")
        # file order (profile k, player i) -> the (N, s_1, ..., s_N) tensor
        prof = _profile_positions(tuple(shape))
        pos = np.empty((n, size), dtype=np.int64)
        pos[:, prof] = np.arange(size, dtype=np.int64)[None, :] * n + np.arange(n)[:, None]
        payoffs = flat.take_flat(pos.reshape((n,) + tuple(shape)))
        game = NormalFormGame(payoffs, players=players, strategies=strategies, title=title,
                              comment=comment)
        if table is not None:
            game._set_outcome_table(*table, index)
        return game

    def payoff_body(self, n, size) -> RationalArray:
        """The ``size * n`` payoffs in file order: a fast scan, then tokens from where it stopped."""
        total = size * n
        start = self.tok.pos
        scan = _scan_numbers(self.text[start:], total)
        self.seek(start + scan.resume)
        rest = []
        for t in range(scan.count, total):
            k, i = divmod(t, n)
            if self.tok.kind == "," and t:
                self.advance()
            rest.append(self.number(
                f"the payoff of player {i + 1} at pure profile {k + 1} of {size} (a number)"))
        return _concat([RationalArray(scan.num, scan.den, scan.big), rest])

    def _fast_outcomes(self, n):
        """Outcomes matched by one regular expression each, their payoffs scanned in one go.

        Returns the labels, their payoffs and the text position after the last
        outcome accepted; stops before the first outcome that needs the
        token parser (an odd label, a malformed payoff, a wrong count).
        """
        text, cur = self.text, self.tok.pos
        labels, payloads, begins = [], [], []
        match = _OUTCOME.match
        while True:
            m = match(text, cur)
            if m is None:
                break
            label = m.group(1)
            labels.append(_ESCAPE.sub(r"\1", label) if "\\" in label else label)
            payloads.append(m.group(2))
            begins.append(cur)
            cur = m.end()
        K = len(labels)
        if K == 0:
            return [], RationalArray(np.zeros((0, n), np.int64), np.zeros((0, n), np.int64)), None
        joined = " ".join(payloads)
        # one more than needed, so that an outcome with too many payoffs shows up
        scan = _scan_numbers(joined, K * n + 1)
        offsets = np.cumsum([0] + [len(p) + 1 for p in payloads[:-1]])
        owner = np.searchsorted(offsets, scan.starts, side="right") - 1
        per = np.bincount(owner, minlength=K)
        first = np.ones(scan.count, dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        # an outcome is good when it has n payoffs and no comma before its first one
        good = per == n
        good[owner[first & (scan.commas > 0)]] = False
        if scan.count == K * n and "," in joined[scan.resume:]:
            good[K - 1] = False
        # a comma ending outcome o lands before outcome o + 1's first payoff: redo o too
        keep = int(np.argmin(good)) if not good.all() else K
        if keep < K:
            keep = max(keep - 1, 0)
        pays = RationalArray(scan.num[:keep * n], scan.den[:keep * n],
                             {k: f for k, f in scan.big.items() if k < keep * n})
        resume = begins[keep] if keep < K else cur
        return labels[:keep], pays.reshape((keep, n)), resume

    def outcome_body(self, n, shape, size):
        self.expect("{", "'{' opening the list of outcomes")
        labels, fast_pays, resume = (self._fast_outcomes(n) if self.tok.kind == "{"
                                     else ([], None, None))
        if resume is not None:
            self.seek(resume)
        slow = []
        while self.tok.kind == "{":
            self.advance()
            o = len(labels) + 1
            label = self.expect("string", f"the quoted label of outcome {o}").text
            pays = []
            for i in range(n):
                if i and self.tok.kind == ",":
                    self.advance()
                pays.append(self.number(f"the payoff of player {i + 1} in outcome {o}"))
            self.expect("}", f"'}}' closing outcome {o} ({n} payoffs, one per player)")
            labels.append(label)
            slow.extend(pays)
        self.expect("}", "'{' opening an outcome or '}' closing the list of outcomes")
        K = len(labels)
        parts = ([] if fast_pays is None else [fast_pays]) + [slow]
        table = _concat(parts)
        start = self.tok.pos
        scan = _scan_numbers(self.text[start:], size, integers_only=True)
        index = scan.num
        over = np.flatnonzero(index > K)
        j = int(over[0]) if over.size else scan.count
        index = index[:j]
        self.seek(start + (int(scan.starts[j]) if j < scan.count else scan.resume))
        rest = []
        for k in range(j, size):
            tok = self.tok
            if tok.kind != "number" or not tok.text.isdigit():
                self.error(f"the outcome number of pure profile {k + 1} of {size} "
                           f"(an integer from 0 to {K})")
            v = int(tok.text) if len(tok.text) <= 18 else K + 1
            if v > K:
                raise NFGParseError(f"outcome {tok.text if len(tok.text) <= 30 else tok.text[:27] + '...'} "
                                    f"does not exist: the file defines {K} outcomes (0 is the "
                                    "null outcome)", tok.line, tok.col, self.source)
            self.advance()
            rest.append(v)
        index = np.concatenate([index, np.array(rest, dtype=np.int64)])
        # row 0 is the null outcome (all payoffs zero); file order k, player i -> row index[k]
        padded = _concat([RationalArray(np.zeros(n, np.int64), np.ones(n, np.int64)), table])
        flat = padded.take_flat((index[:, None] * n + np.arange(n)[None, :]).ravel())
        idx = index.reshape(tuple(reversed(shape))).transpose()
        return flat, (labels, table.reshape((K, n))), idx


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


def read_text(source):
    """``(text, name)`` of a game file given as a path or a file object.

    Bytes are decoded as UTF-8, or as Latin-1 when they are not UTF-8 (older
    Gambit versions wrote labels in Latin-1); ``name`` is the path where one
    is known.  Shared by the ``.nfg`` and ``.efg`` readers.
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
    return data, name


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
    data, name = read_text(source)
    return parse_nfg(data, max_contingencies=max_contingencies, source=name)


def _format_number(v: Fraction) -> str:
    """Exact text of a rational: an integer, a terminating decimal, or p/q."""
    return format_rational(v)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _file_order(game) -> RationalArray:
    """The payoffs in file order: profile by profile (player 1 fastest), one per player."""
    n, size = game.num_players, math.prod(game.shape)
    prof = _profile_positions(game.shape)
    return game._exact.take_flat((prof[:, None] + size * np.arange(n)[None, :]).ravel())


def format_nfg(game, *, form: str | None = None) -> str:
    """The text of ``game`` as a Gambit ``.nfg`` file (see :func:`write_nfg`)."""
    if not isinstance(game, NormalFormGame):
        raise TypeError(f"game must be a NormalFormGame, got {type(game).__name__}; "
                        "convert with eqsolve.io.from_nashpy / from_pygambit or build one")
    has_outcomes = game._outcome_table is not None or game.outcomes is not None
    if form is None:
        form = "outcome" if has_outcomes else "payoff"
    if form not in ("payoff", "outcome"):
        raise ValueError(f"form must be 'payoff', 'outcome' or None, got {form!r}")
    n = game.num_players
    out = io.StringIO()
    out.write(f"NFG 1 R {_quote(game.title)} {{ {' '.join(_quote(p) for p in game.players)} }}\n\n")
    out.write("{ ")
    out.write("\n".join("{ " + " ".join(_quote(s) for s in strat) + " }" for strat in game.strategies))
    out.write("\n}\n")
    out.write(_quote(game.comment) + "\n\n")
    order = tuple(reversed(range(n)))
    if form == "payoff":
        out.write(" ".join(_file_order(game).format_flat()))
        out.write("\n")
        return out.getvalue()
    if game._outcome_table is not None:
        labels, table = game._outcome_table
        texts = table.format_flat()
        index = np.asarray(game.outcome_index).transpose(order).ravel()
    elif game.outcomes is not None:
        labels = [lab for lab, _ in game.outcomes]
        texts = [_format_number(p) for _, pays in game.outcomes for p in pays]
        index = np.asarray(game.outcome_index).transpose(order).ravel()
    else:
        # one outcome per distinct payoff vector, in order of first appearance in the file
        flat = _file_order(game)
        size = math.prod(game.shape)
        if flat.big:
            seen, rows, index = {}, [], np.empty(size, dtype=np.int64)
            for k in range(size):
                key = tuple(flat.fraction(k * n + i) for i in range(n))
                if key not in seen:
                    rows.append(key)
                    seen[key] = len(rows)
                index[k] = seen[key]
            texts = [_format_number(p) for row in rows for p in row]
        else:
            # the representation is canonical, so equal payoffs have equal (num, den) rows
            keys = np.concatenate([flat.num.reshape(size, n), flat.den.reshape(size, n)], axis=1)
            uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            order_seen = np.argsort(first, kind="stable")
            rank = np.empty(len(uniq), dtype=np.int64)
            rank[order_seen] = np.arange(len(uniq))
            index = rank[inverse.ravel()] + 1
            rows = uniq[order_seen]
            texts = RationalArray(rows[:, :n].ravel(), rows[:, n:].ravel()).format_flat()
        labels = [""] * (len(texts) // n)
    out.write("{\n")
    out.write("".join("{ " + _quote(lab) + " " + ", ".join(texts[o * n:(o + 1) * n]) + " }\n"
                      for o, lab in enumerate(labels)))
    out.write("}\n")
    out.write(" ".join(map(str, np.asarray(index, dtype=np.int64).tolist())))
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
