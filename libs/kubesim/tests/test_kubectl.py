"""kubectl 1.32 against kubesim: the commands One-Click's developers and tests use, without extra flags."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from kubesim.testing import Kubectl

pytestmark = pytest.mark.kubectl

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: {ns}
  labels: {{app: api, tier: backend}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api, tier: backend}}}}
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:{tag}
        ports: [{{containerPort: 8080, name: http}}]
        env: [{{name: MODE, value: prod}}]
---
apiVersion: v1
kind: Service
metadata: {{name: api, namespace: {ns}}}
spec:
  selector: {{app: api}}
  ports: [{{port: 80, targetPort: http}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {ns}, labels: {{tier: backend}}}}
data: {{mode: prod}}
"""


def read_lines(process: subprocess.Popen[str], count: int, timeout: float = 20.0) -> list[str]:
    """The next ``count`` lines of a streaming command's output; a clear failure instead of a hang when they
    do not come (a blocking ``readline`` on a silent ``-f``/``-w`` would wait until pytest's global timeout)."""
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []

    def read() -> None:
        for _ in range(count):
            line = stdout.readline()
            if not line:
                return
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or len(lines) < count:
        process.kill()  # closes the pipe, which ends the reader
        process.wait()
        reader.join(5)
        stderr = process.stderr.read() if process.stderr is not None else ""
        raise AssertionError(
            f"expected {count} line(s) within {timeout:g}s, got {len(lines)}: {lines!r}; "
            f"exit code {process.returncode}; stderr: {stderr.strip()!r}"
        )
    return lines


