"""The one node: the scheduler binding pods to it (``scheduling``) and the kubelet running them (``kubelet``, with
the container runtime in ``runtime``, the per-pod state in ``runs``, the reported status in ``status`` and the
image markers in ``images``)."""
