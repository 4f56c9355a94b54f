"""The filter grammar: table tests of PocketBase syntax, errors with useful messages, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclick_core.search import (
    And,
    Comparison,
    FilterError,
    Identifier,
    Literal,
    Macro,
    Op,
    Or,
    RequestField,
    parse_filter,
    parse_optional_filter,
)
from oneclick_core.search.parsing import MAX_COMPARISONS, MAX_DEPTH
from oneclick_core.search.tokens import MAX_FILTER_LENGTH, TokenKind, tokenize


def field(*path: str, modifier: str | None = None) -> Identifier:
    return Identifier(path, modifier)


def eq(left: object, right: object, op: Op = Op.EQ) -> Comparison:
    return Comparison(left, op, right)  # type: ignore[arg-type]


VALID = [
    ("name = 'x'", eq(field("name"), Literal("x"))),
    ('name="x"', eq(field("name"), Literal("x"))),
    ("'x' = name", eq(Literal("x"), field("name"))),
    ("count > 10", eq(field("count"), Literal(10), Op.GT)),
    ("count >= -1.5", eq(field("count"), Literal(-1.5), Op.GTE)),
    ("count < 0", eq(field("count"), Literal(0), Op.LT)),
    ("count <= 2.25", eq(field("count"), Literal(2.25), Op.LTE)),
    ("name != null", eq(field("name"), Literal(None), Op.NEQ)),
    ("name ~ 'ab'", eq(field("name"), Literal("ab"), Op.LIKE)),
    ("name !~ 'ab'", eq(field("name"), Literal("ab"), Op.NLIKE)),
    ("tags ?= 'a'", eq(field("tags"), Literal("a"), Op.ANY_EQ)),
    ("tags ?!= 'a'", eq(field("tags"), Literal("a"), Op.ANY_NEQ)),
    ("tags ?~ 'a'", eq(field("tags"), Literal("a"), Op.ANY_LIKE)),
    ("tags ?!~ 'a'", eq(field("tags"), Literal("a"), Op.ANY_NLIKE)),
    ("n ?> 1", eq(field("n"), Literal(1), Op.ANY_GT)),
    ("n ?>= 1", eq(field("n"), Literal(1), Op.ANY_GTE)),
    ("n ?< 1", eq(field("n"), Literal(1), Op.ANY_LT)),
    ("n ?<= 1", eq(field("n"), Literal(1), Op.ANY_LTE)),
    ("private = true", eq(field("private"), Literal(True))),
    ("private = FALSE", eq(field("private"), Literal(False))),
    ("endDate = NULL", eq(field("endDate"), Literal(None))),
    ("project.name = 'p'", eq(field("project", "name"), Literal("p"))),
    ("manifest.spec.interfaces.0.port = 80", eq(field("manifest", "spec", "interfaces", "0", "port"), Literal(80))),
    ("name:lower = 'x'", eq(field("name", modifier="lower"), Literal("x"))),
    ("users:length > 1", eq(field("users", modifier="length"), Literal(1), Op.GT)),
    ("user = @request.auth.id", eq(field("user"), RequestField(("auth", "id")))),
    ("@request.auth.id != ''", eq(RequestField(("auth", "id")), Literal(""), Op.NEQ)),
    ("@request.auth.profile.team = team", eq(RequestField(("auth", "profile", "team")), field("team"))),
    ("@request.method = 'GET'", eq(RequestField(("method",)), Literal("GET"))),
    ("@request.auth.id:isset = true", eq(RequestField(("auth", "id"), "isset"), Literal(True))),
    ("created > @now", eq(field("created"), Macro("now"), Op.GT)),
    ("created >= @todayStart", eq(field("created"), Macro("todayStart"), Op.GTE)),
    ("@weekday = 1", eq(Macro("weekday"), Literal(1))),
    ("name = other", eq(field("name"), field("other"))),
    ("a = 1 && b = 2", And((eq(field("a"), Literal(1)), eq(field("b"), Literal(2))))),
    ("a = 1 || b = 2", Or((eq(field("a"), Literal(1)), eq(field("b"), Literal(2))))),
    # && binds tighter than ||
    (
        "a = 1 || b = 2 && c = 3",
        Or((eq(field("a"), Literal(1)), And((eq(field("b"), Literal(2)), eq(field("c"), Literal(3)))))),
    ),
    (
        "a = 1 && b = 2 || c = 3",
        Or((And((eq(field("a"), Literal(1)), eq(field("b"), Literal(2)))), eq(field("c"), Literal(3)))),
    ),
    (
        "(a = 1 || b = 2) && c = 3",
        And((Or((eq(field("a"), Literal(1)), eq(field("b"), Literal(2)))), eq(field("c"), Literal(3)))),
    ),
    # nested groups of the same join flatten
    (
        "a = 1 && (b = 2 && c = 3)",
        And((eq(field("a"), Literal(1)), eq(field("b"), Literal(2)), eq(field("c"), Literal(3)))),
    ),
    ("((a = 1))", eq(field("a"), Literal(1))),
    ("a = 1 // trailing comment", eq(field("a"), Literal(1))),
    ("// leading comment\na = 1", eq(field("a"), Literal(1))),
    ("\ta\n=\r\n1 ", eq(field("a"), Literal(1))),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_valid_filters_parse_to_the_expected_ast(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


TEXTS = [
    (r"'it\'s'", "it's"),
    (r'"say \"hi\""', 'say "hi"'),
    (r"""'mixed "quotes"'""", 'mixed "quotes"'),
    (r'"it\'s"', r"it\'s"),  # only the opening quote is unescaped, like fexpr
    (r"'100\%'", r"100\%"),  # LIKE escapes survive
    (r"'a\\'", "a\\\\"),  # a backslash pair ends before the quote instead of escaping it
    ("''", ""),
    ("'ünï ☃'", "ünï ☃"),
]


@pytest.mark.parametrize(("literal", "value"), TEXTS)
def test_quoted_text_follows_fexpr_escaping(literal: str, value: str) -> None:
    assert parse_filter(f"name = {literal}") == eq(field("name"), Literal(value))


INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    ("// only a comment", "empty"),
    ("name", "expected an operator"),
    ("name =", "expected a right operand"),
    ("= 'x'", "expected a left operand"),
    ("name = 'x' name = 'y'", "expected && or ||"),
    ("name == 'x'", "unknown operator '=='"),
    ("name =! 'x'", "unknown operator '=!'"),
    ("name = 'x' & b = 1", "unknown join operator '&'"),
    ("name = 'x' ||| b = 1", "unknown join operator '|||'"),
    ("name = 'x' &&", "expected a left operand"),
    ("&& name = 'x'", "expected a left operand"),
    ("(name = 'x'", "missing ')'"),
    ("name = 'x')", "unbalanced ')'"),
    ("()", "empty parentheses"),
    ("name = 'x", "unterminated quoted text"),
    ('name = "x', "unterminated quoted text"),
    ("name = 1.", "invalid number"),
    ("name = -", "invalid number"),
    ("name = -.5", "invalid number"),
    ("name. = 1", "invalid identifier"),
    ("name: = 1", "invalid identifier"),
    ("@ = 1", "invalid identifier"),
    ("a..b = 1", "invalid field name"),
    ("#x = 1", "invalid field name"),
    ("a:b:c = 1", "unknown modifier"),
    ("name:upper = 'x'", "unknown modifier 'upper'"),
    ("@request.auth.id:each:x = 1", "unknown modifier"),
    ("@foo = 1", "unknown macro '@foo'"),
    ("@now.x = 1", "unknown macro"),
    ("@request = 1", "unknown request field"),
    ("@request.auth = 1", "unknown request field"),
    ("@request.cookies.x = 1", "unknown request field"),
    ("@collection.users.id = 1", "@collection lookups are not supported"),
    ("strftime('%Y', created) = '2024'", "functions such as strftime() are not supported"),
    ("name = 'x' ; DROP TABLE x", "unexpected character ';'"),
    ("name = `x`", "unexpected character '`'"),
    ("name / 2 = 1", "unexpected '/'"),
    ("name = 'a\x00b'", "NUL"),
    ("a = 1" + "1" * 400, "number out of range"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[text for text, _ in INVALID])
def test_invalid_filters_raise_a_400_saying_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    error = caught.value
    assert message in error.detail
    assert error.status == 400
    assert error.to_dict() == {
        "status": 400,
        "message": "Invalid filter parameters.",
        "data": {"filter": {"code": "validation_invalid_filter", "message": error.detail}},
    }


def test_errors_point_at_the_offending_character() -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter("name = 'x' && && b = 1")
    assert (
        caught.value.detail == "expected a left operand (field, text, number, true, false or null), "
        "found '&&' at character 15"
    )


def test_missing_and_blank_filters_are_no_filter() -> None:
    assert parse_optional_filter(None) is None
    assert parse_optional_filter("") is None
    assert parse_optional_filter("a = 1") == eq(field("a"), Literal(1))


def test_filters_longer_than_pocketbase_allows_are_refused() -> None:
    text = "name = '" + "x" * MAX_FILTER_LENGTH + "'"
    with pytest.raises(FilterError, match="filter"):
        parse_filter(text)
    assert "longer than 3500" in _detail(text)


def test_too_many_comparisons_are_refused() -> None:
    allowed = " || ".join(["a = 1"] * MAX_COMPARISONS)
    assert isinstance(parse_filter(allowed), Or)
    assert "too many expressions" in _detail(allowed + " || a = 1")


def test_deep_nesting_is_refused_before_recursion_hurts() -> None:
    allowed = "(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH
    assert parse_filter(allowed) == eq(field("a"), Literal(1))
    assert "too many nested parentheses" in _detail("(" * (MAX_DEPTH + 1) + "a = 1" + ")" * (MAX_DEPTH + 1))
    assert "too many nested parentheses" in _detail("(" * 3000)


def test_tokens_carry_their_positions() -> None:
    tokens = tokenize("a >= 'b'")
    assert [(token.kind, token.text, token.position) for token in tokens] == [
        (TokenKind.IDENTIFIER, "a", 0),
        (TokenKind.OPERATOR, ">=", 2),
        (TokenKind.TEXT, "b", 5),
        (TokenKind.END, "", 8),
    ]


def _detail(text: str) -> str:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    return caught.value.detail


# --- fuzzing ------------------------------------------------------------------------------------------------------

TOKEN_SOUP = st.sampled_from(
    [
        "name",
        "project.name",
        "@request.auth.id",
        "@now",
        "@todayStart",
        "tags:length",
        "a:lower",
        "@",
        "#",
        "_",
        "'x'",
        '"y"',
        "'unterminated",
        "\\'",
        "1",
        "-2.5",
        "-",
        ".",
        "1.",
        "true",
        "null",
        "=",
        "!=",
        "~",
        "!~",
        "?=",
        "?!=",
        ">",
        ">=",
        "<",
        "<=",
        "?>",
        "==",
        "=!",
        "&&",
        "||",
        "&",
        "|",
        "(",
        ")",
        "//",
        "/",
        " ",
        "\n",
        ";",
        "`",
        "\\",
        "\x00",
        "f(",
        "@collection.x.y",
        "@request.",
        "é",
        "\U0001f600",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_filter_errors(text: str) -> None:
    try:
        parse_filter(text)
    except FilterError:
        pass


@settings(max_examples=600, deadline=None)
@given(st.lists(TOKEN_SOUP, max_size=25).map("".join))
def test_token_soups_only_ever_raise_filter_errors(text: str) -> None:
    try:
        parse_filter(text)
    except FilterError:
        pass
