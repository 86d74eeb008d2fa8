"""The first step of a trade window: what to prepare.

* entry: strategy, account, underlying, leg selection, position name;
* adjustment: condition (with its live signal), operation, leg selection.

The pages only read the store and describe the request; the window prepares it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import (
    LiveLegSelectionConstraint,
    LiveUnderlying,
    PositionAdjustmentOperation,
    SignalState,
)
from mesodesk.core.trading.adjustments import conditional_adjustments, describe_actions, operations_of
from mesodesk.core.trading.position_names import default_position_name
from mesodesk.ui.trading.widgets import label

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController

CONSTRAINTS = list(LiveLegSelectionConstraint)


class EntrySetupPage(QWidget):
    sig_prepare = Signal()

    def __init__(self, ctx: TradingController, strategy_id: int | None) -> None:
        super().__init__()
        self.setObjectName("entrySetupPage")
        self.ctx = ctx
        state = ctx.session.state
        self.strategy = QComboBox()
        self.strategy.setObjectName("strategyCombo")
        for row in sorted(state.strategies.values(), key=lambda r: r.id):
            self.strategy.addItem(f"{row.strategy.name}  (#{row.id})", row.id)
        if strategy_id is not None and self.strategy.findData(strategy_id) >= 0:
            self.strategy.setCurrentIndex(self.strategy.findData(strategy_id))
        self.account = QComboBox()
        self.account.setObjectName("accountCombo")
        self.underlying = QLineEdit()
        self.underlying.setObjectName("underlyingEdit")
        self.constraint = QComboBox()
        self.constraint.setObjectName("constraintCombo")
        for c in CONSTRAINTS:
            self.constraint.addItem(c.value, c)
        self.name = QLineEdit()
        self.name.setObjectName("positionNameEdit")
        self.name.textChanged.connect(lambda _text: self.mark_name_invalid(None))
        self.hint = label("", "hint", "setupHint")
        self.hint.setWordWrap(True)
        self.prepare_button = QPushButton("Prepare ▸")
        self.prepare_button.setObjectName("prepareButton")
        self.prepare_button.setProperty("role", "primary")
        self.prepare_button.clicked.connect(self.sig_prepare)
        form = QFormLayout()
        form.addRow("Strategy", self.strategy)
        form.addRow("Account", self.account)
        form.addRow("Underlying", self.underlying)
        form.addRow("Leg selection", self.constraint)
        form.addRow("Position name", self.name)
        layout = QVBoxLayout(self)
        layout.addWidget(label("New position", "title"))
        layout.addWidget(label("Build a position from a strategy against the live option chains.", "subtitle"))
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.prepare_button)
        layout.addLayout(buttons)
        self.strategy.currentIndexChanged.connect(self._strategy_changed)
        self._strategy_changed()

    def _definition(self) -> dict[str, Any]:
        row = self.ctx.session.state.strategies.get(self.strategy.currentData())
        return dict(row.strategy.strategy_definition) if row is not None else {}

    def _strategy_changed(self, *_: object) -> None:
        state = self.ctx.session.state
        row = state.strategies.get(self.strategy.currentData())
        definition = self._definition()
        active = list(row.strategy.active_on_accounts) if row is not None else []
        current = self.account.currentData()
        self.account.clear()
        accounts = sorted(state.accounts.values(), key=lambda a: (a.broker_account_id not in active,
                                                                  a.broker_account_id))
        for a in accounts:
            tags = ["paper" if a.is_paper_account else a.broker_type.value]
            if a.broker_account_id not in active:
                tags.append("strategy not active")
            self.account.addItem(f"{a.broker_account_id}  ({', '.join(tags)})", a.broker_account_id)
        if current is not None and self.account.findData(current) >= 0:
            self.account.setCurrentIndex(self.account.findData(current))
        self.underlying.setText(str(definition.get("Symbol") or "SPX"))
        core = ((definition.get("Settings") or {}).get("Core") or {})
        constraint = core.get("LegSelectionConstraint") or "FullyUnique"
        index = self.constraint.findText(str(constraint))
        self.constraint.setCurrentIndex(max(index, 0))
        name = row.strategy.name if row is not None else "Position"
        self.name.setText(default_position_name(name, state.server_clock.now()))  # the market's clock
        self.hint.setText(str(definition.get("Description") or ""))

    def mark_name_invalid(self, message: str | None) -> None:
        """Show (or clear) a problem at the position-name field itself."""
        self.name.setStyleSheet("border: 1px solid #ff5c5c" if message else "")
        self.name.setToolTip(message or "")
        if message:
            self.name.setFocus()

    def args(self) -> dict[str, Any]:
        return {"position_name": self.name.text().strip(), "strategy_id": self.strategy.currentData(),
                "broker_account_id": self.account.currentData(),
                "leg_selection_constraint": LiveLegSelectionConstraint(self.constraint.currentData()),
                "underlying": LiveUnderlying(symbol=self.underlying.text().strip().upper() or "SPX")}


class AdjustSetupPage(QWidget):
    sig_prepare = Signal()

    def __init__(self, ctx: TradingController, position_id: int, condition: str | None) -> None:
        super().__init__()
        self.setObjectName("adjustSetupPage")
        self.ctx = ctx
        self.position_id = position_id
        state = ctx.session.state
        row = state.positions.get(position_id)
        definition: dict[str, Any] = {}
        title = f"Position #{position_id}"
        if row is not None:
            title = f"{row.summary.name} (#{position_id}) · {row.summary.strategy_name}"
            strategy = state.strategies.get(row.summary.live_strategy_id)
            if strategy is not None:
                definition = dict(strategy.strategy.strategy_definition)
        self.conditional = conditional_adjustments(definition)
        signals = ctx.desk.adjustment_signals(position_id)
        self.condition = QComboBox()
        self.condition.setObjectName("conditionCombo")
        self.condition.setEditable(True)
        for statement in self.conditional:
            on = statement in signals and signals[statement].state == SignalState.On
            self.condition.addItem(statement + ("   ● signal on" if on else ""), statement)
        if condition is not None:
            i = self.condition.findData(condition)
            if i < 0:
                self.condition.addItem(condition, condition)
                i = self.condition.count() - 1
            self.condition.setCurrentIndex(i)
        else:
            active = [s for s, e in signals.items() if e.state == SignalState.On and s in self.conditional]
            if active:
                self.condition.setCurrentIndex(max(self.condition.findData(active[0]), 0))
        self.operation = QComboBox()
        self.operation.setObjectName("operationCombo")
        self.constraint = QComboBox()
        self.constraint.setObjectName("adjustConstraintCombo")
        self.constraint.addItem("Strategy default", None)
        for c in CONSTRAINTS:
            self.constraint.addItem(c.value, c)
        self.details = label("", "hint", "adjustDetails")
        self.details.setWordWrap(True)
        self.prepare_button = QPushButton("Prepare ▸")
        self.prepare_button.setObjectName("prepareButton")
        self.prepare_button.setProperty("role", "primary")
        self.prepare_button.clicked.connect(self.sig_prepare)
        form = QFormLayout()
        form.addRow("Condition", self.condition)
        form.addRow("Operation", self.operation)
        form.addRow("Leg selection", self.constraint)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Adjust position", "title"))
        layout.addWidget(label(title, "subtitle"))
        layout.addLayout(form)
        layout.addWidget(self.details)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.prepare_button)
        layout.addLayout(buttons)
        self.condition.currentIndexChanged.connect(self._condition_changed)
        self._condition_changed()

    def statement(self) -> str:
        data = self.condition.currentData()
        return str(data) if data is not None else self.condition.currentText().strip()

    def _condition_changed(self, *_: object) -> None:
        actions = self.conditional.get(self.statement()) or {}
        ops = operations_of(actions) or list(PositionAdjustmentOperation)
        self.operation.clear()
        for op in ops:
            self.operation.addItem(op.value, op)
        lines = describe_actions(actions)
        evaluation = self.ctx.desk.trigger_status(self.position_id, self.statement())
        if evaluation is not None:
            lines.append("Trigger: " + trigger_text(evaluation.result, evaluation.values))
        else:
            lines.append("Trigger: no signal received for this condition yet")
        self.details.setText("<br>".join(lines))

    def args(self) -> dict[str, Any]:
        constraint = self.constraint.currentData()
        return {"position_id": self.position_id,
                "operation": PositionAdjustmentOperation(self.operation.currentData()),
                "condition": self.statement(),
                "leg_selection_constraint": LiveLegSelectionConstraint(constraint) if constraint else None}


def trigger_text(result: bool | None, values: dict[str, Any] | None) -> str:
    """``true (pos_delta = 9.10)`` / ``false (pos_delta = 2.50)`` / ``not evaluated``."""
    shown = ", ".join(f"{k} = {v:,.2f}" for k, v in (values or {}).items())
    word = "not evaluated" if result is None else ("met" if result else "not met")
    return f"{word}" + (f" ({shown})" if shown else "")
