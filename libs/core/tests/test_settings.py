from pathlib import Path

import pytest

from oneclick_core.settings import CoreSettings


def test_prefixed_variables_configure_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONECLICK_NATS_URL", "nats://a:4222, nats://b:4222")
    monkeypatch.setenv("ONECLICK_DATABASE_URL", "postgresql://u:secret@db/oneclick")
    settings = CoreSettings()
    assert settings.nats_servers == ["nats://a:4222", "nats://b:4222"]
    assert settings.database_url is not None
    # The URL holds a password: it must not show up when settings are printed or logged.
    assert "secret" not in repr(settings)


def test_one_click_variables_keep_working(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("LOCAL", "true")
    monkeypatch.setenv("LOCAL_KUBECONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("CRON_TICK", "*/5 * * * *")
    settings = CoreSettings()
    assert settings.local is True
    assert settings.cron_tick == "*/5 * * * *"
    assert settings.effective_kubeconfig() == tmp_path / "config"


def test_kubeconfig_wins_over_local(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCAL", "true")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    assert CoreSettings().effective_kubeconfig() == tmp_path / "kubeconfig"


def test_in_cluster_when_nothing_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KUBECONFIG", "ONECLICK_KUBECONFIG", "LOCAL", "ONECLICK_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    assert CoreSettings().effective_kubeconfig() is None


def test_log_format_follows_dev_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONECLICK_LOG_FORMAT", raising=False)
    monkeypatch.setenv("ONECLICK_DEV", "true")
    assert CoreSettings().effective_log_format == "console"
    monkeypatch.setenv("ONECLICK_DEV", "false")
    assert CoreSettings().effective_log_format == "json"


def test_unknown_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONECLICK_LOG_LEVEL", "loud")
    with pytest.raises(ValueError, match="unknown log level"):
        CoreSettings()


def test_empty_variables_mean_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONECLICK_NATS_URL", "")
    monkeypatch.setenv("ONECLICK_DATABASE_URL", " ")
    monkeypatch.setenv("KUBECONFIG", "")
    monkeypatch.delenv("LOCAL", raising=False)
    settings = CoreSettings()
    assert settings.nats_url is None
    assert settings.database_url is None
    assert settings.effective_kubeconfig() is None
