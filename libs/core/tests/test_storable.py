"""Which text PostgreSQL can store, where a JSON value holds text it cannot, and cleaning text from outside."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneclick_core.storable import (
    INVALID_CHARACTERS,
    MAX_REPORTED,
    cleaned,
    cleaned_json,
    invalid_characters,
    shown,
    storable,
    unstorable_paths,
)


@pytest.mark.parametrize("text", ["", "plain", "ünïcödé", "😀", "\ud7ff\ue000", "\ufffd", "\\u0000", "a\x01b"])
def test_text_postgresql_stores(text: str) -> None:
    assert storable(text)


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d\ude00", "é\x00"])
def test_text_postgresql_refuses(text: str) -> None:
    assert not storable(text)


ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()))  # surrogates included


@given(ANY_TEXT)
def test_storable_is_what_utf8_without_nul_can_carry(text: str) -> None:
    try:
        text.encode("utf-8")
        encodable = True
    except UnicodeEncodeError:
        encodable = False
    assert storable(text) == (encodable and "\x00" not in text)


@given(ANY_TEXT)
def test_cleaned_text_is_storable_and_otherwise_unchanged(text: str) -> None:
    result = cleaned(text)
    assert storable(result)
    assert result == "".join(char for char in text if storable(char))


def test_cleaned_can_mark_where_characters_were() -> None:
    assert cleaned("a\x00b\ud800", "?") == "a?b?"
    assert shown("na\x00me") == "na\ufffdme"


def test_cleaned_json_cleans_keys_and_strings_at_any_depth() -> None:
    raw = json.loads('{"na\\u0000me": ["x\\ud800y", {"k": "\\u0000"}], "n": 1, "b": true, "z": null}')
    result = cleaned_json(raw)
    assert result == {"name": ["xy", {"k": ""}], "n": 1, "b": True, "z": None}
    orjson.dumps(result)  # serializable now


def test_paths_name_every_refused_key_and_string() -> None:
    document = {
        "name": "ok",
        "manifest": {"spec": {"env": [{"name": "A", "value": "x\x00"}], "image": {"t\ud800ag": "1"}}},
        "tags": ["fine", "\ud800"],
        "count": 3,
    }
    assert sorted(unstorable_paths(document)) == [
        "manifest.spec.env.0.value",
        "manifest.spec.image.t\ufffdag",
        "tags.1",
    ]


def test_a_bare_string_is_named_by_its_root() -> None:
    assert unstorable_paths("\x00", "body") == ["body"]
    assert unstorable_paths("fine", "body") == []


def test_json_text_in_a_string_is_looked_into() -> None:
    # Forms carry json fields as text, which the records service parses.
    manifest = json.dumps({"spec": {"env": [{"value": "\x00"}]}})
    assert unstorable_paths({"manifest": manifest}) == ["manifest.spec.env.0.value"]
    assert unstorable_paths({"text": "literally \\u0000, not JSON"}) == []
    assert unstorable_paths({"manifest": json.dumps({"emoji": "😀"})}) == []


def test_no_more_than_the_limit_is_reported() -> None:
    assert len(unstorable_paths({str(n): "\x00" for n in range(100)})) == MAX_REPORTED


def test_deep_documents_do_not_exhaust_the_stack() -> None:
    deep: Any = "\x00"
    for _ in range(5000):
        deep = [deep]
    assert unstorable_paths(deep) == [".".join(["0"] * 5000)]


def test_the_error_names_each_field_in_pocketbase_shape() -> None:
    error = invalid_characters(["id", "manifest.spec.env.0.value"]).to_dict()
    assert error["status"] == 400
    assert set(error["data"]) == {"id", "manifest.spec.env.0.value"}
    for problem in error["data"].values():
        assert set(problem) == {"code", "message"}
        assert problem["code"] == INVALID_CHARACTERS
