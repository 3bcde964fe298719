"""What Slack's errors mean to an operator, and tokens kept out of every text meant for logs."""

from __future__ import annotations

import re

AUTH_HELP = {
    "invalid_auth": "the token is not valid (mistyped, from another workspace, or Slack is "
    "refusing it for now)",
    "not_authed": "no token reached Slack",
    "account_inactive": "the bot user or workspace is deactivated",
    "token_revoked": "the token was revoked (app uninstalled?): install the app again and set "
    "the new SLACK_BOT_TOKEN",
    "token_expired": "the token expired (token rotation is on): set a fresh SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks an OAuth scope (chat:write, files:write, channels:history, "
    "channels:read; users:read for approvers' names)",
}


def explain_auth_error(error: str | None) -> str:
    """A sentence for the operator about a failed ``auth.test`` (never the token itself).

    >>> explain_auth_error("token_revoked").startswith("the token was revoked")
    True
    """
    if error in AUTH_HELP:
        return AUTH_HELP[error]
    if error in ("timeout", "connection_error", "deadline") or (error or "").startswith("http_"):
        return "Slack could not be reached (check SLACK_API_URL and the network)"
    return f"Slack answered {error!r}"


_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


def redact(text: str, token: str | None = None) -> str:
    """Remove Slack tokens (and the given secret) from a text meant for logs.

    >>> redact("invalid_auth for xoxb-123-456-abc")
    'invalid_auth for xoxb-***'
    """
    if token:
        text = text.replace(token, "***")
    return _TOKEN.sub(lambda m: m.group(0)[:5] + "***", text)
