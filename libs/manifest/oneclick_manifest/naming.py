"""Names and labels of the Kubernetes objects of a deployment, and the Kubernetes name rules they obey.

The name patterns are the One-Click operator's (``janlauber/one-click-operator``,
``controllers/*.go``); docs/manifest.md lists where each comes from and where this package
deliberately differs.
"""

from __future__ import annotations

import re

from oneclick_core.ids import RECORD_ID_LENGTH

# Labels the original backend and operator put on objects (one-click.dev/*) plus the
# well-known managed-by label that marks what this platform may prune.
PROJECT_ID_LABEL = "one-click.dev/projectId"
DEPLOYMENT_ID_LABEL = "one-click.dev/deploymentId"
ROLLOUT_ID_LABEL = "one-click.dev/rolloutId"
USER_ID_LABEL = "one-click.dev/userId"
USERNAME_LABEL = "one-click.dev/username"
DISPLAY_NAME_LABEL = "one-click.dev/displayName"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "one-click"
# Tells a deployment's pods from its cron jobs' pods, which carry the same project and deployment
# labels; the Service selects on it so traffic never reaches a cron job's pod.
COMPONENT_LABEL = "one-click.dev/component"
DEPLOYMENT_COMPONENT = "deployment"
CRONJOB_COMPONENT = "cronjob"
CRONJOB_LABEL = "one-click.dev/cronjob"
SECRETS_CHECKSUM_ANNOTATION = "one-click.dev/secrets-checksum"

# Kubernetes limits (k8s.io/apimachinery/pkg/util/validation).
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
# batch/v1 CronJob names: Jobs get an 11-character suffix and must stay within a label.
CRONJOB_NAME_MAX = 52

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_WILDCARD_HOST = re.compile(r"^\*\.")

# The suffixes the operator appends to a deployment-scoped user-chosen name; the longest one
# decides how long that user name may be.
_SERVICE_SUFFIX = "-svc"
_INGRESS_SUFFIX = "-ingress"
_TLS_SECRET_SUFFIX = "-tls-secret"
_PULL_SECRET_SUFFIX = "-imagepullsecret"

# Service names are DNS-1035 labels: interface name + "-" + deployment id + "-svc".
INTERFACE_NAME_MAX = LABEL_MAX - RECORD_ID_LENGTH - 1 - len(_SERVICE_SUFFIX)
# Pod volume names are labels: volume name + "-" + deployment id.
VOLUME_NAME_MAX = LABEL_MAX - RECORD_ID_LENGTH - 1
CRONJOB_SPEC_NAME_MAX = CRONJOB_NAME_MAX - RECORD_ID_LENGTH - 1


def is_dns1123_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and _DNS1123_LABEL.match(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= SUBDOMAIN_MAX and _DNS1123_SUBDOMAIN.match(value) is not None


def is_dns1035_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and _DNS1035_LABEL.match(value) is not None


def is_label_value(value: str) -> bool:
    return len(value) <= LABEL_MAX and _LABEL_VALUE.match(value) is not None


def is_qualified_name(value: str) -> bool:
    """A label or annotation key: an optional DNS subdomain prefix and ``/``, then a name of ≤ 63 characters."""
    prefix, slash, name = value.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return False
    return len(name) <= LABEL_MAX and _QUALIFIED_NAME.match(name) is not None


def is_ingress_host(value: str) -> bool:
    """An Ingress rule host: a DNS subdomain, optionally starting with a ``*.`` wildcard label."""
    return is_dns1123_subdomain(_WILDCARD_HOST.sub("", value, count=1))


def label_value(text: str) -> str:
    """``text`` cut down to a valid label value: its label-safe characters, at most 63, alphanumeric at both ends.

    Kubernetes rejects a whole object for one bad label value, and user names may be longer than
    63 characters or hold characters labels cannot.
    """
    kept = "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-_."))[:LABEL_MAX]
    return kept.strip("-_.")


def display_name_label_value(name: str) -> str:
    """The user's display name as the original backend labelled it (``util.StringParser``).

    StringParser lowercases, turns spaces into ``-`` and then drops ASCII punctuation, ``-``
    included, so "Jane Doe" becomes "janedoe"; characters outside ASCII, which it kept and
    Kubernetes then rejected, are dropped as well.
    """
    return label_value("".join(c for c in name.lower() if c.isascii() and c.isalnum()))


def secrets_name(deployment_id: str) -> str:
    """The Secret holding ``spec.secrets`` (operator: ``f.Name + "-secrets"``)."""
    return f"{deployment_id}-secrets"


def image_pull_secret_name(owner: str) -> str:
    """The dockerconfigjson Secret of a workload (operator: ``<name> + "-imagepullsecret"``)."""
    return f"{owner}{_PULL_SECRET_SUFFIX}"


def volume_claim_name(volume: str, deployment_id: str) -> str:
    """A PersistentVolumeClaim, also the pod volume's name (operator: ``v.Name + "-" + f.Name``)."""
    return f"{volume}-{deployment_id}"


def service_name(interface: str, deployment_id: str) -> str:
    """The Service of an interface (operator: ``intf.Name + "-" + f.Name + "-svc"``)."""
    return f"{interface}-{deployment_id}{_SERVICE_SUFFIX}"


def ingress_name(interface: str, deployment_id: str) -> str:
    """The Ingress of an interface (operator: ``intf.Name + "-" + f.Name + "-ingress"``)."""
    return f"{interface}-{deployment_id}{_INGRESS_SUFFIX}"


def tls_secret_name(interface: str, deployment_id: str) -> str:
    """The TLS Secret an Ingress names when the rule gives none (operator: ``...-tls-secret``)."""
    return f"{interface}-{deployment_id}{_TLS_SECRET_SUFFIX}"


def cronjob_name(cronjob: str, deployment_id: str) -> str:
    """A CronJob: its manifest name plus the deployment id, so two deployments of a project never clash.

    The operator used the bare ``cronjobs[].name``; see docs/manifest.md.
    """
    return f"{cronjob}-{deployment_id}"
