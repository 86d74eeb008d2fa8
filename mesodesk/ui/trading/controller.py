"""Wires trading into the main window: the Trade menu and toolbar actions, the row actions
of the Positions / Orders / Strategies blotters, position actions, and the open trade
windows. Every write goes through the :class:`~mesodesk.core.trading.desk.TradingDesk`.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from mesodesk.core.errors import MesoLiveApiException, OutcomeUnknownError, api_error_text
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.trading.orders import OrderCommandError
from mesodesk.core.trading.outcome import spawn
from mesodesk.core.trading.plan import FlowKind
from mesodesk.core.trading.pricing import signed_words
from mesodesk.ui.dialog_placement import place_dialog
from mesodesk.ui.trading import shortcuts
from mesodesk.ui.trading.flow import TradeWindow
from mesodesk.ui.trading.modify import ModifyOrderDialog

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.trading.strategy_manager import StrategyManager

log = logging.getLogger("mesodesk.ui.trading")


class TradingController(QObject):
    def __init__(self, window: MainWindow, desk: TradingDesk) -> None:
        super().__init__(window)
        self.setObjectName("tradingController")
        self.window = window
        self.session = window.session
        self.desk = desk
        self.windows: list[TradeWindow] = []
        self.manager: StrategyManager | None = None
        self.modify_dialog: ModifyOrderDialog | None = None
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_menu()
        self._hook_blotters()
        window.sig_position_action.connect(self.on_position_action)
        window.sig_closed.connect(self.close_all)
        # apply_settings() always ends by re-applying the theme: re-read the key map then
        window.sig_theme_changed.connect(lambda _theme: self.apply_shortcuts())

    # -- settings -----------------------------------------------------------------------------
    def trading_settings(self) -> dict[str, Any]:
        return dict(self.window.settings.trading or {})

    def apply_shortcuts(self) -> None:
        for action_id, action in self.actions.items():
            shortcuts.apply_to(action, self.trading_settings(), action_id)

    # -- actions --------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        slots = {
            "trade.new_position": lambda: self.new_position(),
            "trade.exit_position": lambda: self.exit_position(),
            "trade.adjust_position": lambda: self.adjust_position(),
            "trade.strategies": lambda: self.open_strategies(),
            "trade.new_strategy": lambda: self.open_strategies().new_strategy(),
            "trade.cancel_order": lambda: self.cancel_order(),
            "trade.replace_order": lambda: self.replace_order(),
        }
        for action_id, slot in slots.items():
            action = QAction(shortcuts.SHORTCUTS[action_id][0], self.window)
            action.setObjectName("action_" + action_id.replace(".", "_"))
            shortcuts.apply_to(action, self.trading_settings(), action_id)
            action.triggered.connect(slot)
            self.window.addAction(action)
            self.actions[action_id] = action

    def _build_menu(self) -> None:
        bar = self.window.menuBar()
        menu = QMenu("&Trade", bar)
        menu.setObjectName("menuTrade")
        a = self.actions
        menu.addActions([a["trade.new_position"], a["trade.exit_position"], a["trade.adjust_position"]])
        menu.addSeparator()
        menu.addActions([a["trade.cancel_order"], a["trade.replace_order"]])
        menu.addSeparator()
        menu.addActions([a["trade.strategies"], a["trade.new_strategy"]])
        help_action = next((act for act in bar.actions() if act.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, menu)
        else:
            bar.addMenu(menu)
        self.menu = menu
        toolbar = self.window.toolbar
        toolbar.addSeparator()
        for key, text in (("trade.new_position", "New position"), ("trade.exit_position", "Exit"),
                          ("trade.adjust_position", "Adjust"), ("trade.strategies", "Strategies")):
            toolbar.addAction(a[key])
            button = toolbar.widgetForAction(a[key])
            if button is not None:
                button.setObjectName(f"toolbar_{key.split('.')[1]}")
            a[key].setIconText(text)

    def _hook_blotters(self) -> None:
        views = self.window.views
        views["positions"].add_row_action("exit", "Exit position…")
        views["positions"].add_row_action("adjust", "Adjust…")
        orders = views["orders"]
        orders.add_row_action("cancel", "Cancel order")
        orders.add_row_action("replace", "Modify price…")
        orders.sig_row_action.connect(self._on_order_action)
        strategies = views["strategies"]
        for action_id, text in (("new_position", "New position…"), ("edit", "Edit definition…"),
                                ("clone", "Clone"), ("rename", "Rename…"), ("activate", "Activate on accounts…"),
                                ("delete", "Delete…")):
            strategies.add_row_action(action_id, text)
        strategies.sig_row_action.connect(self._on_strategy_action)
        strategies.sig_row_activated.connect(lambda key: self.new_position(int(key)))

    # -- helpers for the windows -----------------------------------------------------------------
    def active_adjustment_signals(self, position_id: int) -> set[str]:
        return self.desk.active_adjustment_signals(position_id)

    def close_all(self) -> None:
        for w in list(self.windows):
            w.close()
        if self.manager is not None:
            self.manager.close()
        if self.modify_dialog is not None:
            self.modify_dialog.close()

    def window_closed(self, w: TradeWindow) -> None:
        if w in self.windows:
            self.windows.remove(w)

    def _selected_position(self) -> int | None:
        key = self.window.views["positions"].current_key()
        return int(key) if isinstance(key, int) else None

    def _selected_strategy(self) -> int | None:
        key = self.window.views["strategies"].current_key()
        if isinstance(key, int):
            return key
        position = self._selected_position()
        row = self.session.state.positions.get(position) if position is not None else None
        return row.summary.live_strategy_id if row is not None else None

    def _open(self, w: TradeWindow) -> TradeWindow:
        self.windows.append(w)
        place_dialog(w, self.window)
        w.show()
        w.raise_()
        w.activateWindow()
        return w

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # -- flows ------------------------------------------------------------------------------------
    def new_position(self, strategy_id: int | None = None) -> TradeWindow:
        w = TradeWindow(self, FlowKind.ENTRY,
                        strategy_id=strategy_id if strategy_id is not None else self._selected_strategy(),
                        parent=self.window)
        if w.setup is not None:
            w.setup.setFocus()
        return self._open(w)

    def exit_position(self, position_id: int | None = None) -> TradeWindow | None:
        position_id = position_id if position_id is not None else self._selected_position()
        if position_id is None:
            self._status("Select a position to exit")
            return None
        row = self.session.state.positions.get(position_id)
        if row is not None and not row.is_open:
            self._status(f"Position #{position_id} is closed")
            return None
        return self._open(TradeWindow(self, FlowKind.EXIT, position_id=position_id, parent=self.window))

    def adjust_position(self, position_id: int | None = None, condition: str | None = None) -> TradeWindow | None:
        position_id = position_id if position_id is not None else self._selected_position()
        if position_id is None:
            self._status("Select a position to adjust")
            return None
        row = self.session.state.positions.get(position_id)
        if row is not None and not row.is_open:
            self._status(f"Position #{position_id} is closed")
            return None
        return self._open(TradeWindow(self, FlowKind.ADJUSTMENT, position_id=position_id, condition=condition,
                                      parent=self.window))

    def on_prepare_requested(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "entry":
            strategy_id = payload.get("strategy_id")
            self.new_position(strategy_id if isinstance(strategy_id, int) else None)

    def on_position_action(self, action: str, position_id: int) -> None:
        if action == "exit":
            self.exit_position(position_id)
        elif action == "adjust":
            self.adjust_position(position_id)

    def open_strategies(self, strategy_id: int | None = None) -> StrategyManager:
        from mesodesk.ui.trading.strategy_manager import StrategyManager

        if self.manager is None:
            self.manager = StrategyManager(self)
        place_dialog(self.manager, self.window)
        self.manager.show()
        self.manager.raise_()
        self.manager.activateWindow()
        if strategy_id is not None:
            self.manager.select(strategy_id)
        return self.manager

    def _on_strategy_action(self, action: str, key: Any) -> None:
        strategy_id = int(key)
        if action == "new_position":
            self.new_position(strategy_id)
            return
        manager = self.open_strategies(strategy_id)
        {"edit": manager.edit_definition, "clone": manager.clone, "rename": manager.rename,
         "delete": manager.delete, "activate": manager.focus_accounts}[action]()

    # -- orders --------------------------------------------------------------------------------------
    def _on_order_action(self, action: str, key: Any) -> None:
        if action == "cancel":
            self.cancel_order(int(key))
        elif action == "replace":
            self.replace_order(int(key))

    def _selected_order(self) -> int | None:
        key = self.window.views["orders"].current_key()
        return int(key) if isinstance(key, int) else None

    def cancel_order(self, order_id: int | None = None) -> None:
        order_id = order_id if order_id is not None else self._selected_order()
        if order_id is None:
            self._status("Select a working order to cancel")
            return
        live = self.desk.orders.live_order(order_id)
        spawn(self._cancel(live), f"cancelling order #{live}")

    async def _cancel(self, order_id: int) -> None:
        def unknown(on: bool) -> None:
            self._status(f"Cancel #{order_id}: outcome unknown — recovering…" if on else
                         f"Cancel #{order_id}: outcome recovered")
        try:
            state = await self.desk.orders.cancel(order_id, on_unknown=unknown)
            self._status(f"Order #{order_id} {state.value.lower()}")
        except (MesoLiveApiException, OutcomeUnknownError) as exc:
            self._status(f"Cancel #{order_id} refused: {api_error_text(exc, html=False)}")

    def replace_order(self, order_id: int | None = None) -> ModifyOrderDialog | None:
        """Modify the selected order's price. A replaced order is followed to the order that carries
        it now; a ticket that sent it gets the focus on its price instead of a dialog."""
        order_id = order_id if order_id is not None else self._selected_order()
        if order_id is None:
            self._status("Select a working order to modify")
            return None
        live = self.desk.orders.live_order(order_id)
        for w in self.windows:
            for lw in w.ticket.line_widgets:
                if lw.line.order_id == live and lw.view.working:
                    w.show()
                    w.raise_()
                    w.activateWindow()
                    w.stack.setCurrentWidget(w.ticket)
                    lw.limit.setFocus()
                    lw.limit.selectAll()
                    return None
        if self.modify_dialog is not None:
            self.modify_dialog.close()
        dialog = ModifyOrderDialog(self.desk, live, self.window)
        dialog.sig_submit.connect(lambda oid, price: spawn(self._replace(oid, price), f"modifying order #{oid}"))
        dialog.finished.connect(lambda _result: setattr(self, "modify_dialog", None))
        self.modify_dialog = dialog
        place_dialog(dialog, self.window)
        dialog.open()
        return dialog

    async def _replace(self, order_id: int, price: Decimal) -> None:
        def unknown(on: bool) -> None:
            self._status(f"Modify #{order_id}: outcome unknown — recovering…" if on else
                         f"Modify #{order_id}: outcome recovered")
        dialog = self.modify_dialog
        try:
            new_id = await self.desk.orders.replace(order_id, price, on_unknown=unknown)
        except (OrderCommandError, MesoLiveApiException, OutcomeUnknownError) as exc:
            text = api_error_text(exc, html=False)
            self._status(f"Modify #{order_id} refused: {text}")
            if dialog is not None:
                dialog.show_error(text)
            return
        row = self.desk.orders.row(new_id)
        if new_id is None or (row is not None and row.state is not None and row.state.value == "Rejected"):
            reason = row.rejection if row is not None and row.rejection else "no reason given"
            text = f"The replacement of order #{order_id} was rejected: {reason}. The original keeps working."
            self._status(text)
            if dialog is not None:
                dialog.show_error(text)
            return
        self._status(f"Order #{order_id} replaced by #{new_id} at {signed_words(price)}")
        if dialog is not None:
            dialog.accept()
        self.window.views["orders"].select_key(new_id)
