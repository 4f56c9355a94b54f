from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneclick_core.ids import (
    RECORD_ID_ALPHABET,
    event_id_time_ms,
    is_record_id,
    new_event_id,
    new_record_id,
)
from oneclick_core.timestamps import format_pb, parse_pb


def test_record_ids_have_pocketbase_shape_and_do_not_repeat() -> None:
    ids = {new_record_id() for _ in range(5000)}
    assert len(ids) == 5000
    for value in ids:
        assert len(value) == 15
        assert set(value) <= set(RECORD_ID_ALPHABET)
        assert is_record_id(value)


@pytest.mark.parametrize("value", ["", "ABCDEFGHIJKLMNO", "abc", "abcdefghijklmn_", "abcdefghijklmnop"])
def test_is_record_id_rejects_other_shapes(value: str) -> None:
    assert not is_record_id(value)


def test_event_ids_sort_by_creation_time() -> None:
    earlier = new_event_id(now_ms=1_700_000_000_000)
    later = new_event_id(now_ms=1_700_000_000_001)
    assert len(earlier) == 26
    assert earlier < later
    assert event_id_time_ms(earlier) == 1_700_000_000_000


@given(st.integers(min_value=0, max_value=2**48 - 1))
def test_event_id_time_round_trips(ms: int) -> None:
    assert event_id_time_ms(new_event_id(now_ms=ms)) == ms


def test_format_matches_pocketbase() -> None:
    moment = datetime(2006, 1, 2, 15, 4, 5, 123456, tzinfo=UTC)
    assert format_pb(moment) == "2006-01-02 15:04:05.123Z"


def test_format_converts_to_utc_and_refuses_naive_datetimes() -> None:
    moment = datetime(2006, 1, 2, 17, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert format_pb(moment) == "2006-01-02 15:04:05.000Z"
    with pytest.raises(ValueError, match="naive"):
        format_pb(datetime(2006, 1, 2))


@pytest.mark.parametrize(
    "text",
    [
        "2006-01-02 15:04:05.123Z",
        "2006-01-02T15:04:05.123Z",
        "2006-01-02T17:04:05.123+02:00",
        "2006-01-02 15:04:05.123",
    ],
)
def test_parse_accepts_pocketbase_and_iso_forms(text: str) -> None:
    assert parse_pb(text) == datetime(2006, 1, 2, 15, 4, 5, 123000, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_format_then_parse_keeps_milliseconds(moment: datetime) -> None:
    assert parse_pb(format_pb(moment)) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
