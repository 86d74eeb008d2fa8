"""The console against the real in-process simulator: every blotter, sorting, filtering,
linked selection, the detail view, errors, stale data and the status bar.

Orders, executions and events come from a real paper entry: an exec plan built like
the simulator's own tests do (``tests.sim.test_orders.pcs_plan``) is filled with
``ApplyPaperFills`` through the session's Control hub client; the simulator then
publishes OrderUpdate/PositionUpdate/LegUpdate events to the Event Hub.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt

from mesodesk.contract import AgentStatus, PaperFill
from mesodesk.sim.seed import PAPER_ACCOUNT
from mesodesk.ui.blotters import BLOTTERS
from tests.sim.test_orders import pcs_plan
from tests.ui.aio import run, until
from tests.ui.console import Console, column_texts, console, proxy_texts, unexpected_errors

FILLS = {"short_put": PaperFill(price=Decimal("4.20"), commission=Decimal("1.30")),
         "long_put": PaperFill(price=Decimal("2.10"), commission=Decimal("1.30"))}


async def paper_entry(c: Console) -> int:
    """Open a put credit spread on the paper account; returns the new position id."""
    plan = pcs_plan(c.server, account=PAPER_ACCOUNT, name="UI PCS")
    result = await c.session.control.apply_paper_fills(
        broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id, leg_group_id=1, fills=FILLS)
    assert result.position_id is not None
    return result.position_id


def _numbers(texts: list[str]) -> list[float]:
    return [float(t.replace(",", "")) for t in texts if t]


def test_every_blotter_fills_updates_and_passes_the_model_tester(qloop, qtbot, tmp_path: Path, qtmodeltester) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            m = c.window.models
            await until(lambda: m["positions"].rowCount() == 4 and m["legs"].rowCount() >= 8)
            await until(lambda: m["accounts"].rowCount() >= 2 and m["strategies"].rowCount() >= 3)
            await until(lambda: m["agents"].rowCount() >= 1)
            assert sorted(_numbers(column_texts(m["strategies"], "open"))) == sorted([2.0, 1.0, 1.0])
            assert "Connected" in column_texts(m["agents"], "status")
            # Legs update from the position streams' leg blocks.
            await until(lambda: all(column_texts(m["legs"], "mark")))
            first = column_texts(m["legs"], "pnl")
            await until(lambda: column_texts(m["legs"], "pnl") != first)  # read fresh from the store, before
            await until(lambda: m["legs"].data_changed_emits > 0)  # the next frame signals the change
            # A paper entry: orders, executions, events, a new position with its legs.
            base_events = m["events"].rowCount()
            position_id = await paper_entry(c)
            await until(lambda: m["positions"].rowCount() == 5 and m["legs"].rowCount() >= 10)
            await until(lambda: m["orders"].rowCount() >= 1 and m["executions"].rowCount() >= 2)
            await until(lambda: "Filled" in column_texts(m["orders"], "state"))
            await until(lambda: str(position_id) in column_texts(m["orders"], "position"))
            assert set(column_texts(m["executions"], "leg")) >= {"short_put", "long_put"}
            await until(lambda: m["events"].rowCount() > base_events)
            assert any(t == "OrderUpdate" for t in column_texts(m["events"], "type"))
            # Agent status: an Event Hub event upserts the Agents row and lands in the event log.
            c.server.context.agents.set_status(AgentStatus.Degraded, "feed lag")
            await until(lambda: "Degraded" in column_texts(m["agents"], "status"))
            await until(lambda: any("agent degraded: feed lag" in t for t in column_texts(m["events"], "summary")))
            for key in BLOTTERS:
                qtmodeltester.check(m[key])
                qtmodeltester.check(c.window.views[key].proxy)
            assert c.window.status_label("controlHubStatus").text().endswith("Connected")
            await until(lambda: c.window.status_label("latencyStatus").text().endswith("ms"))
            seq = c.session.state.last_event_seq
            assert seq > 0
            await until(lambda: c.window.status_label("eventSeqStatus").text() == f"Event #{seq:,}")
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=90)


def test_sorting_is_numeric_and_filters_apply(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path, seed=4) as c:
            await until(lambda: c.window.models["legs"].rowCount() >= 8 and c.session.state.stream_updates > 8)
            for blotter, keys in (("positions", ("pnl", "delta", "id")), ("legs", ("mark", "qty", "pnl", "id"))):
                view = c.window.views[blotter]
                for key in keys:
                    view.table.sortByColumn(view.model.column_index(key), Qt.SortOrder.AscendingOrder)
                    values = _numbers(proxy_texts(view, key))
                    assert values == sorted(values), (blotter, key, values)
                    view.table.sortByColumn(view.model.column_index(key), Qt.SortOrder.DescendingOrder)
                    values = _numbers(proxy_texts(view, key))
                    assert values == sorted(values, reverse=True), (blotter, key, values)
            positions = c.window.views["positions"]
            positions.filter.setText("iron condor")
            assert positions.proxy.rowCount() == 1 and "/ 4" in positions.count_label.text()
            positions.filter.setText("")
            assert positions.proxy.rowCount() == 4
            legs = c.window.views["legs"]
            legs.filter.setText("short_put")
            assert legs.proxy.rowCount() >= 3
            assert all(t == "short_put" for t in proxy_texts(legs, "name"))

    run(qloop, scenario(), timeout=90)


def test_selecting_a_position_filters_legs_and_orders_and_opens_details(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            await until(lambda: w.models["positions"].rowCount() == 4 and w.models["legs"].rowCount() >= 8)
            new_id = await paper_entry(c)
            await until(lambda: str(new_id) in column_texts(w.models["orders"], "position"))
            await until(lambda: w.views["positions"].proxy.row_of_key(new_id) is not None)
            selected: list[object] = []
            w.sig_position_selected.connect(selected.append)
            assert w.views["positions"].select_key(2)
            assert 2 in selected and w.views["positions"].current_key() == 2
            legs = w.views["legs"]
            expected = sum(1 for r in c.session.state.legs.values() if r.position_id == 2)
            assert 0 < legs.proxy.rowCount() == expected < w.models["legs"].rowCount()
            assert set(proxy_texts(legs, "position")) == {"2"}
            assert legs.link_label.isVisible() and "#2" in legs.link_label.text()
            assert w.views["orders"].proxy.rowCount() == 0
            assert w.views["positions"].select_key(new_id)
            assert w.views["orders"].proxy.rowCount() >= 1
            assert set(proxy_texts(w.views["orders"], "position")) == {str(new_id)}
            # executions carry only their exec plan: their position is resolved by a lookup that may lag
            await until(lambda: w.views["executions"].proxy.rowCount() == 2)
            w.views["positions"].table.clearSelection()
            assert selected[-1] is None and legs.proxy.rowCount() == w.models["legs"].rowCount()

            # Double-click opens the detail view: legs of that position, vars, pricing blocks, events.
            view = w.views["positions"]
            row = view.proxy.row_of_key(3)
            assert row is not None
            view.table.doubleClicked.emit(view.proxy.index(row, 1))
            detail = w.details[3]
            assert detail.isVisible()
            await until(lambda: detail.details is not None)
            assert detail.legs.proxy.rowCount() == sum(1 for r in c.session.state.legs.values() if r.position_id == 3)
            assert detail.vars.rowCount() == len(detail.details.vars)
            await until(lambda: detail.pricing.item(0, 3) is not None and detail.pricing.item(0, 3).text() != "–")
            assert detail.metric_labels["pnl"].text() != "–"
            assert "#3" in detail.headline.text()
            actions: list[tuple[str, int]] = []
            w.sig_position_action.connect(lambda a, pid: actions.append((a, pid)))
            view.sig_row_action.emit("exit", 3)
            assert actions == [("exit", 3)]
            assert not unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=90)


def test_copy_and_csv_export(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            view = c.window.views["positions"]
            await until(lambda: view.proxy.rowCount() == 4)
            view.table.selectRow(0)
            text = view.copy_selection()
            assert text.splitlines()[0].startswith("Id\tPosition\tStrategy")
            assert len(text.splitlines()) == 2
            view.filter.setText("PCS")
            path = tmp_path / "positions.csv"
            assert view.export_csv(path) == 2
            lines = path.read_text().splitlines()
            assert lines[0].startswith("Id,Position,Strategy") and len(lines) == 3

    run(qloop, scenario(), timeout=60)


def test_errors_from_handlers_and_tasks_reach_the_panel(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            async def broken() -> None:
                raise RuntimeError("task went wrong")

            c.session._spawn(broken(), "test-broken")
            await until(lambda: any("task went wrong" in r.summary for r in c.errors.records))
            try:
                raise ValueError("handler went wrong")
            except ValueError:
                logging.getLogger("mesodesk.sdk.events").exception("event handler for OnOrderUpdate raised")
            assert any("handler went wrong" in r.summary for r in c.errors.records)
            panel = c.window.error_panel
            assert panel.list.count() == len(c.errors.records)
            assert "handler went wrong" in panel.details.toPlainText()
            assert c.window.errors_dock.isVisible()

    run(qloop, scenario(), timeout=60)


def test_disconnected_hubs_grey_their_blotters_out(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            positions = c.window.models["positions"]
            await until(lambda: positions.rowCount() == 4)
            await until(lambda: not positions.stale)
            await c.stop_server()
            await until(lambda: positions.stale and c.window.models["accounts"].stale, timeout=15)
            assert positions.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
            assert "Connected" not in c.window.status_label("dataHubStatus").text()

    run(qloop, scenario(), timeout=60)
