"""Wires trading into the main window: the Trade menu and toolbar actions, the row
actions of the Positions / Orders / Strategies blotters, ``sig_position_action``,
and the open trade windows.

``install_trading(window)`` is the only call the main window makes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from mesodesk.contract import (
    AdjustmentSignalEvent,
    DataProviderType,
    LegGroupOrder,
    OrderType,
    SignalState,
    TimeInForce,
)
from mesodesk.sdk import MesoLiveApiException
from mesodesk.ui.trading import shortcuts
from mesodesk.ui.trading.flow import TradeWindow, api_error_text
from mesodesk.ui.trading.model import OrderLine, PlanView
from mesodesk.ui.trading.ops import new_key, spawn, watch_outcome

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.trading.strategies import StrategyManager

log = logging.getLogger("mesodesk.ui.trading")


@dataclass
class SentOrder:
    """What a replace needs that ``Order`` does not carry (the leg names)."""

    account: str
    exec_plan_id: int
    group_id: int
    leg_names: list[str]
    order_type: OrderType
    tif: TimeInForce
    qty_multiplier: Decimal | None


class TradingController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("tradingController")
        self.window = window
        self.session = window.session
        self.windows: list[TradeWindow] = []
        self.sent: dict[int, SentOrder] = {}
        self.manager: StrategyManager | None = None
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
        return dict(getattr(self.window.settings, "trading", {}) or {})

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
    def provider(self) -> DataProviderType | None:
        for agent in self.session.state.agents.values():
            if getattr(agent, "provider", None) is not None:
                return agent.provider  # type: ignore[no-any-return]
        return DataProviderType.Simulated if self.session.embedded else None

    def active_adjustment_signals(self, position_id: int) -> set[str]:
        latest: dict[str, SignalState] = {}
        for row in sorted(self.session.state.events.values(), key=lambda r: r.seq):
            e = row.event
            if isinstance(e, AdjustmentSignalEvent) and e.position_id == position_id:
                latest[e.condition.statement] = e.state
        return {k for k, v in latest.items() if v == SignalState.On}

    def remember_order(self, order_id: int, plan: PlanView | None, line: OrderLine) -> None:
        if plan is not None:
            self.sent[order_id] = SentOrder(plan.account, plan.exec_plan_id, line.group_id, list(line.leg_names),
                                            line.order_type, line.tif, plan.send_multiplier)

    def close_all(self) -> None:
        for w in list(self.windows):
            w.close()
        if self.manager is not None:
            self.manager.close()

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
        w.show()
        w.raise_()
        w.activateWindow()
        return w

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # -- flows ------------------------------------------------------------------------------------
    def new_position(self, strategy_id: int | None = None) -> TradeWindow:
        w = TradeWindow(self, "entry", strategy_id=strategy_id if strategy_id is not None else self._selected_strategy(),
                        parent=self.window)
        w.setup.strategy.setFocus()  # type: ignore[union-attr]
        return self._open(w)

    def exit_position(self, position_id: int | None = None) -> TradeWindow | None:
        position_id = position_id if position_id is not None else self._selected_position()
        if position_id is None:
            self._status("Select a position to exit")
            return None
        return self._open(TradeWindow(self, "exit", position_id=position_id, parent=self.window))

    def adjust_position(self, position_id: int | None = None, condition: str | None = None) -> TradeWindow | None:
        position_id = position_id if position_id is not None else self._selected_position()
        if position_id is None:
            self._status("Select a position to adjust")
            return None
        return self._open(TradeWindow(self, "adjustment", position_id=position_id, condition=condition,
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
        from mesodesk.ui.trading.strategies import StrategyManager

        if self.manager is None:
            self.manager = StrategyManager(self)
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
        spawn(self._cancel(order_id))

    async def _cancel(self, order_id: int) -> None:
        key = new_key("cancel_order_")
        try:
            result = await watch_outcome(self.session, self.session.control.cancel_order(
                idempotency_key=key, order_id=order_id),
                lambda on: self._status(f"Cancel #{order_id}: outcome unknown — recovering…" if on else
                                        f"Cancel #{order_id}: outcome recovered"))
            self._status(f"Order #{order_id} {result.state.value.lower()}")
        except MesoLiveApiException as exc:
            self._status(f"Cancel #{order_id} refused: {exc.message or exc}")

    def replace_order(self, order_id: int | None = None) -> QInputDialog | None:
        order_id = order_id if order_id is not None else self._selected_order()
        if order_id is None:
            self._status("Select a working order to modify")
            return None
        for w in self.windows:  # the ticket that sent it knows best: focus its price
            for lw in w.ticket.line_widgets:
                if lw.line.order_id == order_id and lw.line.working:
                    w.show()
                    w.raise_()
                    w.activateWindow()
                    w.stack.setCurrentWidget(w.ticket)
                    lw.limit.setFocus()
                    lw.limit.selectAll()
                    return None
        sent = self.sent.get(order_id)
        row = self.session.state.orders.get(order_id)
        if sent is None or row is None or row.order is None:
            self._status(f"Order #{order_id} was not sent from this console: modify it where it was sent")
            return None
        dialog = QInputDialog(self.window)
        dialog.setObjectName("replacePriceDialog")
        dialog.setWindowTitle(f"Modify order #{order_id}")
        dialog.setLabelText("New limit price (per combo, + debit / − credit):")
        dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
        dialog.setDoubleDecimals(2)
        dialog.setDoubleRange(-100_000, 100_000)
        dialog.setDoubleValue(float(row.order.limit_price or 0))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.doubleValueSelected.connect(lambda v: spawn(self._replace(order_id, sent, v)))
        dialog.open()
        return dialog

    async def _replace(self, order_id: int, sent: SentOrder, price: float) -> None:
        key = new_key("send_order_")
        order = LegGroupOrder(order_type=sent.order_type if sent.order_type != OrderType.Market else OrderType.Limit,
                              time_in_force=sent.tif, limit_price=Decimal(f"{price:.2f}"), leg_names=sent.leg_names,
                              stop_price=self.session.state.orders[order_id].order.stop_price  # type: ignore[union-attr]
                              if sent.order_type in (OrderType.Stop, OrderType.StopLimit) else None)
        try:
            result = await watch_outcome(self.session, self.session.control.send_order(
                idempotency_key=key, broker_account_id=sent.account, exec_plan_id=sent.exec_plan_id,
                leg_group_id=sent.group_id, qty_multiplier=sent.qty_multiplier, replaces_order=order_id,
                leg_group_order=order),
                lambda on: self._status(f"Modify #{order_id}: outcome unknown — recovering…" if on else
                                        f"Modify #{order_id}: outcome recovered"))
        except MesoLiveApiException as exc:
            self._status(f"Modify #{order_id} refused: {api_error_text(exc)}")
            return
        for new_id in result.order_ids:
            self.sent[new_id] = sent
        self._status(f"Order #{order_id} replaced by #{', #'.join(map(str, result.order_ids))} at {price:.2f}")


def install_trading(window: MainWindow) -> TradingController:
    """Add trading to the main window (menu, toolbar, blotter row actions, position actions)."""
    controller = TradingController(window)
    window.trading = controller  # type: ignore[attr-defined]
    notifications = getattr(window, "notifications", None)
    if notifications is not None:
        # An entry-signal toast's "Prepare entry" (exit/adjust buttons arrive as sig_position_action).
        notifications.sig_prepare_requested.connect(controller.on_prepare_requested)
    return controller
