"""The Positions totals row against the real simulator: the sums of the rows shown.

The expected totals are computed here from the session's position rows (the test's
own choice of which rows a filter shows, and its own Decimal sums), never read back
from the blotter's models.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from mesodesk.core.formatting import fmt_number
from mesodesk.ui.docks.table_dock import BlotterView
from tests.ui.aio import run, until
from tests.ui.console import console

GETTERS = {
    "pnl": lambda r: r.pnl_mark,
    "realized": lambda r: r.realized_pnl,
    "delta": lambda r: r.greek("delta"),
    "gamma": lambda r: r.greek("gamma"),
    "theta": lambda r: r.greek("theta"),
    "vega": lambda r: r.greek("vega"),
}
PLACES = {"pnl": 2, "realized": 2, "delta": 2, "gamma": 3, "theta": 2, "vega": 2}


def expected_sums(rows: Iterable[Any]) -> dict[str, Decimal | None]:
    rows = list(rows)
    out: dict[str, Decimal | None] = {}
    for key, get in GETTERS.items():
        values = [Decimal(get(r)) for r in rows if get(r) is not None]
        out[key] = sum(values, Decimal(0)) if values else None
    return out


def footer_matches(view: BlotterView, rows: Iterable[Any]) -> bool:
    """The footer shows exactly the test's sums of ``rows``, formatted like the cells."""
    assert view.totals is not None and view.footer is not None
    want = expected_sums(rows)
    texts = {key: fmt_number(PLACES[key])(value) for key, value in want.items()}
    return view.totals.sums == want and view.footer.texts() == texts


def test_totals_are_the_sums_of_the_shown_rows_live_and_filtered(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            view = c.window.views["positions"]
            state = c.session.state
            assert view.totals is not None and view.footer is not None
            assert view.totals.column_keys == list(GETTERS)
            await until(lambda: len(state.positions) == 4 and view.model.rowCount() == 4
                        and all(r.greek("delta") is not None for r in state.positions.values() if r.is_open))
            await until(lambda: footer_matches(view, state.positions.values()))
            first_pnl = view.totals.value("pnl")
            assert first_pnl is not None and view.totals.rows == 4
            # Live: the marks move, the totals follow and still equal the rows' sums.
            await until(lambda: view.totals.value("pnl") != first_pnl
                        and footer_matches(view, state.positions.values()))

            # A filter: only one account's positions are shown, and totalled.
            accounts = sorted({r.summary.broker_account_id for r in state.positions.values()})
            account = next(a for a in accounts
                           if 0 < sum(r.summary.broker_account_id == a for r in state.positions.values()) < 4)
            view.filter.setText(account)
            shown = [r for r in state.positions.values() if r.summary.broker_account_id == account]
            await until(lambda: view.proxy.rowCount() == len(shown))
            await until(lambda: footer_matches(
                view, [r for r in state.positions.values() if r.summary.broker_account_id == account]))
            assert view.totals.rows == len(shown) < 4
            filtered_pnl = view.totals.value("pnl")
            await until(lambda: view.totals.value("pnl") != filtered_pnl and footer_matches(
                view, [r for r in state.positions.values() if r.summary.broker_account_id == account]))
            # A filter that matches nothing: blank totals, not zeros.
            view.filter.setText("no such position anywhere")
            await until(lambda: view.proxy.rowCount() == 0)
            await until(lambda: view.totals.rows == 0)
            assert view.totals.sums == dict.fromkeys(GETTERS) and set(view.footer.texts().values()) == {""}
            view.filter.setText("")
            await until(lambda: footer_matches(view, state.positions.values()))
            # Coalesced: one recompute per frame (and per filter change: 3 here, plus the first), not per row.
            assert view.totals.recomputes <= c.window.frames.frames + 3 + 1

    run(qloop, scenario(), timeout=120)


def test_totals_row_follows_column_resize_move_hide_and_scroll(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            view = c.window.views["positions"]
            footer = view.footer
            assert footer is not None
            await until(lambda: view.model.rowCount() == 4)
            header = view.table.horizontalHeader()
            col = view.model.column_index

            def aligned() -> bool:
                origin = footer.mapFromGlobal(header.viewport().mapToGlobal(header.viewport().rect().topLeft())).x()
                cells = {logical: rect for logical, _text, rect in footer.cells()}
                for logical, rect in cells.items():
                    if rect.x() != origin + header.sectionViewportPosition(logical):
                        return False
                    if rect.width() != header.sectionSize(logical):
                        return False
                shown = {col(k) for k in ("pnl", "realized", "delta", "gamma", "theta", "vega")
                         if not header.isSectionHidden(col(k))}
                return shown <= set(cells)

            assert aligned()
            pnl_x = dict((lg, r) for lg, _t, r in footer.cells())[col("pnl")].x()
            header.resizeSection(col("name"), header.sectionSize(col("name")) + 80)
            assert aligned()
            assert dict((lg, r) for lg, _t, r in footer.cells())[col("pnl")].x() == pnl_x + 80
            header.moveSection(header.visualIndex(col("vega")), 0)
            assert aligned()
            view.set_column_visible("delta", False)
            assert aligned() and col("delta") not in {lg for lg, _t, _r in footer.cells()}
            view.set_column_visible("delta", True)
            c.window.resize(700, 600)
            await until(lambda: view.table.horizontalScrollBar().maximum() > 0)
            view.table.horizontalScrollBar().setValue(view.table.horizontalScrollBar().maximum())
            assert aligned()
            # "Total" goes in the first visible column that holds no total
            assert footer.label_column() == header.logicalIndex(1)  # vega is first now
            assert view.footer.font().bold()
            assert footer.isVisible() and footer.geometry().top() >= view.stack.geometry().bottom()

    run(qloop, scenario(), timeout=120)


def test_totals_text_uses_the_cells_formatting(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            view = c.window.views["positions"]
            await until(lambda: view.model.rowCount() == 4 and view.totals is not None and view.totals.rows == 4)
            col = view.model.column_index("gamma")
            cell = view.model.index(0, col).data(Qt.ItemDataRole.DisplayRole)
            assert view.footer is not None
            # the same number of decimals as the column's cells (gamma: 3)
            assert len(cell.split(".")[-1]) == len(view.footer.texts()["gamma"].split(".")[-1]) == 3

    run(qloop, scenario(), timeout=60)
