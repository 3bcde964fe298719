"""The worker's HTTP server: /metrics, /healthz, /ingest, /slack/actions.

It binds to ``SPIKEWATCH_WEB_HOST`` (127.0.0.1 by default) and replaces Faust's
own web stack, so no route serves table contents.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from detectors.mention import InvalidMention, Mention, parse_mention
from streams.records import check_time, dead_letter

if TYPE_CHECKING:
    import faust

    from streams.app import Context

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_BATCH = 5000
INGEST_ACK_SECONDS = 20.0
HEADER_SECONDS = 10.0  # a request's headers must arrive within this of its first byte
BODY_SECONDS = 30.0  # and its body within this once the headers are in
KEEPALIVE_SECONDS = 15.0  # an idle connection (no request yet, or between requests) closes
# Kafka's default ``message.max.bytes``/``max.request.size`` is 1,000,000 bytes; a record with
# its key and batch overhead must fit, so larger ones can never be stored: 413, not "retry".
RECORD_OVERHEAD_BYTES = 512


def split_body(body: bytes, content_type: str) -> list[bytes] | None:
    """One record, a JSON array of records, or NDJSON; ``None`` when not JSON at all."""
    if "ndjson" in content_type:
        # Only "\n" ends a record: U+2028, U+0085 and friends are valid inside JSON strings.
        return [ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return [body]  # one record, dead-lettered as invalid_utf8
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(obj, list):
        return [_dump(o) for o in obj]
    return [body]


def _dump(obj: Any) -> bytes:
    """One element of a JSON array as a record (escaped if it holds a lone surrogate)."""
    try:
        return json.dumps(obj, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(obj).encode()
    except (ValueError, RecursionError):
        return b"<unserializable>"


class _TimedHandler(RequestHandler):
    """aiohttp's connection handler with a deadline for request headers (slow clients)."""

    _sw_since: float | None = None
    _sw_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        before = self._request_count
        super().data_received(data)
        if self._request_count != before:
            self._sw_since = None
        elif self._sw_since is None and getattr(self, "_current_request", None) is None:
            loop = asyncio.get_running_loop()
            self._sw_since = loop.time()
            self._sw_timer = loop.call_later(HEADER_SECONDS, self._sw_check)

    def _sw_check(self) -> None:
        since = self._sw_since
        if since is None or getattr(self, "_current_request", None) is not None:
            return
        if asyncio.get_running_loop().time() - since >= HEADER_SECONDS - 0.01:
            log.info(
                "HTTP client sent no complete request headers in %.0fs: closed", HEADER_SECONDS
            )
            self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._sw_timer is not None:
            self._sw_timer.cancel()
        super().connection_lost(exc)


class _TimedServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _TimedHandler(self, loop=self._loop, **self._kwargs)


