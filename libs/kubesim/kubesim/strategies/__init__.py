"""Per-kind behaviour of the API server on writes: defaulting, validation, what create and update may change.

``base`` has the ``Strategy`` every kind's strategy refines, one module per kind or group of kinds has theirs, and
``registry.strategy_for`` picks one for a resource type."""
