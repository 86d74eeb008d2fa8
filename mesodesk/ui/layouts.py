"""Dock layouts: the default (picked by screen size), the last session's, and named layouts.

A saved layout is ``QMainWindow.saveState`` stamped with the constant :data:`QT_STATE_STAMP`
(Qt refuses a state whose stamp differs, so the stamp never changes), plus what Qt does
not keep: the dock names the layout knew, the dock in front of each tab group, and our
:data:`LAYOUT_VERSION`. After an upgrade that adds docks, the saved positions of the old
docks are restored and each new dock goes to its place in the default layout (tabbed
behind a dock of its default group), so nothing the trader arranged is discarded.

Stored in the UI ``QSettings`` under ``layouts/``; names are hex-encoded into keys (any
text is a valid name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

#: the stamp Qt writes into (and demands back from) a saved state: never change it
QT_STATE_STAMP = 2
#: our layout format: 3 = the Qt state plus dock names and front tabs, restored per dock
LAYOUT_VERSION = 3
LAST = "layouts/last"

#: a dock content narrower or lower than this gets its minimum lowered to it, so dividers move
SHRINK_TO = QSize(200, 120)


# -- the default layouts ---------------------------------------------------------------------
@dataclass(frozen=True)
class DefaultLayout:
    """Positions (tabbed with the other wide tables) across the top; below it columns of stacked
    tab groups. Keys name docks in ``MainWindow.docks``; a key without a dock is skipped,
    and the first dock of a tab group is in front."""

    name: str
    top: tuple[str, ...]
    top_share: float  # of the height the docks get
    columns: tuple[tuple[tuple[str, ...], ...], ...]
    column_shares: tuple[float, ...]  # of the width, one per column
    stack_shares: tuple[tuple[float, ...], ...]  # per column, of its height, one per tab group

    def groups(self) -> list[tuple[str, ...]]:
        return [self.top, *(group for column in self.columns for group in column)]


#: the wide tables share the full width under Positions' tab
TOP = ("positions", "tradeHistory", "accounts", "strategies", "agents")
LINKED = ("legs", "orders", "executions")
CHARTS = ("riskGraph", "positionChart", "greeksChart", "riskMonitor")
LOG = ("events", "today", "notifications", "errors", "rollups")

#: 1366x768 and other small screens: one tab group per column, Legs wide enough for its contract
LAPTOP = DefaultLayout("laptop", TOP, 0.36, ((LINKED,), (CHARTS,), (LOG,)),
                       (0.36, 0.36, 0.28), ((1.0,), (1.0,), (1.0,)))
#: 1600x1000 and up: Legs above Orders/Executions (both in sight), charts, then the log
MEDIUM = DefaultLayout("medium", TOP, 0.36, ((("legs",), ("orders", "executions")), (CHARTS,), (LOG,)),
                       (0.38, 0.33, 0.29), ((0.5, 0.5), (1.0,), (1.0,)))
#: 1920x1080 and up: as medium, more room for Positions
FULL_HD = DefaultLayout("full-hd", TOP, 0.38, ((("legs",), ("orders", "executions")), (CHARTS,), (LOG,)),
                        (0.37, 0.34, 0.29), ((0.5, 0.5), (1.0,), (1.0,)))


def choose_default_layout(available: QSize) -> DefaultLayout:
    """The default layout for a screen whose available area is ``available``."""
    if available.width() >= 1800 and available.height() >= 1000:
        return FULL_HD
    if available.width() >= 1500 and available.height() >= 880:
        return MEDIUM
    return LAPTOP


def default_window_size(available: QSize) -> QSize:
    """The first window size on a screen: all of it up to full HD (a trader's console is the
    main window of the day), 85 % of a bigger one; never more than the screen has."""
    if available.width() <= 1920 and available.height() <= 1200:
        return QSize(available)
    return QSize(max(1920, int(available.width() * 0.85)), max(1080, int(available.height() * 0.85))) \
        .boundedTo(available)


def _present(keys: Iterable[str], docks: Mapping[str, QDockWidget]) -> list[str]:
    return [k for k in keys if k in docks]


def arrange(window: QMainWindow, docks: Mapping[str, QDockWidget], plan: DefaultLayout) -> Callable[[], None]:
    """Place every dock as ``plan`` says (docks the plan does not know join the log group);
    returns the function that applies the plan's panel sizes (again once the window has its
    real size: Qt only honours them then)."""
    placed = {k for group in plan.groups() for k in group}
    extra = [k for k in docks if k not in placed]
    planned = [[(_present(g, docks), share) for g, share in zip(column, shares, strict=True)]
               for column, shares in zip(plan.columns, plan.stack_shares, strict=True)]
    planned[-1][-1][0].extend(extra)
    kept = [([g for g, _s in col if g], [s for g, s in col if g], share)
            for col, share in zip(planned, plan.column_shares, strict=True)]
    kept = [entry for entry in kept if entry[0]]  # a column whose docks are all absent goes
    columns = [groups for groups, _shares, _share in kept]
    stack_shares = [shares for _groups, shares, _share in kept]
    column_shares = [share for _groups, _shares, share in kept]
    top = _present(plan.top, docks)
    for dock in docks.values():
        dock.setFloating(False)
    window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, docks[top[0]])
    anchors = [docks[column[0][0]] for column in columns]
    window.splitDockWidget(docks[top[0]], anchors[0], Qt.Orientation.Vertical)
    for left, right in pairwise(anchors):
        window.splitDockWidget(left, right, Qt.Orientation.Horizontal)
    for column in columns:
        for upper, lower in pairwise(column):
            window.splitDockWidget(docks[upper[0]], docks[lower[0]], Qt.Orientation.Vertical)
    for group in [top, *(g for column in columns for g in column)]:
        for key in group[1:]:
            window.tabifyDockWidget(docks[group[0]], docks[key])
        for key in group:
            docks[key].show()
        docks[group[0]].raise_()

    def apply_sizes() -> None:
        # what the docks get: the window less its menu, toolbars and status bar
        chrome = sum(w.sizeHint().height() for w in (window.menuBar(), window.statusBar(),
                                                     *window.findChildren(QToolBar)) if w.isVisibleTo(window))
        height, width = max(200, window.height() - chrome), window.width()
        top_height = int(height * plan.top_share)
        window.resizeDocks([docks[top[0]], anchors[0]], [top_height, height - top_height], Qt.Orientation.Vertical)
        total = sum(column_shares)
        window.resizeDocks(anchors, [int(width * s / total) for s in column_shares], Qt.Orientation.Horizontal)
        for column, shares in zip(columns, stack_shares, strict=True):
            if len(column) > 1:
                rest = height - top_height
                window.resizeDocks([docks[g[0]] for g in column], [int(rest * s / sum(shares)) for s in shares],
                                   Qt.Orientation.Vertical)

    apply_sizes()
    return apply_sizes


def let_docks_shrink(docks: Iterable[QDockWidget], floor: QSize = SHRINK_TO) -> None:
    """Lower each dock content's minimum to ``floor`` where its widgets ask for more (a chart's
    control row): dividers then move freely and the row squeezes instead of blocking them."""
    for dock in docks:
        content = dock.widget()
        if content is None:
            continue
        hint = content.minimumSizeHint()
        if hint.width() > floor.width() or hint.height() > floor.height():
            content.setMinimumSize(floor.boundedTo(hint))


# -- tab groups ---------------------------------------------------------------------------------
def in_front(dock: QDockWidget) -> bool:
    """Shown on screen: a tab behind another is moved out of sight, not hidden (the window
    must be shown)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def front_docks(window: QMainWindow, docks: Iterable[QDockWidget]) -> list[str]:
    """The object names of the docks in front of their tab groups."""
    return [d.objectName() for d in docks
            if not d.isFloating() and window.tabifiedDockWidgets(d) and in_front(d)]


