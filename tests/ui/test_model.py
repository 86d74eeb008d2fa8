"""KeyedTableModel: coalescing to screen rate, row-range dataChanged, flash fade, model consistency."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import Qt

from mesodesk.core.tables import Table
from mesodesk.ui.frame_scheduler import FrameScheduler
from mesodesk.ui.models.columns import Column, number
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from tests.ui.aio import run, until


@dataclass
class Quote:
    id: int
    price: float
    name: str = ""


COLUMNS = [Column("id", "Id", lambda q: q.id, numeric=True), Column("name", "Name", lambda q: q.name),
           number("price", "Price", lambda q: q.price)]


def _model(n: int = 10) -> tuple[Table[int, Quote], KeyedTableModel]:
    table: Table[int, Quote] = Table("quotes")
    for i in range(n):
        table.upsert(i, Quote(i, 100.0 + i, f"q{i}"))
    return table, KeyedTableModel(table, COLUMNS)


def test_updates_coalesce_to_at_most_one_emit_per_cell_per_frame(qloop, qtbot) -> None:
    table, model = _model(20)
    frames = FrameScheduler()
    table.on_dirty(frames.request)
    frames.add(model.sync)
    model.set_flash(False)

    async def scenario() -> None:
        updates = 0
        for tick in range(400):  # ~2,000 ticks/s for 0.2 s onto one contiguous block of rows
            for key in range(5, 10):
                table.upsert(key, Quote(key, 100.0 + tick, f"q{key}"))
                updates += 1
            if tick % 4 == 0:
                await asyncio.sleep(0.002)
        await until(lambda: not table.dirty)
        assert updates == 2000
        # each changed cell (rows 5-9: name and price) at most once per frame, not once per tick
        assert 1 <= model.data_changed_emits <= 5 * 3 * frames.frames, (model.data_changed_emits, frames.frames)
        assert frames.frames < 60  # ~0.2 s at <= 60 Hz, not one frame per tick

    run(qloop, scenario())


def test_signals_whole_new_rows_then_only_changed_cells_merged_while_sorting(qtbot) -> None:
    table, model = _model(10)
    emitted: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: emitted.append((a.row(), a.column(), b.row(), b.column())))
    for key in (1, 2, 3, 7, 8):
        table.upsert(key, Quote(key, 1.0))
    model.sync()  # not on screen as text yet: each row whole
    assert emitted == [(r, 0, r, 2) for r in (1, 2, 3, 7, 8)] and model.data_changed_emits == 5
    emitted.clear()
    for key in (1, 2, 3, 7, 8):
        table.upsert(key, Quote(key, 2.0))  # only the price text changes (the name stays "")
    model.sync()
    assert emitted == [(r, 2, r, 2) for r in (1, 2, 3, 7, 8)]  # one cell each: the view repaints just it
    emitted.clear()
    model.watch_order(1, True)  # a sorting proxy: one signal per run of rows with the same changed cells
    for key in (1, 2, 3, 7, 8):
        table.upsert(key, Quote(key, 3.0))
    model.sync()
    assert emitted == [(1, 2, 3, 2), (7, 2, 8, 2)]


def test_inserts_and_removes_never_reset(qtbot, qtmodeltester) -> None:
    table, model = _model(6)
    qtmodeltester.check(model)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    table.remove(1)
    table.remove(2)
    table.remove(4)
    table.upsert(10, Quote(10, 5.0))
    table.upsert(11, Quote(11, 6.0))
    model.sync()
    qtmodeltester.check(model)
    assert model.rowCount() == 5 and inserted == [(3, 4)] and not resets
    assert [model.key_at(r) for r in range(model.rowCount())] == [0, 3, 5, 10, 11]
    table.replace_all({})
    model.sync()
    qtmodeltester.check(model)
    assert model.rowCount() == 0 and not resets


def test_changed_values_flash_then_fade_with_one_extra_repaint(qloop, qtbot) -> None:
    table, model = _model(4)
    model.set_flash(True, 150)
    price = model.column_index("price")

    async def scenario() -> None:
        table.upsert(2, Quote(2, 999.0, "q2"))
        model.sync()
        assert model.is_flashing(2, "price") and not model.is_flashing(2, "name")
        assert model.index(2, price).data(Qt.ItemDataRole.BackgroundRole) is not None
        assert model.index(1, price).data(Qt.ItemDataRole.BackgroundRole) is None
        down = model.index(2, price).data(Qt.ItemDataRole.BackgroundRole)
        table.upsert(3, Quote(3, 1.0, "q3"))  # a fall flashes in the other colour
        model.sync()
        assert model.index(3, price).data(Qt.ItemDataRole.BackgroundRole) != down
        await until(lambda: model.fade_emits >= 1, timeout=3)
        assert not model.is_flashing(2, "price")
        assert model.index(2, price).data(Qt.ItemDataRole.BackgroundRole) is None
        assert model.fade_emits <= 2  # both flashes expire within one or two fades, not per tick

    run(qloop, scenario())


def test_flash_off_and_stale_grey(qtbot) -> None:
    table, model = _model(3)
    model.set_flash(False)
    table.upsert(1, Quote(1, 5.0))
    model.sync()
    assert not model.is_flashing(1, "price")
    changed: list[int] = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    model.set_stale(True)
    assert len(changed) == 1
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    model.set_stale(False)
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
