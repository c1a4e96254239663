"""Exact rationals at bounded cost: safe number parsing and compact rational arrays.

Two things live here, shared by the game constructors, the ``.nfg`` reader and
the command line:

* :func:`parse_rational` turns the text of a number (``-12``, ``.5e-3``,
  ``99/100``) into an exact :class:`~fractions.Fraction` after checking its
  digit count and exponent, so the cost is bounded by the length of the text:
  ``1e9999999`` is refused without building ``10**9999999``.
* :class:`RationalArray` holds an array of exact rationals as two int64 arrays
  (reduced numerator and positive denominator) and keeps Fractions only for the
  entries whose numerator or denominator does not fit in int64.  Equality,
  negation tests, float64 rounding and formatting are vectorised; the object
  array of Fractions is built only when asked for.

Limits (module constants): a number's text has at most
:data:`MAX_NUMBER_LENGTH` characters; its magnitude must round to a finite
float64 (below about 1.8e308); a decimal may have at most
:data:`MAX_DECIMAL_PLACES` places (so ``1e-400`` is kept exactly, although
float64 rounds it to 0, while ``1e-9999999`` is refused).
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np

__all__ = ["parse_rational", "check_decimal", "exact_number", "exact_matrix", "RationalArray", "MAX_NUMBER_LENGTH",
           "MAX_DECIMAL_PLACES", "STATS"]

#: longest number text accepted (Python refuses to convert much longer integer strings)
MAX_NUMBER_LENGTH = 4000
#: most decimal places kept exactly (``10**MAX_DECIMAL_PLACES`` is the largest denominator built)
MAX_DECIMAL_PLACES = 4000
#: float64's largest finite value has 309 digits before the point
_MAX_DIGITS_BEFORE_POINT = 309

#: the largest integer (in bits) built while reading numbers; tests reset and read it
#: to check that the work per number stays bounded whatever the exponent says
STATS = {"max_bits": 0}

_INT64_MAX = (1 << 63) - 1
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?\Z")
_RATIONAL = re.compile(r"([+-]?)(\d+)/(\d+)\Z")
# text that has the shape of a number (its error says why the value is refused)
_NUMBERLIKE = re.compile(r"[+-]?[\d.]+(?:[eE][+-]?\d+|/\d+)?\Z")


def _note(a, b=0):
    bits = max(a.bit_length(), b.bit_length())
    if bits > STATS["max_bits"]:
        STATS["max_bits"] = bits


def _out_of_range(text: str) -> ValueError:
    return ValueError(f"the number {_shown(text)} is beyond float64's range (magnitude at most "
                      f"about 1.8e308); rescale the payoffs")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:27] + "...")


def check_decimal(sign: str, digits: str, exponent: int, text: str) -> Fraction:
    """The exact value of ``sign digits * 10**exponent`` once its size is known to be safe.

    ``digits`` is a string of decimal digits (any leading or trailing zeros);
    ``text`` is what the user wrote, for messages.  Raises ``ValueError`` when
    the value is beyond float64's range or needs more than
    :data:`MAX_DECIMAL_PLACES` decimal places.
    """
    stripped = digits.lstrip("0")
    if not stripped:
        return Fraction(0)
    # trailing zeros move into the exponent, so "1000e-3" needs no decimal places
    core = stripped.rstrip("0")
    exponent += len(stripped) - len(core)
    leading = exponent + len(core)          # digits before the point (<= 0: a pure fraction)
    if leading > _MAX_DIGITS_BEFORE_POINT:
        raise _out_of_range(text)
    if -exponent > MAX_DECIMAL_PLACES:
        raise ValueError(
            f"the number {_shown(text)} has {-exponent} decimal places, more than the "
            f"{MAX_DECIMAL_PLACES} kept exactly (float64 rounds magnitudes below 5e-324 to 0, "
            "so write 0 if that is what is meant)")
    mant = int(core)
    if sign == "-":
        mant = -mant
    if exponent >= 0:
        value = mant * 10 ** exponent
        _note(value)
        out = Fraction(value)
    else:
        den = 10 ** -exponent
        _note(mant, den)
        out = Fraction(mant, den)
    if leading == _MAX_DIGITS_BEFORE_POINT:
        try:
            float(out)
        except OverflowError:
            raise _out_of_range(text) from None
    return out


def parse_rational(text: str) -> Fraction:
    """The exact value of an integer, decimal or rational written as text.

    Accepts ``[+-]`` then ``digits``, ``digits.digits`` (either part may be
    empty, not both) with an optional exponent ``e[+-]digits``, or
    ``digits/digits``.  The length, the exponent and the digit count are
    checked before any large integer is built, so the cost is bounded by
    the length of ``text``.

    Raises
    ------
    ValueError
        For malformed text, a zero denominator, a magnitude beyond float64's
        range, or more than :data:`MAX_DECIMAL_PLACES` decimal places.

    Examples
    --------
    >>> parse_rational("-.25e1"), parse_rational("6/4"), parse_rational("1e-400") > 0
    (Fraction(-5, 2), Fraction(3, 2), True)
    >>> parse_rational("1e9999999")
    Traceback (most recent call last):
    ...
    ValueError: the number '1e9999999' is beyond float64's range (magnitude at most about 1.8e308); rescale the payoffs
    """
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError(f"a number of {len(text)} characters is too long (at most "
                         f"{MAX_NUMBER_LENGTH})")
    m = _RATIONAL.match(text) if "/" in text else None
    if m:
        sign, p, q = m.groups()
        p, q = p.lstrip("0"), q.lstrip("0")
        if not q:
            raise ValueError(f"the rational {_shown(text)} has a zero denominator")
        if not p:
            return Fraction(0)
        # |p/q| >= 10**(len(p) - len(q) - 1): far beyond 1.8e308 is refused unbuilt
        if len(p) - len(q) - 1 > _MAX_DIGITS_BEFORE_POINT:
            raise _out_of_range(text)
        num, den = int(p), int(q)
        _note(num, den)
        out = Fraction(-num if sign == "-" else num, den)
        try:
            float(out)
        except OverflowError:
            raise _out_of_range(text) from None
        return out
    m = _DECIMAL.match(text)
    if not m or not (m.group(2) or m.group(3)):
        raise ValueError(f"{_shown(text)} is not a number such as 3, -0.25, 1e-3 or 1/3")
    sign, ip, fp, esign, ex = m.groups()
    fp = fp or ""
    exponent = 0
    if ex is not None:
        ex = ex.lstrip("0")
        # an exponent of more than 8 digits is far outside any representable range; zero
        # mantissas are the exception (0e99999999 is 0)
        if len(ex) > 8:
            if not (ip + fp).strip("0"):
                return Fraction(0)
            if esign == "-":
                raise ValueError(
                    f"the number {_shown(text)} has more than {MAX_DECIMAL_PLACES} decimal "
                    "places, more than are kept exactly (float64 rounds magnitudes below 5e-324 "
                    "to 0, so write 0 if that is what is meant)")
            raise _out_of_range(text)
        exponent = int(ex or "0")
        if esign == "-":
            exponent = -exponent
    return check_decimal(sign, ip + fp, exponent - len(fp), text)


# -- compact exact arrays -------------------------------------------------------
_POW10 = np.array([10 ** k for k in range(19)], dtype=np.int64)


def _fits(v: int) -> bool:
    return -_INT64_MAX <= v <= _INT64_MAX


class RationalArray:
    """An array of exact rationals: int64 numerators and denominators, Fractions where needed.

    ``num`` and ``den`` have the array's shape; entry ``k`` (flat, C order) is
    ``num[k] / den[k]`` in lowest terms with ``den > 0`` and ``|num| < 2**63``,
    except the flat positions listed in ``big`` (a dict position -> Fraction),
    whose numerator or denominator is larger (there ``num = 0, den = 1``).
    The representation is canonical, so two arrays are equal exactly when
    their parts are.
    """

    __slots__ = ("num", "den", "big")

    def __init__(self, num, den, big=None):
        self.num, self.den, self.big = num, den, dict(big or {})

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_fractions(cls, values, shape) -> "RationalArray":
        """From a flat sequence of Fractions (C order) and the array's shape."""
        nums, dens, big = [], [], {}
        for k, f in enumerate(values):
            p, q = f.numerator, f.denominator
            if _fits(p) and q <= _INT64_MAX:
                nums.append(p)
                dens.append(q)
            else:
                big[k] = f
                nums.append(0)
                dens.append(1)
        num = np.array(nums, dtype=np.int64).reshape(shape)
        den = np.array(dens, dtype=np.int64).reshape(shape)
        return cls(num, den, big)

    @classmethod
    def from_parts(cls, num, den, big=None) -> "RationalArray":
        """From int64 numerators and positive denominators, reducing each to lowest terms."""
        num = np.asarray(num, dtype=np.int64)
        den = np.asarray(den, dtype=np.int64)
        g = np.gcd(num, den)
        g[g == 0] = 1
        return cls(num // g, den // g, big)

    @classmethod
    def from_numeric(cls, arr) -> "RationalArray":
        """From a NumPy integer or (finite) floating array, vectorised.

        Integers that fit int64 and floats whose exact binary value has a
        numerator and denominator below 2**63 stay vectorised; the rest become
        Fractions one by one (the exact value of a float always exists).
        """
        arr = np.asarray(arr)
        shape = arr.shape
        flat = arr.ravel()
        if arr.dtype.kind in "iub":
            # |num| < 2**63 keeps the representation canonical (and negation safe)
            if flat.size and (int(flat.max()) > _INT64_MAX or int(flat.min()) < -_INT64_MAX):
                return cls.from_fractions([Fraction(int(v)) for v in flat], shape)
            num = flat.astype(np.int64).reshape(shape)
            return cls(num, np.ones(shape, dtype=np.int64))
        x = flat.astype(np.float64)
        # x = m * 2**e with an integer m of at most 53 bits
        mant, ex = np.frexp(x)
        m = (mant * 2.0 ** 53).astype(np.int64)
        e = ex.astype(np.int64) - 53
        # remove the factors of two of m so that m / 2**-e is in lowest terms
        tz = np.zeros_like(m)
        nz = m != 0
        low = m[nz] & -m[nz]
        tz[nz] = np.round(np.log2(low.astype(np.float64))).astype(np.int64)
        m = np.where(nz, m >> tz, 0)
        e = np.where(nz, e + tz, 0)
        num = np.zeros_like(m)
        den = np.ones_like(m)
        up = (e >= 0) & (ex <= 63)                # |x| < 2**ex <= 2**63
        down = (e < 0) & (e >= -62)
        num[up] = m[up] << e[up]
        num[down] = m[down]
        den[down] = np.left_shift(np.int64(1), -e[down])
        big = {}
        for k in np.flatnonzero(~(up | down)):
            big[int(k)] = Fraction(float(x[k]))
            num[k], den[k] = 0, 1
        return cls(num.reshape(shape), den.reshape(shape), big)

    # -- structure -------------------------------------------------------------
    @property
    def shape(self):
        return self.num.shape

    @property
    def size(self) -> int:
        return int(self.num.size)

    def is_integer(self) -> bool:
        return not self.big and bool(np.all(self.den == 1))

    def take_flat(self, index) -> "RationalArray":
        """The entries at the flat positions ``index`` (any integer array), keeping its shape."""
        index = np.asarray(index, dtype=np.int64)
        num = self.num.ravel()[index]
        den = self.den.ravel()[index]
        big = {}
        if self.big:
            pos = np.fromiter(self.big, dtype=np.int64, count=len(self.big))
            hit = np.isin(index.ravel(), pos)
            for k in np.flatnonzero(hit):
                big[int(k)] = self.big[int(index.ravel()[k])]
        return RationalArray(num, den, big)

    def block(self, i: int) -> "RationalArray":
        """``self[i]`` along the first axis."""
        step = math.prod(self.shape[1:])
        lo, hi = i * step, (i + 1) * step
        big = {k - lo: f for k, f in self.big.items() if lo <= k < hi}
        return RationalArray(self.num[i], self.den[i], big)

    def reshape(self, shape) -> "RationalArray":
        return RationalArray(self.num.reshape(shape), self.den.reshape(shape), self.big)

    def transpose(self, axes) -> "RationalArray":
        """The transposed array (a new order of the flat positions)."""
        pos = np.arange(self.size, dtype=np.int64).reshape(self.shape).transpose(axes)
        return self.take_flat(pos)

    # -- values ----------------------------------------------------------------
    def to_float(self) -> np.ndarray:
        """float64 values, each correctly rounded from the exact rational.

        ``OverflowError`` when an entry rounds beyond float64's range.
        """
        num, den = self.num.ravel(), self.den.ravel()
        # both exact in float64: the IEEE quotient is the correctly rounded value
        safe = (np.abs(num) <= 1 << 53) & (den <= 1 << 53)
        out = np.empty(num.shape, dtype=np.float64)
        out[safe] = num[safe].astype(np.float64) / den[safe].astype(np.float64)
        for k in np.flatnonzero(~safe):
            # Python's int / int is correctly rounded too
            out[k] = int(num[k]) / int(den[k])
        for k, f in self.big.items():
            out[k] = f.numerator / f.denominator
        return out.reshape(self.shape)

    def to_object(self) -> np.ndarray:
        """An object array of Fractions (one Fraction per distinct value, shared)."""
        num, den = self.num.ravel(), self.den.ravel()
        out = np.empty(num.shape, dtype=object)
        if num.size:
            pairs = np.stack([num, den], axis=1)
            uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
            fr = np.empty(len(uniq), dtype=object)
            fr[:] = [Fraction(int(p), int(q)) for p, q in uniq.tolist()]
            out[:] = fr[inverse.ravel()]
        for k, f in self.big.items():
            out[k] = f
        return out.reshape(self.shape)

    def fraction(self, k: int) -> Fraction:
        """The entry at flat position ``k``."""
        if k in self.big:
            return self.big[k]
        return Fraction(int(self.num.ravel()[k]), int(self.den.ravel()[k]))

    def __eq__(self, other):
        if not isinstance(other, RationalArray):
            return NotImplemented
        return (self.shape == other.shape and self.big == other.big
                and bool(np.array_equal(self.num, other.num))
                and bool(np.array_equal(self.den, other.den)))

    __hash__ = None

    def is_negation_of(self, other: "RationalArray") -> bool:
        """``self == -other`` entry by entry (zero-sum test), exactly."""
        if self.shape != other.shape or self.big.keys() != other.big.keys():
            return False
        # |num| < 2**63, so the negation cannot overflow
        if not (np.array_equal(self.den, other.den) and np.array_equal(self.num, -other.num)):
            return False
        return all(self.big[k] == -other.big[k] for k in self.big)

    # -- text ------------------------------------------------------------------
    def format_flat(self) -> list:
        """The exact text of every entry (flat C order): integers, terminating decimals, p/q."""
        num, den = self.num.ravel(), self.den.ravel()
        if not self.big and bool(np.all(den == 1)):
            return list(map(str, num.tolist()))
        # den = 2**a * 5**b terminates after k = max(a, b) places: digits = |num| * 10**k / den
        low = den & -den
        a = np.round(np.log2(low.astype(np.float64))).astype(np.int64)
        r = den >> a
        b = np.zeros_like(a)
        for _ in range(28):                       # 5**27 < 2**63 < 5**28
            five = (r % 5 == 0) & (r > 1)
            if not five.any():
                break
            r = np.where(five, r // 5, r)
            b += five
        k = np.maximum(a, b)
        decimal = (r == 1) & (den > 1) & (k <= 18)
        scale = np.ones_like(den)
        scale[decimal] = _POW10[k[decimal]] // den[decimal]
        # the digits must fit int64 too: |num| * scale <= 2**63 - 1
        decimal &= np.abs(num) <= _INT64_MAX // scale
        digits = np.where(decimal, np.abs(num) * scale, 0)
        out = list(map(str, num.tolist()))
        dl, kl, dg, nl = den.tolist(), k.tolist(), digits.tolist(), num.tolist()
        for j in np.flatnonzero(den != 1).tolist():
            if decimal[j]:
                kk = kl[j]
                s = str(dg[j]).rjust(kk + 1, "0")
                out[j] = ("-" if nl[j] < 0 else "") + s[:-kk] + "." + s[-kk:]
            else:
                out[j] = format_rational(Fraction(nl[j], dl[j]))
        for j, f in self.big.items():
            out[j] = format_rational(f)
        return out


def format_rational(v: Fraction) -> str:
    """Exact text of a rational: an integer, a terminating decimal, or p/q.

    Examples
    --------
    >>> format_rational(Fraction(-5, 4)), format_rational(Fraction(1, 3)), format_rational(Fraction(7))
    ('-1.25', '1/3', '7')
    """
    p, q = v.numerator, v.denominator
    if q == 1:
        return str(p)
    twos = (q & -q).bit_length() - 1
    r = q >> twos
    fives = 0
    # 5**f divides r for f <= log_5(r); test by halving the candidate power (bounded work)
    while r % 5 == 0:
        step = 1
        while r % (5 ** (2 * step)) == 0 and 5 ** (2 * step) <= r:
            step *= 2
        r //= 5 ** step
        fives += step
    if r != 1:
        return f"{p}/{q}"
    k = max(twos, fives)
    digits = str(abs(p) * 10**k // q).rjust(k + 1, "0")
    text = f"{digits[:-k]}.{digits[-k:]}".rstrip("0")
    return ("-" if p < 0 else "") + text


def fits_int64(v: int) -> bool:
    return _fits(v)



def exact_number(name: str, v) -> Fraction:
    """An exact rational from an int, Fraction, Decimal, finite float or numeric string.

    Strings and Decimals have their exponent and digit count checked before
    the exact value is built (see :func:`parse_rational`), so ``"1e9999999"``
    is refused at once instead of building a ten-million-digit integer.
    ``name`` is the argument named in the error messages.
    """
    if isinstance(v, bool):
        raise TypeError(f"{name} must be a number, got bool")
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    if isinstance(v, Fraction):
        return v
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"{name} must be finite, got {v}")
        sign, digits, exponent = v.as_tuple()
        try:
            return check_decimal("-" if sign else "", "".join(map(str, digits)), exponent, str(v))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v}")
        return Fraction(float(v))
    if isinstance(v, str):
        text = v.strip()
        try:
            return parse_rational(text)
        except ValueError as exc:
            if _NUMBERLIKE.match(text):
                raise ValueError(f"{name}: {exc}") from None
            raise ValueError(f"{name} must be a number such as 3, -0.25 or 1/3, got "
                             f"{v if len(v) <= 30 else v[:27] + '...'!r}") from None
    if isinstance(v, numbers.Rational):
        return Fraction(v.numerator, v.denominator)
    raise TypeError(f"{name} must be a real number, got {type(v).__name__}")


def _exact_kind(v) -> bool:
    return (isinstance(v, (int, np.integer, numbers.Rational, Decimal))
            and not isinstance(v, (bool, np.bool_)))


def exact_matrix(name: str, obj) -> "RationalArray | None":
    """The exact values of a payoff matrix given with exact entries, or ``None``.

    Integer NumPy arrays, and nested lists or object arrays whose entries are
    ints, Fractions (any ``numbers.Rational``) or Decimals, possibly mixed with
    floats, are kept exactly (a :class:`RationalArray`; floats at their binary
    values).  Anything else returns ``None``: float arrays are exact as they
    are, and what is not a matrix of numbers (ragged lists, strings, None,
    complex entries) is left to the float check, whose messages name ``name``.
    Non-finite floats among exact entries raise with ``name`` and the entry.
    """
    if isinstance(obj, RationalArray):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "iu":
            return RationalArray.from_numeric(obj)
        if obj.dtype != object:
            return None
        arr = obj
    elif isinstance(obj, (list, tuple)):
        try:
            arr = np.array(obj, dtype=object)
        except ValueError:
            return None
    else:
        return None
    if arr.ndim != 2 or arr.size == 0:
        return None
    flat = arr.ravel()
    if not all(_exact_kind(v) or isinstance(v, (float, np.floating)) for v in flat):
        return None
    if not any(_exact_kind(v) for v in flat):
        return None
    values = [exact_number(f"{name}[{i}, {j}]", v) for (i, j), v in np.ndenumerate(arr)]
    return RationalArray.from_fractions(values, arr.shape)
