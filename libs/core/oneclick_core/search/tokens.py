"""Tokenizer of PocketBase's filter language (the grammar of ``ganigeorgiev/fexpr``).

Tokens: identifiers (``name``, ``project.name``, ``@request.auth.id``, ``tags:length``), numbers
(``12``, ``-1.5``), quoted text (``'a'``, ``"a \\"b\\""``), the sixteen comparison operators, ``&&``, ``||``,
parentheses and ``// line comments``. Whitespace separates tokens and is otherwise ignored.

Text follows fexpr: a backslash escapes the quote that opened the string (``'it\\'s'`` is ``it's``); any other
backslash is kept as written, which is what lets ``~`` patterns carry LIKE escapes (``'100\\%'``). Unlike
fexpr, a backslash followed by any character always consumes that character, so ``'a\\\\'`` is the
two-backslash text ``a\\\\`` instead of an unterminated string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from oneclick_core.search.errors import FilterError

# PocketBase's limit (tools/search.MaxFilterLength); longer filters are refused before any work.
MAX_FILTER_LENGTH = 3500

_OPERATOR_CHARS = frozenset("=?!<>~")
_JOIN_CHARS = frozenset("&|")
_WHITESPACE = frozenset(" \t\n\r")
_IDENTIFIER_START_SPECIAL = frozenset("@_#")
_IDENTIFIER_COMBINE = frozenset(".:")

OPERATORS = frozenset({"=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="})


class TokenKind(Enum):
    IDENTIFIER = "identifier"
    NUMBER = "number"
    TEXT = "text"
    OPERATOR = "operator"
    AND = "&&"
    OR = "||"
    OPEN = "("
    CLOSE = ")"
    END = "end of filter"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    position: int  # 0-based offset of the token's first character in the filter

    def describe(self) -> str:
        if self.kind is TokenKind.END:
            return "the end of the filter"
        if self.kind is TokenKind.TEXT:
            return f"text {_shorten(self.text)!r} at character {self.position + 1}"
        return f"{_shorten(self.text)!r} at character {self.position + 1}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _is_ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def check_filter_text(text: str, *, param: str = "filter") -> None:
    """Refuse what PostgreSQL or the limits cannot take, before scanning."""
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(f"the {param} is longer than {MAX_FILTER_LENGTH} characters", param=param)
    if "\x00" in text:
        raise FilterError("NUL characters are not allowed", param=param)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FilterError(f"invalid character at {exc.start + 1}", param=param) from None


def tokenize(text: str) -> list[Token]:
    """Split a filter into tokens, ending with one ``END`` token; raises :class:`FilterError`."""
    check_filter_text(text)
    tokens: list[Token] = []
    pos = 0
    length = len(text)
    while pos < length:
        ch = text[pos]
        if ch in _WHITESPACE:
            pos += 1
        elif ch == "/":
            if text.startswith("//", pos):
                newline = text.find("\n", pos)
                pos = length if newline < 0 else newline + 1
            else:
                raise FilterError(f"unexpected '/' at character {pos + 1} (comments start with //)")
        elif ch == "(":
            tokens.append(Token(TokenKind.OPEN, ch, pos))
            pos += 1
        elif ch == ")":
            tokens.append(Token(TokenKind.CLOSE, ch, pos))
            pos += 1
        elif ch in ("'", '"'):
            token, pos = _scan_text(text, pos)
            tokens.append(token)
        elif ch == "-" or _is_digit(ch):
            token, pos = _scan_number(text, pos)
            tokens.append(token)
        elif _is_ascii_letter(ch) or ch in _IDENTIFIER_START_SPECIAL:
            token, pos = _scan_identifier(text, pos)
            tokens.append(token)
        elif ch in _OPERATOR_CHARS:
            end = pos
            while end < length and text[end] in _OPERATOR_CHARS:
                end += 1
            operator = text[pos:end]
            if operator not in OPERATORS:
                raise FilterError(f"unknown operator {operator!r} at character {pos + 1}")
            tokens.append(Token(TokenKind.OPERATOR, operator, pos))
            pos = end
        elif ch in _JOIN_CHARS:
            end = pos
            while end < length and text[end] in _JOIN_CHARS:
                end += 1
            join = text[pos:end]
            if join not in ("&&", "||"):
                raise FilterError(f"unknown join operator {join!r} at character {pos + 1} (use && or ||)")
            tokens.append(Token(TokenKind.AND if join == "&&" else TokenKind.OR, join, pos))
            pos = end
        else:
            raise FilterError(f"unexpected character {ch!r} at character {pos + 1}")
    tokens.append(Token(TokenKind.END, "", length))
    return tokens


def _scan_text(text: str, start: int) -> tuple[Token, int]:
    quote = text[start]
    pos = start + 1
    parts: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            following = text[pos + 1]
            # Only the opening quote loses its backslash; LIKE escapes such as \% must survive.
            parts.append(following if following == quote else ch + following)
            pos += 2
            continue
        if ch == quote:
            return Token(TokenKind.TEXT, "".join(parts), start), pos + 1
        parts.append(ch)
        pos += 1
    raise FilterError(f"unterminated quoted text starting at character {start + 1}")


def _scan_number(text: str, start: int) -> tuple[Token, int]:
    pos = start + 1 if text[start] == "-" else start
    seen_dot = False
    while pos < len(text) and (_is_digit(text[pos]) or (text[pos] == "." and not seen_dot)):
        seen_dot = seen_dot or text[pos] == "."
        pos += 1
    literal = text[start:pos]
    digits = literal.lstrip("-")
    if not digits or digits.startswith(".") or digits.endswith("."):
        raise FilterError(f"invalid number {literal!r} at character {start + 1}")
    return Token(TokenKind.NUMBER, literal, start), pos


def _scan_identifier(text: str, start: int) -> tuple[Token, int]:
    pos = start + 1
    while pos < len(text) and (
        _is_ascii_letter(text[pos]) or _is_digit(text[pos]) or text[pos] == "_" or text[pos] in _IDENTIFIER_COMBINE
    ):
        pos += 1
    literal = text[start:pos]
    if pos < len(text) and text[pos] == "(":
        raise FilterError(f"functions such as {literal}() are not supported (character {start + 1})")
    if literal[-1] in _IDENTIFIER_COMBINE or (len(literal) == 1 and literal in _IDENTIFIER_START_SPECIAL):
        raise FilterError(f"invalid identifier {literal!r} at character {start + 1}")
    return Token(TokenKind.IDENTIFIER, literal, start), pos
