"""The notification center dock: every notification, newest first, read/unread.

Each entry says when it happened with its date and zone (``Wed 02 Dec 14:48:03 CET``): the
history is kept across restarts (:mod:`mesodesk.core.notify_history`), so older days show too.

Filter by group or by callback type (or the active level states), search the
text, show unread only; "Mark all read" and "Clear". Clicking an entry marks it
read; double-click or Enter takes the trader to the object (``sig_activate``).

The list never moves under the pointer: while the pointer is over it (or a button
is held on it) new entries wait above the visible ones and come in when it leaves;
an entry that folds a flapping signal updates in place.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.notices import EVENT_TYPES, GROUPS, TYPE_LABELS, Notice, when_text
from mesodesk.ui.notify.center import NotificationCenter
from mesodesk.ui.notify.style import GLYPHS, NotifyPalette, palette

NOTICE_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 62
ACTIVE_FILTER = "__active__"
AWAY_FILTER = "__away__"


class NotificationListModel(QAbstractListModel):
    """``center.notices`` newest first.

    While :attr:`holding` (the pointer is over the list) new entries are not inserted:
    they wait (:attr:`held`) and come in as rows on :meth:`set_holding` ``(False)``.
    """

    sig_held_changed = Signal(int)
    """The number of entries waiting while the list is held."""

    def __init__(self, center: NotificationCenter, parent: Any = None) -> None:
        super().__init__(parent)
        self.center = center
        center.sig_added.connect(self._on_added)
        center.sig_updated.connect(self._on_updated)
        center.sig_changed.connect(self._on_changed)
        self._count = len(center.notices)
        self.holding = False
        #: entries added to the center but not yet rows (the newest ``held`` of ``center.notices``)
        self.held = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def notice(self, row: int) -> Notice | None:
        notices = self.center.notices
        index = len(notices) - 1 - self.held - row
        if 0 <= row < self._count and index >= 0:
            return notices[index]
        return None

    def set_holding(self, on: bool) -> None:
        """Hold new entries back (the pointer is over the list), or insert the held ones."""
        self.holding = on
        if not on and self.held:
            self._insert_held()
            self.sig_held_changed.emit(0)

    def _on_added(self, _notice: Notice) -> None:
        self.held += 1
        if self.holding:
            self.sig_held_changed.emit(self.held)
        else:
            self._insert_held()

    def _insert_held(self) -> None:
        new = self.held
        if self._count + new != len(self.center.notices):  # trimmed at the limit
            self._on_changed()
        elif new:  # newest first: the new rows are the first rows
            self.beginInsertRows(QModelIndex(), 0, new - 1)
            self._count, self.held = self._count + new, 0
            self.endInsertRows()

    def _on_updated(self, notice: Notice) -> None:
        notices = self.center.notices
        for index in range(len(notices) - 1, -1, -1):
            if notices[index] is notice:
                row = len(notices) - 1 - self.held - index
                if 0 <= row < self._count:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
                return

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        notice = self.notice(index.row()) if index.isValid() else None
        if notice is None:
            return None
        if role == NOTICE_ROLE:
            return notice
        if role == Qt.ItemDataRole.DisplayRole:
            return notice.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{when_text(notice.time)}\n{notice.title}\n{notice.body}"
        return None

    def _on_changed(self) -> None:
        self.beginResetModel()
        self._count = len(self.center.notices)
        self.held = 0
        self.endResetModel()


class NotificationFilter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.types: set[str] | None = None
        self.mode: str | None = None  # ACTIVE_FILTER / AWAY_FILTER
        self.text = ""
        self.unread_only = False
        self.active_keys: set[str] = set()

    def set_filter(self, *, types: set[str] | bool | None = False, mode: str | bool | None = False,
                   text: str | None = None, unread_only: bool | None = None) -> None:
        self.beginFilterChange()
        if types is not False:
            self.types = types  # type: ignore[assignment]
        if mode is not False:
            self.mode = mode  # type: ignore[assignment]
        if text is not None:
            self.text = text.strip().lower()
        if unread_only is not None:
            self.unread_only = unread_only
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, NotificationListModel)
        n = model.notice(source_row)
        if n is None:
            return False
        if self.types is not None and n.callback not in self.types:
            return False
        if self.mode == ACTIVE_FILTER and n.key not in self.active_keys:
            return False
        if self.mode == AWAY_FILTER and not n.away:
            return False
        if self.unread_only and n.read:
            return False
        return not self.text or all(word in n.search_text() for word in self.text.split())


class NoticeDelegate(QStyledItemDelegate):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.pal: NotifyPalette = palette("dark")

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(option.rect.width() or 300, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        n: Notice | None = index.data(NOTICE_ROLE)
        if n is None:
            return
        pal = self.pal
        r = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(r, option.palette.highlight().color().darker(110) if pal is palette("dark")
                             else option.palette.highlight().color().lighter(160))
        elif hover:
            painter.fillRect(r, QColor(pal.raised))
        accent = QColor(pal.accents[n.severity])
        painter.fillRect(QRect(r.left(), r.top() + 6, 3, r.height() - 12), accent)
        # glyph
        glyph = QRect(r.left() + 12, r.top() + 10, 20, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawEllipse(glyph)
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        painter.setPen(QColor(pal.background))
        painter.setFont(bold)
        painter.drawText(glyph, Qt.AlignmentFlag.AlignCenter, GLYPHS[n.severity])
        left = glyph.right() + 10
        right = r.right() - 10
        # time, unread dot
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.setPen(QColor(pal.muted))
        when = when_text(n.time)
        tw = QFontMetrics(small).horizontalAdvance(when)
        painter.drawText(QRect(right - tw, r.top() + 8, tw, 18), Qt.AlignmentFlag.AlignVCenter, when)
        title_right = right - tw - 8
        if not n.read:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(pal.unread))
            painter.drawEllipse(QRect(title_right - 8, r.top() + 13, 8, 8))
            title_right -= 14
        # title
        painter.setFont(bold if not n.read else base)
        painter.setPen(QColor(pal.text) if not n.read else QColor(pal.text).darker(115))
        fm = QFontMetrics(painter.font())
        painter.drawText(QRect(left, r.top() + 8, title_right - left, 18), Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(n.title, Qt.TextElideMode.ElideRight, title_right - left))
        # body
        painter.setFont(base)
        painter.setPen(QColor(pal.muted))
        fm = QFontMetrics(base)
        painter.drawText(QRect(left, r.top() + 26, right - left, 16), Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(n.body, Qt.TextElideMode.ElideRight, right - left))
        # tags
        x = left
        painter.setFont(small)
        sfm = QFontMetrics(small)
        tags = [(n.type_label, QColor(pal.muted))]
        if n.away:
            tags.append(("while you were away", QColor(pal.accents[n.severity]).darker(100)))
        for text, color in tags:
            w = sfm.horizontalAdvance(text) + 12
            box = QRect(x, r.top() + 44, w, 14)
            painter.setPen(QPen(color, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 7, 7)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            x += w + 6
        # separator
        painter.setPen(QColor(pal.border))
        painter.drawLine(r.left() + 8, r.bottom(), r.right() - 8, r.bottom())
        painter.restore()


class NotificationDock(QWidget):
    """The dock's content: filters on top, the list below."""

    sig_activate = Signal(object)
    """Emitted with a :class:`Notice` on double-click/Enter: take the trader to its object."""

    def __init__(self, center: NotificationCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationCenter")
        self.center = center
        self.model = NotificationListModel(center, self)
        self.proxy = NotificationFilter(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setObjectName("notifySearch")
        self.search.setPlaceholderText("Search notifications")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.type_filter = QComboBox()
        self.type_filter.setObjectName("notifyTypeFilter")
        self.type_filter.addItem("All types", None)
        self.type_filter.addItem("Active signals & errors", ACTIVE_FILTER)
        self.type_filter.addItem("While you were away", AWAY_FILTER)
        self.type_filter.insertSeparator(self.type_filter.count())
        for group, types in GROUPS.items():
            self.type_filter.addItem(group, ",".join(types))
        self.type_filter.insertSeparator(self.type_filter.count())
        for callback in EVENT_TYPES:
            self.type_filter.addItem(f"  {TYPE_LABELS[callback]}", callback)
        self.type_filter.currentIndexChanged.connect(self._on_type_filter)
        self.unread_only = QToolButton()
        self.unread_only.setObjectName("notifyUnreadOnly")
        self.unread_only.setText("Unread")
        self.unread_only.setCheckable(True)
        self.unread_only.toggled.connect(lambda on: self.proxy.set_filter(unread_only=on))
        self.mark_read = QToolButton()
        self.mark_read.setObjectName("notifyMarkAllRead")
        self.mark_read.setText("Mark all read")
        self.mark_read.clicked.connect(center.mark_all_read)
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("notifyClear")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove every notification from the history")
        self.clear_button.clicked.connect(center.clear)
        self.summary = QLabel()
        self.summary.setObjectName("notifySummary")

        self.list = QListView()
        self.list.setObjectName("notifyList")
        self.list.setModel(self.proxy)
        self.delegate = NoticeDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.list.clicked.connect(self._on_clicked)
        self.list.activated.connect(self._on_activated)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        # never move under the pointer: new entries wait while it is over the list
        self._pointer_over = self._pressed = False
        self.list.viewport().installEventFilter(self)
        self.model.sig_held_changed.connect(lambda _n: self._update_summary())

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.search, 1)
        top.addWidget(self.type_filter)
        bottom = QHBoxLayout()
        bottom.setSpacing(6)
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.unread_only)
        bottom.addWidget(self.mark_read)
        bottom.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(bottom)
        layout.addWidget(self.list, 1)

        center.sig_unread_changed.connect(self._update_summary)
        center.sig_levels_changed.connect(self._on_levels)
        center.sig_updated.connect(lambda _n: self._on_levels(len(center.levels)))
        center.sig_added.connect(lambda _n: self._update_summary())
        self._update_summary()

    def set_theme(self, theme: str) -> None:
        self.delegate.pal = palette(theme)
        self.list.viewport().update()

    def _on_type_filter(self, _index: int) -> None:
        data = self.type_filter.currentData()
        if data in (ACTIVE_FILTER, AWAY_FILTER):
            self._refresh_active()
            self.proxy.set_filter(types=None, mode=data)
        else:
            self.proxy.set_filter(types=set(data.split(",")) if data else None, mode=None)

    def select_type(self, value: str | None) -> None:
        """Filter by callback name, group key (comma list), ACTIVE_FILTER/AWAY_FILTER or None (all)."""
        i = self.type_filter.findData(value)
        self.type_filter.setCurrentIndex(max(0, i))

    def _refresh_active(self) -> None:
        # the entry that shows each active level (a flapping signal's On may be folded into an entry)
        self.proxy.active_keys = {(self.center.get(n.key) or n).key for n in self.center.levels.values()}

    def _on_levels(self, _count: int) -> None:
        self._refresh_active()
        if self.proxy.mode == ACTIVE_FILTER:
            self.proxy.set_filter(mode=ACTIVE_FILTER)
        self._update_summary()

    def _update_summary(self, *_: Any) -> None:
        c = self.center
        parts = [f"{len(c.notices):,} notifications", f"{c.unread:,} unread"]
        signals, errors = c.active_signal_count(), c.active_error_count()
        if signals or errors:
            parts.append(f"{signals} active signal{'s' * (signals != 1)}, {errors} active error{'s' * (errors != 1)}")
        if self.model.held:
            parts.append(f"{self.model.held} new (shown when the pointer leaves the list)")
        self.summary.setText(" · ".join(parts))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The list viewport's pointer: hold new entries while it is over the list or a button is down."""
        kind = event.type()
        if kind in (QEvent.Type.Enter, QEvent.Type.Leave, QEvent.Type.Hide):
            self._pointer_over = kind == QEvent.Type.Enter
            self._pressed = self._pressed and kind != QEvent.Type.Hide
        elif kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            self._pressed = kind == QEvent.Type.MouseButtonPress
            self._pointer_over = self._pointer_over or self._pressed
        else:
            return False
        self.model.set_holding(self._pointer_over or self._pressed)
        return False

    def notice_at(self, row: int) -> Notice | None:
        index = self.proxy.index(row, 0)
        return index.data(NOTICE_ROLE) if index.isValid() else None

    def visible_notices(self) -> list[Notice]:
        return [n for n in (self.notice_at(r) for r in range(self.proxy.rowCount())) if n is not None]

    def _on_clicked(self, index: QModelIndex) -> None:
        notice: Notice | None = index.data(NOTICE_ROLE)
        if notice is not None:
            self.center.mark_read([notice.key])

    def _on_activated(self, index: QModelIndex) -> None:
        notice: Notice | None = index.data(NOTICE_ROLE)
        if notice is not None:
            self.activate(notice)

    def activate(self, notice: Notice) -> None:
        self.center.mark_read([notice.key])
        self.sig_activate.emit(notice)

    def _menu(self, pos: Any) -> None:
        index = self.list.indexAt(pos)
        notice: Notice | None = index.data(NOTICE_ROLE) if index.isValid() else None
        menu = QMenu(self)
        if notice is not None:  # bound to the entry, not its row: rows may come in while the menu is open
            menu.addAction("Open").triggered.connect(lambda: self.activate(notice))
            menu.addAction("Copy text").triggered.connect(
                lambda: QApplication.clipboard().setText(f"{notice.title}\n{notice.body}"))
            menu.addSeparator()
        menu.addAction("Mark all read").triggered.connect(self.center.mark_all_read)
        menu.addAction("Clear").triggered.connect(self.center.clear)
        menu.popup(self.list.viewport().mapToGlobal(pos))
