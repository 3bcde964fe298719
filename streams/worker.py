"""Run one stream worker: logging with redaction, the local broker if asked, the Faust app."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from streams.logs import RedactSecrets, worker_logging
from streams.settings import Deployment, Settings

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 8.0  # after SIGTERM/SIGINT the process is gone within this, in any state
REPEAT_WINDOW_SECONDS = 30.0
_NOISY = ("aiokafka", "kafka", "faust", "mode")


class RepeatLimit(logging.Filter):
    """One line per kind of library warning or error, then a summary per window.

    While the broker is down aiokafka and Faust repeat the same few warnings and
    errors thousands of times a second. The first of a kind (logger, level,
    message template) passes: the state change. Repeats within
    ``window`` seconds are counted, not written; the next one after the window
    passes with the count (the periodic summary). When a kind has been silent for
    a whole window its next line passes as a new state change.
    """

    def __init__(self, window: float = REPEAT_WINDOW_SECONDS, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # -> [window start, count]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(_NOISY):
            return True
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = self.clock()
        with self._lock:
            if len(self._seen) > 1000:
                self._seen.clear()
            st = self._seen.get(key)
            if st is None or now - st[0] >= self.window:
                suppressed = int(st[1]) if st is not None else 0
                span = now - st[0] if st is not None else 0.0
                self._seen[key] = [now, 0]
                if suppressed:
                    # Formatted here: record.args may be a tuple or a mapping.
                    note = f"[{suppressed} more like this in {span:.0f}s]"
                    record.msg = f"{record.getMessage()} {note}"
                    record.args = None
                return True
            st[1] += 1
            return False


def arm_stop_watchdog(grace: float = STOP_GRACE_SECONDS) -> None:
    """Exit the process ``grace`` seconds from now if a clean stop has not finished.

    Faust's stop waits on the broker (commit, producer flush) and on Slack calls in
    flight; with the broker down that took over 25 s. Offsets not committed are
    read again on restart (state and dedup make that safe), so a hard exit loses
    nothing a SIGKILL would not.
    """

    def _exit() -> None:
        sys.stderr.write(f"spikewatch: clean stop took over {grace:.0f}s; exiting now\n")
        sys.stderr.flush()
        os._exit(143)

    t = threading.Timer(grace, _exit)
    t.daemon = True
    t.start()


def secrets_of(settings: Settings) -> list[str]:
    out = []
    for s in (settings.slack_bot_token, settings.slack_signing_secret, settings.ingest_token):
        if s is not None:
            out.append(s.get_secret_value())
    return out


def run_worker(settings: Settings, deployment: Deployment, *, start_broker: bool = False) -> int:
    """Build the app and run it until SIGTERM/SIGINT."""
    import faust

    from streams.app import create_app

    if start_broker and not settings.kafka_bootstrap_servers:
        from streams.broker import BrokerError, BrokerPaths, start

        try:
            start(BrokerPaths.from_env())
        except BrokerError as exc:
            print(f"spikewatch: {exc}", file=sys.stderr)
            return 1
    from streams.app import TOPICS, changelog_topics
    from streams.settings import bootstrap_servers
    from streams.topics import ensure_topics

    # Faust creates changelog topics itself but may read their metadata before the
    # broker has it (PartitionsMismatch with 0 partitions): create them first.
    changelogs = changelog_topics(settings)
    ensure_topics(
        bootstrap_servers(settings),
        [settings.topic(n) for n in TOPICS] + changelogs,
        settings.partitions,
        configs={c: {"cleanup.policy": "compact"} for c in changelogs},
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app, _ = create_app(settings, deployment)
    flt = RedactSecrets(secrets_of(settings))

    repeats = RepeatLimit()

    @app.task
    async def _redact() -> None:
        # Faust's worker installs its own log handlers at start: filter those too.
        for h in logging.getLogger().handlers:
            h.addFilter(repeats)
            h.addFilter(flt)

    class Worker(faust.Worker):
        def _schedule_shutdown(self, signal: Any) -> None:
            if not self._signal_stop_time:
                arm_stop_watchdog()
            super()._schedule_shutdown(signal)

    # Our handler (text or JSON lines with brand, partition and incident id where known,
    # secrets redacted), kept by Faust's worker instead of its own coloured one.
    logkw = worker_logging(settings.log_level, secrets_of(settings), fmt=settings.log_format)
    app.conf.loghandlers = logkw["loghandlers"]
    worker = Worker(
        app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        logging_config=logkw["logging_config"],
    )
    # Faust's start-up spinner (on at WARNING and above) leaves the root logger at DEBUG:
    # every debug record of faust and aiokafka would then be built and filtered (~8% CPU).
    worker.spinner = None
    for h in logging.getLogger().handlers:
        h.addFilter(repeats)
        h.addFilter(flt)
    worker.execute_from_commandline()
    return 0
