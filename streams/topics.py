"""Create the pipeline's topics (idempotent) before a worker or an ingest starts.

Faust creates its own internal topics (changelogs, assignor) but not the
topics agents read; an existing cluster may not auto-create them either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

# Compacted: the incidents stream is replayed by the notify agent, keep it bounded by key.
RETENTION = {"mentions.dead": str(30 * 24 * 3600 * 1000)}


def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    configs: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """Create missing topics; return the names created. Existing ones are left as they are."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        wanted = {
            n: {
                "num_partitions": partitions,
                "replication_factor": -1,
                "configs": (configs or {}).get(n, {}),
            }
            for n in names
            if n not in existing
        }
        if wanted:
            admin.create_topics(wanted, wait_for_metadata=True, raise_errors=False)
            log.info("created topics: %s", ", ".join(sorted(wanted)))
        return sorted(wanted)
    finally:
        admin.close()
