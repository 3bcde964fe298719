"""``spikewatch``: the command line.

Public contract (see DESIGN.md): ``backtest``, ``score-series``, ``sentiment``.
Operations: ``worker``, ``ingest``, ``demo``, ``simulate``, ``templates``, ``broker``,
``source`` (streams/sources/cli.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from streams.settings import Settings, SettingsError, load_deployment, load_settings
from streams.sources.config import SourceConfigError


def _config_path(args: argparse.Namespace) -> Path | None:
    if getattr(args, "config", None):
        return Path(args.config)
    return load_settings().config


def broker_unreachable(bootstrap: str, timeout: float = 10.0) -> str | None:
    """``None`` when one bootstrap server answers Kafka's ApiVersions request within ``timeout``
    seconds in all, else one line saying which could not be reached and why.

    A TCP connect alone is not enough: a proxy or a firewall may accept it and then stay silent.
    """
    import socket
    import struct
    import time

    client = b"spikewatch-preflight"
    # ApiVersions (key 18) v0: size, api_key, api_version, correlation_id, client_id
    body = struct.pack(">hhih", 18, 0, 4242, len(client)) + client
    request = struct.pack(">i", len(body)) + body
    deadline = time.monotonic() + timeout
    why = []
    for part in bootstrap.split(","):
        host, _, port = part.strip().rpartition(":")
        left = deadline - time.monotonic()
        if left <= 0:
            why.append(f"{part.strip()}: not tried (time up)")
            continue
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=left) as s:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                s.sendall(request)
                head = s.recv(8)
                if len(head) == 8 and struct.unpack(">ii", head)[1] == 4242:
                    return None
                why.append(f"{part.strip()}: answered, but not as Kafka")
        except TimeoutError:
            why.append(f"{part.strip()}: no answer within {timeout:g} s")
        except OSError as exc:
            why.append(f"{part.strip()}: {exc.strerror or exc.__class__.__name__}")
    return (
        f"cannot reach the Kafka broker ({'; '.join(why)}); set SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS "
        f"or start the local one (spikewatch broker start, or worker --start-broker)"
    )


def _check_broker(settings: Settings) -> None:
    from streams.settings import bootstrap_servers

    problem = broker_unreachable(bootstrap_servers(settings))
    if problem:
        raise SettingsError(problem)


def cmd_worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    overrides = {}
    if args.web_port is not None:
        overrides["web_port"] = args.web_port
    settings = load_settings(**overrides)
    deployment = load_deployment(_config_path(args))
    if not (args.start_broker and settings.kafka_bootstrap_servers is None):
        _check_broker(settings)
    return run_worker(settings, deployment, start_broker=args.start_broker)


def cmd_config(args: argparse.Namespace) -> int:
    """``config check FILE``: validate everything and print the effective configuration."""
    import yaml

    from streams.config import DeploymentFile

    settings = load_settings()
    path = Path(args.file) if args.file else settings.config
    dep = load_deployment(path)
    effective = {
        "environment": settings.model_dump(mode="json"),  # SecretStr prints as **********
        "deployment": {
            **DeploymentFile.model_validate(dep.raw).model_dump(mode="json"),
            "escalation": str(dep.escalation) if dep.escalation else None,
            "topics": str(dep.topics) if dep.topics else None,
        },
    }
    print(f"# {path or 'built-in defaults'}: OK (secrets masked)")
    print(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True), end="")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from streams.ingest import replay
    from streams.settings import bootstrap_servers

    settings = load_settings()
    _check_broker(settings)
    n = replay(
        Path(args.file),
        bootstrap_servers(settings),
        settings.topic(args.topic),
        args.speed,
        timeout=args.timeout,
        ensure_partitions=settings.partitions,
        progress=lambda i, total: print(f"ingest: {i}/{total}", file=sys.stderr),
    )
    print(f"ingest: {n} records acknowledged by the broker", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(seconds=args.seconds, keep_running=args.keep_running)


def cmd_backtest(args: argparse.Namespace) -> int:
    from alerts.engine import backtest, dumps
    from streams.app import engine_config

    cfg = engine_config(load_deployment(_config_path(args)))
    with open(args.file, "rb") as f:
        for row in backtest(f, cfg):
            print(dumps(row))
    return 0


def cmd_score_series(args: argparse.Namespace) -> int:
    from detectors.series import score_series

    cfg = load_deployment(_config_path(args)).monitor
    with open(args.input, newline="") as f:
        rows = [(r["timestamp"], float(r["value"])) for r in csv.DictReader(f)]
    scores = score_series(rows, cfg)
    out = open(args.out, "w", newline="") if args.out else sys.stdout  # noqa: SIM115
    try:
        w = csv.writer(out)
        w.writerow(["timestamp", "value", "anomaly_score"])
        for (ts, v), s in zip(rows, scores, strict=True):
            w.writerow([ts, f"{v:g}", f"{s:.6f}"])
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def cmd_sentiment(args: argparse.Namespace) -> int:
    from detectors.text.cli import sentiment_lines

    for obj in sentiment_lines(sys.stdin, args.lang):
        print(json.dumps(obj, ensure_ascii=False))
    return 0


NO_TOOLS = (
    "spikewatch simulate: the simulator is test tooling (tools/ in a source checkout) and is "
    "not installed with the wheel; run it from a clone (pip install -e '.[dev]'). The demo's "
    "outage ships with the wheel: spikewatch demo."
)


def cmd_feedback(args: argparse.Namespace) -> int:
    from streams.feedback import TOPIC, export
    from streams.settings import bootstrap_servers

    settings = load_settings()
    written, skipped = export(bootstrap_servers(settings), settings.topic(TOPIC), Path(args.out))
    print(f"{written} corrections written to {args.out} ({skipped} malformed records skipped)")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        from tools.simulate_cli import simulate_main
    except ImportError:
        print(NO_TOOLS, file=sys.stderr)
        return 2
    return simulate_main(args.passthrough)


def cmd_templates(args: argparse.Namespace) -> int:
    from alerts.templates_check import templates_approve_main, templates_check_main

    if args.action == "check":
        return templates_check_main(args.rest)
    rest = list(args.rest)
    if "--at" not in rest:  # the approval's time is now (the CLI is an edge; alerts/ has no clock)
        from datetime import UTC, datetime

        rest += ["--at", datetime.now(UTC).isoformat(timespec="seconds")]
    return templates_approve_main(rest)


def cmd_broker(args: argparse.Namespace) -> int:
    from streams.broker import main as broker_main

    return broker_main([args.action])


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikewatch", description="Crisis and spike monitor")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("worker", help="run a stream worker (Faust)")
    s.add_argument("--config", help="deployment YAML (or SPIKEWATCH_CONFIG)")
    s.add_argument("--web-port", type=int, default=None)
    s.add_argument(
        "--start-broker",
        action="store_true",
        help="start the local broker first when no cluster is configured",
    )
    s.set_defaults(func=cmd_worker)

    s = sub.add_parser("ingest", help="replay canonical mentions into Kafka in event-time order")
    s.add_argument("file")
    s.add_argument("--speed", type=float, default=0.0, help="time scale; 0 = as fast as possible")
    s.add_argument("--topic", default="mentions")
    s.add_argument("--timeout", type=float, default=60.0)
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("demo", help="local broker + worker + a replayed Finnish outage")
    s.add_argument("--seconds", type=float, default=60.0, help="replay length in wall time")
    s.add_argument("--keep-running", action="store_true", help="keep serving metrics afterwards")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("backtest", help="run the pipeline over a file in event time")
    s.add_argument("file")
    s.add_argument("--config")
    s.set_defaults(func=cmd_backtest)

    s = sub.add_parser("score-series", help="score a NAB-style count series")
    s.add_argument("input")
    s.add_argument("--out")
    s.add_argument("--config")
    s.set_defaults(func=cmd_score_series)

    s = sub.add_parser("sentiment", help="classify texts from stdin, one per line")
    s.add_argument("--lang", default="auto", choices=["auto", "fi", "en", "sv"])
    s.set_defaults(func=cmd_sentiment)

    # simulate parses its own options (tools.simulate, in a source checkout only): main() hands
    # it the rest of the line.
    s = sub.add_parser("simulate", help="generate labelled mention streams", add_help=False)
    s.set_defaults(func=cmd_simulate, passthrough=[])

    s = sub.add_parser("templates", help="check or approve status-update templates")
    s.add_argument("action", choices=["check", "approve"])
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_templates)

    s = sub.add_parser("config", help="validate the configuration and print it, secrets masked")
    s.add_argument("action", choices=["check"])
    s.add_argument("file", nargs="?", help="deployment YAML (default: SPIKEWATCH_CONFIG)")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("feedback", help="the team's sentiment/topic corrections")
    s.add_argument("action", choices=["export"])
    s.add_argument("--out", required=True, help="NDJSON file for make train FEEDBACK=...")
    s.set_defaults(func=cmd_feedback)

    s = sub.add_parser("broker", help="the local Kafka broker")
    s.add_argument("action", choices=["fetch", "start", "stop", "status", "reset"])
    s.set_defaults(func=cmd_broker)

    from streams.sources.cli import add_parser as add_source_parser

    add_source_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if getattr(args, "passthrough", None) is None:
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
    else:
        args.passthrough = rest
    try:
        return int(args.func(args))
    except (SettingsError, SourceConfigError) as exc:
        print(f"spikewatch: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