# -- saved layouts --------------------------------------------------------------------------------
def _key(name: str) -> str:
    return "layouts/named/" + name.encode("utf-8").hex()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


#: the docks of layout version 2 (saved without their names): any other dock is new to such a layout
V2_DOCKS = tuple(f"{key}Dock" for key in ("positions", "legs", "orders", "executions", "accounts", "strategies",
                                          "agents", "events", "errors", "positionChart", "greeksChart",
                                          "riskGraph", "rollups", "notifications"))


def place_new_dock(window: QMainWindow, docks: Mapping[str, QDockWidget], plan: DefaultLayout, key: str,
                   known: set[str]) -> None:
    """Put ``key``'s dock, which a restored layout did not know, at its default place: tabbed
    behind the first dock of its default group that the layout shows (the group's front tab
    stays in front), else in a panel of its own at the bottom."""
    dock = docks[key]
    group = next((g for g in plan.groups() if key in g), LOG)
    dock.setFloating(False)
    for other in group:
        partner = docks.get(other)
        if (other != key and partner is not None and partner.objectName() in known and not partner.isFloating()
                and not partner.isHidden()):
            front = next((d for d in [partner, *window.tabifiedDockWidgets(partner)] if in_front(d)), partner)
            window.tabifyDockWidget(partner, dock)
            dock.show()
            front.raise_()
            return
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.show()


