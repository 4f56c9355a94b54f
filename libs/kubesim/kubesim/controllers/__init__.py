"""Controllers that make objects behave: each reconciles keys queued by store changes or by its own timers."""
