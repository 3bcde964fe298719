"""What ``spikewatch sentiment [--lang auto|fi|en|sv]`` does, without argparse or I/O.

Examples
--------
>>> out = list(sentiment_lines(["Kiitti nopeesta avusta!", "", "This app is useless 😡"]))
>>> [(o["lang"], o["label"]) for o in out]
[('fi', 'positive'), ('und', 'neutral'), ('en', 'negative')]
>>> next(sentiment_lines(["Ei toimi"], lang="fi"))["lang"]
'fi'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from detectors.text.language import detect_language
from detectors.text.sentiment import default_model


def sentiment_lines(lines: Iterable[str], lang: str = "auto") -> Iterator[dict[str, Any]]:
    """One ``{"lang", "label", "score"}`` per input line (trailing newline ignored).

    ``lang="auto"`` detects each line's language; any other value is used as given.
    """
    if not lang:
        raise ValueError("lang must be 'auto' or a language code")
    model = default_model()
    fixed = None if lang == "auto" else lang.lower()
    for line in lines:
        text = line.rstrip("\r\n")
        code = fixed or detect_language(text)
        label, score = model.classify(text, code)
        yield {"lang": code, "label": label, "score": score}
