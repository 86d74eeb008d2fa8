"""A report as Markdown: one row per figure (ours, its baseline, the ratio), then the targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mesodesk.bench import targets


def _n(value: Any, places: int = 1) -> str:
    if isinstance(value, int | float):
        return f"{value:,.{places}f}" if isinstance(value, float) else f"{value:,}"
    return "—"


def _startup(e: dict[str, Any]) -> tuple[str, str]:
    v, b = e["values"], e["baseline"]
    return (f"{_n(v['median_s'], 3)} s to the last session's rows painted, {_n(v['live_rows_median_s'], 3)} s "
            f"to live rows (median of {len(v['runs_s'])})"), \
        (f"{_n(b['median_s'], 3)} s: empty QMainWindow painted; the simulator alone ready in "
         f"{_n(v['simulator_ready_median_s'], 3)} s")


def _ingest(e: dict[str, Any]) -> tuple[str, str]:
    sdk, b = e["values"]["sdk"], e["baseline"]
    raw, exact, node = b["raw_aiohttp_orjson"], b.get("raw_aiohttp_exact_decimal", {}), b.get("official_js_client")
    ours = f"SDK, typed models: {_n(sdk['items_per_s'])} items/s, {_n(sdk['cpu_us_per_item'])} µs CPU/item"
    console = e["values"].get("console")
    if console:
        ours += (f"; console (lean items into the store): {_n(console['items_per_s'])} items/s, "
                 f"{_n(console['cpu_us_per_item'])} µs CPU/item")
    base = (f"raw aiohttp+orjson: {_n(raw['items_per_s'])}/s, {_n(raw['cpu_us_per_item'])} µs; "
            f"raw with exact Decimals: {_n(exact.get('items_per_s'))}/s, {_n(exact.get('cpu_us_per_item'))} µs")
    no_parse = b.get("no_parse")
    if no_parse:
        base += f"; a client that does not parse: {_n(no_parse['items_per_s'])}/s"
    if isinstance(node, dict) and "items_per_s" in node:
        base += f"; @microsoft/signalr (node): {_n(node['items_per_s'])}/s, {_n(node['cpu_us_per_item'])} µs"
    return ours, base


def _roundtrip(e: dict[str, Any]) -> tuple[str, str]:
    v, raw = e["values"], e["baseline"]["raw_aiohttp"]
    return (f"p50 {_n(v['p50_ms'], 2)} ms, p99 {_n(v['p99_ms'], 2)} ms, {_n(v['calls_per_s'])} calls/s",
            f"raw WebSocket: p50 {_n(raw['p50_ms'], 2)} ms, p99 {_n(raw['p99_ms'], 2)} ms, {_n(raw['calls_per_s'])} calls/s")


def _blotter(e: dict[str, Any]) -> tuple[str, str]:
    v, b = e["values"], e["baseline"]["qtablewidget_per_cell"]
    return (f"{_n(v.get('net_cpu_us_per_update'))} µs CPU/update net ({_n(v['cpu_us_per_update'])} gross), "
            f"{_n(v['updates_per_s'])} updates/s, lag p50/p99 {_n(v['lag_p50_ms'], 2)}/{_n(v['lag_p99_ms'], 2)} ms",
            f"QTableWidget: {_n(b.get('net_cpu_us_per_update'))} µs net ({_n(b['cpu_us_per_update'])} gross), "
            f"{_n(b['updates_per_s'])} updates/s, lag p50/p99 {_n(b['lag_p50_ms'], 2)}/{_n(b['lag_p99_ms'], 2)} ms")


def _charts(e: dict[str, Any]) -> tuple[str, str]:
    v, b = e["values"], e["baseline"]["naive_pyqtgraph_full_setdata"]
    return f"{_n(v['fps'])} fps", f"naive full setData: {_n(b['fps'])} fps"


def _risk(e: dict[str, Any]) -> tuple[str, str]:
    return f"{_n(e['values']['median_ms'], 2)} ms", f"scalar Python: {_n(e['baseline']['scalar_python_ms'], 1)} ms"


def _idle(e: dict[str, Any]) -> tuple[str, str]:
    v = e["values"]
    shown = "; ".join(f"{hours} of history: position chart {_n(c['position_chart'])} %, greeks "
                      f"{_n(c['greeks_chart'])} %, risk graph {_n(c['risk_graph'])} %" for hours, c in v["cpu_pct"].items())
    return (f"{shown}; nothing selected {_n(v['nothing_selected_cpu_pct'])} % (of one core)",
            f"chart docks closed: {_n(e['baseline']['no_chart_cpu_pct'])} %")


def _rss(e: dict[str, Any]) -> tuple[str, str]:
    v = e["values"]
    return (f"{_n(v['rss_mb'])} MB; growth over the soak's second half {_n(v['second_half_growth_pct'], 2)} % "
            f"({_n(v['stream_seconds'], 0)} s)", f"empty window: {_n(e['baseline']['empty_window_rss_mb'])} MB")


ROWS: dict[str, tuple[str, Callable[[dict[str, Any]], tuple[str, str]]]] = {
    "startup": ("Start-up", _startup),
    "stream_ingest": ("Stream ingest", _ingest),
    "roundtrip": ("Round trip `get_position`", _roundtrip),
    "blotter_lag": ("Blotter, 2k rows × 5,000 updates/s", _blotter),
    "blotter_20k": ("Blotter, 20k rows × 5,000 updates/s", _blotter),
    "blotter_fast": ("Blotter, 2k rows × 50,000 updates/s", _blotter),
    "blotter_100k": ("Blotter, 100k rows × 50,000 updates/s (quick: 20k rows)", _blotter),
    "chart_fps": ("Charts, 4 × 1M points", _charts),
    "risk_graph": ("Risk graph 8 legs × 400 × 4", _risk),
    "idle_cpu": ("Idle console CPU, 4 positions streaming", _idle),
    "rss": ("Memory", _rss),
}
EXTRA_RATIOS = ("cpu_ratio_vs_raw", "cpu_ratio_vs_exact_raw", "ratio_vs_node", "cpu_ratio_vs_node", "ratio_gross",
                "chart_over_no_chart")


def render(report: dict[str, Any]) -> str:
    lines = ["| figure | ours | baseline (same run) | ratio |", "|---|---|---|---|"]
    for name, (title, summarize) in ROWS.items():
        entry = report.get(name)
        if not isinstance(entry, dict) or "error" in entry:
            continue
        ours, base = summarize(entry)
        ratios = [f"{entry['ratio']}" + (f" ({entry['ratio_means']})" if entry.get("ratio_means") else "")]
        ratios += [f"{key} {entry[key]}" for key in EXTRA_RATIOS if key in entry]
        lines.append(f"| {title} | {ours} | {base} | {'; '.join(ratios)} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for row in targets.check(report):
        verdict = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(f"| {row['target']} | {row['value']} | {verdict} |")
    return "\n".join(lines)
