"""Grafana dashboards as code, built with Grafana's own builder library.

    python deploy/grafana/dashboards.py          # rewrite deploy/grafana/dashboards/*.json
    python deploy/grafana/dashboards.py --check  # exit 1 if a file is out of date

Panels, queries, variables, links and annotations are built with ``grafana-foundation-sdk``
(Grafana's typed dashboards-as-code library; the ``dev`` extra installs it) and serialised with its
encoder. Every panel and query uses the ``$datasource`` variable (type datasource, Prometheus);
``$brand`` is a multi-value ``label_values`` variable. Incidents are annotations from changes of
``spikewatch_incidents_opened_total``; the SDK's annotation model has no fields for Prometheus'
title/text/tag formats, so :func:`annotation` adds those four keys to what it builds. Metric names
are documented in ``streams/metrics.py``; recording rules live in
``deploy/prometheus/rules/recording.yml``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import piechart as gpie
from grafana_foundation_sdk.builders import prometheus as gprom
from grafana_foundation_sdk.builders import stat as gstat
from grafana_foundation_sdk.builders import table as gtable
from grafana_foundation_sdk.builders import timeseries as gts
from grafana_foundation_sdk.builders.common import (
    ReduceDataOptions,
    StackingConfig,
    TableSortByFieldState,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as mc
from grafana_foundation_sdk.models import dashboard as md
from grafana_foundation_sdk.models.piechart import PieChartLegendValues, PieChartType
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).resolve().parent / "dashboards"
DS_UID = "${datasource}"
DS_REF = md.DataSourceRef(type_val="prometheus", uid=DS_UID)
B = 'brand=~"$brand"'

Json = dict[str, Any]
Override = tuple[md.MatcherConfig, list[md.DynamicConfigValue]]


def to_json(obj: Any) -> Any:
    """What the SDK's encoder writes, as plain JSON values."""
    return json.loads(json.dumps(obj, cls=JSONEncoder))


# -- building blocks ---------------------------------------------------------------------------


class Panel(NamedTuple):
    """A panel builder and its size; :func:`layout` gives it an id, a place and a description."""

    title: str
    builder: Any
    size: tuple[int, int]


def target(
    expr: str, legend: str = "", *, ref: str = "A", instant: bool = False, fmt: str = "table"
) -> gprom.Dataquery:
    """One Prometheus query of a panel (an instant query is shown as ``fmt``)."""
    q = (
        gprom.Dataquery()
        .expr(expr)
        .legend_format(legend or "__auto")
        .ref_id(ref)
        .datasource(DS_REF)
    )
    return q.instant().format(PromQueryFormat(fmt)) if instant else q.range()


def _with_targets(builder: Any, queries: list[tuple[str, str]]) -> Any:
    for i, (expr, legend) in enumerate(queries):
        builder = builder.with_target(target(expr, legend, ref=chr(ord("A") + i)))
    return builder


def _with_overrides(builder: Any, overrides: list[Override] | None) -> Any:
    for matcher, properties in overrides or []:
        builder = builder.with_override(matcher, properties)
    return builder


def _thresholds(steps: list[tuple[float | None, str]]) -> gd.ThresholdsConfig:
    return (
        gd.ThresholdsConfig()
        .mode(md.ThresholdsMode.ABSOLUTE)
        .steps([md.Threshold(value=v, color=c) for v, c in steps])
    )


def timeseries(
    title: str,
    queries: list[tuple[str, str]],
    *,
    unit: str = "short",
    description: str = "",
    stacking: str = "none",
    min_: float | None = 0,
    max_: float | None = None,
    overrides: list[Override] | None = None,
    bars: bool = False,
    w: int = 12,
    h: int = 8,
) -> Panel:
    p = (
        gts.Panel()
        .title(title)
        .description(description)
        .datasource(DS_REF)
        .unit(unit)
        .draw_style(mc.GraphDrawStyle.BARS if bars else mc.GraphDrawStyle.LINE)
        .line_width(1)
        .fill_opacity(60 if stacking != "none" or bars else 10)
        .show_points(mc.VisibilityMode.NEVER)
        .span_nulls(False)
        .stacking(StackingConfig().mode(mc.StackingMode(stacking)).group("A"))
        .legend(
            VizLegendOptions()
            .display_mode(mc.LegendDisplayMode.LIST)
            .placement(mc.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            VizTooltipOptions().mode(mc.TooltipDisplayMode.MULTI).sort(mc.SortOrder.DESCENDING)
        )
    )
    if min_ is not None:
        p = p.min(min_)
    if max_ is not None:
        p = p.max(max_)
    p = _with_overrides(_with_targets(p, queries), overrides)
    return Panel(title, p, (w, h))


def _last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)


