"""Generates ``kubesim/proto_fields.json``, the protobuf field table ``kubesim.protobuf`` decodes request bodies with.

Source: the ``generated.proto`` files that go-to-protobuf writes into Kubernetes' published API modules,
``github.com/kubernetes/api`` and ``github.com/kubernetes/apimachinery``, at the tags named in ``SOURCE`` below
(the files listed in ``API_FILES`` and ``APIMACHINERY_FILES``). Only the messages reachable from ``ROOTS`` (the
kinds kubectl sends as protobuf, and what they embed) go into the table; the messages kubesim decodes by hand
(``kubesim.protobuf.SPECIAL``: times, quantities, int-or-strings, raw JSON) end the walk.

Usage (the sources are git repositories or plain checkouts; from a git repository the pinned tag is read, whatever
is checked out)::

    git clone --bare --filter=blob:none https://github.com/kubernetes/api /tmp/k8s-api
    git clone --bare --filter=blob:none https://github.com/kubernetes/apimachinery /tmp/k8s-apimachinery
    .venv/bin/python libs/kubesim/tools/generate_proto_fields.py /tmp/k8s-api /tmp/k8s-apimachinery

``--check`` (before the two paths) compares the committed table with what the sources make instead of writing it.
Moving to a newer Kubernetes: change ``SOURCE``, run the script, run kubesim's tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kubesim.protobuf import SPECIAL

# Where the field numbers come from. The table serves kubectl 1.32 and newer clients: a newer API only adds fields
# (field numbers are never reused), so the newest release decodes every older client's bodies.
SOURCE: Mapping[str, str] = MappingProxyType({"kubernetes/api": "v0.36.3", "kubernetes/apimachinery": "v0.36.3"})

API_FILES = (
    "core/v1",
    "apps/v1",
    "batch/v1",
    "networking/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "policy/v1",
    "rbac/v1",
    "scheduling/v1",
)
APIMACHINERY_FILES = ("pkg/apis/meta/v1", "pkg/api/resource", "pkg/util/intstr", "pkg/runtime")

# Short names for the proto packages, as the table (and kubesim.protobuf's apiVersion map) spell message names.
PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "k8s.io.api.core.v1": "core",
        "k8s.io.api.apps.v1": "apps",
        "k8s.io.api.batch.v1": "batch",
        "k8s.io.api.networking.v1": "net",
        "k8s.io.api.autoscaling.v1": "as1",
        "k8s.io.api.autoscaling.v2": "as2",
        "k8s.io.api.policy.v1": "policy",
        "k8s.io.api.rbac.v1": "rbac",
        "k8s.io.api.scheduling.v1": "sched",
        "k8s.io.apimachinery.pkg.apis.meta.v1": "meta",
        "k8s.io.apimachinery.pkg.api.resource": "res",
        "k8s.io.apimachinery.pkg.util.intstr": "intstr",
        "k8s.io.apimachinery.pkg.runtime": "rt",
    }
)

# What kubectl's typed clients send as protobuf (create namespace/deployment/job/cronjob/configmap/secret/service/
# serviceaccount/quota/ingress/role/rolebinding/clusterrole/clusterrolebinding/poddisruptionbudget/priorityclass,
# run, scale, autoscale, drain's evictions, and the binding subresource).
ROOTS = (
    "apps.DaemonSet",
    "apps.Deployment",
    "apps.ReplicaSet",
    "apps.StatefulSet",
    "as1.HorizontalPodAutoscaler",
    "as1.Scale",
    "as2.HorizontalPodAutoscaler",
    "batch.CronJob",
    "batch.Job",
    "core.Binding",
    "core.ConfigMap",
    "core.Namespace",
    "core.Pod",
    "core.ResourceQuota",
    "core.Secret",
    "core.Service",
    "core.ServiceAccount",
    "net.Ingress",
    "policy.Eviction",
    "policy.PodDisruptionBudget",
    "rbac.ClusterRole",
    "rbac.ClusterRoleBinding",
    "rbac.Role",
    "rbac.RoleBinding",
    "sched.PriorityClass",
)

# proto2 scalar types as the table's one-letter kinds.
SCALARS: Mapping[str, str] = MappingProxyType(
    {
        "string": "s",
        "int32": "i",
        "int64": "i",
        "uint32": "i",
        "uint64": "i",
        "sint32": "i",
        "sint64": "i",
        "fixed32": "i",
        "fixed64": "i",
        "bool": "b",
        "bytes": "y",
        "double": "d",
        "float": "d",
    }
)

OUTPUT = Path(__file__).resolve().parents[1] / "kubesim" / "proto_fields.json"

_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*;")
_MESSAGE = re.compile(r"^message\s+(\w+)\s*\{")
_FIELD = re.compile(r"^(optional|repeated|required)?\s*(map<\s*\w+\s*,\s*([.\w]+)\s*>|[.\w]+)\s+(\w+)\s*=\s*(\d+)")


@dataclass(frozen=True)
class Field:
    number: int
    name: str
    kind: str  # a scalar's letter, "map:<value kind>", or a message's table name
    repeated: bool


def parse(text: str) -> dict[str, list[Field]]:
    """The messages of one ``generated.proto`` (go-to-protobuf writes flat messages, one field a line), by table
    name."""
    package = ""
    messages: dict[str, list[Field]] = {}
    current: list[Field] | None = None
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if (match := _PACKAGE.match(line)) is not None:
            package = match.group(1)
        elif (match := _MESSAGE.match(line)) is not None:
            current = messages.setdefault(f"{PREFIXES.get(package, package)}.{match.group(1)}", [])
        elif line == "}":
            current = None
        elif current is not None and (match := _FIELD.match(line)) is not None:
            label, declared, map_value, name, number = match.groups()
            kind = f"map:{_kind(map_value, package)}" if map_value else _kind(declared, package)
            current.append(Field(int(number), name, kind, label == "repeated"))
    return messages


def _kind(declared: str, package: str) -> str:
    if declared in SCALARS:
        return SCALARS[declared]
    if declared.startswith("."):
        owner, _, name = declared[1:].rpartition(".")
        return f"{PREFIXES.get(owner, owner)}.{name}"
    return f"{PREFIXES.get(package, package)}.{declared}"


def reachable(messages: Mapping[str, list[Field]], roots: Iterable[str]) -> dict[str, list[Field]]:
    """The messages ``roots`` lead to, stopping at scalars and at what kubesim decodes by hand."""
    table: dict[str, list[Field]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in table or name in SPECIAL:
            continue
        if name not in messages:
            raise SystemExit(f"{name} is not defined in the sources read (add its file or package)")
        table[name] = sorted(messages[name], key=lambda f: f.number)
        for field in table[name]:
            kind = field.kind.removeprefix("map:")
            if "." in kind:
                pending.append(kind)
    return dict(sorted(table.items()))


def render(table: Mapping[str, list[Field]]) -> str:
    """The table as JSON: one message a line, so a regenerated table reads as a small diff."""
    lines = [
        f"  {json.dumps(name)}: {json.dumps([[f.number, f.name, f.kind, f.repeated] for f in fields])}"
        for name, fields in table.items()
    ]
    source = json.dumps({**SOURCE, "generator": "libs/kubesim/tools/generate_proto_fields.py"})
    return '{\n "source": ' + source + ',\n "messages": {\n' + ",\n".join(lines) + "\n }\n}\n"


def read(source: Path, ref: str, path: str) -> str:
    """A file of a source: from the pinned ``ref`` of a git repository, or from a plain checkout."""
    if (source / path).is_file():
        return (source / path).read_text()
    shown = subprocess.run(
        ["git", "--git-dir", str(_git_dir(source)), "show", f"{ref}:{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        raise SystemExit(f"cannot read {path} at {ref} from {source}: {shown.stderr.strip()}")
    return shown.stdout


def _git_dir(source: Path) -> Path:
    return source / ".git" if (source / ".git").exists() else source


def generate(api: Path, apimachinery: Path) -> str:
    """The table's JSON from the two sources at the pinned tags."""
    messages: dict[str, list[Field]] = {}
    for files, source, repo in (
        (API_FILES, api, "kubernetes/api"),
        (APIMACHINERY_FILES, apimachinery, "kubernetes/apimachinery"),
    ):
        for folder in files:
            messages.update(parse(read(source, SOURCE[repo], f"{folder}/generated.proto")))
    return render(reachable(messages, ROOTS))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    if len(paths) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    generated = generate(Path(paths[0]), Path(paths[1]))
    if check:
        # What a maintainer runs after bumping the pinned tags (the sources are not on every machine).
        if OUTPUT.read_text() != generated:
            print(f"{OUTPUT} is not what the pinned sources make: run without --check to regenerate it")
            return 1
        print(f"{OUTPUT} is what the pinned sources make")
        return 0
    OUTPUT.write_text(generated)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
