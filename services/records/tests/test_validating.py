"""The field types: what a client sends becomes column values or per-field errors, with no database."""

from __future__ import annotations

from datetime import UTC, datetime

from oneclick_core.contracts.auth import FileUpload
from oneclick_core.contracts.records import FileField
from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.validating import (
    apply_modifiers,
    changed_fields,
    changed_record,
    check_required,
    defaults,
    new_record,
    read_submission,
)

A, B, C = "a" * 15, "b" * 15, "c" * 15


def _png(name: str = "Logo.PNG", size: int = 10) -> FileUpload:
    return FileUpload(filename=name, contentType="image/png", data=b"x" * size)


def test_json_and_form_values_convert_alike() -> None:
    sent = read_submission(
        BLUEPRINTS, {"name": "  web  ", "private": "true", "manifest": '{"a": 1}', "users": [A, A, B], "unknown": 1}
    )
    assert sent.errors == {}
    assert sent.values == {"name": "web", "private": True, "manifest": {"a": 1}, "users": [A, B]}
    assert read_submission(BLUEPRINTS, {"private": 0, "manifest": ""}).values == {"private": False, "manifest": None}


def test_conversion_problems_are_collected_per_field() -> None:
    sent = read_submission(BLUEPRINTS, {"name": "x" * 201, "private": "maybe", "users": ["nope"], "manifest": "{"})
    assert {name: error["code"] for name, error in sent.errors.items()} == {
        "name": "validation_max_text_constraint",
        "private": "validation_invalid_bool",
        "users": "validation_invalid_relation",
        "manifest": "validation_invalid_json",
    }
    assert sent.values == {}


def test_a_single_relation_takes_one_id() -> None:
    assert read_submission(DEPLOYMENTS, {"project": [A]}).values == {"project": A}
    assert read_submission(DEPLOYMENTS, {"project": [A, B]}).errors["project"]["code"] == "validation_too_many_values"


def test_system_fields_are_not_written_by_clients() -> None:
    assert "startDate" not in read_submission(ROLLOUTS, {"startDate": "2024-01-01 00:00:00.000Z"}).values
    assert "startDate" in read_submission(ROLLOUTS, {"startDate": "2024-01-01 00:00:00.000Z"}, allow_system=True).values


def test_modifiers_only_on_multiple_fields() -> None:
    sent = read_submission(BLUEPRINTS, {"users+": [B], "+users": C, "users-": A, "name+": "x"})
    assert (sent.append, sent.prepend, sent.remove) == ({"users": [B]}, {"users": [C]}, {"users": [A]})
    assert apply_modifiers([A, B], sent, "users") == [C, B]
    assert sent.touches("users")
    assert not sent.touches("name")


def test_required_fields() -> None:
    errors: dict[str, dict[str, str]] = {}
    check_required(ROLLOUTS, {"manifest": {}, "project": "", "deployment": A}, errors)
    assert set(errors) == {"manifest", "project"}


def test_defaults_of_a_new_record() -> None:
    assert defaults(BLUEPRINTS) == {
        "name": "",
        "description": "",
        "avatar": "",
        "manifest": None,
        "private": False,
        "owner": "",
        "users": [],
    }


def test_a_new_record_with_files() -> None:
    draft = new_record(
        PROJECTS, {"name": "p"}, [FileField(field="avatar", file=_png()), FileField(field="name", file=_png())]
    )
    assert draft.errors == {}
    assert [(u.field, u.name) for u in draft.uploads] == [("avatar", draft.values["avatar"])]
    assert draft.values["avatar"].startswith("logo_")
    assert draft.values["avatar"].endswith(".png")
    too_big = new_record(PROJECTS, {}, [FileField(field="avatar", file=_png(size=6 * 1024 * 1024))])
    assert too_big.errors == {"name": too_big.errors["name"], "avatar": too_big.errors["avatar"]}
    assert too_big.errors["avatar"]["code"] == "validation_file_size_limit"


def test_an_update_reads_only_what_was_sent() -> None:
    current = {"id": A, "name": "d", "avatar": "old.png", "project": B, "blueprint": "", "user": C}
    draft = changed_record(DEPLOYMENTS, current, {"project": A, "avatar": ""}, [])
    assert draft.values == {"project": A, "avatar": ""}
    assert draft.errors["project"]["code"] == "validation_immutable"
    same = changed_record(DEPLOYMENTS, current, {"project": B, "name": ""}, [])
    assert same.errors == {}
    assert changed_fields(DEPLOYMENTS, same.values, current) == ["name"]


def test_an_update_names_the_stored_files_it_replaces_or_clears() -> None:
    current = {
        "id": A,
        "name": "p",
        "description": "",
        "tags": "",
        "avatar": "old_abc123.png",
        "user": C,
        "limits": None,
    }
    cleared = changed_record(PROJECTS, current, {"avatar": ""}, [])
    assert cleared.removed_files == ["old_abc123.png"]
    replaced = changed_record(PROJECTS, current, {}, [FileField(field="avatar", file=_png())])
    assert replaced.removed_files == ["old_abc123.png"]
    assert changed_record(PROJECTS, current, {"name": "q"}, []).removed_files == []
    assert changed_record(PROJECTS, {**current, "avatar": ""}, {"avatar": ""}, []).removed_files == []


def test_dates_compare_as_datetimes() -> None:
    current = {"endDate": "2024-05-01 10:00:00.000Z", "hide": False}
    moment = datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert changed_fields(ROLLOUTS, {"endDate": moment, "hide": False}, current) == []
    assert changed_fields(ROLLOUTS, {"endDate": None}, current) == ["endDate"]
