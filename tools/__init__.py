"""Test tooling of a source checkout: the mention simulator (``spikewatch simulate``).

Not in the wheel (pyproject ships ``detectors``, ``alerts`` and ``streams`` only): the
runtime never needs it, the tests, benchmarks and ``make`` targets do. ``tools`` may
import the runtime packages; they never import it at module level
(``tests/unit/test_architecture.py``).
"""