def test_read_lines_fails_clearly_instead_of_hanging() -> None:
    silent = subprocess.Popen(
        [sys.executable, "-c", "print('one', flush=True); import time; time.sleep(60)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert read_lines(silent, 1) == ["one\n"]
        with pytest.raises(AssertionError, match=r"expected 2 line\(s\) within 0.5s, got 0"):
            read_lines(silent, 2, timeout=0.5)
        assert silent.poll() is not None  # the silent process was stopped, not left behind
    finally:
        silent.kill()
        silent.wait()


def wait_for(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def images_of(kubectl: Kubectl, ns: str) -> set[str]:
    images = kubectl.run("-n", ns, "get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}")
    return set(images.stdout.split())


@pytest.fixture
def ns(kubectl: Kubectl) -> str:
    return f"k-{uuid.uuid4().hex[:8]}"


def test_apply_multi_document_file_and_reapply(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(MANIFEST.format(ns=ns, replicas=2, tag="1.0"))
    first = kubectl.run("apply", "-f", str(manifest))
    assert first.stdout.splitlines() == [
        f"namespace/{ns} created",
        "deployment.apps/api created",
        "service/api created",
        "configmap/settings created",
    ]
    again = kubectl.run("apply", "-f", str(manifest))
    assert all(line.endswith("unchanged") for line in again.stdout.splitlines())
    manifest.write_text(MANIFEST.format(ns=ns, replicas=3, tag="1.1"))
    changed = kubectl.run("apply", "-f", str(manifest))
    assert "deployment.apps/api configured" in changed.stdout
    status = kubectl.run("-n", ns, "rollout", "status", "deployment/api", "--timeout=30s")
    assert 'deployment "api" successfully rolled out' in status.stdout
    # Old pods may still be terminating when the rollout counts as done (as on a real cluster).
    wait_for(lambda: len(yaml.safe_load(kubectl.run("-n", ns, "get", "pods", "-o", "yaml").stdout)["items"]) == 3)
    items = yaml.safe_load(kubectl.run("-n", ns, "get", "pods", "-o", "yaml").stdout)["items"]
    assert {p["spec"]["containers"][0]["image"] for p in items} == {"ghcr.io/acme/api:1.1"}


def test_get_prints_tables_and_yaml(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(MANIFEST.format(ns=ns, replicas=2, tag="1.0"))
    kubectl.run("apply", "-f", str(manifest))
    kubectl.run("-n", ns, "rollout", "status", "deployment/api", "--timeout=30s")
    table = kubectl.run("-n", ns, "get", "deployments").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["api", "2/2", "2", "2"]
    pods = kubectl.run("-n", ns, "get", "pods").stdout.splitlines()
    assert pods[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert all(line.split()[1:4] == ["1/1", "Running", "0"] for line in pods[1:])
    wide = kubectl.run("-n", ns, "get", "pods", "-o", "wide").stdout.splitlines()
    assert "NODE" in wide[0].split()
    assert all("kubesim-node" in line for line in wide[1:])
    services = kubectl.run("-n", ns, "get", "svc", "api").stdout.splitlines()
    assert services[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    document = yaml.safe_load(kubectl.run("-n", ns, "get", "deployment", "api", "-o", "yaml").stdout)
    assert document["kind"] == "Deployment"
    assert document["status"]["readyReplicas"] == 2
    assert "managedFields" not in document["metadata"]
    everything = kubectl.run("-n", ns, "get", "all").stdout
    assert "deployment.apps/api" in everything
    assert "service/api" in everything
    assert "replicaset.apps/api-" in everything
    names = kubectl.run("get", "namespaces", "-o", "name").stdout.split()
    assert f"namespace/{ns}" in names
    assert "namespace/kube-system" in names


def test_get_with_selectors(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(MANIFEST.format(ns=ns, replicas=1, tag="1.0"))
    kubectl.run("apply", "-f", str(manifest))
    selected = kubectl.run(
        "-n", ns, "get", "deployments,configmaps", "--selector", "tier=backend", "-o", "name"
    ).stdout.split()
    assert sorted(selected) == ["configmap/settings", "deployment.apps/api"]
    none = kubectl.run("-n", ns, "get", "configmaps", "-l", "tier=frontend", "-o", "name")
    assert none.stdout.strip() == ""
    by_field = kubectl.run("-n", ns, "get", "configmaps", "--field-selector", "metadata.name=settings", "-o", "name")
    assert by_field.stdout.split() == ["configmap/settings"]


def test_create_namespace_deployment_scale_and_rollout_status(kubectl: Kubectl, ns: str) -> None:
    assert kubectl.run("create", "namespace", ns).stdout.strip() == f"namespace/{ns} created"
    created = kubectl.run("-n", ns, "create", "deployment", "hello", "--image=nginx:1.27", "--replicas=2")
    assert created.stdout.strip() == "deployment.apps/hello created"
    kubectl.run("-n", ns, "rollout", "status", "deployment/hello", "--timeout=30s")
    scaled = kubectl.run("-n", ns, "scale", "deployment/hello", "--replicas=4")
    assert scaled.stdout.strip() == "deployment.apps/hello scaled"
    status = kubectl.run("-n", ns, "rollout", "status", "deployment/hello", "--timeout=30s")
    assert 'deployment "hello" successfully rolled out' in status.stdout
    ready = kubectl.run("-n", ns, "get", "deployment", "hello", "-o", "jsonpath={.status.readyReplicas}")
    assert ready.stdout == "4"
    kubectl.run("-n", ns, "set", "image", "deployment/hello", "nginx=nginx:1.28")
    kubectl.run("-n", ns, "rollout", "status", "deployment/hello", "--timeout=30s")
    wait_for(lambda: images_of(kubectl, ns) == {"nginx:1.28"})
    history = kubectl.run("-n", ns, "rollout", "history", "deployment/hello").stdout.splitlines()
    assert [line.split()[0] for line in history if line[:1].isdigit()] == ["1", "2"]
    kubectl.run("-n", ns, "rollout", "undo", "deployment/hello")
    kubectl.run("-n", ns, "rollout", "status", "deployment/hello", "--timeout=30s")
    wait_for(lambda: images_of(kubectl, ns) == {"nginx:1.27"})
    # Undo reuses the first ReplicaSet and makes it revision 3.
    history = kubectl.run("-n", ns, "rollout", "history", "deployment/hello").stdout.splitlines()
    assert [line.split()[0] for line in history if line[:1].isdigit()] == ["2", "3"]
    assert len(kubectl.run("-n", ns, "get", "rs", "-o", "name").stdout.split()) == 2


def test_server_side_apply(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    kubectl.run("create", "namespace", ns)
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {{a: '1', b: '2'}}\n"
    )
    first = kubectl.run("apply", "--server-side", "-f", str(manifest))
    assert first.stdout.strip() == "configmap/ssa serverside-applied"
    manifest.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {{a: '1'}}\n"
    )
    kubectl.run("apply", "--server-side", "-f", str(manifest))
    document = yaml.safe_load(
        kubectl.run("-n", ns, "get", "configmap", "ssa", "-o", "yaml", "--show-managed-fields").stdout
    )
    assert document["data"] == {"a": "1"}
    assert [(m["manager"], m["operation"]) for m in document["metadata"]["managedFields"]] == [("kubectl", "Apply")]
    other = tmp_path / "other.yaml"
    other.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {{a: 'changed'}}\n"
    )
    conflict = kubectl.run("apply", "--server-side", "--field-manager=other", "-f", str(other), check=False)
    assert conflict.returncode != 0
    assert "conflict" in conflict.stderr.lower()
    kubectl.run("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", str(other))
    assert kubectl.run("-n", ns, "get", "configmap", "ssa", "-o", "jsonpath={.data.a}").stdout == "changed"


def test_delete_waits_until_gone(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "namespace", ns)
    kubectl.run("-n", ns, "create", "deployment", "gone", "--image=nginx:1.27", "--replicas=2")
    kubectl.run("-n", ns, "rollout", "status", "deployment/gone", "--timeout=30s")
    deleted = kubectl.run("-n", ns, "delete", "deployment", "gone")
    assert deleted.stdout.strip() == 'deployment.apps "gone" deleted'
    wait_for(lambda: kubectl.run("-n", ns, "get", "pods", "-o", "name").stdout.strip() == "")
    missing = kubectl.run("-n", ns, "get", "deployment", "gone", check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "gone" not found' in missing.stderr
    removed = kubectl.run("delete", "namespace", ns)
    assert removed.stdout.strip() == f'namespace "{ns}" deleted'
    assert kubectl.run("get", "namespace", ns, check=False).returncode == 1


def test_logs_and_follow(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "namespace", ns)
    kubectl.run("-n", ns, "create", "deployment", "talk", "--image=nginx:1.27")
    kubectl.run("-n", ns, "rollout", "status", "deployment/talk", "--timeout=30s")
    pod = kubectl.run("-n", ns, "get", "pods", "-o", "name").stdout.split()[0]
    logs = kubectl.run("-n", ns, "logs", pod).stdout.splitlines()
    assert logs[0].startswith("Starting nginx:1.27")
    tail = kubectl.run("-n", ns, "logs", pod, "--tail=2", "--timestamps").stdout.splitlines()
    assert len(tail) == 2
    assert tail[0][:4].isdigit()
    by_deployment = kubectl.run("-n", ns, "logs", "deployment/talk", "--tail=1").stdout.splitlines()
    assert len(by_deployment) == 1
    follower = kubectl.popen("-n", ns, "logs", "-f", pod, "--tail=1")
    try:
        assert follower.stdout is not None
        lines = read_lines(follower, 5)
    finally:
        follower.kill()
        follower.wait()
    assert all(line.strip() for line in lines)


def test_get_watch_shows_changes(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "namespace", ns)
    kubectl.run("-n", ns, "create", "configmap", "first", "--from-literal=a=b")
    watcher = kubectl.popen("-n", ns, "get", "configmaps", "-w", "--output-watch-events")
    try:
        assert watcher.stdout is not None
        header = read_lines(watcher, 1)[0].split()
        assert header == ["EVENT", "NAME", "DATA", "AGE"]
        seen = [line.split()[:2] for line in read_lines(watcher, 2)]
        kubectl.run("-n", ns, "create", "configmap", "second", "--from-literal=a=b")
        seen.append(read_lines(watcher, 1)[0].split()[:2])
        kubectl.run("-n", ns, "delete", "configmap", "second")
        seen.append(read_lines(watcher, 1)[0].split()[:2])
    finally:
        watcher.kill()
        watcher.wait()
    assert sorted(seen[:2]) == [["ADDED", "first"], ["ADDED", "kube-root-ca.crt"]]
    assert seen[2:] == [["ADDED", "second"], ["DELETED", "second"]]


def test_custom_resources_print_their_columns(kubectl: Kubectl, ns: str, tmp_path: Path) -> None:
    kubectl.run("create", "namespace", ns)
    rollout = tmp_path / "rollout.yaml"
    rollout.write_text(
        f"apiVersion: one-click.dev/v1alpha1\nkind: Rollout\nmetadata: {{name: demo, namespace: {ns}}}\n"
        f"spec:\n  image: {{registry: docker.io, repository: nginx, tag: '1.25'}}\n"
        f"  horizontalScale: {{minReplicas: 2, maxReplicas: 3, targetCPUUtilizationPercentage: 80}}\n"
    )
    assert kubectl.run("apply", "-f", str(rollout)).stdout.strip() == "rollout.one-click.dev/demo created"
    table = kubectl.run("-n", ns, "get", "rollouts").stdout.splitlines()
    assert table[0].split() == ["NAME", "IMAGE", "TAG", "REPLICAS", "STATUS", "AGE"]
    assert table[1].split()[:4] == ["demo", "nginx", "1.25", "2"]


def test_describe_and_events(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("create", "namespace", ns)
    kubectl.run("-n", ns, "create", "deployment", "ev", "--image=nginx:1.27")
    kubectl.run("-n", ns, "rollout", "status", "deployment/ev", "--timeout=30s")
    pod = kubectl.run("-n", ns, "get", "pods", "-o", "name").stdout.split()[0]
    described = kubectl.run("-n", ns, "describe", pod).stdout
    assert "Status:           Running" in described
    assert "Successfully assigned" in described
    events = kubectl.run("-n", ns, "get", "events").stdout.splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any("ScalingReplicaSet" in line for line in events)
