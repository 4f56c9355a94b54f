"""Label and field selector parsing and matching (pure logic)."""

from __future__ import annotations

import pytest

from kubesim.selectors import (
    SelectorError,
    check_fields,
    from_map,
    from_object,
    object_matches,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "web", "tier": "frontend", "version": "3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (web, db)", True),
        ("app in (db)", False),
        ("app notin (db)", True),
        ("missing notin (db)", True),
        ("app notin (web)", False),
        ("tier", True),
        ("missing", False),
        ("!missing", True),
        ("!tier", False),
        ("app=web,tier=frontend", True),
        ("app=web,tier=backend", False),
        ("version>2", True),
        ("version<3", False),
        ("example.com/owner=me", False),
    ],
)
def test_label_selector_operators(text: str, expected: bool) -> None:
    assert parse_label_selector(text).matches(LABELS) is expected


def test_label_selector_with_empty_value() -> None:
    assert parse_label_selector("flag=").matches({"flag": ""})
    assert not parse_label_selector("flag=").matches({"flag": "x"})


@pytest.mark.parametrize("text", ["app in (web", "a b", "=x", "app in web", "version>x", "Bad Key=1", "a=b=c"])
def test_invalid_label_selectors(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(text)


def test_label_selector_objects() -> None:
    selector = from_object(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["frontend"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.matches(LABELS)
    assert not selector.matches({**LABELS, "legacy": "1"})
    assert not from_object(None).matches(LABELS)
    assert from_object({}).matches(LABELS)
    assert not from_map({}).matches(LABELS)
    assert from_map({"app": "web"}).matches(LABELS)
    assert str(from_object({"matchLabels": {"b": "2", "a": "1"}})) == "a=1,b=2"


def test_field_selectors() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {"nodeName": "node-1"},
        "status": {"phase": "Running"},
    }
    everything = parse_label_selector("")
    assert object_matches("Pod", pod, everything, parse_field_selector("status.phase=Running"))
    assert object_matches("Pod", pod, everything, parse_field_selector("spec.nodeName==node-1,metadata.name=p"))
    assert not object_matches("Pod", pod, everything, parse_field_selector("status.phase!=Running"))
    event = {
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "n", "uid": "u1"},
        "metadata": {"name": "e", "namespace": "n"},
        "type": "Warning",
        "reason": "BackOff",
    }
    for text in (
        "involvedObject.kind=Pod",
        "involvedObject.name=p",
        "involvedObject.namespace=n",
        "involvedObject.uid=u1",
        "type=Warning,reason=BackOff",
    ):
        assert object_matches("Event", event, everything, parse_field_selector(text)), text
    with pytest.raises(SelectorError):
        check_fields("ConfigMap", parse_field_selector("status.phase=Running"))
    check_fields("Pod", parse_field_selector("spec.nodeName=x"))


def test_field_selector_escapes() -> None:
    selector = parse_field_selector(r"metadata.name=a\,b")
    assert selector.requirements[0].value == "a,b"
    with pytest.raises(SelectorError):
        parse_field_selector("metadata.name")
