"""Grouping in Positions: the tree model against an independent grouping, and the console.

The model test drives random sequences of live changes (rows added and removed, rows
moving between groups, values ticking, filter and sort changes) through the real
``KeyedTableModel`` -> ``BlotterProxy`` -> ``GroupingProxy`` chain and checks after each
frame that the tree groups exactly the rows a filter shows, in the proxy's numeric
order, with subtotals equal to the test's own sums; the model tester checks every
signal, and the tree is never reset. The console test does the same against the real
simulator, through the "Group by" control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt

from mesodesk.contract import LivePositionState
from mesodesk.core.tables import Table
from mesodesk.ui.blotters import POSITION_COLUMNS, POSITION_TOTALS
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.blotter_proxy import BlotterProxy
from mesodesk.ui.models.columns import KEY_ROLE, SORT_ROLE
from mesodesk.ui.models.grouping_proxy import GroupingProxy
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from tests.ui.aio import run, until
from tests.ui.console import console
from tests.ui.test_console import paper_entry

STRATEGIES = ("Alpha", "Beta", "Gamma")
ACCOUNTS = ("ACC-A", "ACC-B")


@dataclass(eq=False)
class FakePosition:
    """What the Positions columns read from a position row."""

    id: int
    strategy: str
    account: str
    pnl: Decimal
    delta: Decimal
    underlying: str = "SPX"
    greeks: dict[str, Decimal] = field(default_factory=dict)

    @property
    def summary(self) -> Any:
        return SimpleNamespace(name=f"Position {self.id}", strategy_name=self.strategy, live_strategy_id=1,
                               broker_account_id=self.account, state=LivePositionState.Open, qty_multiplier=None,
                               created_at=datetime(2026, 1, 1, tzinfo=UTC))

    underlying_price = Decimal("6000")
    days_in_trade = 3

    @property
    def pnl_mark(self) -> Decimal:
        return self.pnl

    @property
    def realized_pnl(self) -> Decimal:
        return Decimal(self.id)

    def greek(self, name: str) -> Decimal | None:
        return self.delta if name == "delta" else None


def group_sums(rows: list[FakePosition]) -> dict[str, Decimal | None]:
    return {"pnl": sum((r.pnl for r in rows), Decimal(0)), "realized": sum((Decimal(r.id) for r in rows), Decimal(0)),
            "delta": sum((r.delta for r in rows), Decimal(0)), "gamma": None, "theta": None, "vega": None}


def tree_children(model: GroupingProxy, name: str) -> list[Any]:
    parent = model.group_index(name)
    return [model.index(r, 0, parent).data(KEY_ROLE) for r in range(model.rowCount(parent))]


def check_tree(model: GroupingProxy, table: Table[int, FakePosition], account_filter: str | None,
               sort_desc_pnl: bool) -> None:
    shown = [r for r in table.values() if account_filter is None or r.account == account_filter]
    want_groups = {s for s in STRATEGIES if any(r.strategy == s for r in shown)}
    assert set(model.group_names()) == want_groups
    assert model.rowCount() == len(want_groups)
    for name in want_groups:
        members = [r for r in shown if r.strategy == name]
        keys = tree_children(model, name)
        assert sorted(keys) == sorted(r.id for r in members)
        if sort_desc_pnl:  # numeric, within the group
            pnls = [table[k].pnl for k in keys]
            assert pnls == sorted(pnls, reverse=True)
        assert model.group_sums(name) == group_sums(members)
        label = model.group_index(name).siblingAtColumn(model.label_column).data()
        assert label == f"{name} ({len(members)})"


ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from(STRATEGIES), st.sampled_from(ACCOUNTS), st.integers(-500, 500)),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from(STRATEGIES)),
    st.tuples(st.just("tick"), st.integers(0, 30), st.integers(-500, 500)),
    st.tuples(st.just("filter"), st.sampled_from((None, *ACCOUNTS))),
    st.tuples(st.just("sort"), st.booleans()),
), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_tree_groups_exactly_the_shown_rows_through_live_changes(qapp, qtmodeltester, steps) -> None:
    table: Table[int, FakePosition] = Table("positions")
    for i in range(6):
        table.upsert(i, FakePosition(i, STRATEGIES[i % 3], ACCOUNTS[i % 2], Decimal(i * 10 - 25), Decimal(i)))
    blotter = KeyedTableModel(table, POSITION_COLUMNS)
    proxy = BlotterProxy(blotter)
    model = GroupingProxy(proxy, POSITION_TOTALS)
    model.set_grouping("strategy")
    qtmodeltester.check(model, force_py=True)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    account_filter: str | None = None
    sort_desc = False
    next_id = 100
    check_tree(model, table, account_filter, sort_desc)
    for step in steps:
        keys = list(table)
        if step[0] == "add":
            table.upsert(next_id, FakePosition(next_id, step[1], step[2], Decimal(step[3]), Decimal(1)))
            next_id += 1
        elif step[0] == "remove" and keys:
            table.remove(keys[step[1] % len(keys)])
        elif step[0] == "move" and keys:
            key = keys[step[1] % len(keys)]
            table[key].strategy = step[2]
            table.touch(key)
        elif step[0] == "tick" and keys:
            key = keys[step[1] % len(keys)]
            table[key].pnl = Decimal(step[2])
            table.touch(key)
        elif step[0] == "filter":
            account_filter = step[1]
            proxy.setFilterFixedString(account_filter or "")
        elif step[0] == "sort":
            sort_desc = step[1]
            model.sort(blotter.column_index("pnl") if sort_desc else -1, Qt.SortOrder.DescendingOrder
                       if sort_desc else Qt.SortOrder.AscendingOrder)
        blotter.sync()  # one frame
        model.resync()
        check_tree(model, table, account_filter, sort_desc)
    assert not resets


def test_groups_sort_by_subtotal_when_a_summed_column_sorts(qapp, qtmodeltester, qtlog) -> None:
    table: Table[int, FakePosition] = Table("positions")
    for i, (strategy, pnl) in enumerate([("Alpha", 5), ("Beta", -40), ("Gamma", 30), ("Alpha", 10)]):
        table.upsert(i, FakePosition(i, strategy, "ACC-A", Decimal(pnl), Decimal(0)))
    blotter = KeyedTableModel(table, POSITION_COLUMNS)
    proxy = BlotterProxy(blotter)
    model = GroupingProxy(proxy, POSITION_TOTALS)
    model.set_grouping("strategy")
    qtmodeltester.check(model)  # Qt's own tester here: its warnings fail the test
    assert model.group_names() == ["Alpha", "Beta", "Gamma"]  # by name
    model.sort(blotter.column_index("pnl"), Qt.SortOrder.DescendingOrder)
    model.resync()
    assert model.group_names() == ["Gamma", "Alpha", "Beta"]  # 30, 15, -40
    assert tree_children(model, "Alpha") == [3, 0]  # 10 before 5: numeric
    table[1].pnl = Decimal(100)
    table.touch(1)
    blotter.sync()
    model.resync()
    assert model.group_names() == ["Beta", "Gamma", "Alpha"]
    table.remove(0)  # a row leaves its group
    table[3].strategy = "Beta"  # and one moves to another group: Alpha empties out
    table.touch(3)
    blotter.sync()
    model.resync()
    assert model.group_names() == ["Beta", "Gamma"] and sorted(tree_children(model, "Beta")) == [1, 3]
    assert model.group_sums("Beta")["pnl"] == Decimal(110)
    assert not [r for r in qtlog.records if r.context is not None and r.context.category == "qt.modeltest"]


def _sums(rows: list[Any]) -> dict[str, Decimal | None]:
    getters = {"pnl": lambda r: r.pnl_mark, "realized": lambda r: r.realized_pnl,
               **{g: (lambda r, g=g: r.greek(g)) for g in ("delta", "gamma", "theta", "vega")}}
    out: dict[str, Decimal | None] = {}
    for key, get in getters.items():
        values = [Decimal(get(r)) for r in rows if get(r) is not None]
        out[key] = sum(values, Decimal(0)) if values else None
    return out


def grouped_like_state(view: BlotterView, rows: list[Any], grouping: str) -> bool:
    """The tree's groups, members and subtotals equal the test's grouping of ``rows``."""
    assert view.grouped is not None
    model = view.grouped.grouped
    name_of = {"strategy": lambda r: r.summary.strategy_name, "account": lambda r: r.summary.broker_account_id,
               "underlying": lambda r: r.underlying}[grouping]
    want: dict[str, list[Any]] = {}
    for row in rows:
        want.setdefault(str(name_of(row)), []).append(row)
    names = model.group_names()
    if sorted(names) != sorted(want):
        return False
    pnl_col = view.model.column_index("pnl")
    if view.proxy.sortColumn() == pnl_col:  # groups by P&L subtotal, in the sort order
        pnls = [model.group_sums(n)["pnl"] for n in names]
        if pnls != sorted(pnls, reverse=view.proxy.sortOrder() == Qt.SortOrder.DescendingOrder):  # type: ignore[type-var]
            return False
    elif names != sorted(want, key=str.lower):
        return False
    for name, members in want.items():
        if sorted(tree_children(model, name)) != sorted(r.id for r in members):
            return False
        if model.group_sums(name) != _sums(members):
            return False
    return True


def test_group_by_in_the_console(qloop, qtbot, tmp_path: Path, qtmodeltester) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            view = w.views["positions"]
            state = c.session.state
            assert view.grouped is not None and view.group_combo is not None
            assert [view.group_combo.itemText(i) for i in range(view.group_combo.count())] == [
                "None", "Account", "Strategy", "Underlying"]
            await until(lambda: view.model.rowCount() == 4 and all(r.underlying for r in state.positions.values()))
            model = view.grouped.grouped
            tree = view.grouped.tree
            qtmodeltester.check(model, force_py=True)
            resets: list[int] = []
            model.modelReset.connect(lambda: resets.append(1))

            view.group_combo.setCurrentIndex(view.group_combo.findData("strategy"))  # as a user picks it
            assert view.grouping == "strategy" and view.stack.currentWidget() is tree and len(resets) == 1
            assert w.qsettings.value("blotters/positions/groupBy") == "strategy"
            await until(lambda: grouped_like_state(view, list(state.positions.values()), "strategy"))
            assert len(model.group_names()) == 3  # the seeded book: 2 + 1 + 1 positions
            # The totals row lines up under the tree's columns now, also after a resize there.
            assert view.footer is not None and view.active_header() is tree.header()

            def footer_under_tree_columns() -> bool:
                header = tree.header()
                origin = view.footer.mapFromGlobal(header.viewport().mapToGlobal(QPoint(0, 0))).x()
                cells = view.footer.cells()
                return bool(cells) and all(r.x() == origin + header.sectionViewportPosition(lg)
                                           and r.width() == header.sectionSize(lg) for lg, _t, r in cells)

            assert footer_under_tree_columns()
            tree.header().resizeSection(view.model.column_index("name"), 260)
            assert footer_under_tree_columns()
            # Live: subtotals keep equal to the sums of each group's rows.
            first = {n: model.group_sums(n)["pnl"] for n in model.group_names()}
            await until(lambda: {n: model.group_sums(n)["pnl"] for n in model.group_names()} != first
                        and grouped_like_state(view, list(state.positions.values()), "strategy"))
            # The totals row still sums every shown row.
            assert view.totals is not None
            await until(lambda: view.totals is not None and view.totals.sums == _sums(list(state.positions.values())))

            # Collapse hides a group's children; expanding shows them again.
            big = next(n for n in model.group_names() if model.rowCount(model.group_index(n)) == 2)
            group = model.group_index(big)
            assert tree.isExpanded(group)
            child = model.index(0, 0, group)
            assert tree.visualRect(child).isValid()
            tree.collapse(group)
            assert not tree.isExpanded(group) and not tree.visualRect(child).isValid()
            assert tree.indexBelow(group) != child
            assert big in view.grouped.collapsed
            tree.expand(group)
            assert tree.visualRect(model.index(0, 0, model.group_index(big))).isValid()

            # Selection and activation report position ids.
            current: list[Any] = []
            activated: list[Any] = []
            view.sig_current_changed.connect(current.append)
            view.sig_row_activated.connect(activated.append)
            child = model.index(1, 0, model.group_index(big))
            pid = child.data(KEY_ROLE)
            tree.setCurrentIndex(child)
            assert current[-1] == pid and view.current_key() == pid
            tree.activated.emit(child)
            assert activated == [pid]
            other = next(k for k in view.model.table if k != pid)
            assert view.select_key(other)
            assert tree.currentIndex().data(KEY_ROLE) == other and current[-1] == other
            tree.setCurrentIndex(model.group_index(big))  # a group row is no position
            assert current[-1] is None and view.current_key() is None

            # Sorting by P&L: numeric within each group.
            tree.sortByColumn(view.model.column_index("pnl"), Qt.SortOrder.AscendingOrder)
            await until(lambda: grouped_like_state(view, list(state.positions.values()), "strategy"))

            def numeric_within_groups() -> bool:
                for name in model.group_names():
                    parent = model.group_index(name)
                    values = [model.index(r, view.model.column_index("pnl"), parent).data(SORT_ROLE)
                              for r in range(model.rowCount(parent))]
                    if values != sorted(values):
                        return False
                return True

            await until(numeric_within_groups)
            # A collapsed group stays collapsed while the tree follows live changes (re-sorts by P&L).
            tree.collapse(model.group_index(big))
            resyncs = model.resyncs
            await until(lambda: model.resyncs >= resyncs + 3)
            assert not tree.isExpanded(model.group_index(big))
            assert not tree.visualRect(model.index(0, 0, model.group_index(big))).isValid()
            tree.grab()  # paint every visible cell (group rows and position rows)
            tree.expand(model.group_index(big))

            # A new position lands in its group without a reset; a filter applies inside groups.
            await paper_entry(c)
            await until(lambda: len(state.positions) == 5 and view.model.rowCount() == 5)
            await until(lambda: grouped_like_state(view, list(state.positions.values()), "strategy"))
            account = sorted({r.summary.broker_account_id for r in state.positions.values()})[0]
            view.filter.setText(account)
            await until(lambda: grouped_like_state(
                view, [r for r in state.positions.values() if r.summary.broker_account_id == account], "strategy"))
            await until(lambda: view.totals is not None and view.totals.sums == _sums(
                [r for r in state.positions.values() if r.summary.broker_account_id == account]))
            view.filter.setText("")
            assert len(resets) == 1  # live changes never reset the tree

            # Account and underlying groupings.
            for grouping in ("account", "underlying"):
                view.set_grouping(grouping)
                await until(lambda g=grouping: grouped_like_state(view, list(state.positions.values()), g))
            # Back to flat: the table shows again, with the selection the tree had.
            assert view.select_key(pid)
            view.set_grouping(None)
            assert view.stack.currentWidget() is view.table and view.current_key() == pid
            assert w.qsettings.value("blotters/positions/groupBy") == ""
            assert model.rowCount() == 0

    run(qloop, scenario(), timeout=180)


def test_group_by_is_restored_from_the_ui_settings(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    table: Table[int, FakePosition] = Table("positions")
    for i in range(4):
        table.upsert(i, FakePosition(i, STRATEGIES[i % 2], ACCOUNTS[0], Decimal(i), Decimal(i)))
    first = BlotterView(KeyedTableModel(table, POSITION_COLUMNS), "positions",
                        total_columns=POSITION_TOTALS, groupings=("account", "strategy", "underlying"))
    qtbot.addWidget(first)
    first.restore_header_state(settings)
    first.set_grouping("strategy")
    first.save_header_state(settings)
    again = BlotterView(KeyedTableModel(table, POSITION_COLUMNS), "positions",
                        total_columns=POSITION_TOTALS, groupings=("account", "strategy", "underlying"))
    qtbot.addWidget(again)
    assert again.grouping is None
    again.restore_header_state(settings)
    assert again.grouping == "strategy" and again.group_combo is not None
    assert again.group_combo.currentData() == "strategy"
    assert again.grouped is not None and again.grouped.grouped.group_names() == ["Alpha", "Beta"]
    assert again.grouped.grouped.rowCount(QModelIndex()) == 2
