"""``fields=`` projections and ``expand=`` trees, as PocketBase reads them.

``fields``: a comma list of dotted keys to keep in each response item (``id,name,expand.project.name``),
``*`` for every key of a level (``*,expand.project.name``), and the ``:excerpt(max, withEllipsis?)``
modifier that turns HTML text into a plain-text excerpt (``description:excerpt(200,true)``).
:func:`pick_fields` applies a projection to one record or a list of them (apply it to a list result's
``items``).

``expand``: a comma list of relation paths (``project,deployment.project``), nested at most
:data:`MAX_EXPAND_DEPTH` levels (deeper parts are ignored, as are unknown and non-relation fields, like
PocketBase); :func:`resolve_expand` checks a tree against a :class:`Schema`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from oneclick_core.search.errors import FilterError
from oneclick_core.search.schema import CollectionSpec, FieldKind, FieldSpec, Schema
from oneclick_core.search.tokens import check_filter_text

MAX_EXPAND_DEPTH = 6

_WHITESPACE = re.compile(r"\s+")
_SKIPPED_TAGS = frozenset(
    {
        "head",
        "style",
        "script",
        "iframe",
        "embed",
        "applet",
        "object",
        "svg",
        "img",
        "picture",
        "dialog",
        "template",
        "button",
        "form",
        "textarea",
        "input",
        "select",
        "option",
    }
)
_INLINE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "bdo",
        "big",
        "br",
        "button",
        "cite",
        "code",
        "em",
        "i",
        "label",
        "q",
        "small",
        "span",
        "strong",
        "strike",
        "sub",
        "sup",
        "time",
    }
)
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass(frozen=True)
class Excerpt:
    """``:excerpt(max, withEllipsis)``: plain text of an HTML value, cut at ``max`` characters."""

    max_length: int
    ellipsis: bool = False

    def apply(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # PocketBase leaves non-text values (e.g. a missing expand) untouched
        extractor = _TextExtractor()
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts).strip()
        if len(text) > self.max_length:
            text = text[: self.max_length].strip() + ("..." if self.ellipsis else "")
        return text


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._space = False

    def _add(self, text: str) -> None:
        if self._space:
            text = text.lstrip(" ")
        if text:
            self.parts.append(text)
            self._space = text.endswith(" ")

    def _block_boundary(self, tag: str) -> None:
        if tag not in _INLINE_TAGS and not self._space and self.parts:
            self._add(" ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS and tag not in _VOID_TAGS:
            self._skipping += 1
        self._block_boundary(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and tag not in _VOID_TAGS and self._skipping:
            self._skipping -= 1
        self._block_boundary(tag)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._add(_WHITESPACE.sub(" ", data))


Projection = Mapping[str, Excerpt | None]


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes; blank items are dropped."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_fields(text: str | None) -> dict[str, Excerpt | None] | None:
    """A ``fields`` parameter → key → modifier; ``None`` (no projection) for a missing or blank one."""
    if not text:
        return None
    check_filter_text(text, param="fields")
    projection: dict[str, Excerpt | None] = {}
    for item in _split_top_level(text):
        key, _, modifier = item.partition(":")
        projection[key.strip()] = _excerpt(modifier.strip(), item) if modifier else None
    return projection or None


def _excerpt(modifier: str, item: str) -> Excerpt:
    parts = [part for part in re.split(r"[(), ]+", modifier) if part]
    if not parts or parts[0] != "excerpt":
        raise FilterError(f"unknown modifier in {item!r} (only :excerpt(max, withEllipsis?) exists)", param="fields")
    args = parts[1:]
    if not 1 <= len(args) <= 2:
        raise FilterError(f"{item!r}: expected excerpt(max, withEllipsis?)", param="fields")
    try:
        max_length = int(args[0])
    except ValueError:
        max_length = 0
    if max_length <= 0:
        raise FilterError(f"{item!r}: the excerpt max must be a number > 0", param="fields")
    ellipsis = len(args) == 2 and args[1].lower() in ("1", "t", "true")
    return Excerpt(max_length, ellipsis)


def pick_fields(data: Any, projection: Projection | None) -> Any:
    """A copy of ``data`` (a record dict or a list of them) holding only the projected keys."""
    if projection is None:
        return data
    if isinstance(data, list):
        if data and not isinstance(data[0], Mapping):
            return data
        return [pick_fields(item, projection) for item in data]
    if not isinstance(data, Mapping) or not projection:
        return data
    wanted = dict(projection)
    if "*" in wanted:
        for key in data:
            if not any(f"{name}.".startswith(f"{key}.") for name in wanted):
                wanted[key] = wanted["*"]
    result: dict[str, Any] = {}
    for key, value in data.items():
        prefix = f"{key}."
        nested: dict[str, Excerpt | None] = {}
        whole: tuple[Excerpt | None] | None = None
        for name, modifier in wanted.items():
            if not f"{name}.".startswith(prefix):
                continue
            remains = name[len(key) + 1 :]
            if not remains:
                whole = (modifier,)
                break
            nested[remains] = modifier
        if whole is not None:
            result[key] = whole[0].apply(value) if whole[0] else value
        elif nested:
            result[key] = pick_fields(value, nested)
    return result


ExpandTree = Mapping[str, "ExpandTree"]


def parse_expand(text: str | None) -> dict[str, Any]:
    """``project,deployment.project`` → ``{"project": {}, "deployment": {"project": {}}}``."""
    tree: dict[str, Any] = {}
    if not text:
        return tree
    check_filter_text(text, param="expand")
    for item in text.split(","):
        path = [part.strip() for part in item.strip().split(".")][:MAX_EXPAND_DEPTH]
        if not all(path):
            continue
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


@dataclass(frozen=True)
class ExpandNode:
    """One relation to expand: the field, its target collection, and what to expand inside the targets."""

    field: FieldSpec
    target: CollectionSpec
    children: tuple[ExpandNode, ...]


def resolve_expand(schema: Schema, collection: str, tree: ExpandTree) -> tuple[ExpandNode, ...]:
    """The relation fields of ``tree`` known to the schema; anything else is dropped, as PocketBase does.

    Hidden fields are dropped too.
    """
    spec = schema.collection(collection)
    nodes: list[ExpandNode] = []
    for name, children in tree.items():
        field = spec.fields.get(name)
        if field is None or field.hidden or field.kind is not FieldKind.RELATION or field.collection is None:
            continue
        nodes.append(
            ExpandNode(field, schema.collection(field.collection), resolve_expand(schema, field.collection, children))
        )
    return tuple(nodes)
