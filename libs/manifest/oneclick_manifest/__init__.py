"""The One-Click Rollout manifest: its spec model, the renderer to Kubernetes objects and the status views."""
