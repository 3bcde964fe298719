"""Pure streaming core of spikewatch: mentions, enrichment, detectors.

Nothing here imports Kafka, Faust, Slack or reads the clock; time always comes
from the events. The live worker and ``spikewatch backtest`` run this same code.
"""
