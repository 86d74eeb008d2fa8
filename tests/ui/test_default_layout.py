"""The default layout at 1366x768, 1600x1000 and 1920x1080, with live data: every Positions
column at least as wide as its header text and its values (at 1920 all of them without
horizontal scrolling), Legs wide enough for its key columns up to the contract, tab titles
not elided, and the charts able to shrink so the dividers move."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QTabBar

from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.layouts import FULL_HD, LAPTOP, MEDIUM, choose_default_layout, default_window_size, in_front
from mesodesk.ui.main_window import MainWindow
from tests.ui.aio import run, until
from tests.ui.console import console

SIZES = (QSize(1366, 768), QSize(1600, 1000), QSize(1920, 1080))
HEADER_PADDING = 8  # a header section's margins around its text
CELL_PADDING = 6  # a cell's margins around its text
TAB_PADDING = 16  # a tab's margins around its title


@pytest.mark.parametrize(("width", "height", "plan"), [(1366, 768, LAPTOP), (1280, 800, LAPTOP),
                                                       (1600, 1000, MEDIUM), (1680, 1050, MEDIUM),
                                                       (1920, 1080, FULL_HD), (2560, 1440, FULL_HD)])
def test_the_layout_is_chosen_by_the_screen_and_the_window_fits_it(width: int, height: int, plan) -> None:
    available = QSize(width, height)
    assert choose_default_layout(available) is plan
    size = default_window_size(available)
    assert size.width() <= width and size.height() <= height
    assert size.width() >= min(width, 1920) * 0.85 and size.height() >= min(height, 1080) * 0.85


def _columns_fit(view: BlotterView, label: str) -> list[str]:
    """Columns narrower than their header text or one of their values (an independent measure)."""
    table, header = view.table, view.table.horizontalHeader()
    header_metrics, cell_metrics = header.fontMetrics(), table.fontMetrics()
    model = table.model()
    problems = []
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        width = header.sectionSize(column)
        title = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
        if width < header_metrics.horizontalAdvance(title) + HEADER_PADDING:
            problems.append(f"{label}: header {title!r} cut at {width} px")
        for row in range(model.rowCount()):
            text = str(model.index(row, column).data(Qt.ItemDataRole.DisplayRole) or "")
            if width < cell_metrics.horizontalAdvance(text) + CELL_PADDING:
                problems.append(f"{label}: {title!r} value {text!r} cut at {width} px")
    return problems


def _visible_to(view: BlotterView, key: str) -> bool:
    """The column is entirely inside the viewport, scrolled fully left."""
    table = view.table
    table.horizontalScrollBar().setValue(0)
    column = view.model.column_index(key)
    return table.columnViewportPosition(column) + table.columnWidth(column) <= table.viewport().width()


def _elided_tabs(window: MainWindow) -> list[str]:
    elided = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible() or bar.visibleRegion().isEmpty():
            continue
        for i in range(bar.count()):
            if bar.tabRect(i).width() < bar.fontMetrics().horizontalAdvance(bar.tabText(i)) + TAB_PADDING:
                elided.append(f"{bar.tabText(i)!r} in {bar.tabRect(i).width()} px")
    return elided


def test_the_default_layout_at_three_screen_sizes(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path, defer_charts=True) as c:  # as the app: charts after the tables
            w = c.window
            w.resize(SIZES[0])
            w.arrange_default_layout(SIZES[0])
            await asyncio.sleep(0.3)
            w.build_deferred_panels()
            await w.wait_until_live(min_updates=2)
            m = w.models
            await until(lambda: m["legs"].rowCount() >= 8 and all(t for t in _texts(w, "legs", "contract")))
            positions, legs = w.views["positions"], w.views["legs"]
            for size in SIZES:
                if size != SIZES[0]:
                    w.resize(size)
                    w.arrange_default_layout(size)
                await asyncio.sleep(0.4)
                label = f"{size.width()}x{size.height()}"
                assert w.size() == size
                plan = w.default_layout  # the columns as wide as the plan says (the charts did not push them)
                shares = [share / sum(plan.column_shares) for share in plan.column_shares]
                anchors = [w.docks[column[0][0]] for column in plan.columns]
                for dock, share in zip(anchors, shares, strict=True):
                    assert abs(dock.width() - share * size.width()) <= 12, (label, dock.objectName(), dock.width())
                front = {k for k, d in w.docks.items() if in_front(d)}
                assert {"positions", "legs", "riskGraph", "events"} <= front, (label, front)
                assert not _columns_fit(positions, label), _columns_fit(positions, label)
                assert not _columns_fit(legs, label), _columns_fit(legs, label)
                for key in ("id", "position", "name", "contract"):
                    assert _visible_to(legs, key), (label, key, legs.table.viewport().width())
                assert not _elided_tabs(w), (label, _elided_tabs(w))
                if size.width() >= 1800:  # every Positions column in sight
                    assert positions.table.horizontalScrollBar().maximum() == 0, (
                        label, positions.table.viewport().width(),
                        sum(positions.table.columnWidth(i) for i in range(m["positions"].columnCount())))
                    # Orders beside Legs (both in sight), not a tab behind it
                    assert "orders" in front and w.docks["orders"].width() >= 400

            # the charts shrink: a divider moves the risk graph down to 220 px
            risk = w.docks["riskGraph"]
            assert risk.minimumSizeHint().width() <= 220
            w.resizeDocks([w.docks["legs"], risk], [w.width() - 700, 220], Qt.Orientation.Horizontal)
            await asyncio.sleep(0.3)
            assert risk.width() <= 240, risk.width()

    run(qloop, scenario(), timeout=120)


def _texts(w: MainWindow, key: str, column: str) -> list[str]:
    model = w.models[key]
    col = model.column_index(column)
    return [model.index(r, col).data(Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]
