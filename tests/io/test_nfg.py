"""Gambit .nfg files: hand-written files in both forms, exact round trips, and malformed input."""

import io
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsolve as eq
from eqsolve.io import NFGParseError, format_nfg, parse_nfg, read_nfg, write_nfg
from eqsolve.problems import NormalFormGame

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "games"

# the two renderings of one game in Gambit's documentation ("Game representation formats")
SELTEN_PAYOFF = """NFG 1 R "Selten (IJGT, 75), Figure 2, normal form"
{ "Player 1" "Player 2" } { 3 2 }

1 1 0 2 0 2 1 1 0 3 2 0
"""
SELTEN_OUTCOME = """NFG 1 R "Selten (IJGT, 75), Figure 2, normal form"
{ "Player 1" "Player 2" }

{ { "1" "2" "3" }
{ "1" "2" }
}
""

{
{ "" 1, 1 }
{ "" 0, 2 }
{ "" 0, 2 }
{ "" 1, 1 }
{ "" 0, 3 }
{ "" 2, 0 }
}
1 2 3 4 5 6
"""


# the layout Gambit itself writes (title and players on one line, one outcome per line)
GAMBIT_LAYOUT = """NFG 1 R "Inspection game" { "Inspector" "Worker" }

{ { "inspect" "trust" }
{ "work" "shirk" }
}
""

{
{ "" -1, 1 }
{ "" 0, 2 }
{ "" 1, -0.5 }
{ "" -2, 3 }
}
1 2 3 4
"""


def test_files_in_gambits_layout_are_rewritten_byte_for_byte():
    g = parse_nfg(GAMBIT_LAYOUT)
    assert write_nfg(g) == GAMBIT_LAYOUT
    assert g.exact_payoffs[1, 0, 1] == Fraction(-1, 2)


def test_both_forms_of_the_documented_example_give_the_same_game():
    a, b = parse_nfg(SELTEN_PAYOFF), parse_nfg(SELTEN_OUTCOME)
    assert a.shape == b.shape == (3, 2)
    assert a.players == ("Player 1", "Player 2")
    # player 1's strategy changes fastest: profile order (1,1) (2,1) (3,1) (1,2) ...
    assert a.payoffs[0].tolist() == [[1, 1], [0, 0], [0, 2]]
    assert a.payoffs[1].tolist() == [[1, 1], [2, 3], [2, 0]]
    np.testing.assert_array_equal(a.exact_payoffs, b.exact_payoffs)
    assert b.outcomes[4] == ("", (Fraction(0), Fraction(3)))
    assert b.outcome_index.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_labels_numbers_comments_and_null_outcomes():
    text = r'''NFG 1 R "A \"quoted\" title" { "Ann" "Bob \\ Co" }
{ { "up" "down" } { "left" "right" } }
"a comment,
over two lines"
{ { "win" 1/3 -.5 } { "draw" 0.25e1, 1e-3 } }
1 0
2 1
'''
    g = parse_nfg(text)
    assert g.title == 'A "quoted" title' and g.players == ("Ann", "Bob \\ Co")
    assert g.strategies == (("up", "down"), ("left", "right"))
    assert g.comment == "a comment,\nover two lines"
    assert g.exact_payoffs[:, 0, 0].tolist() == [Fraction(1, 3), Fraction(-1, 2)]
    assert g.exact_payoffs[:, 1, 0].tolist() == [0, 0]                  # null outcome
    assert g.exact_payoffs[:, 0, 1].tolist() == [Fraction(5, 2), Fraction(1, 1000)]
    again = parse_nfg(write_nfg(g))
    assert again == g and again.outcomes == g.outcomes and again.comment == g.comment
    np.testing.assert_array_equal(again.outcome_index, g.outcome_index)


def test_three_player_payoff_form_axis_order():
    g = read_nfg(EXAMPLES / "el_farol.nfg")
    assert g.shape == (2, 2, 2) and g.num_players == 3
    # (bar, bar, bar): everyone loses 1; (bar, home, home): Ann gets 1
    assert g.payoffs[:, 1, 1, 1].tolist() == [-1, -1, -1]
    assert g.payoffs[:, 1, 0, 0].tolist() == [1, 0, 0]
    assert g.payoffs[:, 0, 0, 1].tolist() == [0, 0, 1]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.nfg")), ids=lambda p: p.name)
def test_example_files_round_trip_textually(path):
    g = read_nfg(path)
    text = write_nfg(g)
    assert parse_nfg(text) == g
    assert write_nfg(parse_nfg(text)) == text
    other = "payoff" if g.outcomes is not None else "outcome"
    assert parse_nfg(write_nfg(g, form=other)) == g