class _TimedRunner(web.AppRunner):
    """An AppRunner whose connections get :class:`_TimedHandler`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _TimedServer
        return server


class WebServer(Service):
    """aiohttp server run as a Faust runtime service."""

    def __init__(self, app: faust.App, ctx: Context, **kw: Any) -> None:
        self.fapp = app
        self.ctx = ctx
        self._runner: web.AppRunner | None = None
        self.port = ctx.settings.web_port
        self._signatures: dict[str, float] = {}  # Slack signatures seen -> when (replay guard)
        self._producer: Any = None  # a plain producer for the edge under exactly-once
        super().__init__(**kw)

    def routes(self) -> web.Application:
        wa = web.Application(client_max_size=MAX_BODY_BYTES)
        wa.router.add_get("/metrics", self.metrics)
        wa.router.add_get("/healthz", self.healthz)
        wa.router.add_post("/ingest", self.ingest)
        wa.router.add_post("/slack/actions", self.slack_actions)
        return wa

    async def _start_edge_producer(self) -> None:
        """Under exactly-once, Faust's producer sends inside per-partition transactions
        that commit with the agents' offsets: a record from /ingest would be
        acknowledged to the client before it is committed (lost if the worker died
        first), and partitions this worker does not own have no transaction at all.
        The edge then writes with a plain idempotent producer, acks=all."""
        if self.ctx.settings.processing_guarantee != "exactly_once":
            return
        from aiokafka import AIOKafkaProducer

        from streams.settings import bootstrap_servers

        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers(self.ctx.settings).split(","),
            acks="all",
            enable_idempotence=True,
            linger_ms=10,
        )
        await self._producer.start()

    async def _send(self, name: str, key: bytes | None, value: bytes) -> Any:
        """Queue one record for topic ``name``; returns an awaitable acknowledgement."""
        if self._producer is not None:
            return await self._producer.send(self.ctx.settings.topic(name), value, key=key)
        return await self.ctx.topics[name].send(key=key, value=value)

    async def on_start(self) -> None:
        await self._start_edge_producer()
        self._runner = _TimedRunner(
            self.routes(), access_log=None, keepalive_timeout=KEEPALIVE_SECONDS
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.ctx.settings.web_host, self.ctx.settings.web_port)
        await site.start()
        server = site._server
        if server is not None and getattr(server, "sockets", None):
            self.port = server.sockets[0].getsockname()[1]
        log.info("HTTP on http://%s:%s", self.ctx.settings.web_host, self.port)
        self.ctx.ready = True

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._producer is not None:
            await self._producer.stop()

    def _first_use(self, signature: str, now: float) -> bool:
        """``False`` for a Slack signature already used within its 5-minute validity."""
        from alerts.interactivity import MAX_AGE_SECONDS

        if len(self._signatures) > 1000:
            horizon = now - 2 * MAX_AGE_SECONDS
            self._signatures = {k: t for k, t in self._signatures.items() if t >= horizon}
        if signature in self._signatures:
            return False
        self._signatures[signature] = now
        return True

    def get_web_url(self) -> str:
        return f"http://{self.ctx.settings.web_host}:{self.port}/"

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.ctx.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(self, request: web.Request) -> web.Response:
        ok = self.ctx.ready and not self.fapp.should_stop
        crashed = sorted(
            str(name)
            for name, agent in self.fapp.agents.items()
            for actor in list(getattr(agent, "_actors", ()))
            if getattr(actor, "crashed", False)
        )
        if crashed:  # an agent that crashed processes nothing more: say so, do not look healthy
            return web.json_response({"ok": False, "crashed_agents": crashed}, status=503)
        return web.json_response({"ok": ok}, status=200 if ok else 503)

    def _authorized(self, request: web.Request) -> bool:
        token = self.ctx.settings.ingest_token
        if token is None:
            return True
        got = request.headers.get("Authorization", "")
        want = f"Bearer {token.get_secret_value()}"
        return hmac.compare_digest(got.encode(), want.encode())

    async def ingest(self, request: web.Request) -> web.Response:
        """Accept one mention, a JSON array, or NDJSON; invalid ones go to the dead letters."""
        if not self._authorized(request):
            return web.json_response({"error": "missing or wrong bearer token"}, status=401)
        try:
            body = await asyncio.wait_for(request.read(), BODY_SECONDS)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(
                {"error": "body too large", "limit_bytes": MAX_BODY_BYTES}, status=413
            )
        except TimeoutError:
            return web.json_response(
                {"error": f"body not received within {BODY_SECONDS:.0f}s"}, status=408
            )
        records = split_body(body, request.content_type or "")
        if records is None:
            self.ctx.metrics.invalid("invalid_json")
            await self._send(
                "mentions.dead",
                None,
                dead_letter("invalid_json", "request body is not JSON", body, via="http"),
            )
            return web.json_response(
                {"accepted": 0, "rejected": [{"index": 0, "reason": "invalid_json"}]}, status=400
            )
        if len(records) > MAX_BATCH:
            return web.json_response(
                {"error": f"at most {MAX_BATCH} records a request"}, status=413
            )
        limit = self.record_limit()
        accepted, rejected = 0, []
        out: list[tuple[str, bytes | None, bytes]] = []  # (topic, key, value) to send
        now = time.time()
        for i, raw in enumerate(records):
            try:
                m = parse_mention(raw)
                self._edge_checks(m, now)
            except InvalidMention as exc:
                self.ctx.metrics.invalid(exc.reason)
                rejected.append({"index": i, "reason": exc.reason, "detail": exc.detail})
                out.append(
                    ("mentions.dead", None, dead_letter(exc.reason, exc.detail, raw, via="http"))
                )
                continue
            if len(raw) > limit:  # valid, but Kafka can never store it
                return web.json_response(
                    {
                        "error": f"record {i} is {len(raw)} bytes; Kafka takes at most "
                        f"{limit} bytes a record: split or shorten it (no retry helps)",
                        "index": i,
                        "limit_bytes": limit,
                    },
                    status=413,
                )
            out.append(("mentions", m.brand.encode(), raw))
            accepted += 1
        try:
            await asyncio.wait_for(self._send_all(out), timeout=INGEST_ACK_SECONDS)
        except Exception as exc:  # the broker is down or refused: say so, never drop silently
            log.warning(
                "ingest: Kafka did not acknowledge %d records: %s", len(out), type(exc).__name__
            )
            return web.json_response(
                {
                    "error": "Kafka did not acknowledge the records; retry the request "
                    "(mentions already stored are dropped as duplicates)",
                    "accepted": 0,
                    "rejected": rejected,
                },
                status=503,
                headers={"Retry-After": "5"},
            )
        status = 202 if accepted else 400
        return web.json_response({"accepted": accepted, "rejected": rejected}, status=status)

    def record_limit(self) -> int:
        """The largest mention (bytes) the producer and the broker's default will take."""
        max_request = int(getattr(self.fapp.conf, "producer_max_request_size", 1_000_000))
        return min(max_request, 1_000_000) - RECORD_OVERHEAD_BYTES

    def _edge_checks(self, m: Mention, now: float) -> None:
        """What the enrich agent would refuse anyway, refused here so the client learns it."""

        brands = self.ctx.deployment.brands
        if brands and m.brand not in brands:
            raise InvalidMention("unknown_brand", f"brand {m.brand[:64]!r} is not configured")
        s = self.ctx.settings
        check_time(m, now, s.max_event_age_days, s.max_event_future_seconds)

    async def _send_all(self, out: list[tuple[str, bytes | None, bytes]]) -> None:
        """Send in order and wait until the broker acknowledged every record."""
        acks = [await self._send(t, k, v) for t, k, v in out]
        await asyncio.gather(*acks)

    async def slack_actions(self, request: web.Request) -> web.Response:
        """Slack's interactivity endpoint: verify, turn the click into a command, answer fast."""
        from alerts.incidents import incident_owner
        from alerts.interactivity import InteractionError, command_record, parse_request
        from alerts.status_blocks import edit_errors, loading_modal

        secret = self.ctx.settings.slack_signing_secret
        if secret is None:
            return web.json_response({"error": "SLACK_SIGNING_SECRET is not set"}, status=503)
        body = await request.read()
        now = time.time()  # Slack signs with wall-clock time; this is the edge
        from streams.feedback import feedback_request

        try:
            fb = feedback_request(request.headers, body, secret.get_secret_value(), now)
            it = (
                parse_request(request.headers, body, secret.get_secret_value(), now)
                if fb is None
                else None
            )
        except InteractionError as exc:
            self.ctx.metrics.interaction(str(exc) if exc.status == 401 else "bad_request")
            return web.Response(status=exc.status, text=str(exc))
        signature = request.headers.get("X-Slack-Signature", "")
        first = self._first_use(signature, now)
        guard = getattr(self.ctx, "click_guard", None)  # shared by every worker (issue 14)
        if first and guard is not None:
            first = await asyncio.get_running_loop().run_in_executor(None, guard, signature)
            if first is None:
                return web.Response(status=503, text="replay guard unavailable, try again")
        if not first:
            self.ctx.metrics.interaction("replayed_request")
            return web.Response(status=401, text="replayed_request")
        if fb is not None:
            await self._send_feedback(fb)
            return web.Response(status=200, text="")
        assert it is not None
        view_id = None
        policy = self.ctx.policy  # the team's language for what the click opens or answers
        lang = policy.language_for(policy.primary_channel(incident_owner(it.incident_id)[0]))
        if it.kind == "edit_submit":
            assert it.ref is not None
            assert it.text is not None
            errors = edit_errors(it.text, it.ref.channel, self.ctx.status_cfg, lang)
            if errors:
                return web.json_response({"response_action": "errors", "errors": errors})
        if it.kind == "edit":
            if not it.trigger_id or not hasattr(self.ctx.slack, "open_view"):
                return web.Response(status=400, text="no_trigger_id")
            assert it.ref is not None
            loop = asyncio.get_running_loop()
            res = await loop.run_in_executor(
                None, self.ctx.slack.open_view, it.trigger_id, loading_modal(it.ref, lang)
            )
            view_id = res.ts if res.ok else None
        brand, value = command_record(it, view_id=view_id)
        await self._send(
            "incident.commands", brand.encode(), json.dumps(value, ensure_ascii=False).encode()
        )
        self.ctx.metrics.interaction(it.kind)
        return web.Response(status=200, text="")

    async def _send_feedback(self, corr: dict[str, Any]) -> None:
        """A team correction (``streams.feedback``) onto the ``feedback`` topic, acknowledged."""
        from streams.feedback import TOPIC, complete, encode

        loop = asyncio.get_running_loop()
        record = await loop.run_in_executor(None, complete, corr, self.ctx.enricher)
        key, value = encode(record)
        await (await self._send(TOPIC, key, value))
        self.ctx.metrics.interaction("feedback")
