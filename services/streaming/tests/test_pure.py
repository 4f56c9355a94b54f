"""Pure logic of the streaming service: what may be cached and sent, who serves a namespace (log timestamps:
libs/kube/tests)."""

from __future__ import annotations

from collections import Counter

from oneclick_core.contracts.streaming import KINDS_BY_NAME, SECRET_KIND
from oneclick_streaming.coordinator import owner_of
from oneclick_streaming.informer import LAST_APPLIED, clean


def test_a_secret_keeps_only_its_metadata() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "data": {"K": "c2VjcmV0"},
        "stringData": {"K": "secret"},
        "metadata": {
            "name": "s",
            "labels": {"a": "b"},
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {LAST_APPLIED: '{"stringData":{"K":"secret"}}', "note": "kept"},
        },
    }
    assert clean(SECRET_KIND, secret) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "s", "labels": {"a": "b"}, "annotations": {"note": "kept"}},
    }
    metadata_only = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "s"}}
    assert clean(SECRET_KIND, metadata_only) == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}


def test_other_objects_lose_managed_fields_and_say_what_they_are() -> None:
    pod = {"metadata": {"name": "p", "managedFields": [{}]}, "spec": {"containers": []}}
    assert clean(KINDS_BY_NAME["pod"], pod) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": []},
    }
    assert clean(KINDS_BY_NAME["hpa"], {"metadata": {}})["apiVersion"] == "autoscaling/v2"


def test_namespaces_are_split_between_replicas_and_move_only_with_their_replica() -> None:
    replicas = ["replica.a", "replica.b", "replica.c"]
    namespaces = [f"ns{i}" for i in range(300)]
    owners = {namespace: owner_of(namespace, replicas) for namespace in namespaces}
    assert min(Counter(owners.values()).values()) > 60  # every replica gets a fair share
    fewer = {namespace: owner_of(namespace, replicas[:2]) for namespace in namespaces}
    moved = [namespace for namespace in namespaces if fewer[namespace] != owners[namespace]]
    assert all(owners[namespace] == "replica.c" for namespace in moved)
