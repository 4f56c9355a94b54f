"""JSON patch, merge patch, strategic merge patch and server-side-apply ownership (pure logic)."""

from __future__ import annotations

import pytest

from kubesim.patching import (
    ApplyConflict,
    PatchError,
    from_fields_v1,
    json_merge_patch,
    json_patch,
    read_managers,
    record_update,
    server_side_apply,
    strategic_merge_patch,
    to_fields_v1,
)


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"app": "d"}},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        },
                        {"name": "sidecar", "image": "envoy:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                }
            },
        },
    }


def test_json_patch_operations() -> None:
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "copy", "from": "/c", "path": "/d"},
            {"op": "move", "from": "/d", "path": "/e"},
            {"op": "remove", "path": "/a/b/0"},
            {"op": "test", "path": "/e", "value": "y"},
            {"op": "add", "path": "/k~1v", "value": True},
        ],
    )
    assert out == {"a": {"b": [2, 3]}, "c": "y", "e": "y", "k/v": True}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/c", "value": "nope"}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "remove", "path": "/missing"}])
    with pytest.raises(PatchError) as malformed:
        json_patch(doc, {"op": "add"})
    assert malformed.value.malformed


def test_json_merge_patch() -> None:
    assert json_merge_patch({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]}, {"a": None, "b": {"c": 9}, "l": [3]}) == {
        "b": {"c": 9, "d": 3},
        "l": [3],
    }


def test_strategic_merge_by_container_name_and_env_name() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:2",
                            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                        }
                    ]
                }
            }
        }
    }
    out = strategic_merge_patch(deployment(), patch)
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "sidecar"]
    assert containers[0]["image"] == "nginx:2"
    assert containers[0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "20"},
        {"name": "C", "value": "3"},
    ]
    assert containers[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_strategic_merge_directives() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "sidecar", "$patch": "delete"}],
                    "volumes": [{"name": "cache", "emptyDir": {}}],
                    "$setElementOrder/volumes": [{"name": "cache"}, {"name": "data"}],
                }
            }
        },
        "metadata": {"labels": {"app": None, "new": "x"}},
    }
    out = strategic_merge_patch(deployment(), patch)
    spec = out["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["web"]
    assert [v["name"] for v in spec["volumes"]] == ["cache", "data"]
    assert out["metadata"]["labels"] == {"new": "x"}
    replaced = strategic_merge_patch(
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
    )
    assert replaced == {"spec": {"strategy": {"type": "Recreate"}}}
    whole = strategic_merge_patch({"a": {"x": 1, "y": 2}}, {"a": {"$patch": "replace", "z": 3}})
    assert whole == {"a": {"z": 3}}


def test_strategic_merge_ports_and_atomic_lists() -> None:
    service = {
        "spec": {
            "ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}],
            "selector": {"app": "x"},
        }
    }
    out = strategic_merge_patch(service, {"spec": {"ports": [{"port": 443, "targetPort": 9443}]}})
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 9443}]
    args = strategic_merge_patch(
        {"spec": {"containers": [{"name": "a", "args": ["1", "2"]}]}},
        {"spec": {"containers": [{"name": "a", "args": ["3"]}]}},
    )
    assert args["spec"]["containers"][0]["args"] == ["3"]
    finalizers = strategic_merge_patch({"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": ["b"]}})
    assert finalizers["metadata"]["finalizers"] == ["a", "b"]
    dropped = strategic_merge_patch(
        {"metadata": {"finalizers": ["a", "b"]}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}
    )
    assert dropped["metadata"]["finalizers"] == ["b"]


def test_fields_v1_round_trip() -> None:
    paths = {
        ("f:metadata", "f:labels", "f:app"),
        ("f:spec", "f:containers", 'k:{"name":"web"}'),
        ("f:spec", "f:containers", 'k:{"name":"web"}', "f:image"),
    }
    tree = to_fields_v1(paths)
    assert tree == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}}}},
    }
    assert from_fields_v1(tree) == paths


def test_server_side_apply_ownership_conflicts_and_force() -> None:
    config_a = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}},
    }
    live = server_side_apply(None, config_a, "team-a", "apps/v1", "2024-01-01T00:00:00Z", force=False)
    assert live["spec"]["replicas"] == 2
    managers = read_managers(live)
    assert [(m.manager, m.operation) for m in managers] == [("team-a", "Apply")]
    # Same values from another manager: shared ownership, no conflict.
    shared = server_side_apply(
        live, {**config_a, "spec": {"replicas": 2}}, "team-b", "apps/v1", "2024-01-01T00:00:01Z", force=False
    )
    assert {m.manager for m in read_managers(shared)} == {"team-a", "team-b"}
    # A different value for a field someone else owns is a conflict...
    with pytest.raises(ApplyConflict) as conflict:
        server_side_apply(live, {**config_a, "spec": {"replicas": 5}}, "team-b", "apps/v1", "t", force=False)
    assert conflict.value.conflicts[0].manager == "team-a"
    assert ".spec.replicas" in conflict.value.message()
    # ...unless forced: the field changes hands.
    forced = server_side_apply(live, {**config_a, "spec": {"replicas": 5}}, "team-b", "apps/v1", "t", force=True)
    assert forced["spec"]["replicas"] == 5
    owners = {m.manager: m.fields for m in read_managers(forced)}
    assert ("f:spec", "f:replicas") in owners["team-b"]
    assert ("f:spec", "f:replicas") not in owners["team-a"]


def test_server_side_apply_removes_fields_the_manager_stopped_applying() -> None:
    first = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}},
        "data": {"x": "1", "y": "2"},
    }
    live = server_side_apply(None, first, "me", "v1", "t", force=False)
    second = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}},
        "data": {"x": "1"},
    }
    after = server_side_apply(live, second, "me", "v1", "t", force=False)
    assert after["data"] == {"x": "1"}
    assert after["metadata"]["labels"] == {"a": "1"}


def test_update_records_changed_fields_for_the_writer() -> None:
    old = {"metadata": {"name": "c"}, "data": {"a": "1"}}
    record_update(None, old, "creator", "v1", "t")
    new = {"metadata": {"name": "c", "managedFields": old["metadata"]["managedFields"]}, "data": {"a": "1", "b": "2"}}
    record_update(old, new, "editor", "v1", "t")
    owners = {m.manager: m.fields for m in read_managers(new)}
    assert owners["creator"] == {("f:data", "f:a")}
    assert owners["editor"] == {("f:data", "f:b")}