labels = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)
numbers = st.one_of(
    st.builds(Fraction, st.integers(-10**6, 10**6), st.integers(1, 10**4)),
    st.integers(-10**30, 10**30).map(Fraction),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(Fraction),
)


@st.composite
def nfg_games(draw):
    n = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    size = n * int(np.prod(shape))
    arr = np.empty((n,) + shape, dtype=object)
    arr.ravel()[:] = draw(st.lists(numbers, min_size=size, max_size=size))
    return NormalFormGame(
        arr,
        players=draw(st.lists(labels, min_size=n, max_size=n)),
        strategies=[draw(st.lists(labels, min_size=s, max_size=s)) for s in shape],
        title=draw(labels), comment=draw(labels))


@settings(max_examples=80)
@given(nfg_games(), st.sampled_from(["payoff", "outcome"]))
def test_round_trip_is_exact(game, form):
    text = write_nfg(game, form=form)
    again = parse_nfg(text)
    assert again == game and again.comment == game.comment
    assert write_nfg(again) == text


def test_float_payoffs_are_written_at_their_exact_value():
    g = NormalFormGame([[0.1, 1e-300]])
    again = parse_nfg(write_nfg(g))
    assert again.exact_payoffs[0, 0] == Fraction(0.1)
    assert again.payoffs[0, 0] == 0.1 and again.payoffs[0, 1] == 1e-300


def test_read_from_paths_and_files(tmp_path):
    p = tmp_path / "g.nfg"
    write_nfg(parse_nfg(SELTEN_OUTCOME), p)
    assert read_nfg(p) == read_nfg(str(p)) == parse_nfg(SELTEN_OUTCOME)
    with open(p, "rb") as f:
        assert read_nfg(f) == parse_nfg(SELTEN_OUTCOME)
    assert read_nfg(io.StringIO(SELTEN_PAYOFF)) == parse_nfg(SELTEN_PAYOFF)
    buf = io.StringIO()
    assert write_nfg(parse_nfg(SELTEN_PAYOFF), buf) is None
    assert buf.getvalue() == format_nfg(parse_nfg(SELTEN_PAYOFF))
    # Latin-1 labels from older Gambit versions
    latin = 'NFG 1 R "Caf\xe9" { "A" } { 1 } 7'.encode("latin-1")
    assert read_nfg(io.BytesIO(latin)).title == "Caf\xe9"
    with pytest.raises(FileNotFoundError):
        read_nfg(tmp_path / "missing.nfg")
    with pytest.raises(TypeError, match="source must be a path or a file object"):
        read_nfg(3)
    with pytest.raises(TypeError, match="game must be a NormalFormGame"):
        write_nfg(eq.MatrixGame([[1.0]]))
    with pytest.raises(ValueError, match="form must be 'payoff', 'outcome' or None"):
        write_nfg(parse_nfg(SELTEN_PAYOFF), form="table")
    with pytest.raises(TypeError, match="text must be a str"):
        parse_nfg(b"NFG")


