"""Blotters pay only for what is visible: rows updated off-screen are marked stale, never
signalled or flashed; they show fresh values when they scroll in; a sort or filter still
places them (throttled); totals still cover every shown row."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mesodesk.core.formatting import fmt_number
from mesodesk.core.tables import Table
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import KEY_ROLE, Column, number, pnl
from mesodesk.ui.models.keyed_table_model import KeyedTableModel


@dataclass
class Quote:
    id: int
    price: float
    name: str = ""
    pnl: float = 0.0


COLUMNS = [Column("id", "Id", lambda q: q.id, numeric=True), Column("name", "Name", lambda q: q.name),
           number("price", "Price", lambda q: q.price), pnl("pnl", "PnL", lambda q: q.pnl)]
PRICE = 2
ROWS = 3_000


def _table(n: int = ROWS) -> Table[int, Quote]:
    table: Table[int, Quote] = Table("quotes")
    for i in range(n):
        table.upsert(i, Quote(i, 1.5 * i, f"q{i}", pnl=float(i % 17) - 8.25))
    return table


def _view(qtbot, model: KeyedTableModel, **kw) -> BlotterView:
    view = BlotterView(model, "quotes", **kw)
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    return view


def _scroll_to_row(view: BlotterView, row: int) -> None:
    view.table.scrollTo(view.table.model().index(row, 0))
    QApplication.processEvents()


def _on_screen_rows(view: BlotterView) -> list[int]:
    """Rows of the shown model whose cells intersect the viewport (worked out from geometry)."""
    table, shown = view.table, view.table.model()
    area = table.viewport().rect()
    return [r for r in range(shown.rowCount()) if table.visualRect(shown.index(r, 0)).intersects(area)]


def _shown_keys(view: BlotterView) -> list[int]:
    shown = view.table.model()
    return [shown.index(r, 0).data(KEY_ROLE) for r in range(shown.rowCount())]


def _set_price(table: Table[int, Quote], key: int, price: float) -> None:
    table.upsert(key, Quote(key, price, f"q{key}", pnl=table[key].pnl))


def test_off_screen_updates_emit_no_data_changed_and_no_flash(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    model.set_flash(True, 10_000)
    view = _view(qtbot, model)
    _scroll_to_row(view, 1_500)
    on_screen = set(_on_screen_rows(view))
    assert 5 < len(on_screen) < 60 and 1_500 in on_screen
    emitted: list[int] = []
    model.dataChanged.connect(lambda a, b, *_: emitted.extend(range(a.row(), b.row() + 1)))
    updated = set(range(0, ROWS, 3))
    for key in updated:
        _set_price(table, key, table[key].price + 1.0)
    model.sync()
    assert set(emitted) == {r for r in on_screen if r in updated}  # source rows == keys here
    assert len(emitted) == len(set(emitted))  # each signalled once
    for key in (0, 3, 2_997):
        assert not model.is_flashing(key, "price")
    assert all(model.is_flashing(r, "price") for r in on_screen if r in updated)
    # Hidden: nothing is on screen, so nothing is signalled.
    view.hide()
    emitted.clear()
    _set_price(table, 1_500, -1.0)
    model.sync()
    assert emitted == []


def test_rows_scrolled_in_show_the_values_they_got_off_screen(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    view = _view(qtbot, model)
    _scroll_to_row(view, 2_500)
    assert view.table.model().index(2_500, PRICE).data() == fmt_number(2)(1.5 * 2_500)  # painted, cached
    _scroll_to_row(view, 0)
    assert 2_500 not in _on_screen_rows(view)
    for step in range(5):  # several frames of changes while off-screen
        _set_price(table, 2_500, 12_345.678 + step)
        model.sync()
    _scroll_to_row(view, 2_500)
    assert 2_500 in _on_screen_rows(view)
    assert view.table.model().index(2_500, PRICE).data() == fmt_number(2)(12_349.678) == "12,349.68"
    assert model.visible_keys is not None and 2_500 in model.visible_keys


def test_sorting_places_rows_changed_off_screen_after_the_throttle(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    view = _view(qtbot, model)
    view.table.sortByColumn(PRICE, Qt.SortOrder.AscendingOrder)
    assert view.table.model() is view.proxy
    _scroll_to_row(view, 0)
    rng = random.Random(11)
    movers = rng.sample(range(1_000, ROWS), 40)  # far below the viewport
    for key in movers:
        _set_price(table, key, -1_000.0 - 997.0 * rng.random())
    model.sync()
    top_before = _shown_keys(view)[:10]
    assert top_before == list(range(10))  # not re-sorted per frame: off-screen rows wait for the throttle
    expected = sorted(table, key=lambda k: table[k].price)
    qtbot.waitUntil(lambda: _shown_keys(view) == expected, timeout=5_000)
    assert model.reorder_emits > 0
    top = view.table.model().index(0, PRICE).data()
    assert top == fmt_number(2)(table[expected[0]].price)


def test_filter_picks_up_rows_changed_off_screen(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    view = _view(qtbot, model)
    view.filter.setText("-77,")
    assert view.proxy.rowCount() == 0
    for key in (5, 2_000, 2_999):
        _set_price(table, key, -77_000.0 - key / 10)  # "-77,000.50", "-77,200.00", "-77,299.90"
    model.sync()
    qtbot.waitUntil(lambda: sorted(_shown_keys(view)) == [5, 2_000, 2_999], timeout=5_000)


def test_model_and_proxy_pass_the_model_tester_after_updates(qtbot, qtmodeltester) -> None:
    table = _table(500)
    model = KeyedTableModel(table, COLUMNS)
    view = _view(qtbot, model)
    _scroll_to_row(view, 250)
    rng = random.Random(3)
    for _ in range(5):
        for key in rng.sample(list(table), 60):
            _set_price(table, key, rng.uniform(-50, 50))
        table.remove(next(iter(table)))  # and rows go
        model.sync()
    qtmodeltester.check(model)
    view.table.sortByColumn(PRICE, Qt.SortOrder.DescendingOrder)
    for key in rng.sample(list(table), 60):
        _set_price(table, key, rng.uniform(-50, 50))
    model.sync()
    qtmodeltester.check(view.proxy)


def test_totals_cover_rows_updated_off_screen(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    view = _view(qtbot, model, total_columns=("pnl",))
    assert view.totals is not None
    _scroll_to_row(view, 0)
    rng = random.Random(5)
    for key in rng.sample(range(100, ROWS), 300):
        row = table[key]
        table.upsert(key, Quote(key, row.price, row.name, pnl=round(rng.uniform(-500, 500), 2)))
    model.sync()
    expected = sum(Decimal(repr(table[k].pnl)) for k in table)
    qtbot.waitUntil(lambda: view.totals is not None and view.totals.value("pnl") == expected, timeout=5_000)
    assert view.totals.rows == ROWS


def test_several_views_of_one_model_signal_the_union_of_their_rows(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    top = _view(qtbot, model)
    bottom = BlotterView(model, "quotesBottom")  # not the test's widget: deleted below, as a closed window
    bottom.resize(600, 400)
    bottom.show()
    qtbot.waitExposed(bottom)
    _scroll_to_row(top, 0)
    _scroll_to_row(bottom, ROWS - 1)
    wanted = set(_on_screen_rows(top)) | set(_on_screen_rows(bottom))
    assert 0 in wanted and ROWS - 1 in wanted and 1_500 not in wanted
    emitted: list[int] = []
    model.dataChanged.connect(lambda a, b, *_: emitted.extend(range(a.row(), b.row() + 1)))
    for key in range(ROWS):
        _set_price(table, key, -table[key].price - 1.0)  # every price text changes (0.00 too)
    model.sync()
    assert set(emitted) == wanted
    bottom.deleteLater()  # a position window closed: its rows stop counting
    qtbot.waitUntil(lambda: model.visible_keys is not None and ROWS - 1 not in model.visible_keys, timeout=3_000)
    emitted.clear()
    for key in range(ROWS):
        _set_price(table, key, -table[key].price - 1.0)  # every price text changes (0.00 too)
    model.sync()
    assert set(emitted) == set(_on_screen_rows(top))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(windows=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 30)), min_size=1, max_size=3),
       frames=st.lists(st.sets(st.integers(0, 199), max_size=60), min_size=1, max_size=4),
       seed=st.integers(0, 10_000))
def test_only_visible_updated_rows_are_signalled_and_every_read_is_fresh(qtbot, windows, frames, seed) -> None:
    table = _table(200)
    model = KeyedTableModel(table, COLUMNS)
    viewers = [model.add_viewer() for _ in windows]
    visible: set[int] = set()
    for viewer, (first, size) in zip(viewers, windows, strict=True):
        keys = set(range(first, min(200, first + size)))
        model.set_visible_keys(viewer, keys)
        visible |= keys
    for row in range(200):  # paint everything once: off-screen reads are answered uncached
        model.index(row, PRICE).data()
    emitted: list[int] = []
    model.dataChanged.connect(lambda a, b, *_: emitted.extend(range(a.row(), b.row() + 1)))
    rng = random.Random(seed)
    for updated in frames:
        emitted.clear()
        for key in updated:
            _set_price(table, key, round(rng.uniform(-1e6, 1e6), 3))
        model.sync()
        assert sorted(emitted) == sorted(updated & visible)
        for row in range(200):
            assert model.index(row, PRICE).data() == fmt_number(2)(table[row].price)


def test_a_cached_row_changed_before_the_next_frame_reads_fresh(qtbot) -> None:
    """A sort placed by live values must never show older texts (the cache is behind until ``sync()``)."""
    table = _table(50)
    model = KeyedTableModel(table, COLUMNS)
    viewer = model.add_viewer()
    model.set_visible_keys(viewer, range(10))
    assert model.index(3, PRICE).data() == fmt_number(2)(4.5)  # cached now
    _set_price(table, 3, 777.125)  # no sync yet
    assert model.index(3, PRICE).data() == fmt_number(2)(777.125) == "777.12"
