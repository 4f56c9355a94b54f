"""Rows become PocketBase's record JSON: system fields first, its date format, '' and [] for what is unset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.serializing import pb_date, to_record

MOMENT = datetime(2024, 5, 1, 10, 20, 30, 456789, tzinfo=UTC)


def test_dates_in_pocketbases_format() -> None:
    assert pb_date(MOMENT) == "2024-05-01 10:20:30.456Z"
    assert pb_date(MOMENT.astimezone(timezone(timedelta(hours=2)))) == "2024-05-01 10:20:30.456Z"
    assert pb_date(None) == ""


def test_a_row_by_its_columns_as_a_record_by_its_fields() -> None:
    row = {
        "id": "r" * 15,
        "created": MOMENT,
        "updated": MOMENT,
        "manifest": {"kind": "Rollout"},
        "start_date": MOMENT,
        "end_date": None,
        "hide": False,
        "project": "p" * 15,
        "deployment": "d" * 15,
        "user": "u" * 15,
    }
    assert to_record(ROLLOUTS, row) == {
        "collectionId": ROLLOUTS.id,
        "collectionName": "rollouts",
        "id": "r" * 15,
        "created": "2024-05-01 10:20:30.456Z",
        "updated": "2024-05-01 10:20:30.456Z",
        "manifest": {"kind": "Rollout"},
        "startDate": "2024-05-01 10:20:30.456Z",
        "endDate": "",
        "hide": False,
        "project": "p" * 15,
        "deployment": "d" * 15,
        "user": "u" * 15,
    }


def test_multiple_relations_are_lists() -> None:
    row = {
        "id": "b" * 15,
        "created": MOMENT,
        "updated": MOMENT,
        "name": "n",
        "description": "",
        "avatar": "",
        "manifest": None,
        "private": True,
        "owner": "o" * 15,
        "users": None,
    }
    record = to_record(BLUEPRINTS, row)
    assert record["users"] == []
    assert list(record)[:5] == ["collectionId", "collectionName", "id", "created", "updated"]
