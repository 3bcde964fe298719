"""The local Apache Kafka broker for development, the demo and CI.

The broker is the real Apache Kafka (``org.apache.kafka:kafka_2.13``) taken from
Maven Central with Maven, plus the log4j2 backend its POM leaves out, run as a
single-node KRaft broker+controller on 127.0.0.1. Jars are cached outside the
work tree (``~/.cache/spikewatch/kafka-<version>``) and reused; the broker's
data and log live under ``<run dir>`` (default ``~/.cache/spikewatch/kafka-run-<port>``).

``deploy/kafka/{fetch,start,stop,status}.sh`` call this module; so does
``spikewatch demo``. Start is idempotent: a broker that already answers is
left alone. Ready means the ``Kafka Server started`` log line *and* a client
round trip (create a topic, produce, consume), not an open port.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

KAFKA_VERSION = "4.0.2"
READY_LINE = "Kafka Server started"


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or reached."""


@dataclass(frozen=True)
class BrokerPaths:
    """Where the jars are cached and where one broker keeps its state."""

    cache_dir: Path
    run_dir: Path
    port: int = 9092
    controller_port: int = 9093

    @classmethod
    def from_env(cls) -> BrokerPaths:
        cache = Path(
            os.environ.get("SPIKEWATCH_CACHE_DIR", Path.home() / ".cache" / "spikewatch")
        ).expanduser()
        port = int(os.environ.get("SPIKEWATCH_KAFKA_PORT", "9092"))
        run = Path(
            os.environ.get("SPIKEWATCH_KAFKA_RUN_DIR", cache / f"kafka-run-{port}")
        ).expanduser()
        cport = int(os.environ.get("SPIKEWATCH_KAFKA_CONTROLLER_PORT", str(port + 1)))
        return cls(cache.resolve(), run.resolve(), port, cport)

    @property
    def libs(self) -> Path:
        return self.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "server.log"


def _say(msg: str) -> None:
    print(f"[broker] {msg}", file=sys.stderr, flush=True)


def fetch(paths: BrokerPaths) -> Path:
    """Resolve the broker jars with Maven once; later calls reuse the cache."""
    done = paths.libs / ".complete"
    if done.exists():
        return paths.libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven (mvn) is not installed: install Maven and Java 17+, "
            "or set SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS to an existing cluster"
        )
    if shutil.which("java") is None:
        raise BrokerError("Java is not installed: the local Kafka broker needs Java 17+")
    tmp = paths.libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pom = tmp.parent / "pom.xml"
    pom.write_bytes(resources.files("streams").joinpath("data/kafka-broker-pom.xml").read_bytes())
    _say(f"downloading Apache Kafka {KAFKA_VERSION} jars from Maven Central (first run only)...")
    cmd = [
        mvn,
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={tmp}",
        "-DincludeScope=runtime",
    ]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    n = 0
    tail: list[str] = []
    for line in proc.stdout:
        tail = ([*tail, line.rstrip()])[-30:]
        if "Downloaded from" in line:
            n += 1
            if n % 20 == 0:
                _say(f"  {n} files downloaded...")
    if proc.wait() != 0:
        raise BrokerError("Maven could not resolve the Kafka broker:\n" + "\n".join(tail))
    shutil.rmtree(paths.libs, ignore_errors=True)
    tmp.rename(paths.libs)
    (paths.libs / ".complete").write_text(KAFKA_VERSION)
    _say(f"jars ready in {paths.libs} ({len(list(paths.libs.glob('*.jar')))} jars)")
    return paths.libs


def _server_properties(paths: BrokerPaths) -> str:
    data = paths.run_dir / "data"
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{paths.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{paths.port},CONTROLLER://127.0.0.1:{paths.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{paths.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=4",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=8",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "delete.topic.enable=true",
            "log.retention.hours=168",
            "log.segment.bytes=67108864",
            "",
        ]
    )


_LOG4J = """\
Configuration:
  name: spikewatch-broker
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka
        level: INFO
      - name: org.apache.kafka
        level: WARN
      - name: kafka.server.KafkaServer
        level: INFO
      - name: kafka.server.BrokerServer
        level: INFO
"""


