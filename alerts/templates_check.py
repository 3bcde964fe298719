"""``spikewatch templates check`` and ``templates approve``: the template library's CI gate.

:func:`check_templates` is pure over a loaded library: it renders every
template for every channel with a set of sample incidents and returns the
problems found (missing or unknown templates, syntax errors, missing variables,
length limits, unapproved versions, an update that does not say when the next
one is due). :func:`templates_check_main` prints them and exits non-zero on any
error. :func:`approve_templates` records approvals in ``approvals.yaml``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from jinja2 import TemplateError, TemplateSyntaxError

from alerts.status import (
    APPROVALS_FILE,
    CHANNELS,
    STAGES,
    TOPICS,
    Approval,
    IncidentFacts,
    StatusConfig,
    TemplateLibrary,
    content_version,
    load_approvals,
    load_status_config,
    render_context,
    template_name,
    text_length,
)
from alerts.templating import LANGS, when


@dataclass(frozen=True)
class Problem:
    """One finding; ``level`` is ``"error"`` (fails the check) or ``"warning"``."""

    template: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.template}: {self.message}"


def sample_incidents(cfg: StatusConfig) -> list[IncidentFacts]:
    """Incidents that exercise the templates: brands inflected by table and by
    rule, an abbreviation, long names, no link, no channels, a free-text service,
    an update due after midnight, a start on the previous day."""
    base = datetime(2026, 11, 24, 11, 52, tzinfo=UTC)
    late = datetime(2026, 11, 24, 21, 40, tzinfo=UTC)  # 23.40 in Helsinki
    rows = [
        ("nordbank", "Nordbank", None, ("web", "app"), "https://status.nordbank.fi", base, base),
        ("telia", "Telia", "mobile_network", ("mobile_network",), None, base, base),
        ("dna", "DNA", None, (), "https://www.dna.fi/hairiotiedotteet", late, late),
        ("alandsbanken", "Ålandsbanken", "mobiilisovellus", ("web", "app", "cards", "phone"),
         "https://www.alandsbanken.fi/tiedotteet/hairio-2026-11-24-ja-muut-ajankohtaiset-asiat",
         late - timedelta(days=1), late),
        ("nordbank", "Nordbank", "Apple Pay", ("cards",), "https://status.nordbank.fi", base, base),
    ]  # fmt: skip
    return [
        IncidentFacts(
            incident_id=f"sample-{i}",
            brand=brand,
            brand_display=display,
            topic="general",  # the check sets each template's own topic and stage
            kind="volume_surge",
            severity="critical" if i % 2 == 0 else "low",
            stage="investigating",
            started_at=started,
            now=now + timedelta(minutes=20),
            next_update_at=None,
            affected_service=service,
            channels=channels,
            link=link,
        )
        for i, (brand, display, service, channels, link, started, now) in enumerate(rows)
    ]


def check_templates(
    lib: TemplateLibrary,
    cfg: StatusConfig,
    samples: Iterable[IncidentFacts] | None = None,
) -> list[Problem]:
    """Every problem in the library, errors first within each template."""
    problems: list[Problem] = []
    expected = [template_name(t, s, lang) for t in TOPICS for s in STAGES for lang in LANGS]
    for name in sorted(set(lib.sources) - set(expected)):
        problems.append(
            Problem(
                name,
                f"unknown template name (file {lib.path_of(name)}); "
                "expected <topic>/<stage>.<lang>.j2",
            )
        )
    known_names = set(lib.sources)
    for a in lib.approvals:
        if a.template not in known_names:
            problems.append(
                Problem(a.template, "approval for a template that does not exist", "warning")
            )
    sample_list = list(samples if samples is not None else sample_incidents(cfg))
    for name in expected:
        if name not in lib.sources:
            problems.append(Problem(name, f"missing: create {lib.path_of(name)}"))
            continue
        problems.extend(_check_one(lib, cfg, name, sample_list))
    return problems


def _check_one(
    lib: TemplateLibrary, cfg: StatusConfig, name: str, samples: Sequence[IncidentFacts]
) -> list[Problem]:
    out: list[Problem] = []
    if not lib.is_approved(name):
        old = [a.version for a in lib.approvals if a.template == name]
        was = f" (approved versions: {', '.join(old)})" if old else " (never approved)"
        hint = f"run: spikewatch templates approve {name} --by NAME --at TIME"
        out.append(Problem(name, f"version {lib.versions[name]} is not approved{was}; {hint}"))
    try:
        lib.env.get_template(name)
    except TemplateSyntaxError as exc:
        out.append(Problem(name, f"syntax error line {exc.lineno}: {exc.message}"))
        return out
    topic, rest = name.split("/", 1)
    stage, lang = rest.split(".", 1)
    seen: set[str] = set()
    for facts in samples:
        facts = replace(facts, topic=topic, stage=stage)
        for channel in CHANNELS:
            where = f"[{channel}, {facts.brand_display}, {facts.incident_id}]"
            ctx = render_context(facts, cfg, lang, channel)
            try:
                text = lib.render(name, ctx)
            except TemplateError as exc:
                msg = f"render failed {where}: {exc}"
                if msg not in seen:
                    seen.add(msg)
                    out.append(Problem(name, msg))
                continue
            for msg in _text_problems(text, channel, ctx, cfg):
                if msg not in seen:
                    seen.add(msg)
                    out.append(Problem(name, f"{msg} {where}"))
    return out


def _text_problems(text: str, channel: str, ctx: dict[str, object], cfg: StatusConfig) -> list[str]:
    msgs = []
    if not text:
        msgs.append("renders empty")
    if "{{" in text or "}}" in text or "{%" in text:
        msgs.append("leftover template syntax in output")
    limit = cfg.length_limits.get(channel)
    size = text_length(text, channel)
    if limit is not None and size > limit:
        msgs.append(f"{size} characters, limit {limit} for {channel}")
    nxt = ctx["next_update_at"]
    now = ctx["now"]
    if isinstance(nxt, datetime) and isinstance(now, datetime):
        due = when(nxt, now, str(ctx["lang"]))
        if due not in text:
            msgs.append(f"does not say when the next update is ({due!r} not in text)")
    return msgs


# --- approvals ----------------------------------------------------------------------


def _resolve_name(path: str, root: Path) -> str:
    """A template name from "outage/investigating.fi" or a path to its .j2 file."""
    p = Path(path)
    if p.suffix == ".j2":
        p = p.resolve()
        try:
            rel = p.relative_to(root.resolve())
        except ValueError:
            raise ValueError(f"{path}: not under the templates directory {root}") from None
        name = str(rel)[: -len(".j2")]
    else:
        name = path.strip("/")
    if not (root / f"{name}.j2").is_file():
        raise ValueError(f"{path}: no such template ({root / (name + '.j2')})")
    return name


def approve_templates(
    paths: Iterable[str],
    approved_by: str,
    approved_at: datetime | str,
    *,
    root: Path | str | None = None,
) -> None:
    """Record that ``approved_by`` approved the current version of each template.

    ``paths`` are template names (``"outage/investigating.fi"``) or paths to
    their files. Earlier records stay (they are the audit trail); approving an
    already approved version again changes nothing.
    """
    if not approved_by or not approved_by.strip():
        raise ValueError("approved_by must name a person")
    if isinstance(approved_at, datetime):
        if approved_at.tzinfo is None:
            raise ValueError("approved_at must be timezone-aware")
        at = approved_at.astimezone(UTC).isoformat(timespec="seconds")
        at = at.replace("+00:00", "Z")
    else:
        at = str(approved_at)
    base = Path(root) if root is not None else TemplateLibrary().root
    approvals_path = base / APPROVALS_FILE
    records = load_approvals(approvals_path)
    have = {(a.template, a.version) for a in records}
    for path in paths:
        name = _resolve_name(path, base)
        version = content_version((base / f"{name}.j2").read_bytes())
        if (name, version) not in have:
            records.append(Approval(name, version, approved_by.strip(), at))
            have.add((name, version))
    write_approvals(approvals_path, records)


def write_approvals(path: Path, records: Sequence[Approval]) -> None:
    """Write approvals.yaml: one entry per line group, sorted by template then time."""
    ordered = sorted(records, key=lambda a: (a.template, a.approved_at, a.version))
    header = (
        "# Approvals of the status-update templates, alerts/templates/<topic>/<stage>.<lang>.j2.\n"
        "# version = first 16 hex digits of the file's SHA-256; only approved versions are used.\n"
        "# Update with approve_templates() / `spikewatch templates approve`, not by hand.\n"
    )
    body = yaml.safe_dump(
        {"approvals": [a.to_dict() for a in ordered]},
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=120,
    )
    path.write_text(header + body, encoding="utf-8")


# --- command line -------------------------------------------------------------------


def _config_from_file(path: str | None) -> StatusConfig:
    if path is None:
        return StatusConfig()
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the config file must be a mapping")
    return load_status_config(raw.get("status"))


def templates_check_main(argv: Sequence[str] | None = None) -> int:
    """``spikewatch templates check [--config FILE] [--templates-dir DIR]``: 0 when clean."""
    parser = argparse.ArgumentParser(
        prog="spikewatch templates check",
        description="Render every status-update template with sample incidents and check it.",
    )
    parser.add_argument("--config", help="deployment YAML (its 'status' section is used)")
    parser.add_argument("--templates-dir", help="template library (default: the packaged one)")
    parser.add_argument("--strict", action="store_true", help="warnings fail the check too")
    args = parser.parse_args(argv)
    try:
        cfg = _config_from_file(args.config)
        lib = TemplateLibrary(args.templates_dir or cfg.templates_dir)
    except (OSError, ValueError) as exc:
        print(f"ERROR config: {exc}", file=sys.stderr)
        return 2
    problems = check_templates(lib, cfg)
    errors = [p for p in problems if p.level == "error"]
    for p in problems:
        print(p, file=sys.stderr)
    failed = bool(errors) or (args.strict and bool(problems))
    n = len(lib.sources)
    if failed:
        print(
            f"templates check: {len(errors)} error(s), {len(problems) - len(errors)} "
            f"warning(s) in {n} templates ({lib.root})",
            file=sys.stderr,
        )
        return 1
    print(
        f"templates check: OK, {n} templates, {len(TOPICS)} topics x {len(STAGES)} stages x "
        f"{len(LANGS)} languages x {len(CHANNELS)} channels ({lib.root})"
    )
    return 0


def templates_approve_main(argv: Sequence[str] | None = None) -> int:
    """``spikewatch templates approve NAME... --by PERSON --at RFC3339``."""
    parser = argparse.ArgumentParser(prog="spikewatch templates approve")
    parser.add_argument("templates", nargs="+", help='names such as "outage/investigating.fi"')
    parser.add_argument("--by", required=True, help="who approves")
    parser.add_argument("--at", required=True, help="when, RFC 3339 (e.g. 2026-11-24T12:00:00Z)")
    parser.add_argument("--templates-dir", help="template library (default: the packaged one)")
    args = parser.parse_args(argv)
    try:
        at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        approve_templates(args.templates, args.by, at, root=args.templates_dir)
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(templates_check_main())
