"""The first messages of the live WebSockets, as the original One-Click frontend sends them.

``rolloutId`` is the project id (the original named it so); ``token`` is optional (see
:mod:`oneclick_edge.live.sockets`). Names are checked against Kubernetes' rules: they go into NATS subjects.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from oneclick_core.contracts.streaming import ContainerName, Namespace, PodName

DeploymentId = Annotated[str, Field(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", max_length=63)]
ObjectKind = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", max_length=63)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str | None = None


class ResourcesRequest(_Request):
    projectId: Namespace
    deploymentId: DeploymentId | None = Field(None, description="Empty or null: every object of the project.")


class LogsRequest(_Request):
    rolloutId: Namespace
    podName: PodName
    container: ContainerName = ""


class EventsRequest(_Request):
    rolloutId: Namespace
    kind: ObjectKind = Field(description="The involved object's kind: Pod, Deployment, ... (or pod, pvc, ...).")
    name: PodName
