"""Counting what JAX compiles, with its own monitoring events: a test that a slider moves a value,
not a shape, fails whatever part of the program the change would rebuild."""

import contextlib

import jax.monitoring

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"  # one per XLA compilation
# A new program is traced before it is compiled; counting the trace too means a program read back
# from the persistent compilation cache (no backend compile) still counts.
NEW_PROGRAM = ("/jax/core/compile/jaxpr_trace_duration", COMPILE_EVENT)


@contextlib.contextmanager
def count_compilations(events=NEW_PROGRAM):
    """Yields a list that gains one entry (the event's name) per matching event inside the block."""
    seen = []

    def listener(event, duration, **kwargs):
        if event in events:
            seen.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield seen
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