def _pid(paths: BrokerPaths) -> int | None:
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def roundtrip(bootstrap: str, timeout: float = 30.0) -> None:
    """Create a topic, produce one record and read it back, or raise BrokerError."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    topic = "spikewatch.readiness"
    token = uuid.uuid4().hex.encode()
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            try:
                admin.create_topics(
                    {topic: {"num_partitions": 1, "replication_factor": 1}},
                    wait_for_metadata=True,
                )
            except TopicAlreadyExistsError:
                pass
            finally:
                admin.close()
            producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            meta = producer.send(topic, token).get(timeout=10)
            producer.close()
            consumer = KafkaConsumer(
                bootstrap_servers=bootstrap,
                enable_auto_commit=False,
                consumer_timeout_ms=10000,
            )
            from kafka import TopicPartition

            tp = TopicPartition(topic, meta.partition)
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            got = next(iter(consumer), None)
            consumer.close()
            if got is not None and got.value == token:
                return
            last = BrokerError("produced record was not read back")
        except (KafkaError, OSError) as exc:
            last = exc
        time.sleep(0.5)
    raise BrokerError(f"broker at {bootstrap} did not complete a round trip: {last}")


def start(paths: BrokerPaths, *, timeout: float = 120.0) -> str:
    """Start the broker unless it already serves; return its bootstrap address."""
    if _pid(paths) is not None and _port_open(paths.port):
        roundtrip(paths.bootstrap, timeout=30)
        _say(f"already running at {paths.bootstrap}")
        return paths.bootstrap
    if _port_open(paths.port):
        try:
            roundtrip(paths.bootstrap, timeout=10)
        except BrokerError:
            raise BrokerError(
                f"port {paths.port} is taken by another program; set SPIKEWATCH_KAFKA_PORT "
                "or SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS"
            ) from None
        _say(f"a Kafka broker started elsewhere answers at {paths.bootstrap}; using it")
        return paths.bootstrap
    libs = fetch(paths)
    paths.run_dir.mkdir(parents=True, exist_ok=True)
    props = paths.run_dir / "server.properties"
    props.write_text(_server_properties(paths))
    log4j = paths.run_dir / "log4j2.yaml"
    log4j.write_text(_LOG4J)
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java is not installed: the local Kafka broker needs Java 17+")
    heap = os.environ.get("SPIKEWATCH_KAFKA_HEAP", "-Xms256m -Xmx1g").split()
    base = [
        java,
        *heap,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{libs}/*",
    ]
    if not (paths.run_dir / "data" / "meta.properties").exists():
        cluster_id = (
            subprocess.run(  # noqa: S603
                [*base, "kafka.tools.StorageTool", "random-uuid"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        fmt = subprocess.run(  # noqa: S603
            [*base, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
            capture_output=True,
            text=True,
        )
        if fmt.returncode != 0:
            raise BrokerError(f"formatting the broker storage failed:\n{fmt.stdout}{fmt.stderr}")
    _say(f"starting Kafka {KAFKA_VERSION} (KRaft, single node) on {paths.bootstrap}...")
    log = paths.log_file.open("ab")
    offset = paths.log_file.stat().st_size
    proc = subprocess.Popen(  # noqa: S603
        [*base, "kafka.Kafka", str(props)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    paths.pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise BrokerError(
                f"broker exited with {proc.returncode}; see {paths.log_file}:\n"
                + _tail(paths, offset)
            )
        with paths.log_file.open("rb") as f:
            f.seek(offset)
            if READY_LINE.encode() in f.read():
                break
        if time.monotonic() > deadline:
            stop(paths)
            raise BrokerError(f"broker not started after {timeout:.0f}s:\n" + _tail(paths, offset))
        time.sleep(0.25)
    roundtrip(paths.bootstrap, timeout=max(10.0, deadline - time.monotonic()))
    _say(f"ready at {paths.bootstrap} (pid {proc.pid}, log {paths.log_file})")
    return paths.bootstrap


def _tail(paths: BrokerPaths, offset: int = 0, n: int = 25) -> str:
    try:
        with paths.log_file.open("rb") as f:
            f.seek(offset)
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def stop(paths: BrokerPaths, *, timeout: float = 30.0) -> bool:
    """Stop the broker cleanly (SIGTERM, then SIGKILL after ``timeout``)."""
    pid = _pid(paths)
    if pid is None:
        paths.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    paths.pid_file.unlink(missing_ok=True)
    _say("stopped")
    return True


def status(paths: BrokerPaths) -> str:
    pid = _pid(paths)
    if pid is None:
        return "stopped"
    return f"running pid={pid} bootstrap={paths.bootstrap}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="spikewatch broker", description=__doc__.split("\n")[0])
    p.add_argument("action", choices=["fetch", "start", "stop", "status", "reset"])
    args = p.parse_args(argv)
    paths = BrokerPaths.from_env()
    try:
        if args.action == "fetch":
            fetch(paths)
        elif args.action == "start":
            print(start(paths))
        elif args.action == "stop":
            stop(paths)
        elif args.action == "reset":
            stop(paths)
            shutil.rmtree(paths.run_dir, ignore_errors=True)
        else:
            print(status(paths))
    except BrokerError as exc:
        _say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
