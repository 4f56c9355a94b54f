"""The NATS users of deploy/kubernetes/components/nats/auth.conf: read, matched like NATS, and served for tests."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oneclick_cli.embedded.nats import MAX_PAYLOAD
from oneclick_cli.processes import die_with_parent, free_port, stop_process, venv_binary, wait_for_port

from .build_context import REPO

NATS_COMPONENT = REPO / "deploy" / "kubernetes" / "components" / "nats"
AUTH_CONF = NATS_COMPONENT / "auth.conf"
ADMIN = "admin"


def password_variable(user: str) -> str:
    return "NATS_PASSWORD_" + user.upper().replace("-", "_")


@dataclass(frozen=True)
class NatsUser:
    name: str
    password_variable: str
    publish: tuple[str, ...] | None  # None: no permissions block, everything allowed
    subscribe: tuple[str, ...] | None
    allow_responses: bool

    def may_publish(self, subject: str) -> bool:
        return self.publish is None or any(subject_matches(pattern, subject) for pattern in self.publish)

    def may_subscribe(self, subject: str) -> bool:
        return self.subscribe is None or any(subject_matches(pattern, subject) for pattern in self.subscribe)


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcards: ``*`` is one token, ``>`` the rest (one or more tokens)."""
    pattern_tokens, subject_tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens) or (token != "*" and token != subject_tokens[index]):
            return False
    return len(pattern_tokens) == len(subject_tokens)


def load_users(path: Path = AUTH_CONF) -> dict[str, NatsUser]:
    """auth.conf is written as JSON (which NATS reads) apart from comments and ``$VARIABLE`` passwords."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    text = re.sub(r":\s*\$(\w+)", r': "$\1"', text)
    document: dict[str, Any] = json.loads("{" + text + "}")
    users: dict[str, NatsUser] = {}
    for entry in document["authorization"]["users"]:
        permissions = entry.get("permissions")
        publish = tuple(permissions["publish"]["allow"]) if permissions else None
        subscribe = tuple(permissions["subscribe"]["allow"]) if permissions else None
        users[entry["user"]] = NatsUser(
            entry["user"],
            entry["password"].removeprefix("$"),
            publish,
            subscribe,
            bool(permissions and permissions.get("allow_responses")),
        )
    return users


@dataclass
class AuthorizedNats:
    url: str
    log: Path
    passwords: dict[str, str]

    def violations(self) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if "Violation" in line]


@contextmanager
def authorized_nats(root: Path) -> Iterator[AuthorizedNats]:
    """nats-server with JetStream and exactly the component's users, each with a fresh random password."""
    users = load_users()
    # nats-server parses a variable's value as a config value: a password must start with a letter.
    passwords = {name: "pw" + secrets.token_hex(16) for name in users}
    shutil.copy(AUTH_CONF, root / "auth.conf")
    port = free_port()
    (root / "nats.conf").write_text(
        f"host: 127.0.0.1\nport: {port}\nmax_payload: {MAX_PAYLOAD}\n"
        f'jetstream {{ store_dir: "{root / "store"}" }}\ninclude ./auth.conf\n'
    )
    log = root / "nats.log"
    env = {user.password_variable: passwords[name] for name, user in users.items()}
    process = subprocess.Popen(
        [str(venv_binary("nats-server")), "-c", str(root / "nats.conf"), "-l", str(log)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent(),
        process_group=0,
    )
    try:
        wait_for_port("127.0.0.1", port, 20, process)
        yield AuthorizedNats(f"nats://127.0.0.1:{port}", log, passwords)
    finally:
        stop_process(process, timeout=10)
        shutil.rmtree(root, ignore_errors=True)
