"""Hostile .nfg text: extreme exponents and long tokens cost bounded work; the fast scanner agrees
with the exact token-by-token reading on every kind of number and layout."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eqsolve.io import NFGParseError, parse_nfg, write_nfg
from eqsolve.problems import NormalFormGame, _exact

HEAD = 'NFG 1 R "t" { "a" }\n{ 2 }\n'


@pytest.fixture
def work():
    """The largest integer (in bits) built while reading, reset around each test."""
    _exact.STATS["max_bits"] = 0
    yield _exact.STATS
    _exact.STATS["max_bits"] = 0


# 4000 decimal digits and a 4000-place denominator: ~13,300 bits; nothing may exceed ~27,000
BIT_BOUND = 2 * 4000 * 3.33 + 64


@pytest.mark.parametrize("token, match", [
    ("1e9999999", "beyond float64's range"),
    ("-1E+99999999", "beyond float64's range"),
    ("1e-9999999", "decimal places"),
    ("1e309", "beyond float64's range"),
    ("2e308", "beyond float64's range"),
    ("1" * 400 + "/3", "beyond float64's range"),
    ("0.5e" + "9" * 3990, "beyond float64's range"),
])
def test_out_of_range_numbers_are_refused_at_their_line_and_column(token, match, work):
    with pytest.raises(NFGParseError, match=match) as info:
        parse_nfg(HEAD + "1 " + token)
    assert (info.value.line, info.value.column) == (3, 3)
    assert work["max_bits"] < BIT_BOUND


def test_values_at_the_edges_of_float64_are_kept_exactly(work):
    g = parse_nfg(HEAD + "1.7976931348623157e308 -4.9e-324")
    assert g.payoffs[0].tolist() == [1.7976931348623157e308, -5e-324]
    assert g.exact_payoffs[0, 1] == Fraction(-49, 10 ** 325)
    # below float64's range but within the exact limit: kept exactly, rounds to 0.0
    g = parse_nfg(HEAD + "1e-400 0e99999999999")
    assert g.exact_payoffs[0, 0] == Fraction(1, 10 ** 400) and g.payoffs[0, 0] == 0.0
    assert g.exact_payoffs[0, 1] == 0
    assert parse_nfg(write_nfg(g)) == g
    assert work["max_bits"] < BIT_BOUND


def test_constructors_check_strings_and_decimals_before_building_values(work):
    with pytest.raises(ValueError, match=r"payoffs\(0, 1\): the number '1e9999999' is beyond"):
        NormalFormGame([["1", "1e9999999"]])
    with pytest.raises(ValueError, match=r"payoffs\(0, 0\): .*decimal places"):
        NormalFormGame([[Decimal("1e-999999999")]])
    with pytest.raises(ValueError, match="beyond float64's range"):
        NormalFormGame([[Decimal("-1E+99999999")]])
    with pytest.raises(ValueError, match="must be a number such as 3"):
        NormalFormGame([["one"]])
    assert NormalFormGame([[Decimal("2.50"), "-1e-3"]]).exact_payoffs[0].tolist() == [
        Fraction(5, 2), Fraction(-1, 1000)]
    assert work["max_bits"] < BIT_BOUND


exponents = st.one_of(st.integers(-400, 400), st.integers(-10 ** 12, 10 ** 12))
mantissas = st.from_regex(r"\A[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})\Z")


@settings(max_examples=300, deadline=None)
@given(mantissas, st.sampled_from("eE"), exponents)
def test_extreme_exponents_parse_exactly_or_are_refused_cheaply(mant, e, exp):
    _exact.STATS["max_bits"] = 0
    token = f"{mant}{e}{exp}"
    try:
        g = parse_nfg(HEAD + "0 " + token)
    except NFGParseError as err:
        assert (err.line, err.column) == (3, 3)
    else:
        sign = -1 if mant.startswith("-") else 1
        digits = mant.lstrip("+-")
        ip, _, fp = digits.partition(".")
        expected = sign * Fraction(int(ip + fp or "0")) * Fraction(10) ** (exp - len(fp))
        assert g.exact_payoffs[0, 1] == expected
        assert g.payoffs[0, 1] == float(expected)
    assert _exact.STATS["max_bits"] < BIT_BOUND


# numbers of every shape the grammar allows, written as a file would have them
number_text = st.one_of(
    st.integers(-10 ** 25, 10 ** 25).map(str),
    st.builds(lambda p, q: f"{p}/{q}", st.integers(-10 ** 20, 10 ** 20), st.integers(1, 10 ** 20)),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(
        lambda d: format(d, "f") if abs(d.adjusted()) < 300 else format(d, "e")),
    st.from_regex(r"\A[+-]?(\d{1,20}\.?\d{0,20}|\.\d{1,20})([eE][+-]?\d{1,3})?\Z"),
)
separators = st.sampled_from([" ", "\n", "\t", " , ", ",", "\r\n", "  ,\n"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(number_text, separators), min_size=1, max_size=40))
def test_fast_scanner_agrees_with_exact_token_values(items):
    expected = []
    for tok, _ in items:
        try:
            expected.append(_exact.parse_rational(tok))
        except ValueError:
            return                                  # out of range: covered above
    body = items[0][0] + "".join(sep + tok for (tok, _), (_, sep) in zip(items[1:], items))
    text = f'NFG 1 R "t" {{ "a" }}\n{{ {len(items)} }}\n' + body
    g = parse_nfg(text)
    assert g.exact_payoffs[0].tolist() == expected
    # outcome form: the same numbers as one-player outcomes, then the index list
    outcomes = " ".join(f'{{ "o{k}" {tok} }}' for k, (tok, _) in enumerate(items))
    index = " ".join(str(k + 1) for k in range(len(items)))
    h = parse_nfg(f'NFG 1 R "t" {{ "a" }} {{ {len(items)} }} ""\n{{ {outcomes} }}\n{index}')
    assert h.exact_payoffs[0].tolist() == expected
    assert [pays[0] for _, pays in h.outcomes] == expected


long_tokens = st.one_of(
    st.text(alphabet="0123456789", min_size=3990, max_size=4100),
    st.builds(lambda a, b: a + "e" + b, st.text("0123456789", min_size=1, max_size=50),
              st.text("0123456789-+", min_size=1, max_size=4000)),
    st.text(alphabet="0123456789.eE+-/,", min_size=1, max_size=300),
)


@settings(max_examples=120, deadline=None)
@given(long_tokens)
def test_long_and_odd_tokens_parse_or_raise_a_parse_error(token):
    _exact.STATS["max_bits"] = 0
    for text in (HEAD + "1 " + token, 'NFG 1 R "" { "a" } { 1 } ""\n{ { "x" ' + token + " } }\n1"):
        try:
            parse_nfg(text)
        except NFGParseError:
            pass
    assert _exact.STATS["max_bits"] < BIT_BOUND


def test_malformed_payoffs_far_into_a_large_file_are_located(rng):
    A = rng.integers(-50, 50, size=(2, 60, 70))
    text = write_nfg(NormalFormGame(A))
    lines = text.split("\n")
    body = lines[-2].split(" ")
    body[5000] = "1..5"
    bad = "\n".join(lines[:-2] + [" ".join(body), ""])
    with pytest.raises(NFGParseError, match="unexpected characters '1..5'") as info:
        parse_nfg(bad)
    assert info.value.line == len(lines) - 1
    assert info.value.column == len(" ".join(body[:5000])) + 2
    # a layout the scanner leaves to the token parser ("3-2" is two numbers) still reads
    assert parse_nfg(HEAD + "3-2").exact_payoffs[0].tolist() == [3, -2]


def test_large_games_round_trip_byte_for_byte_in_both_forms(rng):
    A = rng.integers(-10 ** 6, 10 ** 6, size=(2, 40, 50)).astype(object)
    A[0, 0, 0], A[1, 2, 3], A[0, 5, 5] = Fraction(1, 3), Fraction(-7, 8), Fraction(1, 10 ** 30)
    A[1, 1, 1] = 2 ** 70
    g = NormalFormGame(A)
    for form in ("payoff", "outcome"):
        text = write_nfg(g, form=form)
        again = parse_nfg(text)
        assert again == g and write_nfg(again) == text
        np.testing.assert_array_equal(again.exact_payoffs, g.exact_payoffs)


@pytest.mark.parametrize("entry, match", [
    ('"1e-9999999"', "decimal places"),
    ('"1e9999999"', "beyond float64's range"),
    ("1" + "0" * 400, "beyond float64's range"),
    ("9" * 5000, "too long to read"),
])
def test_cli_profile_numbers_cost_bounded_work(tmp_path, capsys, entry, match, work):
    from eqsolve.cli import main

    game = tmp_path / "g.nfg"
    game.write_text(HEAD.replace("{ 2 }", "{ 2 }") + "1 0\n")
    prof = tmp_path / "p.json"
    prof.write_text(f"[[{entry}, 0]]")
    assert main(["certify", str(game), str(prof)]) == 2
    assert match in capsys.readouterr().err
    assert work["max_bits"] < BIT_BOUND