@pytest.mark.parametrize("text, line, column, match", [
    ("", 1, 1, "expected 'NFG'"),
    ("EFG 2 R", 1, 1, "expected 'NFG'"),
    ("NFG 2 R", 1, 5, "expected the format version 1"),
    ("NFG 1 Q", 1, 7, "expected 'R' or 'D'"),
    ('NFG 1 R title', 1, 9, "expected the game's title as a quoted string"),
    ('NFG 1 R "t" { }', 1, 13, "expected at least one player name"),
    ('NFG 1 R "t" { "a" 3 }', 1, 19, "expected a quoted player name or '}'"),
    ('NFG 1 R "t" { "a" }\n{ 2 x }', 2, 5, r"expected '\}' closing the strategies"),
    ('NFG 1 R "t" { "a" }\n{ 0 }', 2, 3, "expected a strategy count for player 1"),
    ('NFG 1 R "t" { "a" }\n{ 1.5 }', 2, 3, "expected a strategy count for player 1"),
    ('NFG 1 R "t" { "a" "b" }\n{ { "x" } { } }', 2, 11, "at least one strategy for player 2"),
    ('NFG 1 R "t" { "a" }\n{ 2 }\n1 x', 3, 3, "pure profile 2 of 2 \\(a number\\), got 'x'"),
    ('NFG 1 R "t" { "a" }\n{ 2 }\n1 @', 3, 3, "unexpected characters '@'"),
    ('NFG 1 R "t" { "a" }\n{ 1 }\n' + "7" * 4001, 3, 1, "4001 characters is too long"),
    ('NFG 1 R "t" { "a" }\n{ 2 }\n1', 3, 2, "payoff of player 1 at pure profile 2 of 2"),
    ('NFG 1 R "t" { "a" }\n{ 2 }\n1 2 3', 3, 5, "expected the end of the file"),
    ('NFG 1 R "t" { "a" }\n{ 1 }\n1/0', 3, 1, "zero denominator"),
    ('NFG 1 R "t" { "a" }\n{ 1 }\n1..2', 3, 1, "unexpected characters '1..2'"),
    ('NFG 1 R "t" { "a" }\n{ 1 }\n"open', 3, 1, "unterminated string"),
    ('NFG 1 R "t" { "a" }\n{ 2 } ""\n{ { "o" 1 } }\n1 2', 4, 3, "outcome 2 does not exist"),
    ('NFG 1 R "t" { "a" }\n{ 1 } ""\n{ { "o" 1 2 } }\n1', 3, 11, "expected '}' closing outcome 1"),
    ('NFG 1 R "t" { "a" }\n{ 1 } ""\n{ { 1 } }\n1', 3, 5, "quoted label of outcome 1"),
    ('NFG 1 R "t" { "a" }\n{ 1 } ""\n{ { "o" 1 } }\n-1', 4, 1, "outcome number of pure profile 1"),
    ('NFG 1 R "t" { "a" }\n{ 1 } ""\n{ { "o" 1 }', 3, 12, r"'\{' opening an outcome or '\}'"),
])
def test_malformed_files_name_line_column_and_expectation(text, line, column, match):
    with pytest.raises(NFGParseError, match=match) as info:
        parse_nfg(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_error_names_the_file(tmp_path):
    p = tmp_path / "broken.nfg"
    p.write_text("NFG 1 R x")
    with pytest.raises(NFGParseError, match=r"broken\.nfg: line 1, column 9"):
        read_nfg(p)


@pytest.mark.parametrize("text", [SELTEN_PAYOFF, SELTEN_OUTCOME])
def test_every_truncation_is_a_parse_error(text):
    body = text.rstrip()
    last = len(body) - 1                 # the last token is one character long
    for cut in range(last):
        if body[cut - 1:cut].isspace() and body[cut:last].isspace():
            continue
        with pytest.raises(NFGParseError):
            parse_nfg(body[:cut])


def test_oversized_games_are_refused_before_allocation():
    t0 = time.process_time()
    with pytest.raises(NFGParseError, match="max_contingencies = 1000000") as info:
        parse_nfg('NFG 1 R "big" { "a" "b" "c" }\n{ 1000 1000 1000 }\n1 2 3')
    assert (info.value.line, info.value.column) == (2, 1)
    with pytest.raises(NFGParseError, match="more than the supported 31"):
        parse_nfg('NFG 1 R "" { ' + '"p" ' * 40 + "} { " + "1 " * 40 + "}")
    with pytest.raises(NFGParseError, match="the limit max_contingencies = 4"):
        parse_nfg(SELTEN_PAYOFF, max_contingencies=4)
    assert parse_nfg(SELTEN_PAYOFF, max_contingencies=6).shape == (3, 2)
    with pytest.raises(ValueError, match="max_contingencies must be a positive integer"):
        parse_nfg(SELTEN_PAYOFF, max_contingencies=0)
    huge = 'NFG 1 R "" { "a" "b" } { ' + "9" * 5000 + " 2 }"
    with pytest.raises(NFGParseError, match="5000-digit number is far too large"):
        parse_nfg(huge)
    assert time.process_time() - t0 < 60  # generous: guards against allocating the tensor


def test_garbled_files_raise_parse_errors_only(rng):
    text = SELTEN_OUTCOME
    junk = list('{}",/.-+0123456789eE xyz\n\\')
    for _ in range(300):
        chars = list(text)
        for _ in range(rng.integers(1, 4)):
            chars[rng.integers(len(chars))] = junk[rng.integers(len(junk))]
        try:
            parse_nfg("".join(chars))
        except NFGParseError:
            pass


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_a_parse_error(text):
    try:
        parse_nfg(text)
    except NFGParseError:
        pass


tokens = st.sampled_from(['NFG', '1', 'R', 'D', '""', '"a"', '{', '}', '2', '0', '-1/3', '.5',
                          '1e3', ',', '"', '1/0', '3', 'x', '\n', '\\'])


@settings(max_examples=300)
@given(st.lists(tokens, max_size=40))
def test_token_soup_parses_or_raises_a_parse_error(toks):
    text = " ".join(["NFG", "1", "R", '""'] + toks)
    try:
        parse_nfg(text)
    except NFGParseError:
        pass
