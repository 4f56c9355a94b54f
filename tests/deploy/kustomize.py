"""Rendering deploy/kubernetes with the machine's kubectl (kustomize v5 built in)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .build_context import REPO

KUBERNETES = REPO / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
Json = dict[str, Any]


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl is not installed (it renders the kustomizations)")
    return found


def render(directory: Path) -> list[Json]:
    result = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_with_components(tmp: Path, overlay: str, components: list[str]) -> list[Json]:
    """An overlay plus extra components, the way a platform team would compose them."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(KUBERNETES / "overlays" / overlay, tmp)],
                "components": [os.path.relpath(KUBERNETES / "components" / name, tmp) for name in components],
            }
        )
    )
    return render(tmp)


def find(objects: list[Json], kind: str, name: str | None = None) -> list[Json]:
    return [obj for obj in objects if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name)]


def one(objects: list[Json], kind: str, name: str) -> Json:
    found = find(objects, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def by_generated_name(objects: list[Json], kind: str, name: str) -> Json:
    """A generated ConfigMap/Secret carries a content hash suffix: ``name-<hash>``."""
    found = [
        obj
        for obj in objects
        if obj["kind"] == kind
        and (obj["metadata"]["name"] == name or obj["metadata"]["name"].rsplit("-", 1)[0] == name)
    ]
    assert len(found) == 1, f"{kind}/{name}: {[o['metadata']['name'] for o in found]}"
    return found[0]
