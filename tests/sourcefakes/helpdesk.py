"""A customer-service tool's outgoing webhook (Zendesk-style trigger payload), signed with HMAC.

Zendesk signs ``timestamp + body`` in ``X-Zendesk-Webhook-Signature`` (base64); tools
differ, so the generic source takes a header name, a prefix and hex or base64, and
signs the raw body. Here: base64 HMAC-SHA256 of the body in ``X-Webhook-Signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def ticket(
    tid: int, subject: str, comment: str, created: str, requester: str = "u-501"
) -> dict[str, Any]:
    return {
        "ticket": {
            "id": tid,
            "subject": subject,
            "created_at": created,
            "via": {"channel": "web"},
            "requester": {"id": requester, "name": "Maija Asiakas"},
            "latest_comment": {"body": comment, "public": True},
            "url": f"https://example.zendesk.com/agent/tickets/{tid}",
        }
    }


def batch(tickets: list[dict[str, Any]]) -> bytes:
    return json.dumps({"events": tickets}, ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
