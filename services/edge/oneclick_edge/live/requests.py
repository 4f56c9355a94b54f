"""The first messages of the live WebSockets, as the original One-Click frontend sends them.

``rolloutId`` is the project id (the original named it so); ``token`` is optional (see
:mod:`oneclick_edge.live.sockets`). Names are checked against Kubernetes' rules: they go into NATS subjects.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from oneclick_core.contracts.streaming import ContainerName, Namespace, PodName

DeploymentId = Annotated[str, Field(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", max_length=63)]
ObjectKind = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", max_length=63)]


class LiveRequest(BaseModel):
    """What every live socket's first message has: the project it shows (and maybe one deployment of it)."""

    model_config = ConfigDict(extra="ignore")

    token: str | None = None

    @property
    @abstractmethod
    def project(self) -> str:
        """The project the caller must have access to."""

    @property
    def deployment(self) -> str | None:
        """The deployment the caller must have access to as well, if the socket shows only that one."""
        return None


class ResourcesRequest(LiveRequest):
    projectId: Namespace
    deploymentId: DeploymentId | None = Field(None, description="Empty or null: every object of the project.")

    @property
    def project(self) -> str:
        return self.projectId

    @property
    def deployment(self) -> str | None:
        return self.deploymentId or None


class _ProjectRequest(LiveRequest):
    rolloutId: Namespace

    @property
    def project(self) -> str:
        return self.rolloutId


class LogsRequest(_ProjectRequest):
    podName: PodName
    container: ContainerName = ""


class EventsRequest(_ProjectRequest):
    kind: ObjectKind = Field(description="The involved object's kind: Pod, Deployment, ... (or pod, pvc, ...).")
    name: PodName
