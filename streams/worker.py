"""Run one stream worker: logging with redaction, the local broker if asked, the Faust app."""

from __future__ import annotations

import logging
import sys

from streams.logs import RedactSecrets
from streams.settings import Deployment, Settings

log = logging.getLogger(__name__)


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
    from streams.app import TABLES, TOPICS, bootstrap_servers
    from streams.topics import ensure_topics

    # Faust creates changelog topics itself but may read their metadata before the
    # broker has it (PartitionsMismatch with 0 partitions): create them first.
    changelogs = [f"{settings.app_id}-{t}-changelog" for t in TABLES]
    ensure_topics(
        bootstrap_servers(settings),
        [settings.topic(n) for n in TOPICS] + changelogs,
        settings.partitions,
        configs={c: {"cleanup.policy": "compact"} for c in changelogs},
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app, _ = create_app(settings, deployment)
    flt = RedactSecrets(secrets_of(settings))

    @app.task
    async def _redact() -> None:
        # Faust's worker installs its own log handlers at start: filter those too.
        for h in logging.getLogger().handlers:
            h.addFilter(flt)

    worker = faust.Worker(
        app, loglevel=settings.log_level.lower(), quiet=True, redirect_stdouts=False
    )
    # Faust's start-up spinner (on at WARNING and above) leaves the root logger at DEBUG:
    # every debug record of faust and aiokafka would then be built and filtered (~8% CPU).
    worker.spinner = None
    for h in logging.getLogger().handlers:
        h.addFilter(flt)
    worker.execute_from_commandline()
    return 0
