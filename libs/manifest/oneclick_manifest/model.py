"""The One-Click ``Rollout`` manifest (``one-click.dev/v1alpha1``) as pydantic models.

Field names and JSON spellings are the operator's CRD (``api/v1alpha1/rollout_types.go``); the
models accept and emit camelCase. Validation is stricter than the CRD where Kubernetes would
otherwise reject the rendered objects later (names, quantities, cron schedules, requests above
limits), so a bad manifest is a 400 naming the field instead of a rollout that never comes up.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from oneclick_core.errors import ApiError, field_error
from oneclick_manifest import naming
from oneclick_manifest.quantities import QuantityError, parse_quantity

API_VERSION = "one-click.dev/v1alpha1"
KIND = "Rollout"

_INT32_MAX = 2**31 - 1
# The error type that carries cross-field problems, each under its own field path, in its context.
_CROSS_FIELD_ERROR = "invalid_manifest"
# The syntax of OCI references (github.com/distribution/reference): registry host[:port],
# lowercase path components, tag.
_REGISTRY = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(?::[0-9]+)?$"
)
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
_REPOSITORY_MAX = 255
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
# Kubernetes' rule for environment variable names (IsEnvVarName).
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
# Kubernetes CronJobs take five fields or one of these macros (robfig/cron's standard parser).
_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/-]+$")


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def _checked(check: Callable[[str], bool], code: str, message: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        if not check(value):
            raise _invalid(code, message)
        return value

    return validate


def _optional(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """``check`` for a field where the empty string means "not set"."""
    return lambda value: value == "" or check(value)


def _is_quantity(value: str, *, positive: bool = False) -> bool:
    try:
        amount = parse_quantity(value).value
    except QuantityError:
        return False
    return amount > 0 if positive else amount >= 0


def _is_cron_schedule(value: str) -> bool:
    schedule = value.strip()
    if schedule in _CRON_MACROS:
        return True
    fields = schedule.split()
    return len(fields) == 5 and all(_CRON_FIELD.match(field) for field in fields) and croniter.is_valid(schedule)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _strip(value: Any) -> Any:
    # The operator trims secret names (strings.TrimSpace) before using them as keys.
    return value.strip() if isinstance(value, str) else value


def _label_max(limit: int, what: str) -> str:
    return f"Must be a lowercase RFC 1123 label of at most {limit} characters ({what})."


InterfaceName = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: naming.is_dns1035_label(v) and len(v) <= naming.INTERFACE_NAME_MAX,
            "invalid_name",
            f"Must start with a lowercase letter, contain only lowercase letters, digits and '-', end with a letter or "
            f"digit, and be at most {naming.INTERFACE_NAME_MAX} characters "
            "(it names the Service '<name>-<deployment>-svc').",
        )
    ),
]
VolumeName = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: naming.is_dns1123_label(v) and len(v) <= naming.VOLUME_NAME_MAX,
            "invalid_name",
            _label_max(naming.VOLUME_NAME_MAX, "it names the claim '<name>-<deployment>'"),
        )
    ),
]
CronJobName = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: naming.is_dns1123_label(v) and len(v) <= naming.CRONJOB_SPEC_NAME_MAX,
            "invalid_name",
            _label_max(naming.CRONJOB_SPEC_NAME_MAX, "it names the CronJob '<name>-<deployment>'"),
        )
    ),
]
EnvName = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: _ENV_NAME.match(v) is not None,
            "invalid_env_name",
            "Must consist of letters, digits, '_', '-' or '.', and must not start with a digit.",
        )
    ),
]
SecretName = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _checked(
            lambda v: _ENV_NAME.match(v) is not None,
            "invalid_env_name",
            "Must consist of letters, digits, '_', '-' or '.', and must not start with a digit (it becomes an "
            "environment variable).",
        )
    ),
]
ResourceQuantity = Annotated[
    str,
    AfterValidator(
        _checked(
            _is_quantity,
            "invalid_quantity",
            "Must be a non-negative Kubernetes quantity, e.g. '250m', '0.5', '512Mi' or '1Gi'.",
        )
    ),
]
StorageSize = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: _is_quantity(v, positive=True),
            "invalid_quantity",
            "Must be a positive Kubernetes quantity, e.g. '1Gi' or '500Mi'.",
        )
    ),
]
MountPath = Annotated[
    str, AfterValidator(_checked(lambda v: v.startswith("/"), "invalid_path", "Must be an absolute path."))
]
OptionalSubdomain = Annotated[
    str,
    AfterValidator(
        _checked(
            _optional(naming.is_dns1123_subdomain),
            "invalid_name",
            "Must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters.",
        )
    ),
]
QualifiedName = Annotated[
    str,
    AfterValidator(
        _checked(
            naming.is_qualified_name,
            "invalid_key",
            "Must be a name of at most 63 characters (letters, digits, '-', '_', '.'), optionally prefixed by a "
            "DNS subdomain and '/'.",
        )
    ),
]
LabelValue = Annotated[
    str,
    AfterValidator(
        _checked(
            naming.is_label_value,
            "invalid_label_value",
            "Must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or "
            "digit.",
        )
    ),
]
IngressHost = Annotated[
    str,
    AfterValidator(
        _checked(
            _optional(naming.is_ingress_host),
            "invalid_host",
            "Must be a lowercase DNS name such as 'app.example.com', optionally starting with '*.'.",
        )
    ),
]
IngressPath = Annotated[
    str,
    AfterValidator(
        _checked(lambda v: v == "" or v.startswith("/"), "invalid_path", "Must be an absolute path such as '/'.")
    ),
]
HostName = Annotated[
    str, AfterValidator(_checked(naming.is_dns1123_subdomain, "invalid_host", "Must be a lowercase DNS name."))
]
IpAddress = Annotated[str, AfterValidator(_checked(_is_ip, "invalid_ip", "Must be an IPv4 or IPv6 address."))]
CronSchedule = Annotated[
    str,
    AfterValidator(
        _checked(
            _is_cron_schedule,
            "invalid_schedule",
            "Must be a cron schedule of five fields (minute hour day-of-month month day-of-week), e.g. '*/5 * * * *', "
            "or one of @hourly, @daily, @weekly, @monthly, @yearly.",
        )
    ),
]
Registry = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: _REGISTRY.match(v) is not None,
            "invalid_registry",
            "Must be a registry host such as 'docker.io' or 'registry.example.com:5000'.",
        )
    ),
]
Repository = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: len(v) <= _REPOSITORY_MAX and _REPOSITORY.match(v) is not None,
            "invalid_repository",
            "Must be an image repository such as 'library/nginx': lowercase path components separated by '/'.",
        )
    ),
]
Tag = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: _TAG.match(v) is not None,
            "invalid_tag",
            "Must be an image tag such as 'latest' or '1.25.3': up to 128 letters, digits, '_', '.' or '-'.",
        )
    ),
]
TolerationKey = Annotated[
    str,
    AfterValidator(
        _checked(
            _optional(naming.is_qualified_name), "invalid_key", "Must be a label key such as 'example.com/dedicated'."
        )
    ),
]
Replicas = Annotated[int, Field(ge=0, le=_INT32_MAX)]
Port = Annotated[int, Field(ge=1, le=65535)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=_INT32_MAX)]
Int64Id = Annotated[int, Field(ge=0, le=2**63 - 1)]


class ManifestModel(BaseModel):
    """Shared settings: camelCase JSON names, strict JSON types, unknown fields rejected, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_absent(cls, data: Any) -> Any:
        # Go writes unset slices and maps as null (e.g. "rules": null); they mean "not set".
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data


