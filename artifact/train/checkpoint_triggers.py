"""When a phase saves: at most every `train.checkpoint_minutes`, at its end, and on a signal.

The batch loop asks `CheckpointClock.due()` between steps (a clock read and a flag read, no
device work). A save is due when the minutes since the last one have passed or a save was
requested: by SIGUSR1 or SIGTERM (what a cluster sends before a time limit or a preemption), or
by a call to `request_checkpoint()` from other code (a job scheduler's own signal handler, e.g.
experiment/slurm.py's). A request is served at the next step boundary, so the checkpoint
is of a consistent state (a signal arrives mid-step), and a resume from it ends bit-identical.

SIGUSR1 means "checkpoint now, then go on". SIGTERM means "checkpoint, then stop" (`Stopped`,
exit code 4) unless another handler was installed before ours (submitit's logs and ignores
SIGTERM, its own signal requeues the job): then that handler is also called and decides; we
only save. A second SIGTERM while a stop is pending stops at once, as SIGTERM's default would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from artifact.errors import ArtifactError, ExitCode

SAVE_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class Stopped(ArtifactError):
    """The process was asked to stop (SIGTERM); the checkpoint was written first."""

    exit_code = ExitCode.RUNTIME


class _Requests:
    """Process-wide flags a signal handler may set (threading.Event is safe to set there)."""

    def __init__(self):
        self.save, self.stop = threading.Event(), threading.Event()
        self.reason = ""


REQUESTS = _Requests()


def request_checkpoint(stop: bool = False, reason: str = "a request") -> None:
    """Ask the running phase to save at its next step boundary (and then stop, if `stop`).

    Safe to call from a signal handler and from another thread; returns at once.
    """
    REQUESTS.reason = reason
    if stop:
        REQUESTS.stop.set()
    REQUESTS.save.set()


def _handler(previous):
    def handle(signum, frame):
        name = signal.Signals(signum).name
        if signum == signal.SIGTERM and not callable(previous):
            if REQUESTS.stop.is_set():  # asked twice: stop now, as SIGTERM's default does
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)
            request_checkpoint(stop=True, reason=name)
            return
        request_checkpoint(reason=name)
        if callable(previous):  # someone else's handler (submitit's): it still runs
            previous(signum, frame)

    return handle


@contextlib.contextmanager
def signals_request_checkpoints():
    """SIGTERM and SIGUSR1 request a checkpoint while the block runs; the old handlers after.

    Only the main thread can install handlers: elsewhere the block runs without them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SAVE_SIGNALS}
    for sig in SAVE_SIGNALS:
        signal.signal(sig, _handler(previous[sig]))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class CheckpointClock:
    """Says when the next save is due: `minutes` after the last one, or at once on a request."""

    def __init__(self, minutes: float, clock=time.monotonic):
        self.interval_s, self.clock = 60.0 * minutes, clock
        self.last = clock()

    def due(self) -> bool:
        return REQUESTS.save.is_set() or self.clock() - self.last >= self.interval_s

    def saved(self) -> bool:
        """A save was made: restart the interval, clear the request; True if a stop was asked
        (the caller then finishes the write and raises `stopped()`)."""
        self.last = self.clock()
        REQUESTS.save.clear()
        return REQUESTS.stop.is_set()


def stopped() -> Stopped:
    """The error that ends a phase asked to stop, once its checkpoint is on disk."""
    REQUESTS.stop.clear()
    return Stopped(
        f"stopped by {REQUESTS.reason} after writing the checkpoint; rerun the same command to resume."
    )
