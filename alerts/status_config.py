"""The deployment's ``status`` settings: YAML -> :class:`~alerts.status_records.StatusConfig`.

Every error names the setting (``status.cadence_minutes.high must be ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.status_records import CHANNELS, TOPICS, StatusConfig
from alerts.templating import LANGS, Forms


def _mapping(v: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(v).__name__}")
    return v


def _pos_int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"{where} must be a positive integer, got {v!r}")
    return v


def _lang_key(lang: Any, where: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"{where}: unknown language {lang!r}; known: {list(LANGS)}")
    return str(lang)


def _forms_table(v: Any, where: str) -> dict[str, str]:
    if isinstance(v, str):
        return {"nominative": v}
    table = {str(k): str(x) for k, x in _mapping(v, where).items()}
    try:
        Forms.from_mapping(Forms.plain(""), table)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return table


def load_status_config(d: Mapping[str, Any] | None) -> StatusConfig:
    """Build a :class:`StatusConfig` from the deployment YAML's ``status`` section.

    Every error names the setting (``status.cadence_minutes.high must be ...``).

    >>> cfg = load_status_config({"timezone": "Europe/Stockholm", "cadence_minutes": {"high": 20},
    ...     "brand_forms": {"spankki": {"fi": {"genitive": "S-Pankin"}}}})
    >>> cfg.cadence_minutes["high"], cfg.cadence_minutes["low"], cfg.brand_forms["spankki"]["fi"]
    (20, 120, {'genitive': 'S-Pankin'})
    >>> load_status_config({"languages": ["fi", "de"]})
    Traceback (most recent call last):
    ...
    ValueError: status.languages: unknown language 'de'; known: ['fi', 'en', 'sv']
    """
    if d is None:
        return StatusConfig()
    d = _mapping(d, "status")
    known = {f for f in StatusConfig.__dataclass_fields__}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"status: unknown setting(s) {unknown}; known: {sorted(known)}")
    base = StatusConfig()
    kw: dict[str, Any] = {}
    if "timezone" in d:
        try:
            ZoneInfo(str(d["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"status.timezone: unknown time zone {d['timezone']!r}") from None
        kw["timezone"] = str(d["timezone"])
    if "languages" in d:
        langs = d["languages"]
        if isinstance(langs, str) or not isinstance(langs, Sequence) or not langs:
            raise ValueError("status.languages must be a non-empty list such as [fi, en, sv]")
        kw["languages"] = tuple(_lang_key(x, "status.languages") for x in langs)
    if "cadence_minutes" in d:
        cad = dict(base.cadence_minutes)
        for sev, minutes in _mapping(d["cadence_minutes"], "status.cadence_minutes").items():
            cad[str(sev)] = _pos_int(minutes, f"status.cadence_minutes.{sev}")
        kw["cadence_minutes"] = cad
    for name in ("default_cadence_minutes", "round_to_minutes", "remind_before_minutes"):
        if name in d:
            kw[name] = _pos_int(d[name], f"status.{name}")
    if kw.get("round_to_minutes", 1) > 60:
        raise ValueError("status.round_to_minutes must be at most 60")
    if "brand_forms" in d:
        bf: dict[str, dict[str, dict[str, str]]] = {}
        for brand, by_lang in _mapping(d["brand_forms"], "status.brand_forms").items():
            where = f"status.brand_forms.{brand}"
            bf[str(brand).lower()] = {
                _lang_key(lang, where): _forms_table(t, f"{where}.{lang}")
                for lang, t in _mapping(by_lang, where).items()
            }
        kw["brand_forms"] = bf
    if "services" in d:
        services = dict(base.services)
        for key, by_lang in _mapping(d["services"], "status.services").items():
            where = f"status.services.{key}"
            entry: dict[str, Any] = {}
            for lang, v in _mapping(by_lang, where).items():
                lang = _lang_key(lang, where)
                entry[lang] = (
                    v if lang == "en" and isinstance(v, str) else _forms_table(v, f"{where}.{lang}")
                )
            missing = [x for x in LANGS if x not in entry]
            if missing:
                raise ValueError(f"{where}: missing language(s) {missing}")
            if "nominative" not in (entry["fi"] if isinstance(entry["fi"], dict) else {}):
                raise ValueError(f"{where}.fi needs at least 'nominative'")
            services[str(key)] = entry
        kw["services"] = services
    if "topic_services" in d:
        services = kw.get("services", base.services)
        ts = dict(base.topic_services)
        for topic, key in _mapping(d["topic_services"], "status.topic_services").items():
            if topic not in TOPICS:
                raise ValueError(f"status.topic_services: unknown topic {topic!r}; known: {TOPICS}")
            if key not in services:
                raise ValueError(f"status.topic_services.{topic}: unknown service {key!r}")
            ts[str(topic)] = str(key)
        kw["topic_services"] = ts
    if "topic_aliases" in d:
        aliases = dict(base.topic_aliases)
        for topic, target in _mapping(d["topic_aliases"], "status.topic_aliases").items():
            if target not in TOPICS:
                raise ValueError(
                    f"status.topic_aliases.{topic}: {target!r} is not a template topic {TOPICS}"
                )
            aliases[str(topic)] = str(target)
        kw["topic_aliases"] = aliases
    if "channel_labels" in d:
        labels = dict(base.channel_labels)
        for code, by_lang in _mapping(d["channel_labels"], "status.channel_labels").items():
            where = f"status.channel_labels.{code}"
            labels[str(code)] = {
                _lang_key(lang, where): str(v) for lang, v in _mapping(by_lang, where).items()
            }
        kw["channel_labels"] = labels
    for name in ("link",):
        if name in d and d[name] is not None:
            kw[name] = _url(d[name], f"status.{name}")
    if "brand_links" in d:
        kw["brand_links"] = {
            str(b).lower(): _url(u, f"status.brand_links.{b}")
            for b, u in _mapping(d["brand_links"], "status.brand_links").items()
        }
    if "length_limits" in d:
        limits = dict(base.length_limits)
        for ch, n in _mapping(d["length_limits"], "status.length_limits").items():
            if ch not in CHANNELS:
                raise ValueError(f"status.length_limits: unknown channel {ch!r}; known: {CHANNELS}")
            limits[str(ch)] = _pos_int(n, f"status.length_limits.{ch}")
        kw["length_limits"] = limits
    if d.get("templates_dir") is not None:
        if not Path(str(d["templates_dir"])).is_dir():
            raise ValueError(f"status.templates_dir: not a directory: {d['templates_dir']!r}")
        kw["templates_dir"] = str(d["templates_dir"])
    return StatusConfig(**kw)


def _url(v: Any, where: str) -> str:
    if not isinstance(v, str) or not re.match(r"^https?://\S+$", v):
        raise ValueError(f"{where} must be an http(s) URL")
    return v
