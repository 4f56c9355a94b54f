"""One-Click's Kubernetes API client, shared by the services that talk to a cluster (k8s-executor, streaming).

- :mod:`oneclick_kube.client`: connecting (kubeconfig or the service account; None without a cluster) and the
  raw JSON calls: get, list, server-side apply, create, replace, delete, watch streams, pod logs;
- :mod:`oneclick_kube.paths`: the REST path of a kind's collection or of one object;
- :mod:`oneclick_kube.errors`: :class:`~oneclick_kube.errors.KubeError`, what a refusal or an unreachable API
  becomes, and which failures are worth retrying;
- :mod:`oneclick_kube.loglines`: the timestamps of ``timestamps=true`` log lines.

The kinds themselves (``ObjectType`` and its constants) are in :mod:`oneclick_core.kinds`, where the pure
libraries can name them. Nothing is imported here, so ``paths``, ``errors`` and ``loglines`` stay light.
"""
