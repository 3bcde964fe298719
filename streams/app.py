"""The one place that wires spikewatch together: settings -> Faust app.

Nothing is configured at import time: :func:`create_app` builds the app, its
topics, tables, agents and the HTTP server from a :class:`Settings` object and
a :class:`Deployment`.

Topics (all keyed by brand, same partition count, so co-partitioned):
``mentions`` (raw JSON bytes) -> ``mentions.enriched`` -> ``signals`` ->
``incidents`` (+ ``incident.commands`` in) -> Slack and ``status.updates``;
invalid records go to ``mentions.dead`` with the reason and original bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from alerts.engine import EngineConfig
from alerts.incidents import LifecycleConfig
from alerts.policy import Policy, load_policy
from alerts.status import StatusConfig, load_status_config
from detectors.backlog import BacklogConfig
from detectors.text import Enricher
from streams import agents, bulk, codec, delivery, notify, web
from streams.metrics import Metrics
from streams.settings import Deployment, Settings, bootstrap_servers

log = logging.getLogger(__name__)

TOPICS = (
    "mentions",
    "mentions.dead",
    "mentions.enriched",
    "signals",
    "incidents",
    "incident.commands",
    "status.updates",
    "feedback",  # team corrections of sentiment / topic (streams/feedback.py)
)

TABLES = ("state", "incidents", "sent", "status")


@dataclass
class Context:
    """What the agents share: settings, pure-stage objects, metrics."""

    settings: Settings
    deployment: Deployment
    engine: EngineConfig
    enricher: Enricher
    metrics: Metrics
    registry: CollectorRegistry
    policy: Policy
    status_cfg: StatusConfig
    slack: Any  # alerts.slack_delivery.SlackDelivery, or a console printer without a token
    topics: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    ready: bool = False


def engine_config(dep: Deployment) -> EngineConfig:
    # YAML lists (service hours) become the tuples the config is typed with.
    raw = {k: tuple(v) if isinstance(v, list) else v for k, v in dep.backlog.items()}
    backlog = BacklogConfig(**raw)
    return EngineConfig(monitor=dep.monitor, backlog=backlog, lifecycle=LifecycleConfig())


def _table(app: faust.App, name: str, partitions: int, value_serializer: str) -> Any:
    """A table with JSON keys and the given value codec (Faust takes codecs from model types
    only; set before the store and changelog topic, which are created lazily, exist)."""
    table = app.Table(name, default=None, partitions=partitions)
    table.key_serializer = "json"
    table.value_serializer = value_serializer
    # app.Table() already built the changelog topic (TableManager.add) with the default
    # codecs; recovery decodes with the topic's, so rebuild it with ours.
    table.changelog_topic = table._new_changelog_topic()
    return table


def faust_app_id(settings: Settings) -> str:
    """Faust's app id: the consumer group and the changelog topics' first part.

    Derived from the topic prefix as well as ``SPIKEWATCH_APP_ID``, so two
    deployments on one cluster that differ only in prefix never share a group or
    state. Without a prefix it is the app id alone (existing names stay).
    """
    return f"{settings.topic_prefix}{settings.app_id}"


def changelog_topics(settings: Settings) -> list[str]:
    """The changelog topic of every table (Faust's naming: ``<app id>-<table>-changelog``)."""
    return [f"{faust_app_id(settings)}-{t}-changelog" for t in TABLES]


def faust_options(settings: Settings) -> dict[str, Any]:
    """The ``faust.App`` settings of the worker (the benchmark's bare agent shares them)."""
    brokers = ";".join(f"kafka://{b.strip()}" for b in bootstrap_servers(settings).split(","))
    return {
        "broker": brokers,
        "store": settings.store,
        "autodiscover": False,
        "datadir": str(settings.data_dir),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": 1,
        "table_standby_replicas": 0,
        "consumer_auto_offset_reset": "earliest",
        "stream_wait_empty": False,
        "producer_acks": -1,
        # Batch sends for 10 ms: with Faust's default of 0 every record became its own
        # produce request, and socket writes took ~35% of a worker's CPU (make bench).
        "producer_linger": 0.01,
        # A worker that dies (SIGKILL, OOM, a lost host) leaves the group after this many
        # seconds without a heartbeat, and the survivors take its partitions: Faust's
        # default of 60 s kept a dead worker's brands unwatched for over a minute. The
        # heartbeat runs on the consumer's own thread, so a busy event loop does not
        # miss it (15 s held under CPU load in tests/crash/trials.py).
        "broker_session_timeout": 15.0,
        "broker_heartbeat_interval": 3.0,
        "broker_commit_every": 1000,
        "broker_commit_interval": 1.0,
        "table_cleanup_interval": 3600.0,
        "processing_guarantee": settings.processing_guarantee,
        # The bulk intake of ``mentions`` (issue 20): fetch size, wait for a batch in flight.
        **bulk.OPTIONS,
    }


def create_app(settings: Settings, deployment: Deployment) -> tuple[faust.App, Context]:
    """Build the Faust app with every topic, table, agent and the HTTP server."""
    codec.register()
    # faust.web stays on for its server's lifecycle; our own routes replace its /table.
    app = faust.App(faust_app_id(settings), web_enabled=True, **faust_options(settings))
    # ``mentions`` arrives as one event per fetched batch (streams/bulk.py, issue 20).
    bulk.install(app, [settings.topic("mentions")])
    registry = CollectorRegistry()
    policy = load_policy(
        deployment.escalation,
        default_timezone=deployment.timezone,
        language=deployment.slack_language,
        channel_languages=deployment.slack_channel_languages,
    )
    status_cfg = load_status_config(deployment.status)
    ctx = Context(
        settings=settings,
        deployment=deployment,
        engine=engine_config(deployment),
        enricher=Enricher(deployment.topics, languages=deployment.languages),
        metrics=Metrics(
            registry,
            brands=deployment.brands,
            sources=deployment.sources,
            detailed=settings.detailed_metrics,
        ),
        registry=registry,
        policy=policy,
        status_cfg=status_cfg,
        slack=delivery.make_sender(settings, registry),
    )
    for brand in deployment.brands:
        ctx.metrics.set_response_promise(brand, ctx.engine.backlog.promise_seconds)
    for name in TOPICS:
        ctx.topics[name] = app.topic(
            settings.topic(name),
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
        )
    # Batches of up to 4,000 mentions per event: a buffer of a few (streams/bulk.py).
    bulk.limit_buffer(ctx.topics["mentions"])
    ctx.tables["state"] = _table(app, "state", settings.partitions, "spikewatch_state")
    for name in ("incidents", "sent", "status"):
        ctx.tables[name] = _table(app, name, settings.partitions, "json")
    agents.register(app, ctx)
    notify.register(app, ctx)
    app.web_server(web.WebServer(app, ctx))
    return app, ctx
