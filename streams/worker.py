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
    app, _ = create_app(settings, deployment)
    flt = RedactSecrets(secrets_of(settings))

    @app.on_startup.connect  # type: ignore[misc]
    async def _redact(app_: faust.App, **kw: object) -> None:
        root = logging.getLogger()
        for h in root.handlers:
            h.addFilter(flt)

    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True,
                          redirect_stdouts=False)
    for h in logging.getLogger().handlers:
        h.addFilter(flt)
    worker.execute_from_commandline()
    return 0