def stat(
    title: str,
    queries: list[tuple[str, str]],
    *,
    unit: str = "short",
    description: str = "",
    thresholds: list[tuple[float | None, str]] | None = None,
    w: int = 6,
    h: int = 4,
    decimals: int | None = None,
) -> Panel:
    p = (
        gstat.Panel()
        .title(title)
        .description(description)
        .datasource(DS_REF)
        .unit(unit)
        .thresholds(_thresholds(thresholds or [(None, "green")]))
        .reduce_options(_last_value())
        .color_mode(mc.BigValueColorMode.VALUE)
        .graph_mode(mc.BigValueGraphMode.AREA)
        .justify_mode(mc.BigValueJustifyMode.AUTO)
        .text_mode(mc.BigValueTextMode.AUTO)
    )
    if decimals is not None:
        p = p.decimals(decimals)
    return Panel(title, _with_targets(p, queries), (w, h))


def piechart(title: str, expr: str, legend: str, *, description: str = "") -> Panel:
    p = (
        gpie.Panel()
        .title(title)
        .description(description)
        .datasource(DS_REF)
        .unit("short")
        .with_target(target(expr, legend, instant=True, fmt="time_series"))
        .reduce_options(_last_value())
        .pie_type(PieChartType.DONUT)
        .legend(
            gpie.PieChartLegendOptions()
            .display_mode(mc.LegendDisplayMode.TABLE)
            .placement(mc.LegendPlacement.RIGHT)
            .show_legend(True)
            .values([PieChartLegendValues.PERCENT])
        )
    )
    return Panel(title, p, (12, 8))


def table(title: str, expr: str, *, description: str = "", w: int = 12, h: int = 8) -> Panel:
    p = (
        gtable.Panel()
        .title(title)
        .description(description)
        .datasource(DS_REF)
        .unit("short")
        .with_target(target(expr, instant=True))
        .show_header(True)
        .sort_by([TableSortByFieldState().display_name("Value").desc(True)])
        .with_transformation(
            md.DataTransformerConfig(
                id_val="organize", options={"excludeByName": {"Time": True}, "renameByName": {}}
            )
        )
    )
    return Panel(title, p, (w, h))


def color_by_name(colors: dict[str, str]) -> list[Override]:
    return [
        (
            md.MatcherConfig(id_val="byName", options=name),
            [md.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})],
        )
        for name, color in colors.items()
    ]


def dashed(regex: str) -> list[Override]:
    """Draw series whose name matches ``regex`` dashed (baselines, expectations)."""
    return [
        (
            md.MatcherConfig(id_val="byRegexp", options=regex),
            [
                md.DynamicConfigValue(
                    id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}
                ),
                md.DynamicConfigValue(id_val="custom.fillOpacity", value=0),
            ],
        )
    ]


