"""Sources: connectors that bring real mentions into the ``mentions`` topic.

One small module per platform, all behind :class:`streams.sources.base.Poller` (the
source asks the platform: RSS, Graph API backfill) or
:class:`streams.sources.base.Listener` (the platform calls us: webhooks). The
runner (:mod:`streams.sources.runner`) does the rest, the same for every source:
brand matching (:mod:`detectors.brandmatch`), canonical JSON, dedup by the
platform's ids, a cursor per source in the compacted topic ``sources.cursors``
written in the same Kafka transaction as the mentions (a restart neither skips
nor repeats), backoff on 429/5xx honouring the platform's rate-limit headers,
dead letters with a reason, per-source metrics and the "mentions stopped
arriving" warning. ``spikewatch source list|check|run|backfill`` is the CLI.
"""
