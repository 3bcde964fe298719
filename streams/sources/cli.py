"""``spikewatch source list|check|run|backfill``: the command line of the sources.

``run NAME`` runs one connector until SIGTERM/SIGINT (one process per source);
``check [NAME]`` validates the configuration and reaches each endpoint once;
``backfill NAME --since 14d`` writes the history the platform still gives.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from streams.sources.base import Fatal
from streams.sources.config import (
    AppStoreConfig,
    BlueskyConfig,
    MastodonConfig,
    MetaConfig,
    RedditConfig,
    RssConfig,
    SourceConfigError,
    SourcesConfig,
    WebhookConfig,
    XConfig,
    load_sources,
)

log = logging.getLogger("spikewatch.sources")

_SINCE = re.compile(r"^(\d+)([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(s: str, now: datetime) -> datetime:
    """``14d``, ``36h``, ``2w`` or an RFC 3339 time.

    >>> parse_since("14d", datetime(2026, 3, 15, tzinfo=UTC)).isoformat()
    '2026-03-01T00:00:00+00:00'
    """
    m = _SINCE.match(s.strip())
    if m:
        return now - timedelta(seconds=int(m.group(1)) * _UNIT[m.group(2)])
    from detectors.mention import InvalidMention, parse_time

    try:
        return parse_time(s)
    except InvalidMention:
        raise SourceConfigError(
            f"--since: expected 14d, 36h, 2w or an RFC 3339 time, got {s!r}"
        ) from None


def add_parser(sub: Any) -> None:
    """The ``source`` subcommand (called from ``streams/cli.py``)."""
    p = sub.add_parser(
        "source", help="run, check or backfill a mention source (RSS, webhooks, ...)"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="deployment YAML (or SPIKEWATCH_CONFIG)")
    ss = p.add_subparsers(dest="action", required=True)
    ss.add_parser("list", help="the configured sources", parents=[common])
    c = ss.add_parser(
        "check", help="validate the configuration and reach each endpoint once", parents=[common]
    )
    c.add_argument("name", nargs="?")
    r = ss.add_parser("run", help="run one source until stopped", parents=[common])
    r.add_argument("name")
    r.add_argument("--metrics-port", type=int, default=None, help="serve /metrics (0 = none)")
    b = ss.add_parser(
        "backfill", help="write the history the platform still holds", parents=[common]
    )
    b.add_argument("name")
    b.add_argument("--since", default="14d")
    p.set_defaults(func=main)


def _config(args: argparse.Namespace) -> SourcesConfig:
    from streams.settings import load_settings

    path = args.config or load_settings().config
    return load_sources(Path(path) if path else None)


def _connector(cfg: SourcesConfig, name: str) -> Any:
    if name not in cfg.connectors:
        known = ", ".join(sorted(cfg.connectors)) or "none configured"
        raise SourceConfigError(f"source {name!r} is not configured (sources.connectors: {known})")
    return cfg.connectors[name]


def build(c: Any) -> Any:
    """The connector object for a configuration (secrets from the environment)."""
    if isinstance(c, RssConfig):
        from streams.sources.rss import RssSource

        return RssSource(c)
    if isinstance(c, WebhookConfig):
        from streams.sources.webhook import GenericWebhook

        try:
            return GenericWebhook.from_env(c)
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from None
    if isinstance(c, AppStoreConfig):
        from streams.sources.appstore import AppStoreSource

        return AppStoreSource(c)
    if isinstance(c, RedditConfig):
        from streams.sources.reddit import RedditSource

        try:
            return RedditSource.from_env(c)
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from None
    if isinstance(c, MastodonConfig):
        from streams.sources.mastodon import MastodonSource

        return MastodonSource.from_env(c)
    if isinstance(c, BlueskyConfig):
        from streams.sources.bluesky import BlueskySource

        return BlueskySource(c)
    if isinstance(c, XConfig):
        from streams.sources.x import XSource

        try:
            return XSource.from_env(c)
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from None
    if isinstance(c, MetaConfig):
        from streams.sources.meta import MetaSource

        try:
            return MetaSource.from_env(c)
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from None
    raise SourceConfigError(f"unknown source kind {type(c).__name__}")


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=os.environ.get("SPIKEWATCH_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    cfg = _config(args)
    if args.action == "list":
        for name, c in cfg.connectors.items():
            backfill = "no backfill" if c.kind in ("webhook", "bluesky") else "backfill"
            print(f"{name}\t{c.kind}\tchannel={c.channel}\t{backfill}")
        if not cfg.connectors:
            print("no sources configured (sources.connectors)", file=sys.stderr)
        return 0
    if args.action == "check":
        return _check(cfg, args.name)
    if args.action == "run":
        return _run(cfg, args.name, args.metrics_port)
    if args.action == "backfill":
        return _backfill(cfg, args.name, args.since)
    return 2


def _check(cfg: SourcesConfig, only: str | None) -> int:
    names = [only] if only else list(cfg.connectors)
    bad = 0
    print(f"brands: {', '.join(cfg.matcher().brands) or 'none configured'}")
    for n in names:
        c = _connector(cfg, n)
        try:
            msg = build(c).check()
            print(f"{n}: ok: {msg}")
        except Exception as exc:  # report every source, then fail
            bad += 1
            print(f"{n}: FAILED: {type(exc).__name__}: {exc}")
    return 1 if bad else 0


def _sink(cfg: SourcesConfig, name: str, c: Any, *, state_key: str | None = None) -> Any:
    from streams.broker import BrokerPaths
    from streams.settings import load_settings
    from streams.sources.runner import Sink, Topics, ensure_source_topics, new_metrics
    from streams.sources.silence import SilenceWatch

    settings = load_settings()
    # as streams.app.bootstrap_servers, without importing Faust into a source process
    bootstrap = settings.kafka_bootstrap_servers or BrokerPaths.from_env().bootstrap
    topics = Topics.with_prefix(settings.topic_prefix)
    ensure_source_topics(bootstrap, topics, settings.partitions)
    metrics, registry = new_metrics([name])
    watch = SilenceWatch(cfg.silence.after_minutes * 60.0, cfg.silence.min_records_per_day)
    lock = threading.Lock()  # produced from webhook threads, checked by the watchdog

    def observed(now: float, n: int) -> None:
        with lock:
            watch.observe(now, n)

    sink = Sink(
        name,
        c.channel,
        bootstrap,
        topics,
        cfg.matcher(),
        metrics,
        c.dedup_size,
        state_key=state_key,
        on_produced=observed,
    )

    def check(now: float) -> str | None:
        with lock:
            return watch.check(now)

    return sink, registry, check, settings


def _warner(cfg: SourcesConfig, name: str, settings: Any) -> Any:
    channel = cfg.silence.slack_channel
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if not channel or not token:
        return lambda verdict: log.warning("source %s: %s", name, verdict)
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    client = WebClient(
        token=token,
        base_url=settings.slack_base_url or "https://slack.com/api/",
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )

    def warn(verdict: str) -> None:
        text = (
            f":warning: Source *{name}*: mentions stopped arriving "
            f"(nothing for {cfg.silence.after_minutes:g} min; it normally delivers)."
            if verdict == "silent"
            else f":white_check_mark: Source *{name}*: mentions are arriving again."
        )
        log.warning("source %s: %s", name, verdict)
        try:
            client.chat_postMessage(channel=channel, text=text)
        except Exception as exc:  # a Slack outage must not stop the source
            log.error("source %s: Slack warning failed: %s", name, type(exc).__name__)

    return warn


def _run(cfg: SourcesConfig, name: str, metrics_port: int | None) -> int:
    from prometheus_client import start_http_server

    from streams.sources.runner import run_poller, run_stream

    c = _connector(cfg, name)
    src = build(c)
    sink, registry, watch, settings = _sink(cfg, name, c)
    port = metrics_port if metrics_port is not None else c.metrics_port
    if port:
        start_http_server(port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("source %s: signal %d, stopping after the current batch", name, signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    warn = _warner(cfg, name, settings)

    def watchdog() -> None:  # "mentions stopped arriving", whatever the source is doing
        while not stop.wait(min(30.0, cfg.silence.after_minutes * 15.0)):
            verdict = watch(time.time())
            if verdict is not None:
                warn(verdict)

    threading.Thread(target=watchdog, name="silence-watchdog", daemon=True).start()
    try:
        if isinstance(c, RssConfig | AppStoreConfig | RedditConfig):  # pollers
            log.info("source %s: polling every %gs", name, c.poll_seconds)
            run_poller(sink, src, c.poll_seconds, c.max_backoff_seconds, stop)
            return 0
        if isinstance(c, MastodonConfig | XConfig | BlueskyConfig):  # streams
            log.info("source %s: following the stream", name)
            print(f"source {name}: streaming", flush=True)
            run_stream(sink, src, c.max_backoff_seconds, stop)
            return 0
        from streams.sources.listener import WebhookServer

        def refused(kind: str) -> None:
            sink.metrics.errors.labels(name, kind).inc()

        server = WebhookServer(
            src,
            c.host,
            c.port,
            c.max_body_bytes,
            lambda items, bad: sink.deliver(items, bad, {"at": time.time()}),
            refused,
        )
        server.start()
        log.info("source %s: listening on %s:%d", name, c.host, server.port)
        print(f"source {name}: listening on {c.host}:{server.port}", flush=True)
        stop.wait()
        server.stop()
        return 0
    except Fatal as exc:  # credentials or configuration: retrying will not help
        print(f"source {name}: stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        sink.close()


def _backfill(cfg: SourcesConfig, name: str, since: str) -> int:
    from streams.sources.runner import run_poller

    c = _connector(cfg, name)
    src = build(c)
    if not hasattr(src, "backfill_start"):
        print(f"source {name}: a {c.kind} source has no history to backfill", file=sys.stderr)
        return 2
    start = parse_since(since, datetime.now(UTC))
    sink, *_ = _sink(cfg, name, c, state_key=f"{name}:backfill")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        n = run_poller(
            sink, src, 1.0, getattr(c, "max_backoff_seconds", 900.0), stop, backfill_since=start
        )
    except Fatal as exc:
        print(f"source {name}: backfill stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        sink.close()
    print(f"source {name}: backfill since {start.isoformat()}: {n} mentions written")
    return 0
