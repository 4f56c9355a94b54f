import logging

import orjson
import pytest

from oneclick_core.observability.logs import bound_context, configure_logging, get_logger, redact


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
    get_logger("t").info(
        "login",
        password="hunter2",
        body={"email": "a@b.c", "passwordConfirm": "hunter2"},
        secrets=[{"name": "DB", "value": "s3cr3t"}],
    )
    logging.getLogger("uvicorn.error").warning("stdlib line with %s", "args")
    text = capsys.readouterr().err
    assert "hunter2" not in text
    assert "s3cr3t" not in text
    lines = _json_lines(text)
    assert lines[-2]["body"] == {"email": "a@b.c", "passwordConfirm": "[redacted]"}
    # Lines from other libraries come out in the same JSON format.
    assert lines[-1]["event"] == "stdlib line with args"
    assert lines[-1]["service"] == "auth"


def test_tokens_and_cookies_in_message_text_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    """Libraries write credentials into the message itself (the WebSocket handshake at debug level logs its
    request line and headers); they are replaced there too, and the rest of the line stays readable."""
    configure_logging("edge", "json", level="debug")
    token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLWJ5dGVz"
    handshake = logging.getLogger("uvicorn.error")
    handshake.debug("< GET /ws/k8s/logs?token=%s HTTP/1.1", token)
    handshake.debug("< %s: %s", "cookie", f"pb_auth=%7B%22token%22%3A%22{token}%22%7D")
    handshake.debug("< %s: %s", "Authorization", f"Bearer {token}")
    logging.getLogger("httpx").info("HTTP Request: POST %s", "http://edge/pb/auto-update/abc?secret=ocwh_Zm9vYmFy")
    text = capsys.readouterr().err
    assert token not in text
    assert "pb_auth" not in text
    assert "ocwh_Zm9vYmFy" not in text
    events = [line["event"] for line in _json_lines(text)[-4:]]
    assert events == [
        "< GET /ws/k8s/logs?token=[redacted] HTTP/1.1",
        "< cookie: [redacted]",
        "< Authorization: [redacted]",
        "HTTP Request: POST http://edge/pb/auto-update/abc?secret=[redacted]",
    ]


def test_console_format_in_dev(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("edge", "console")
    get_logger("t").info("hello", token="abc123")
    text = capsys.readouterr().err
    assert "hello" in text
    assert not text.lstrip().startswith("{")
    assert "abc123" not in text


def test_redact_reaches_any_depth() -> None:
    manifest = {"spec": {"image": {"repository": "nginx", "password": "pw"}, "secrets": [{"name": "A", "value": "v"}]}}
    assert redact(manifest) == {
        "spec": {"image": {"repository": "nginx", "password": "[redacted]"}, "secrets": "[redacted]"}
    }
