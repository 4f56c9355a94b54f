import logging

import orjson
import pytest

from oneclick_core.logs import bound_context, configure_logging, get_logger, redact


def _json_lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_json_lines_carry_service_and_bound_request_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("records", "json")
    with bound_context(request_id="req-1", trace_id="abc"):
        get_logger("t").info("record.created", collection="projects")
    get_logger("t").info("after")
    lines = _json_lines(capsys.readouterr().err)
    first, second = lines[-2], lines[-1]
    assert first["event"] == "record.created"
    assert first["service"] == "records"
    assert first["request_id"] == "req-1"
    assert first["trace_id"] == "abc"
    assert first["level"] == "info"
    assert "timestamp" in first
    assert "request_id" not in second  # context is restored after the block


def test_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("auth", "json")
    get_logger("t").info("login", password="hunter2", body={"email": "a@b.c", "passwordConfirm": "hunter2"},
                         secrets=[{"name": "DB", "value": "s3cr3t"}])
    logging.getLogger("uvicorn.error").warning("stdlib line with %s", "args")
    text = capsys.readouterr().err
    assert "hunter2" not in text
    assert "s3cr3t" not in text
    lines = _json_lines(text)
    assert lines[-2]["body"] == {"email": "a@b.c", "passwordConfirm": "[redacted]"}
    # Lines from other libraries come out in the same JSON format.
    assert lines[-1]["event"] == "stdlib line with args"
    assert lines[-1]["service"] == "auth"


def test_console_format_in_dev(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("edge", "console")
    get_logger("t").info("hello", token="abc123")
    text = capsys.readouterr().err
    assert "hello" in text
    assert not text.lstrip().startswith("{")
    assert "abc123" not in text


def test_redact_reaches_any_depth() -> None:
    manifest = {"spec": {"image": {"repository": "nginx", "password": "pw"},
                         "secrets": [{"name": "A", "value": "v"}]}}
    assert redact(manifest) == {"spec": {"image": {"repository": "nginx", "password": "[redacted]"},
                                         "secrets": "[redacted]"}}
