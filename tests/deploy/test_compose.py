"""docker-compose.yml matches the code: every service, its image, command, ports, variables, volumes and
dependencies are derived from the service specs and their pydantic-settings classes (no drift).

Compose is not run here (no Docker engine); the file is read as Compose reads it, with ``${NAME:-default}``
interpolated from an empty environment, i.e. what `docker compose up` does on a fresh machine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from oneclick_cli.discovery import load_service, service_names
from oneclick_cli.embedded.nats import MAX_PAYLOAD
from oneclick_cli.processes import venv_binary
from oneclick_core.contracts.rpc import SERVICES

from .build_context import REPO
from .dockerfile import load
from .settings_env import settings_classes, unknown_variables

COMPOSE = REPO / "docker-compose.yml"
KUBE_SERVICES = ("k8s-executor", "streaming")
INFRASTRUCTURE = {"nats", "postgres", "kubesim"}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}`` and ``$$``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, default = match.group(1), match.group(2), match.group(3) or ""
        current = env.get(name)
        if operator == ":-":
            return current if current else default
        if operator == "-":
            return current if current is not None else default
        return current or ""

    return re.sub(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}", substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())  # also resolves the YAML merge keys (`<<: *service`)
    return interpolate(loaded, {})


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → source of each volume."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        source, target, *_ = volume.split(":")
        mounts[target] = source
    return mounts


def test_every_service_runs_from_the_image_as_oneclick_service(compose: dict[str, Any]) -> None:
    assert set(service_names()) == set(SERVICES)
    assert set(compose["services"]) == set(SERVICES) | INFRASTRUCTURE
    for name in SERVICES:
        service = compose["services"][name]
        assert service["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}, name
        assert service["image"] == compose["services"]["edge"]["image"], "one image for every service"
        assert "entrypoint" not in service, f"{name} must run the image's `oneclick service` entrypoint"
        assert service["command"] == [name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "healthcheck" not in service, f"{name}: the image's HEALTHCHECK asks the admin port"


def test_variables_are_settings_the_service_reads_and_their_values_validate(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        env = _environment(compose["services"][name])
        assert not unknown_variables(name, set(env)), f"{name} reads none of {unknown_variables(name, set(env))}"
        # The values as Compose hands them over must pass the service's own validation.
        set_values = {key: value for key, value in env.items() if value != ""}
        for settings in settings_classes(name):
            with pytest.MonkeyPatch.context() as patch:
                for key, value in set_values.items():
                    patch.setenv(key, value)
                settings()
        assert env["ONECLICK_NATS_URL"] == "nats://nats:4222"


def test_schema_owners_get_the_database_and_wait_for_it(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]["environment"]
    expected = (
        f"postgresql://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{postgres['POSTGRES_DB']}"
    )
    for name in SERVICES:
        service = compose["services"][name]
        needs_database = load_service(name).schema is not None
        assert ("ONECLICK_DATABASE_URL" in _environment(service)) == needs_database, name
        depends = service["depends_on"]
        assert depends["nats"] == {"condition": "service_healthy"}
        if needs_database:
            assert _environment(service)["ONECLICK_DATABASE_URL"] == expected
            assert depends["postgres"] == {"condition": "service_healthy"}
        else:
            assert "postgres" not in depends


def test_edge_publishes_its_http_port(compose: dict[str, Any]) -> None:
    edge = compose["services"]["edge"]
    image_env = load().stage("runtime").env()
    port = int(_environment(edge).get("ONECLICK_HTTP_PORT", image_env["ONECLICK_HTTP_PORT"]))
    assert port == 8090
    assert edge["ports"] == [f"8090:{port}"]
    assert image_env["ONECLICK_HTTP_HOST"] == "0.0.0.0", "reachable through the published port"
    for name in SERVICES:
        if name != "edge":
            assert "ports" not in compose["services"][name], f"only the edge is public, not {name}"


def test_executor_and_streaming_get_a_mounted_kubeconfig_of_a_reachable_cluster(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        service = compose["services"][name]
        kubeconfig = _environment(service).get("KUBECONFIG")
        if name not in KUBE_SERVICES:
            assert kubeconfig is None, f"{name} does not talk to Kubernetes"
            continue
        assert kubeconfig is not None
        source = _mounts(service)[kubeconfig]
        assert (REPO / source).is_file(), source
        assert service["depends_on"]["kubesim"] == {"condition": "service_healthy"}
        cluster = yaml.safe_load((REPO / source).read_text())["clusters"][0]["cluster"]
        kubesim = compose["services"]["kubesim"]["entrypoint"]
        port = kubesim[kubesim.index("--port") + 1]
        assert cluster["server"] == f"http://kubesim:{port}"
        assert kubesim[kubesim.index("--host") + 1] == "0.0.0.0"


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    volumes = set(compose["volumes"])
    assert _mounts(compose["services"]["nats"])["/data"] in volumes
    assert _mounts(compose["services"]["postgres"])["/var/lib/postgresql/data"] in volumes
    kubesim = compose["services"]["kubesim"]
    state_file = Path(kubesim["entrypoint"][kubesim["entrypoint"].index("--state-file") + 1])
    assert _mounts(kubesim)[str(state_file.parent)] in volumes


def test_nats_has_jetstream_on_its_volume_and_room_for_record_files(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    config_path = _mounts(nats)["/etc/nats/nats.conf"]
    text = (REPO / config_path).read_text()
    assert re.search(r"jetstream\s*\{\s*store_dir:\s*/data\s*\}", text)
    size = re.search(r"max_payload:\s*(\d+)MB", text)
    assert size is not None
    assert int(size.group(1)) * 1024 * 1024 >= MAX_PAYLOAD
    assert "8222" in " ".join(nats["healthcheck"]["test"])
    # The server itself accepts the file (the embedded nats-server binary of the same release line).
    checked = subprocess.run(
        [str(venv_binary("nats-server")), "-c", str(REPO / config_path), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
