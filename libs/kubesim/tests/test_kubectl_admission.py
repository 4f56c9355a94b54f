"""kubectl 1.32 meets kubesim's admission: refusals print as kubectl prints the API server's, Pod Security warnings
show up, quotas and limit ranges list and describe."""

from __future__ import annotations

import time
import uuid

import pytest

from kubesim.testing import Kubectl

pytestmark = pytest.mark.kubectl


def namespace(kubectl: Kubectl, level: str | None = None, warn: str | None = None) -> str:
    name = f"kadm-{uuid.uuid4().hex[:8]}"
    labels = []
    if level:
        labels.append(f"pod-security.kubernetes.io/enforce: {level}")
    if warn:
        labels.append(f"pod-security.kubernetes.io/warn: {warn}")
    kubectl.run(
        "apply",
        "-f",
        "-",
        input=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{', '.join(labels)}}}\n",
    )
    return name


PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: x, namespace: {ns}}}
spec:
  containers:
  - name: x
    image: nginx
    securityContext: {{privileged: true}}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{cpu: 100m, memory: 64Mi}}}}
"""


def test_privileged_pod_refused_in_a_baseline_namespace(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "baseline")
    result = kubectl.run("apply", "-f", "-", input=PRIVILEGED_POD.format(ns=ns), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: violates PodSecurity '
        '"baseline:latest": privileged (container "x" must not set securityContext.privileged=true)'
    )
    result = kubectl.run("apply", "--server-side", "-f", "-", input=PRIVILEGED_POD.format(ns=ns), check=False)
    assert result.returncode == 1
    assert 'pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged' in result.stderr


def test_apply_prints_the_pod_security_warning_for_a_deployment(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "restricted")
    result = kubectl.run("apply", "-f", "-", input=DEPLOYMENT.format(ns=ns, replicas=1))
    assert result.stdout.strip() == "deployment.apps/web created"
    assert result.stderr.strip() == (
        'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "web" '
        'must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "web" must '
        'set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "web" must set '
        'securityContext.runAsNonRoot=true), seccompProfile (pod or container "web" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    )
    # The ReplicaSet's pods are refused; the events say why.
    deadline = time.monotonic() + 20
    while True:
        events = kubectl.run(
            "get", "events", "-n", ns, "--field-selector", "reason=FailedCreate", "-o", "jsonpath={.items[*].message}"
        ).stdout
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert 'is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' in events


def test_quota_and_limit_range_through_kubectl(kubectl: Kubectl) -> None:
    ns = namespace(kubectl)
    kubectl.run("create", "quota", "compute", "-n", ns, "--hard=pods=2,requests.cpu=1,limits.memory=1Gi")
    kubectl.run(
        "apply",
        "-f",
        "-",
        input=f"""\
apiVersion: v1
kind: LimitRange
metadata: {{name: defaults, namespace: {ns}}}
spec:
  limits:
  - type: Container
    default: {{cpu: 200m, memory: 128Mi}}
    defaultRequest: {{cpu: 100m, memory: 64Mi}}
""",
    )
    for name in ("a", "b"):
        kubectl.run("run", name, "-n", ns, "--image=nginx")
    result = kubectl.run("run", "c", "-n", ns, "--image=nginx", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Forbidden): pods "c" is forbidden: exceeded quota: compute, '
        "requested: pods=1, used: pods=2, limited: pods=2"
    )
    resources = kubectl.run("get", "pod", "a", "-n", ns, "-o", "jsonpath={.spec.containers[0].resources}").stdout
    assert resources == '{"limits":{"cpu":"200m","memory":"128Mi"},"requests":{"cpu":"100m","memory":"64Mi"}}'
    deadline = time.monotonic() + 20
    while True:
        listed = kubectl.run("get", "resourcequota", "-n", ns).stdout
        if "pods: 2/2" in listed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    header, row = listed.strip().splitlines()
    assert header.split() == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert row.split(None, 2)[0] == "compute"
    assert row.endswith("pods: 2/2, requests.cpu: 200m/1   limits.memory: 256Mi/1Gi")
    described = kubectl.run("describe", "limitrange", "defaults", "-n", ns).stdout
    assert "Container   cpu       -    -    100m             200m" in described


def test_network_policy_validation_through_kubectl(kubectl: Kubectl) -> None:
    ns = namespace(kubectl)
    result = kubectl.run(
        "apply",
        "-f",
        "-",
        check=False,
        input=f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: bad, namespace: {ns}}}
spec:
  podSelector: {{}}
  ingress:
  - from: [{{}}]
""",
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The NetworkPolicy "bad" is invalid: spec.ingress[0].from[0]: Required value: must specify a peer'
    )
    kubectl.run(
        "apply",
        "-f",
        "-",
        input=f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: same-namespace, namespace: {ns}}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress:
  - from: [{{podSelector: {{}}}}]
""",
    )
    listed = kubectl.run("get", "networkpolicy", "-n", ns).stdout.strip().splitlines()
    assert listed[0].split() == ["NAME", "POD-SELECTOR", "AGE"]
    assert listed[1].split()[:2] == ["same-namespace", "app=web"]
