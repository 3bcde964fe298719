"""Where notifications go: Slack through slack-sdk (or the console), and the status webhook."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import TYPE_CHECKING, Any

from alerts.slack_delivery import make_delivery
from streams.pacing import TOPIC as PACING_TOPIC
from streams.pacing import KafkaPacer

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from streams.settings import Settings

log = logging.getLogger(__name__)


def make_sender(
    settings: Settings, registry: CollectorRegistry | None = None, **kwargs: Any
) -> Any:
    """slack-sdk delivery when a token is set, else the console dry run."""
    token = settings.slack_bot_token
    if token is not None:
        kwargs.setdefault("timeout", settings.slack_timeout_seconds)
        kwargs.setdefault("user_agent_suffix", f"spikewatch/{os.getpid()}")
        if settings.slack_pacing == "kafka" and "pacer" not in kwargs:
            from streams.settings import bootstrap_servers

            kwargs["pacer"] = KafkaPacer(bootstrap_servers(settings), settings.topic(PACING_TOPIC))
    return make_delivery(
        None if token is None else token.get_secret_value(),
        settings.slack_base_url,
        registry=registry,
        **kwargs,
    )


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST a published update to a status page or publishing tool."""
    req = urllib.request.Request(  # noqa: S310 - URL from the operator's config
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return 200 <= r.status < 300
    except OSError as exc:
        log.warning("status webhook failed: %s", type(exc).__name__)
        return False