# What each panel shows and how to read it (Grafana shows it as the panel's (i) tooltip).
DESCRIPTIONS: dict[str, str] = {
    # brand overview
    "Mentions per minute": "Mentions validated and enriched per minute, selected brands together.",
    "Negative share (last bucket)": "Share of negative mentions in the detector's last bucket "
    "(highest of the selected brands); compare with the baseline panel below.",
    "Open incidents": "Incidents open now for the selected brands (all kinds and severities).",
    "Event-time lag": "Wall time minus the newest event time processed: how far behind the "
    "pipeline (or the sources) run. Minutes are normal for batch sources.",
    "Mentions per minute by source": "Mentions per minute by social source (others: other).",
    "Sentiment mix": "Share of negative, neutral and positive mentions over time.",
    "Negative share vs baseline": "Negative share of the last bucket against what the "
    "negative-burst detector expected; a burst opens when the gap is surprising.",
    "Languages (time range)": "Mentions by detected language over the dashboard's time range.",
    # incidents
    "Open incidents by severity": "Incidents open now, by severity.",
    "Opened in time range": "Incidents opened over the dashboard's time range.",
    "Median time to resolve": "Median event time from opened to resolved, over the time range.",
    "Open incidents by brand": "Incidents open now, per brand.",
    "Incidents opened by kind": "Incidents opened per interval by detector kind.",
    "Incidents opened in time range": "Each brand, kind and severity with incidents opened in the "
    "time range and how many; the Slack thread carries the evidence.",
    "Slack alerts per minute": "Slack messages per minute by action (post, update, thread reply, "
    "chart) and result; failed means given up after retries.",
    "Status updates per minute": "Interim status updates delivered per minute, by result.",
    "Slack API latency": "Median and 95th percentile wall time of one Slack Web API call.",
    "Slack button clicks per minute": "Requests to the interactivity endpoint: what was asked "
    "(approve, edit, command) or why it was refused.",
    # pipeline health
    "Workers up": "Workers Prometheus scrapes successfully; each serves its share of partitions.",
    "Records validated per second": "Records through validation per second, all workers.",
    "Dead-letter ratio (5m)": "Share of records sent to the dead-letter topic over 5 minutes.",
    "Consumer lag": "Records not yet consumed, all topics and partitions.",
    "Throughput by stage (per second)": "Records (or batches) per second through each stage.",
    "Processing time by stage (p95)": "95th percentile processing time of one record or batch.",
    "Dead letters by reason (per minute)": "Records sent to the dead-letter topic per minute, "
    "by reason (see the worker's WARNING lines, one per reason per minute).",
    "Consumer lag by topic and partition": "Records not yet consumed, per topic and partition.",
    "Event-time lag by brand": "Wall time minus the newest event time processed, per brand.",
    "Slack delivery failures (per minute)": "Slack calls that failed after their retries.",
    "Worker memory (resident)": "Resident memory of each worker process.",
    "Worker CPU": "CPU seconds per second of each worker process (1 = one core).",
    "Newest event processed": "Event time of the newest mention processed, any selected brand.",
    "Brands with no mentions for 30 min": "Brands that had traffic at this hour yesterday and "
    "none in the last 30 minutes (the SpikewatchMentionsStopped alert, before its 10 minutes).",
    "Mentions per brand: now vs a day ago": "Mentions per hour per brand (solid) against the "
    "same hour yesterday (dashed): a line that drops to zero means a source stopped.",
    # response times
    "Answered within promise (time range)": "Share of first answers given within the brand's "
    "promised response time, over the time range.",
    "Median first response (time range)": "Median time from a mention to the brand's first "
    "answer, over the time range.",
    "Open backlog": "Mentions waiting for an answer now.",
    "Promised response time": "The brand's promised first-response time (backlog.promise_seconds).",
    "Time to first response by channel (p50, p90 over 1h)": "Median and 90th percentile time "
    "to the first answer, per channel, over the last hour.",
    "Answered within promise by channel (1h)": "Share of first answers within the promise, per "
    "channel, over the last hour.",
    "Open backlog by channel": "Mentions waiting for an answer, per channel.",
    "Inflow vs answered (per hour, event time)": "Mentions needing an answer per hour against "
    "answers per hour; inflow above answers means the backlog grows.",
}


def layout(panels: list[Panel]) -> list[Any]:
    """Give panels ids, descriptions and grid positions, filling rows of 24 columns."""
    x = y = row_h = 0
    out = []
    for pid, p in enumerate(panels, start=1):
        w, h = p.size
        if x + w > 24:
            x, y, row_h = 0, y + row_h, 0
        b = p.builder.id(pid).grid_pos(md.GridPos(h=h, w=w, x=x, y=y))
        if not b.build().description:
            b = b.description(DESCRIPTIONS[p.title])  # every panel says what it shows
        out.append(b)
        x += w
        row_h = max(row_h, h)
    return out