class ImageSpec(ManifestModel):
    registry: Registry
    repository: Repository
    tag: Tag
    username: str = ""
    password: str = Field("", repr=False)

    @property
    def reference(self) -> str:
        """``registry/repository:tag``, as the operator builds the container image."""
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def has_credentials(self) -> bool:
        """The operator creates an image pull Secret only when both are set."""
        return bool(self.username and self.password)


class CapabilitiesSpec(ManifestModel):
    add: list[str] = []
    drop: list[str] = []


class SecurityContextSpec(ManifestModel):
    fs_group: Int64Id | None = None
    run_as_user: Int64Id | None = None
    run_as_group: Int64Id | None = None
    allow_privilege_escalation: bool = False
    run_as_non_root: bool = False
    read_only_root_filesystem: bool = False
    privileged: bool = False
    capabilities: CapabilitiesSpec = CapabilitiesSpec()


class HorizontalScaleSpec(ManifestModel):
    min_replicas: Replicas
    max_replicas: Replicas
    # The CRD requires it, but it only matters when autoscaling; blueprints all use 80.
    target_cpu_utilization_percentage: int = Field(80, ge=1, le=_INT32_MAX, alias="targetCPUUtilizationPercentage")

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas > self.min_replicas


class ResourceList(ManifestModel):
    cpu: ResourceQuantity
    memory: ResourceQuantity


