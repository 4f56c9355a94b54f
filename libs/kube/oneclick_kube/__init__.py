"""One-Click's Kubernetes API client, shared by the services that talk to a cluster (k8s-executor, streaming)."""