class LayoutManager:
    """Save and restore layouts (the dock geometry Qt keeps, plus front tabs and dock names);
    ``arrange_default()`` builds the default layout, ``plan()`` says what it is."""

    def __init__(self, window: QMainWindow, settings: QSettings, docks: Mapping[str, QDockWidget],
                 arrange_default: Callable[[], None], plan: Callable[[], DefaultLayout]) -> None:
        self.window = window
        self.settings = settings
        self.docks = docks
        self.arrange_default = arrange_default
        self.plan = plan
        self._undo: tuple[QByteArray, list[str], list[str]] | None = None
        #: a layout restored before the window was shown: its new docks and front tabs, for then
        self._pending: tuple[set[str], list[str]] | None = None
        #: the layout restored last, to apply again when docks are added after it (deferred charts)
        self._applied: tuple[QByteArray, int, list[str], list[str]] | None = None

    # -- reset and its undo ---------------------------------------------------------------------
    def reset(self) -> bool:
        """The default layout; the layout it replaced can be had back once (:meth:`undo_reset`)."""
        self._undo = self._capture()
        self._applied = None
        self.arrange_default()
        return True

    @property
    def can_undo_reset(self) -> bool:
        return self._undo is not None

    def undo_reset(self) -> bool:
        if self._undo is None:
            return False
        state, names, front = self._undo
        self._undo = None
        return self._apply(state, QT_STATE_STAMP, names, front)

    # -- named layouts ------------------------------------------------------------------------
    def names(self) -> list[str]:
        return _strings(self.settings.value("layouts/names", []))

    def save(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a layout needs a name")
        self._write(_key(name), name)
        names = self.names()
        if name not in names:
            self.settings.setValue("layouts/names", [*names, name])

    def restore(self, name: str) -> bool:
        return self._read(_key(name))

    def delete(self, name: str) -> None:
        self.settings.remove(_key(name))
        self.settings.setValue("layouts/names", [n for n in self.names() if n != name])

    # -- the last session ------------------------------------------------------------------------
    def save_last(self) -> None:
        self._write(LAST, "last")

    def restore_last(self) -> bool:
        return self._read(LAST)

    # -- storage ---------------------------------------------------------------------------------
    def _capture(self) -> tuple[QByteArray, list[str], list[str]]:
        docks = list(self.docks.values())
        return (self.window.saveState(QT_STATE_STAMP), [d.objectName() for d in docks],
                front_docks(self.window, docks))

    def _write(self, key: str, name: str) -> None:
        state, names, front = self._capture()
        self.settings.setValue(f"{key}/state", state)
        self.settings.setValue(f"{key}/geometry", self.window.saveGeometry())
        self.settings.setValue(f"{key}/size", self.window.size())
        self.settings.setValue(f"{key}/version", LAYOUT_VERSION)
        self.settings.setValue(f"{key}/docks", names)
        self.settings.setValue(f"{key}/front", front)
        self.settings.setValue(f"{key}/name", name)

    def _read(self, key: str) -> bool:
        state = self.settings.value(f"{key}/state")
        if not isinstance(state, QByteArray | bytes):
            return False
        try:
            version = int(str(self.settings.value(f"{key}/version")))
        except ValueError:
            return False
        if version > LAYOUT_VERSION:
            return False  # written by a newer mesodesk: its state may mean something else
        # before version 3 the Qt stamp was the layout version and dock names were not kept
        stamp = QT_STATE_STAMP if version >= 3 else version
        names = _strings(self.settings.value(f"{key}/docks", [])) if version >= 3 else list(V2_DOCKS)
        front = _strings(self.settings.value(f"{key}/front", []))
        if key == LAST:  # the window where it was (screen, maximised); a named layout leaves it there
            geometry = self.settings.value(f"{key}/geometry")
            if isinstance(geometry, QByteArray | bytes):
                self.window.restoreGeometry(QByteArray(geometry))
        # the size as saved (restoreGeometry takes a guessed title bar off a window as high as the screen)
        self._resize_window(self.settings.value(f"{key}/size"))
        return self._apply(QByteArray(state), stamp, names, front)

    def _resize_window(self, size: object) -> None:
        window = self.window
        if not isinstance(size, QSize) or size.isEmpty() or window.isMaximized() or window.isFullScreen():
            return
        screen = window.screen()
        if screen is not None:
            frame = window.frameGeometry().size() - window.size()
            size = size.boundedTo(screen.availableGeometry().size() - frame)
        if size != window.size():
            window.resize(size)

    def reapply(self) -> bool:
        """Restore the layout restored last once more (False if none was)."""
        return self._applied is not None and self._apply(*self._applied)

    def _apply(self, state: QByteArray, stamp: int, names: list[str], front: list[str]) -> bool:
        if not self.window.restoreState(state, stamp):
            return False
        self._applied = (state, stamp, names, front)
        self._pending = (set(names), front)
        if self.window.isVisible():
            self._finish_restore()
        return True

    def window_shown(self) -> None:
        """Call on the window's first show: a layout restored before it is finished then (which
        tab is in front can only be seen on screen)."""
        if self._pending is not None:
            QTimer.singleShot(0, self._finish_restore)

    def _finish_restore(self) -> None:
        """New docks to their default place, then each saved front tab to the front."""
        if self._pending is None:
            return
        known, front = self._pending
        self._pending = None
        for key, dock in self.docks.items():
            if dock.objectName() not in known:
                place_new_dock(self.window, self.docks, self.plan(), key, known)
        by_name = {d.objectName(): d for d in self.docks.values()}
        for name in front:
            if name in by_name:
                by_name[name].raise_()