class ResourceRequirements(ManifestModel):
    requests: ResourceList
    limits: ResourceList


class EnvVar(ManifestModel):
    name: EnvName
    value: str = ""


class SecretItem(ManifestModel):
    name: SecretName
    value: str = Field("", repr=False)


class VolumeSpec(ManifestModel):
    name: VolumeName
    mount_path: MountPath
    size: StorageSize
    storage_class: OptionalSubdomain = ""


class IngressRule(ManifestModel):
    host: IngressHost = ""
    path: IngressPath = "/"
    tls: bool = False
    tls_secret_name: OptionalSubdomain = ""


class IngressSpec(ManifestModel):
    ingress_class: OptionalSubdomain = ""
    annotations: dict[QualifiedName, str] = {}
    rules: list[IngressRule] = []

    @property
    def enabled(self) -> bool:
        """The operator renders an Ingress only for a class or at least one rule."""
        return bool(self.ingress_class or self.rules)


class InterfaceSpec(ManifestModel):
    name: InterfaceName
    port: Port
    ingress: IngressSpec | None = None


class Toleration(ManifestModel):
    key: TolerationKey = ""
    operator: Literal["", "Exists", "Equal"] = ""
    value: str = ""
    effect: Literal["", "NoSchedule", "PreferNoSchedule", "NoExecute"] = ""
    toleration_seconds: int | None = None


class HostAlias(ManifestModel):
    ip: IpAddress
    hostnames: list[HostName] = []


class CronJobSpec(ManifestModel):
    name: CronJobName
    suspend: bool = False
    image: ImageSpec
    schedule: CronSchedule
    command: list[str] = []
    args: list[str] = []
    # Accepted for compatibility with the CRD; the operator never used it, and neither does the renderer.
    max_retries: NonNegativeInt32 = 0
    backoff_limit: NonNegativeInt32 = 0
    env: list[EnvVar] = []
    resources: ResourceRequirements


class RolloutSpec(ManifestModel):
    args: list[str] = []
    command: list[str] = []
    rollout_strategy: Literal["", "rollingUpdate", "recreate"] = ""
    image: ImageSpec
    security_context: SecurityContextSpec | None = None
    horizontal_scale: HorizontalScaleSpec
    resources: ResourceRequirements
    env: list[EnvVar] = []
    secrets: list[SecretItem] = []
    volumes: list[VolumeSpec] = []
    interfaces: list[InterfaceSpec] = []
    service_account_name: OptionalSubdomain = ""
    cronjobs: list[CronJobSpec] = []
    node_selector: dict[QualifiedName, LabelValue] = {}
    tolerations: list[Toleration] = []
    host_aliases: list[HostAlias] = []