BRAND_QUERY = "label_values(spikewatch_mentions_consumed_total, brand)"


def variables() -> list[Any]:
    datasource = (
        gd.DatasourceVariable("datasource").label("Data source").type("prometheus").regex("")
    )
    brand = (
        gd.QueryVariable("brand")
        .label("Brand")
        .datasource(DS_REF)
        .query({"query": BRAND_QUERY, "refId": "PrometheusVariableQueryEditor-VariableQuery"})
        .include_all(True)
        .all_value(".*")
        .multi(True)
        .refresh(md.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(md.VariableSort(1))
        .regex("")
    )
    return [datasource, brand]


# Prometheus' annotation options the SDK's AnnotationQuery does not model.
_PROM_ANNOTATION_KEYS = ("step", "titleFormat", "textFormat", "tagKeys", "useValueForTime")


def annotation(name: str, color: str, expr: str, title: str, text: str, tags: str) -> Json:
    built = to_json(
        gd.AnnotationQuery()
        .name(name)
        .datasource(DS_REF)
        .enable(True)
        .hide(False)
        .icon_color(color)
        .expr(expr)
        .build()
    )
    extra = dict(zip(_PROM_ANNOTATION_KEYS, ("60s", title, text, tags, False), strict=True))
    return {**built, **extra}


INCIDENTS_OPENED = annotation(
    "Incidents opened",
    "red",
    f"sum by (brand, kind, severity) (increase(spikewatch_incidents_opened_total{{{B}}}[2m])) > 0",
    "{{kind}} ({{severity}})",
    "{{brand}}: {{kind}} incident opened, severity {{severity}}",
    "brand,kind,severity",
)
INCIDENTS_RESOLVED = annotation(
    "Incidents resolved",
    "green",
    f"sum by (brand, kind) (increase(spikewatch_incident_duration_seconds_count{{{B}}}[2m])) > 0",
    "{{kind}} resolved",
    "{{brand}}: {{kind}} incident resolved",
    "brand,kind",
)
BUILTIN_ANNOTATION: Json = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}


