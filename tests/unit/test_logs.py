"""Structured logs: context fields on every line, JSON lines, secrets redacted, bad input paced."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from streams.logs import (
    BadInputWarnings,
    dead_lettered,
    log_context,
    setup_logging,
    worker_logging,
)


@pytest.fixture
def captured() -> tuple[io.StringIO, logging.Logger]:
    buf = io.StringIO()
    handler = setup_logging("INFO", ["s3cr3t-value"], fmt="json", stream=buf)
    yield buf, logging.getLogger("spikewatch.test")
    logging.getLogger().removeHandler(handler)


def lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(x) for x in buf.getvalue().splitlines()]


def test_json_lines_carry_the_bound_context_and_no_secret(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    buf, log = captured
    with log_context(brand="nordbank", partition=3):
        log.info("enriched with token %s", "s3cr3t-value")
        with log_context(incident_id="inc-42"):
            log.warning("escalated xoxb-123-abc")
    log.info("outside")
    a, b, c = lines(buf)
    assert (a["brand"], a["partition"], a["level"]) == ("nordbank", 3, "INFO")
    assert "s3cr3t-value" not in a["msg"]
    assert "[REDACTED]" in a["msg"]
    assert (b["brand"], b["incident_id"]) == ("nordbank", "inc-42")
    assert "xoxb-123" not in b["msg"]
    assert "brand" not in c
    assert str(a["ts"]).endswith("+00:00")


async def test_each_task_keeps_its_own_context(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    buf, log = captured

    async def agent(brand: str, partition: int) -> None:
        with log_context(brand=brand, partition=partition):
            await asyncio.sleep(0)
            log.info("record")
            await asyncio.sleep(0)
            log.info("record")

    await asyncio.gather(agent("nordbank", 0), agent("skyways", 1))
    got = {(x["brand"], x["partition"]) for x in lines(buf)}
    assert got == {("nordbank", 0), ("skyways", 1)}


def test_bad_input_is_one_warning_per_reason_per_minute(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    buf, _ = captured
    now = [0.0]
    w = BadInputWarnings(interval=60.0, clock=lambda: now[0])
    for i in range(1000):
        now[0] = i * 0.05  # 1000 bad records in 50 s
        w.warn("invalid_json", "line 1 column 2")
        w.warn("unknown_brand")
    now[0] = 61.0
    w.warn("invalid_json")
    got = lines(buf)
    assert [x["reason"] for x in got] == ["invalid_json", "unknown_brand", "invalid_json"]
    assert all(x["level"] == "WARNING" for x in got)
    assert "999 more" in str(got[2]["msg"])


def test_text_format_shows_the_context_too() -> None:
    buf = io.StringIO()
    handler = setup_logging("INFO", fmt="text", stream=buf)
    try:
        with log_context(brand="nordbank", incident_id="inc-1"):
            logging.getLogger("spikewatch.test").info("opened")
    finally:
        logging.getLogger().removeHandler(handler)
    assert buf.getvalue().rstrip().endswith("opened [brand=nordbank incident_id=inc-1]")


def test_the_worker_keeps_the_json_handler_through_fausts_own_logging_setup() -> None:
    """What faust.Worker does at start (mode clears the root handlers, applies its dictConfig)
    leaves exactly spikewatch's JSON handler, and pipeline lines carry brand, partition and
    incident id."""
    import faust

    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buf = io.StringIO()
    try:
        kw = worker_logging("INFO", ["s3cr3t-value"], fmt="json", stream=buf)
        app = faust.App("spikewatch-logtest", web_enabled=False, autodiscover=False)
        app.conf.loghandlers = kw["loghandlers"]  # Faust's Worker reads them from the app
        worker = faust.Worker(
            app,
            loglevel="info",
            quiet=True,
            redirect_stdouts=False,
            logging_config=kw["logging_config"],
        )
        worker._setup_logging()  # the call Worker.execute_from_commandline makes first
        assert root.handlers == kw["loghandlers"]
        with log_context(brand="nordbank", partition=3, incident_id="inc-7"):
            logging.getLogger("streams.agents").warning("escalated with s3cr3t-value")
        logging.getLogger("streams.app").info("started")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    a, b = lines(buf)
    assert (a["brand"], a["partition"], a["incident_id"]) == ("nordbank", 3, "inc-7")
    assert "s3cr3t-value" not in a["msg"]
    assert (b["logger"], b["msg"]) == ("streams.app", "started")
    assert "brand" not in b


def test_dead_letters_log_one_warning_per_reason_per_minute_with_their_partition(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    buf, _ = captured
    now = [0.0]
    w = BadInputWarnings(interval=60.0, clock=lambda: now[0])
    written = []
    for i in range(300):  # 300 bad records in 30 s, two reasons, two partitions
        now[0] = i * 0.1
        where = {"topic": "mentions", "partition": i % 2, "offset": 1000 + i}
        written.append(dead_lettered("invalid_json", "not JSON", where, warner=w))
        written.append(dead_lettered("unknown_brand", "brand 'x'", where, warner=w))
    now[0] = 75.0
    dead_lettered("invalid_json", "not JSON", {"topic": "mentions", "partition": 1}, warner=w)
    got = lines(buf)
    assert sum(written) == 2
    assert [(x["reason"], x["partition"], x["topic"]) for x in got] == [
        ("invalid_json", 0, "mentions"),
        ("unknown_brand", 0, "mentions"),
        ("invalid_json", 1, "mentions"),
    ]
    assert "offset 1000" in str(got[0]["msg"])
    assert "299 more" in str(got[2]["msg"])