class RolloutManifest(ManifestModel):
    """A whole manifest as stored in a rollout or blueprint record."""

    api_version: Literal["one-click.dev/v1alpha1"]
    kind: Literal["Rollout"]
    # Free-form: the original backend replaced name, namespace and labels and kept the rest.
    metadata: dict[str, Any] | None = None
    spec: RolloutSpec

    @model_validator(mode="after")
    def _consistent(self) -> RolloutManifest:
        errors = cross_field_errors(self.spec)
        if errors:
            raise PydanticCustomError(_CROSS_FIELD_ERROR, "The manifest is inconsistent.", {"errors": errors})
        return self

    def to_json(self) -> dict[str, Any]:
        """The manifest as camelCase JSON, leaving out what is unset."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def cross_field_errors(spec: RolloutSpec) -> dict[str, dict[str, str]]:
    """Problems that involve more than one field, keyed by the field path to report them on."""
    errors: dict[str, dict[str, str]] = {}
    scale = spec.horizontal_scale
    if scale.max_replicas < scale.min_replicas:
        errors["spec.horizontalScale.maxReplicas"] = field_error(
            "validation_max_below_min", "Must be greater than or equal to minReplicas."
        )
    elif scale.autoscaled and scale.min_replicas < 1:
        errors["spec.horizontalScale.minReplicas"] = field_error(
            "validation_min_replicas", "Must be at least 1 when maxReplicas is greater (the autoscaler needs it)."
        )
    errors |= _requests_within_limits(spec.resources, "spec.resources")
    errors |= _duplicates((e.name for e in spec.env), "spec.env", "name")
    errors |= _duplicates((s.name for s in spec.secrets), "spec.secrets", "name")
    errors |= _duplicates((v.name for v in spec.volumes), "spec.volumes", "name")
    errors |= _duplicates((v.mount_path for v in spec.volumes), "spec.volumes", "mountPath")
    errors |= _duplicates((i.name for i in spec.interfaces), "spec.interfaces", "name")
    errors |= _duplicates((c.name for c in spec.cronjobs), "spec.cronjobs", "name")
    for index, cronjob in enumerate(spec.cronjobs):
        errors |= _requests_within_limits(cronjob.resources, f"spec.cronjobs.{index}.resources")
        errors |= _duplicates((e.name for e in cronjob.env), f"spec.cronjobs.{index}.env", "name")
    if spec.security_context is not None:
        errors |= _security_context_errors(spec.security_context)
    for index, toleration in enumerate(spec.tolerations):
        errors |= _toleration_errors(toleration, f"spec.tolerations.{index}")
    return errors


def _requests_within_limits(resources: ResourceRequirements, path: str) -> dict[str, dict[str, str]]:
    errors = {}
    for resource in ("cpu", "memory"):
        request = parse_quantity(getattr(resources.requests, resource)).value
        limit = parse_quantity(getattr(resources.limits, resource)).value
        if request > limit:
            errors[f"{path}.requests.{resource}"] = field_error(
                "validation_request_above_limit", f"Must be less than or equal to the {resource} limit."
            )
    return errors


def _duplicates(values: Iterable[str], path: str, field: str) -> dict[str, dict[str, str]]:
    """An error on every repeat of a value after its first occurrence."""
    seen: Counter[str] = Counter()
    errors = {}
    for index, value in enumerate(values):
        seen[value] += 1
        if seen[value] > 1:
            errors[f"{path}.{index}.{field}"] = field_error("validation_not_unique", f"'{value}' is used twice.")
    return errors


def _security_context_errors(context: SecurityContextSpec) -> dict[str, dict[str, str]]:
    # Kubernetes rejects these combinations; the operator always sets allowPrivilegeEscalation.
    path = "spec.securityContext.allowPrivilegeEscalation"
    if context.privileged and not context.allow_privilege_escalation:
        return {path: field_error("validation_privilege_escalation", "Must be true when privileged is true.")}
    if "SYS_ADMIN" in context.capabilities.add and not context.allow_privilege_escalation:
        return {
            path: field_error(
                "validation_privilege_escalation", "Must be true when capabilities.add contains SYS_ADMIN."
            )
        }
    return {}


def _toleration_errors(toleration: Toleration, path: str) -> dict[str, dict[str, str]]:
    # The rules of Kubernetes' validateTolerations.
    errors = {}
    if not toleration.key and toleration.operator != "Exists":
        errors[f"{path}.operator"] = field_error(
            "validation_toleration_operator", "Must be 'Exists' when the key is empty."
        )
    if toleration.operator == "Exists" and toleration.value:
        errors[f"{path}.value"] = field_error(
            "validation_toleration_value", "Must be empty when the operator is 'Exists'."
        )
    if toleration.toleration_seconds is not None and toleration.effect != "NoExecute":
        errors[f"{path}.tolerationSeconds"] = field_error(
            "validation_toleration_seconds", "May only be set when the effect is 'NoExecute'."
        )
    return errors


def validate_manifest(data: object) -> RolloutManifest:
    """Validate a manifest as given in a request; a bad one is a 400 with errors keyed ``manifest.<path>``."""
    try:
        return RolloutManifest.model_validate(data)
    except ValidationError as error:
        raise ApiError.bad_request("The manifest is invalid.", manifest_error_data(error)) from None


def manifest_error_data(error: ValidationError, prefix: str = "manifest") -> dict[str, dict[str, str]]:
    """PocketBase per-field errors of a manifest, keyed by ``<prefix>.<path>`` (first problem per field)."""
    data: dict[str, dict[str, str]] = {}
    for item in error.errors(include_url=False):
        path = ".".join([prefix, *(str(part) for part in item["loc"])])
        if item["type"] == _CROSS_FIELD_ERROR:
            for field, entry in item.get("ctx", {}).get("errors", {}).items():
                data.setdefault(f"{path}.{field}", entry)
        else:
            data.setdefault(path, field_error(f"validation_{item['type']}", item["msg"]))
    return data