def dashboard(
    uid: str, title: str, description: str, panels: list[Panel], annotations: list[Json]
) -> Json:
    d = (
        gd.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["spikewatch"])
        .version(1)
        .editable()
        .tooltip(md.DashboardCursorSync.CROSSHAIR)
        .timezone("browser")
        .time("now-6h", "now")
        .refresh("30s")
        .fiscal_year_start_month(0)
        .live_now(False)
        .link(
            gd.DashboardLink("spikewatch")
            .type(md.DashboardLinkType.DASHBOARDS)
            .tags(["spikewatch"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
        .variables(variables())
    )
    for p in layout(panels):
        d = d.with_panel(p)
    out: Json = to_json(d.build())
    # Annotations: the built-in one plus ours (see annotation()); Grafana assigns the id.
    out["annotations"] = {"list": [BUILTIN_ANNOTATION, *annotations]}
    return {"id": None, **out}


# -- the dashboards ----------------------------------------------------------------------------

M = f"spikewatch_mentions_consumed_total{{{B}}}"
# The SpikewatchMentionsStopped alert (deploy/prometheus/rules/alerts.yml) without its `for:`.
STOPPED = (
    f"sum by (brand) (increase({M}[1h] offset 1d)) >= 20 "
    f"unless sum by (brand) (increase({M}[30m])) > 0"
)
SENTIMENT_COLORS = {"negative": "red", "neutral": "text", "positive": "green"}


def brand_overview() -> Json:
    panels = [
        stat(
            "Mentions per minute",
            [(f"sum(rate({M}[$__rate_interval])) * 60", "")],
            decimals=1,
        ),
        stat(
            "Negative share (last bucket)",
            [(f"max(spikewatch_negative_share_ratio{{{B}}})", "")],
            unit="percentunit",
            thresholds=[(None, "green"), (0.4, "orange"), (0.6, "red")],
        ),
        stat(
            "Open incidents",
            [(f"sum(spikewatch_open_incidents{{{B}}})", "")],
            thresholds=[(None, "green"), (1, "red")],
        ),
        stat(
            "Event-time lag",
            [(f"max(spikewatch_event_time_lag_seconds{{{B}}})", "")],
            unit="s",
            thresholds=[(None, "green"), (300, "orange"), (900, "red")],
        ),
        timeseries(
            "Volume: observed vs expected",
            [
                (
                    f'spikewatch_detector_observed_mentions{{{B}, kind="volume_surge"}}',
                    "{{brand}} observed",
                ),
                (
                    f'spikewatch_detector_expected_mentions{{{B}, kind="volume_surge"}}',
                    "{{brand}} expected",
                ),
            ],
            description="Mentions in the volume-surge detector's last decided bucket and what "
            "its baseline expected (event time).",
            overrides=dashed(".*expected"),
        ),
        timeseries(
            "Detector scores",
            [(f"spikewatch_detector_score{{{B}}}", "{{brand}} {{kind}}")],
            unit="percentunit",
            max_=1,
            description="Anomaly score per detector, 0-1; an incident opens above the threshold.",
        ),
        timeseries(
            "Mentions per minute by source",
            [(f"sum by (source) (rate({M}[$__rate_interval])) * 60", "{{source}}")],
            stacking="normal",
        ),
        timeseries(
            "Sentiment mix",
            [
                (
                    f"sum by (sentiment) (rate({M}[$__rate_interval]))"
                    " / ignoring (sentiment) group_left "
                    f"sum(rate({M}[$__rate_interval]))",
                    "{{sentiment}}",
                )
            ],
            unit="percentunit",
            stacking="normal",
            max_=1,
            overrides=color_by_name(SENTIMENT_COLORS),
        ),
        timeseries(
            "Negative share vs baseline",
            [
                (f"spikewatch_negative_share_ratio{{{B}}}", "{{brand}} now"),
                (f"spikewatch_negative_share_baseline_ratio{{{B}}}", "{{brand}} baseline"),
            ],
            unit="percentunit",
            max_=1,
            overrides=dashed(".*baseline"),
        ),
        piechart(
            "Languages (time range)",
            f"sum by (lang) (increase({M}[$__range]))",
            "{{lang}}",
        ),
    ]
    return dashboard(
        "spikewatch-brand-overview",
        "spikewatch / Brand overview",
        "Volume against the detectors' expectation, sentiment and incidents per brand.",
        panels,
        [INCIDENTS_OPENED],
    )


def incidents() -> Json:
    slack_q = "spikewatch_slack_request_duration_seconds_bucket"
    panels = [
        stat(
            "Open incidents by severity",
            [(f"sum by (severity) (spikewatch_open_incidents{{{B}}})", "{{severity}}")],
            thresholds=[(None, "green"), (1, "red")],
            w=12,
        ),
        stat(
            "Opened in time range",
            [(f"sum(increase(spikewatch_incidents_opened_total{{{B}}}[$__range]))", "")],
            decimals=0,
        ),
        stat(
            "Median time to resolve",
            [
                (
                    "histogram_quantile(0.5, sum by (le) (increase("
                    f"spikewatch_incident_duration_seconds_bucket{{{B}}}[$__range])))",
                    "",
                )
            ],
            unit="s",
        ),
        timeseries(
            "Open incidents by brand",
            [(f"sum by (brand) (spikewatch_open_incidents{{{B}}})", "{{brand}}")],
            stacking="normal",
        ),
        timeseries(
            "Incidents opened by kind",
            [
                (
                    "sum by (kind) (increase("
                    f"spikewatch_incidents_opened_total{{{B}}}[$__rate_interval]))",
                    "{{kind}}",
                )
            ],
            bars=True,
            stacking="normal",
        ),
        table(
            "Incidents opened in time range",
            "sum by (brand, kind, severity) (increase("
            f"spikewatch_incidents_opened_total{{{B}}}[$__range])) > 0",
            w=24,
        ),
        timeseries(
            "Slack alerts per minute",
            [
                (
                    "sum by (action, result) "
                    "(rate(spikewatch_alerts_total[$__rate_interval])) * 60",
                    "{{action}} {{result}}",
                )
            ],
            w=8,
            overrides=dashed(".*failed"),
        ),
        timeseries(
            "Status updates per minute",
            [
                (
                    "sum by (result) "
                    "(rate(spikewatch_status_updates_total[$__rate_interval])) * 60",
                    "{{result}}",
                )
            ],
            w=8,
            overrides=color_by_name({"ok": "green", "failed": "red", "retried": "orange"}),
        ),
        timeseries(
            "Slack API latency",
            [
                (
                    f"histogram_quantile(0.5, sum by (le) (rate({slack_q}[$__rate_interval])))",
                    "p50",
                ),
                (
                    f"histogram_quantile(0.95, sum by (le) (rate({slack_q}[$__rate_interval])))",
                    "p95",
                ),
            ],
            unit="s",
            w=8,
        ),
        timeseries(
            "Slack button clicks per minute",
            [
                (
                    "sum by (result) "
                    "(rate(spikewatch_slack_interactions_total[$__rate_interval])) * 60",
                    "{{result}}",
                )
            ],
            w=8,
        ),
    ]
    return dashboard(
        "spikewatch-incidents",
        "spikewatch / Incidents",
        "Incidents opened and open, how long they last, and their delivery to Slack.",
        panels,
        [INCIDENTS_OPENED, INCIDENTS_RESOLVED],
    )


def response_times() -> Json:
    fr = "spikewatch_first_response_seconds"
    within = "spikewatch_first_responses_within_promise_total"
    panels = [
        stat(
            "Answered within promise (time range)",
            [
                (
                    f"sum(increase({within}{{{B}}}[$__range])) / "
                    f"sum(increase({fr}_count{{{B}}}[$__range]))",
                    "",
                )
            ],
            unit="percentunit",
            thresholds=[(None, "red"), (0.8, "orange"), (0.95, "green")],
        ),
        stat(
            "Median first response (time range)",
            [
                (
                    f"histogram_quantile(0.5, sum by (le) "
                    f"(increase({fr}_bucket{{{B}}}[$__range])))",
                    "",
                )
            ],
            unit="s",
        ),
        stat("Open backlog", [(f"sum(spikewatch_backlog_open_mentions{{{B}}})", "")]),
        stat(
            "Promised response time",
            [(f"max(spikewatch_response_promise_seconds{{{B}}})", "")],
            unit="s",
        ),
        timeseries(
            "Time to first response by channel (p50, p90 over 1h)",
            [
                (
                    f"histogram_quantile(0.5, sum by (channel, le) (rate({fr}_bucket{{{B}}}[1h])))",
                    "{{channel}} p50",
                ),
                (
                    f"histogram_quantile(0.9, sum by (channel, le) (rate({fr}_bucket{{{B}}}[1h])))",
                    "{{channel}} p90",
                ),
            ],
            unit="s",
            overrides=dashed(".*p90"),
        ),
        timeseries(
            "Answered within promise by channel (1h)",
            [
                (
                    f"sum by (channel) (increase({within}{{{B}}}[1h])) / "
                    f"sum by (channel) (increase({fr}_count{{{B}}}[1h]))",
                    "{{channel}}",
                )
            ],
            unit="percentunit",
            max_=1,
        ),
        timeseries(
            "Open backlog by channel",
            [(f"sum by (channel) (spikewatch_backlog_open_mentions{{{B}}})", "{{channel}}")],
            stacking="normal",
        ),
        timeseries(
            "Inflow vs answered (per hour, event time)",
            [
                (f"sum(spikewatch_backlog_inflow_per_second{{{B}}}) * 3600", "inflow"),
                (f"sum(spikewatch_backlog_answered_per_second{{{B}}}) * 3600", "answered"),
            ],
            overrides=color_by_name({"inflow": "orange", "answered": "green"}),
        ),
    ]
    return dashboard(
        "spikewatch-response",
        "spikewatch / Response times",
        "Time to first response, the share answered within the brand's promise, and the backlog.",
        panels,
        [INCIDENTS_OPENED],
    )


def pipeline_health() -> Json:
    st = "spikewatch_stage_duration_seconds"
    panels = [
        stat(
            "Workers up",
            [('sum(up{job="spikewatch"})', "")],
            thresholds=[(None, "red"), (1, "green")],
            decimals=0,
        ),
        stat(
            "Records validated per second",
            [(f'sum(rate({st}_count{{stage="validate"}}[$__rate_interval]))', "")],
            decimals=1,
        ),
        stat(
            "Dead-letter ratio (5m)",
            [("max(job:spikewatch_invalid_records:ratio_rate5m)", "")],
            unit="percentunit",
            thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")],
        ),
        stat(
            "Consumer lag",
            [("sum(spikewatch_consumer_lag_messages)", "")],
            thresholds=[(None, "green"), (1000, "orange"), (10000, "red")],
        ),
        timeseries(
            "Throughput by stage (per second)",
            [(f"sum by (stage) (rate({st}_count[$__rate_interval]))", "{{stage}}")],
        ),
        timeseries(
            "Processing time by stage (p95)",
            [
                (
                    f"histogram_quantile(0.95, sum by (stage, le) "
                    f"(rate({st}_bucket[$__rate_interval])))",
                    "{{stage}}",
                )
            ],
            unit="s",
        ),
        timeseries(
            "Dead letters by reason (per minute)",
            [
                (
                    "sum by (reason) "
                    "(rate(spikewatch_invalid_records_total[$__rate_interval])) * 60",
                    "{{reason}}",
                )
            ],
            stacking="normal",
        ),
        timeseries(
            "Consumer lag by topic and partition",
            [
                (
                    "sum by (topic, partition) (spikewatch_consumer_lag_messages)",
                    "{{topic}}/{{partition}}",
                )
            ],
        ),
        timeseries(
            "Event-time lag by brand",
            [(f"max by (brand) (spikewatch_event_time_lag_seconds{{{B}}})", "{{brand}}")],
            unit="s",
        ),
        timeseries(
            "Slack delivery failures (per minute)",
            [("sum(job:spikewatch_slack_failures:rate5m) * 60", "failures")],
            overrides=color_by_name({"failures": "red"}),
        ),
        timeseries(
            "Worker memory (resident)",
            [('process_resident_memory_bytes{job="spikewatch"}', "{{instance}}")],
            unit="bytes",
        ),
        timeseries(
            "Worker CPU",
            [
                (
                    'rate(process_cpu_seconds_total{job="spikewatch"}[$__rate_interval])',
                    "{{instance}}",
                )
            ],
            unit="percentunit",
        ),
        stat(
            "Newest event processed",
            [(f"max(spikewatch_last_event_timestamp_seconds{{{B}}}) * 1000", "")],
            unit="dateTimeAsIso",
            w=12,
        ),
        stat(
            "Brands with no mentions for 30 min",
            [(f"count({STOPPED}) or vector(0)", "")],
            thresholds=[(None, "green"), (1, "red")],
            decimals=0,
            w=12,
        ),
        timeseries(
            "Mentions per brand: now vs a day ago",
            [
                (f"sum by (brand) (increase({M}[1h]))", "{{brand}}"),
                (f"sum by (brand) (increase({M}[1h] offset 1d))", "{{brand}} a day ago"),
            ],
            overrides=dashed(".* a day ago"),
        ),
    ]
    return dashboard(
        "spikewatch-pipeline",
        "spikewatch / Pipeline health",
        "Workers, throughput and latency per stage, dead letters, consumer and event-time lag.",
        panels,
        [INCIDENTS_OPENED],
    )


DASHBOARDS = {
    "brand-overview.json": brand_overview,
    "incidents.json": incidents,
    "response-times.json": response_times,
    "pipeline-health.json": pipeline_health,
}


def render(name: str) -> str:
    """The JSON text of one dashboard, as committed."""
    return json.dumps(DASHBOARDS[name](), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    OUT.mkdir(exist_ok=True)
    for name in DASHBOARDS:
        path = OUT / name
        text = render(name)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print(f"out of date (run python {Path(__file__).name}): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
