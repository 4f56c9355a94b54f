"""Discovery, CRUD, optimistic concurrency, Status errors, lists and pagination through kubernetes-asyncio."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client

from kubesim.testing import KubesimProcess


async def test_version_and_discovery(api: client.ApiClient) -> None:
    version = await client.VersionApi(api).get_code()
    assert version.major == "1"
    assert version.minor == "32"
    groups = await client.ApisApi(api).get_api_versions()
    names = {g.name for g in groups.groups}
    assert {
        "apps",
        "batch",
        "networking.k8s.io",
        "autoscaling",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "metrics.k8s.io",
        "one-click.dev",
    } <= names
    core = await client.CoreApi(api).get_api_versions()
    assert core.versions == ["v1"]
    resources = await client.AppsV1Api(api).get_api_resources()
    by_name = {r.name: r for r in resources.resources}
    assert by_name["deployments"].kind == "Deployment"
    assert by_name["deployments"].namespaced is True
    assert "deploy" in by_name["deployments"].short_names
    assert set(by_name["deployments"].verbs) >= {"get", "list", "watch", "create", "update", "patch", "delete"}
    assert by_name["deployments/scale"].kind == "Scale"
    assert by_name["deployments/status"].verbs == ["get", "patch", "update"]


async def test_defaults_exist(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespaces = {n.metadata.name for n in (await core.list_namespace()).items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= namespaces
    nodes = (await core.list_node()).items
    assert len(nodes) == 1
    node = nodes[0]
    assert node.status.capacity["cpu"]
    assert node.status.allocatable["memory"]
    assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    classes = (await client.StorageV1Api(api).list_storage_class()).items
    default = [
        c.metadata.name
        for c in classes
        if (c.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert default == ["standard"]
    assert len(classes) >= 2
    ingress_classes = (await client.NetworkingV1Api(api).list_ingress_class()).items
    assert "nginx" in [c.metadata.name for c in ingress_classes]
    crd = await client.ApiextensionsV1Api(api).read_custom_resource_definition("rollouts.one-click.dev")
    assert crd.spec.versions[0].name == "v1alpha1"
    assert crd.spec.versions[0].subresources.status is not None


async def test_crud_metadata_and_conflicts(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = await core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="settings", labels={"app": "web"}, annotations={"note": "x"}),
            data={"mode": "dev"},
        ),
    )
    assert created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    first_rv = int(created.metadata.resource_version)

    fetched = await core.read_namespaced_config_map("settings", namespace)
    assert fetched.data == {"mode": "dev"}
    assert fetched.metadata.managed_fields
    assert fetched.metadata.managed_fields[0].operation == "Update"

    fetched.data["mode"] = "prod"
    updated = await core.replace_namespaced_config_map("settings", namespace, fetched)
    assert int(updated.metadata.resource_version) > first_rv
    assert updated.metadata.uid == created.metadata.uid

    # The copy we read first is stale now: optimistic concurrency says 409 Conflict.
    created.data["mode"] = "stale"
    with pytest.raises(client.ApiException) as stale:
        await core.replace_namespaced_config_map("settings", namespace, created)
    assert stale.value.status == 409
    assert '"reason":"Conflict"' in stale.value.body.replace(" ", "")

    with pytest.raises(client.ApiException) as exists:
        await core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"))
        )
    assert exists.value.status == 409
    assert "AlreadyExists" in exists.value.body

    with pytest.raises(client.ApiException) as missing:
        await core.read_namespaced_config_map("nope", namespace)
    assert missing.value.status == 404
    assert (
        'configmaps \\"nope\\" not found' in missing.value.body or 'configmaps "nope" not found' in missing.value.body
    )

    await core.delete_namespaced_config_map("settings", namespace)
    with pytest.raises(client.ApiException) as gone:
        await core.read_namespaced_config_map("settings", namespace)
    assert gone.value.status == 404


async def test_resource_versions_are_one_global_counter(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    a = await core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a")))
    b = await core.create_namespaced_secret(
        namespace, client.V1Secret(metadata=client.V1ObjectMeta(name="b"), string_data={"k": "v"})
    )
    assert int(b.metadata.resource_version) > int(a.metadata.resource_version)
    assert b.data == {"k": "dg=="}
    assert b.type == "Opaque"
    listed = await core.list_namespaced_config_map(namespace)
    assert int(listed.metadata.resource_version) >= int(b.metadata.resource_version)


async def test_generate_name(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    made = await core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-"))
    )
    assert made.metadata.name.startswith("gen-")
    assert len(made.metadata.name) == len("gen-") + 5


async def test_invalid_objects_get_422_with_causes(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "Bad_Name"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "c"}]}},
        },
    }
    with pytest.raises(client.ApiException) as invalid:
        await apps.create_namespaced_deployment(namespace, body)
    assert invalid.value.status == 422
    import json

    status = json.loads(invalid.value.body)
    assert status["reason"] == "Invalid"
    assert status["kind"] == "Status"
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"metadata.name", "spec.template.metadata.labels", "spec.template.spec.containers[0].image"} <= fields


async def test_secret_data_is_base64_as_the_api_server_reads_it(api: client.ApiClient, namespace: str) -> None:
    """Line breaks inside a value are skipped, as Go's decoder does (kustomize wraps values of 52 bytes and
    more), and the value is served back unbroken; anything else that is not base64 is a 422."""
    import base64

    core = client.CoreV1Api(api)
    value = b"a password of more than fifty-two bytes, wrapped by kustomize"
    encoded = base64.b64encode(value).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    await core.create_namespaced_secret(namespace, {"metadata": {"name": "wrapped"}, "data": {"p": wrapped}})
    stored = await core.read_namespaced_secret("wrapped", namespace)
    assert stored.data == {"p": encoded}
    assert base64.b64decode(stored.data["p"]) == value
    with pytest.raises(client.ApiException) as invalid:
        await core.create_namespaced_secret(namespace, {"metadata": {"name": "broken"}, "data": {"p": "no*base64"}})
    assert invalid.value.status == 422
    assert "no*base64" not in invalid.value.body  # secret contents are redacted, as the API server does


async def test_bad_request_and_missing_namespace(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    with pytest.raises(client.ApiException) as bad:
        await core.list_namespaced_pod(namespace, label_selector="a in (b")
    assert bad.value.status == 400
    assert "BadRequest" in bad.value.body
    with pytest.raises(client.ApiException) as unsupported:
        await core.list_namespaced_pod(namespace, field_selector="spec.unknown=x")
    assert unsupported.value.status == 400
    with pytest.raises(client.ApiException) as no_ns:
        await core.create_namespaced_config_map(
            "does-not-exist", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x"))
        )
    assert no_ns.value.status == 404
    assert "namespaces" in no_ns.value.body


async def test_method_not_allowed(kubesim: KubesimProcess) -> None:
    code, body = kubesim.request("POST", "/api/v1/namespaces/default/pods/somepod")
    assert code == 405
    assert body["reason"] == "MethodNotAllowed"
    code, body = kubesim.request("PUT", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/x", {})
    assert code == 405


async def test_pagination_with_limit_and_continue(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    for i in range(7):
        await core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"page-{i}"))
        )
    total = len((await core.list_namespaced_config_map(namespace)).items)
    names: list[str] = []
    token = None
    pages = 0
    while True:
        page = await core.list_namespaced_config_map(namespace, limit=3, _continue=token)
        pages += 1
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == total - len(names)
    assert pages == -(-total // 3)
    assert len(names) == total
    assert sorted(n for n in names if n.startswith("page-")) == [f"page-{i}" for i in range(7)]


async def test_label_and_field_selectors(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    specs = {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "web", "env": "dev"}, "c": {"tier": "db"}, "d": {}}
    for name, labels in specs.items():
        await core.create_namespaced_config_map(
            namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels))
        )

    async def names(**kwargs: str) -> set[str]:
        listed = await core.list_namespaced_config_map(namespace, **kwargs)
        return {c.metadata.name for c in listed.items} - {"kube-root-ca.crt"}

    assert await names(label_selector="tier=web") == {"a", "b"}
    assert await names(label_selector="tier==web,env!=prod") == {"b"}
    assert await names(label_selector="env in (prod,dev)") == {"a", "b"}
    assert await names(label_selector="tier notin (web)") == {"c", "d"}
    assert await names(label_selector="env") == {"a", "b"}
    assert await names(label_selector="!env") == {"c", "d"}
    assert await names(field_selector="metadata.name=c") == {"c"}
    assert await names(field_selector="metadata.name!=c", label_selector="tier") == {"a", "b"}
    everywhere = await core.list_config_map_for_all_namespaces(
        field_selector=f"metadata.namespace={namespace}", label_selector="tier=db"
    )
    assert [c.metadata.name for c in everywhere.items] == ["c"]


async def test_dry_run_does_not_persist(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="All"
    )
    with pytest.raises(client.ApiException) as missing:
        await core.read_namespaced_config_map("dry", namespace)
    assert missing.value.status == 404


async def test_stats_endpoint(kubesim: KubesimProcess, api: client.ApiClient) -> None:
    await client.CoreV1Api(api).list_namespace()
    stats = kubesim.stats()
    assert stats["requests"]["byVerb"]["list"] >= 1
    assert stats["requests"]["byVerbAndResource"]["list"]["namespaces"] >= 1
    assert "byResource" in stats["watches"]
    assert "byNamespace" in stats["watches"]
