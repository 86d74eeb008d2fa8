"""The trade window: one non-modal window per flow, stepping through
setup → prepare/review → order ticket → (paper accounts) paper fills.

* **entry**: strategy, account, underlying, leg selection, name → prepare (progress,
  cancellable) → proposed structure → ticket.
* **exit**: prepare exit of a position at once → review → ticket; the realized PnL
  of each exit order is shown.
* **adjustment**: condition + operation → prepare; AddLegs/RemoveLegs/MoveLeg go to
  the ticket, UpdateVars is applied by the server and shown as done.

Every send uses its own idempotency key; a dropped connection while a call is in
flight shows "outcome unknown — recovering" until the SDK has resolved the outcome
through the idempotency record. Nothing is ever sent twice: a line whose outcome
stays unknown keeps its key, and a retry re-uses it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import (
    ComboContractLeg,
    LegGroupOrder,
    LiveDataInclude,
    LiveLegSelectionConstraint,
    LivePrices,
    LiveUnderlying,
    MesoLiveEvent,
    OrderState,
    OrderType,
    OrderUpdateEvent,
    PositionAdjustmentOperation,
    PositionStatus,
    PositionUpdateEvent,
    StatusCode,
)
from mesodesk.sdk import MesoLiveApiException, OutcomeUnknownError
from mesodesk.ui.trading import shortcuts
from mesodesk.ui.trading.model import (
    GuardLimits,
    OrderLine,
    PlanView,
    combo_quote,
    exit_pnl,
    field_errors,
    fmt_money,
    fmt_signed,
    guard_warnings,
    line_combos,
    line_notional,
    line_ratios,
    line_size,
    reference_price,
    round_tick,
)
from mesodesk.ui.trading.ops import PrepareCancelled, PrepareFailed, PrepareJob, new_key, spawn, watch_outcome
from mesodesk.ui.trading.paper import PaperFillPage
from mesodesk.ui.trading.review import ReviewPage
from mesodesk.ui.trading.ticket import TicketPage
from mesodesk.ui.trading.widgets import STYLE, Banner, label

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController

log = logging.getLogger("mesodesk.ui.trading")

ACTION_OF = {"MoveLegAdjustment": PositionAdjustmentOperation.MoveLeg,
             "AddLegsAdjustment": PositionAdjustmentOperation.AddLegs,
             "RemoveLegsAdjustment": PositionAdjustmentOperation.RemoveLegs,
             "UpdateVarsAdjustment": PositionAdjustmentOperation.UpdateVars}
CONSTRAINTS = [c for c in LiveLegSelectionConstraint]


def api_error_text(exc: BaseException) -> str:
    if isinstance(exc, MesoLiveApiException):
        text = exc.message or str(exc)
        errors = exc.validation_errors
        if errors:
            text += "<br>" + "<br>".join(f"<b>{k}</b>: {'; '.join(v)}" for k, v in errors.items())
        return text
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------- setup pages
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
        self.name.setText(f"{name} {datetime.now():%d%b %H:%M}")
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
        self.definition: dict[str, Any] = {}
        title = f"Position #{position_id}"
        if row is not None:
            title = f"{row.summary.name} (#{position_id}) · {row.summary.strategy_name}"
            strategy = state.strategies.get(row.summary.live_strategy_id)
            if strategy is not None:
                self.definition = dict(strategy.strategy.strategy_definition)
        self.conditional: dict[str, Any] = (self.definition.get("Adjustment") or {}).get("ConditionalAdjustments") or {}
        signals = ctx.active_adjustment_signals(position_id)
        self.condition = QComboBox()
        self.condition.setObjectName("conditionCombo")
        self.condition.setEditable(True)
        for statement in self.conditional:
            self.condition.addItem(statement + ("   ● signal on" if statement in signals else ""), statement)
        if condition is not None:
            i = self.condition.findData(condition)
            if i < 0:
                self.condition.addItem(condition, condition)
                i = self.condition.count() - 1
            self.condition.setCurrentIndex(i)
        elif signals:
            self.condition.setCurrentIndex(max(self.condition.findData(next(iter(signals))), 0))
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

    def _statement(self) -> str:
        data = self.condition.currentData()
        return str(data) if data is not None else self.condition.currentText().strip()

    def _condition_changed(self, *_: object) -> None:
        actions = self.conditional.get(self._statement()) or {}
        ops = [ACTION_OF[a] for a in actions if a in ACTION_OF] or list(PositionAdjustmentOperation)
        self.operation.clear()
        for op in ops:
            self.operation.addItem(op.value, op)
        self.details.setText("; ".join(f"{k}: {v}" for k, v in actions.items()))

    def args(self) -> dict[str, Any]:
        constraint = self.constraint.currentData()
        return {"position_id": self.position_id,
                "operation": PositionAdjustmentOperation(self.operation.currentData()),
                "condition": self._statement(),
                "leg_selection_constraint": LiveLegSelectionConstraint(constraint) if constraint else None}


# ---------------------------------------------------------------------- the window
class TradeWindow(QWidget):
    sig_done = Signal(object)
    """Emitted with the position id once the flow completed (filled / committed / applied)."""

    def __init__(self, ctx: TradingController, kind: str, *, strategy_id: int | None = None,
                 position_id: int | None = None, condition: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName(f"tradeWindow_{kind}")
        self.setStyleSheet(STYLE)
        self.ctx = ctx
        self.session = ctx.session
        self.kind = kind
        self.position_id = position_id
        self.plan: PlanView | None = None
        self.lines: list[OrderLine] = []
        self.leg_quotes: dict[str, LivePrices] = {}
        self.job: PrepareJob | None = None
        self.completed = False
        self.closed_position = False
        self._busy = False
        self._paper_key: str | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._quote_task: asyncio.Future[Any] | None = None
        self._order_events: dict[int, OrderUpdateEvent] = {}
        #: every "outcome unknown — recovering" / "recovered" message, in order
        self.recoveries: list[str] = []
        self.limits = GuardLimits.from_settings(ctx.trading_settings())

        self.stack = QStackedWidget()
        self.setup: EntrySetupPage | AdjustSetupPage | None = None
        if kind == "entry":
            self.setup = EntrySetupPage(ctx, strategy_id)
        elif kind == "adjustment":
            assert position_id is not None
            self.setup = AdjustSetupPage(ctx, position_id, condition)
        if self.setup is not None:
            self.setup.sig_prepare.connect(self.prepare)
            self.stack.addWidget(self.setup)
        self.review = ReviewPage()
        self.review.sig_cancel.connect(self.cancel_prepare)
        self.review.sig_continue.connect(self.to_ticket)
        self.review.sig_back.connect(self.back)
        self.review.back_button.setVisible(self.setup is not None)
        self.ticket = TicketPage(self.quick_keys)
        self.ticket.sig_primary.connect(self.primary)
        self.ticket.sig_confirm.connect(self.confirm_send)
        self.ticket.sig_back.connect(self.back)
        self.ticket.sig_cancel_orders.connect(self.cancel_orders)
        self.ticket.sig_replace.connect(self.replace_orders)
        self.ticket.sig_split.connect(self.split)
        self.ticket.sig_changed.connect(self.refresh)
        self.paper = PaperFillPage(self.quick_keys)
        self.paper.sig_commit.connect(self.commit_paper)
        self.paper.sig_back.connect(self.back)
        for page in (self.review, self.ticket, self.paper):
            self.stack.addWidget(page)
        self.banner = Banner("tradeBanner")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.banner)
        self._build_actions()
        self.resize(980, 600)
        self.setWindowTitle({"entry": "New position", "exit": "Exit position",
                             "adjustment": "Adjust position"}[kind] + " — mesodesk")
        self._remove_events = self.session.events.on_event(self._on_event)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        if self.setup is None:
            QTimer.singleShot(0, self.prepare)

    # -- keyboard ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        slots = {"ticket.accept": self.accept_step, "ticket.commit": self.commit_step,
                 "ticket.bid": lambda: self._quick("bid"), "ticket.mid": lambda: self._quick("mid"),
                 "ticket.ask": lambda: self._quick("ask"), "ticket.split": self._split_focused,
                 "ticket.cancel": self._cancel_key, "ticket.replace": self.replace_orders,
                 "ticket.back": self.back}
        for action_id, slot in slots.items():
            action = QAction(shortcuts.SHORTCUTS[action_id][0], self)
            action.setObjectName(action_id.replace(".", "_"))
            shortcuts.apply_to(action, self.ctx.trading_settings(), action_id)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_id[action_id] = action

    def quick_keys(self) -> dict[str, QKeySequence]:
        trading = self.ctx.trading_settings()
        return {k: shortcuts.keys(trading, f"ticket.{k}") for k in ("bid", "mid", "ask")}

    def page(self) -> str:
        w = self.stack.currentWidget()
        return {self.review: "review", self.ticket: "ticket", self.paper: "paper"}.get(w, "setup")

    def accept_step(self) -> None:
        """Enter: the current step's primary action — never a send."""
        page = self.page()
        if page == "setup":
            self.prepare()
        elif page == "review":
            if self.review.continue_button.isEnabled():
                self.review.continue_button.click()
        elif page == "ticket" and not self.ticket.confirming:
            self.primary()

    def commit_step(self) -> None:
        """Ctrl+Enter: advance, confirm-and-send or commit."""
        page = self.page()
        if page == "ticket" and self.ticket.confirming:
            self.confirm_send()
        elif page == "paper":
            self.commit_paper()
        else:
            self.accept_step()

    def _quick(self, kind: str) -> None:
        if self.page() == "ticket":
            self.ticket.quick(kind)
        elif self.page() == "paper":
            for name in self.paper.prices:
                self.paper._quick(name, kind)

    def _split_focused(self) -> None:
        w = self.ticket.focused_line() or (self.ticket.line_widgets[0] if self.ticket.line_widgets else None)
        if w is not None and self.page() == "ticket":
            self.split(w.line)

    def _cancel_key(self) -> None:
        if self.page() == "review" and self.job is not None and self.plan is None:
            self.cancel_prepare()
        elif self.page() == "ticket":
            self.cancel_orders()

    def back(self) -> None:
        page = self.page()
        if page == "paper":
            self.stack.setCurrentWidget(self.ticket)
        elif page == "ticket" and not any(line.order_id for line in self.lines):
            self.stack.setCurrentWidget(self.review)
        elif page == "review" and self.setup is not None and (self.plan is None or not self.lines_sent()):
            self._stop_quotes()
            self.stack.setCurrentWidget(self.setup)

    def lines_sent(self) -> bool:
        return any(line.order_id for line in self.lines) or self.completed

    # -- tasks --------------------------------------------------------------------------------
    def spawn(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("trade window task failed", exc_info=exc)
            self.banner.show_message(f"Error: {api_error_text(exc)}", "error")  # type: ignore[arg-type]

    def _unknown(self, what: str, key: str | None) -> Any:
        def report(active: bool) -> None:
            if active:
                text = (f"⚠ Connection lost during {what}: outcome unknown — recovering through the idempotency "
                        f"record (key {key}). Nothing will be sent twice.")
                level = "warn"
            else:
                text = (f"✓ Recovered the outcome of {what} through the idempotency record (key {key}) after the "
                        "connection dropped (outcome unknown — recovering). Nothing was sent twice.")
                level = "info"
            self.recoveries.append(text)
            self.banner.show_message(text, level)
        return report

    # -- prepare ------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self.job is not None and self.plan is None and self.page() == "review":
            return  # already preparing
        if self.kind == "entry":
            assert isinstance(self.setup, EntrySetupPage)
            args = self.setup.args()
            if not args["position_name"]:
                self.setup.mark_name_invalid("Enter a name for the new position.")
            if not args["position_name"] or args["strategy_id"] is None or args["broker_account_id"] is None:
                self.banner.show_message("Choose a strategy and an account and enter a position name.", "error")
                return
            title = f"New position · {args['position_name']}"
            sub = f"account {args['broker_account_id']} · {args['underlying'].symbol} · " \
                  f"{args['leg_selection_constraint'].value}"
        elif self.kind == "exit":
            args = {"position_id": self.position_id}
            row = self.session.state.positions.get(self.position_id) if self.position_id is not None else None
            title = f"Exit · {row.summary.name if row else f'position #{self.position_id}'}"
            sub = f"position #{self.position_id}"
        else:
            assert isinstance(self.setup, AdjustSetupPage)
            args = self.setup.args()
            title = f"{args['operation'].value} · position #{self.position_id}"
            sub = f"condition {args['condition']}"
        self.plan = None
        self.lines = []
        self.banner.clear_message()
        self.review.start(title, sub)
        self.stack.setCurrentWidget(self.review)
        job = PrepareJob(self.session, self.kind, args, self.review.set_progress,
                         self._unknown("the prepare request", None))
        job.on_unknown = self._unknown("the prepare request", job.args["idempotency_key"])
        self.job = job
        self.spawn(self._run_prepare(job))

    async def _run_prepare(self, job: PrepareJob) -> None:
        started = asyncio.get_running_loop().time()
        ticker = QTimer(self)
        ticker.setInterval(100)
        status = {"text": "Starting…"}

        def progress(text: str) -> None:
            status["text"] = text

        job.on_progress = progress
        ticker.timeout.connect(lambda: self.review.set_progress(
            f"{status['text']} · {asyncio.get_event_loop().time() - started:.1f} s"))
        ticker.start()
        try:
            result = await job.run()
        except PrepareCancelled as exc:
            self.review.failed(f"Cancelled: {exc}")
            return
        except PrepareFailed as exc:
            self.review.failed(f"Build failed: {exc}")
            self.banner.show_message(f"The build failed: {exc}", "error")
            return
        except OutcomeUnknownError as exc:
            self.review.failed("Outcome unknown")
            self.banner.show_message(f"Outcome unknown: {exc}. Check the event log before preparing again.", "error")
            return
        except MesoLiveApiException as exc:
            self.review.failed("Refused by the server")
            self.banner.show_message(api_error_text(exc), "error")
            return
        finally:
            ticker.stop()
            ticker.deleteLater()
        if job is not self.job:
            return
        account = self.session.state.accounts.get(result.broker_account_id)
        paper = bool(account is not None and account.is_paper_account)
        self.plan = PlanView(self.kind, result, paper=paper)
        self.review.show_plan(self.plan, job.source)
        if self.kind == "adjustment" and result.operation == PositionAdjustmentOperation.UpdateVars:
            self.completed = True
            self.review.continue_button.setText("Close")
            self.review.continue_button.clicked.disconnect()
            self.review.continue_button.clicked.connect(self.close)
            vars_text = ", ".join(f"{k} = {v:.4g}" for k, v in result.vars.items())
            self.banner.show_message(f"✓ UpdateVars applied by the server: {vars_text}", "ok")
            self.sig_done.emit(result.position_id)
            return
        self._start_quotes()

    def cancel_prepare(self) -> None:
        if self.job is not None and self.plan is None:
            self.review.set_progress("Cancelling…")
            self.spawn(self.job.cancel())

    # -- live quotes ----------------------------------------------------------------------------
    def _start_quotes(self) -> None:
        self._stop_quotes()
        self._quote_task = self.spawn(self._stream_quotes())

    def _stop_quotes(self) -> None:
        if self._quote_task is not None:
            self._quote_task.cancel()
            self._quote_task = None

    async def _stream_quotes(self) -> None:
        plan = self.plan
        if plan is None or not plan.legs:
            return
        names = list(plan.legs)
        contracts = [ComboContractLeg(contract=plan.legs[n].live_contract, ratio=plan.planned_qty(n) or Decimal(1))
                     for n in names]
        provider = self.ctx.provider()
        while True:
            try:
                async for entry in self.session.data.stream_combo_contracts_data(
                        contracts=contracts, provider=provider, include=LiveDataInclude.Prices):
                    self._apply_quotes(names, entry.contract_prices)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no stream (older server / drop): snapshot, then retry
                log.info("quote stream ended (%s); falling back to snapshots", exc)
                try:
                    snap = await self.session.data.get_combo_contracts_snapshot(
                        contracts=contracts, provider=provider, include=LiveDataInclude.Prices)
                    self._apply_quotes(names, snap.contract_prices)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    pass
            await asyncio.sleep(1.0)

    def _apply_quotes(self, names: list[str], prices: dict[int, LivePrices] | None) -> None:
        for i, p in (prices or {}).items():
            if 0 <= i < len(names) and p is not None:
                self.leg_quotes[names[i]] = p

    def quotes(self) -> dict[str, LivePrices]:
        plan = self.plan
        if plan is None:
            return {}
        base = {n: p for n, p in plan.result.leg_prices.items() if p is not None}
        return {**base, **self.leg_quotes}

    def refresh(self) -> None:
        if self.plan is None:
            return
        quotes = self.quotes()
        page = self.page()
        if page == "review":
            self.review.refresh(self.leg_quotes)
        elif page == "ticket":
            size = value = Decimal(0)
            pnl: Decimal | None = None
            for w in self.ticket.line_widgets:
                ratios, _ = line_ratios(self.plan, w.line)
                q = combo_quote(ratios, quotes)
                w.update_quote(q, quotes)
                price = reference_price(w.line, q)
                size += line_size(self.plan, w.line)
                value += line_notional(self.plan, w.line, price)
                p = exit_pnl(self.plan, w.line, price)
                if p is not None:
                    pnl = (pnl or Decimal(0)) + p
            self.ticket.set_summary(size, value, pnl, len(self.ticket.line_widgets))
        elif page == "paper":
            self.paper.update_quotes(self.leg_quotes)

    # -- ticket ---------------------------------------------------------------------------------
    def to_ticket(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if not self.lines:
            self.lines = [self._initial_line(gid, list(names)) for gid, names in plan.groups.items()]
        self.ticket.set_plan(plan, self.lines, plan.paper)
        self.stack.setCurrentWidget(self.ticket)
        self.refresh()
        if plan.allowed is False:
            self.banner.show_message("The prepare checks did not allow this trade (see the review step).", "warn")
        self.ticket.primary.setFocus()

    def _initial_line(self, group_id: int, names: list[str]) -> OrderLine:
        """A Limit DAY line at the prepare result's mid (LegGroupPrices, per our combo ratio)."""
        plan = self.plan
        assert plan is not None
        line = OrderLine(group_id, names)
        ratios, combos = line_ratios(plan, line)
        qtys = plan.result.leg_group_qtys.get(group_id)
        prices = plan.result.leg_group_prices.get(group_id)
        mid = None
        if qtys is not None and prices is not None and prices.mid is not None and combos:
            k = qtys.group_qty * plan.scale / combos  # our combo = k x the server's combo unit
            mid = prices.mid * k
        if mid is None:
            mid = combo_quote(ratios, self.quotes()).mid
        line.limit_price = round_tick(mid) if mid is not None else None
        return line

    def split(self, line: OrderLine) -> None:
        if not line.sendable or len(line.leg_names) < 2 or self.plan is None:
            return
        i = self.lines.index(line)
        parts = [self._initial_line(line.group_id, [n]) for n in line.leg_names]
        for part in parts:
            part.order_type, part.tif = line.order_type, line.tif
        self.lines[i:i + 1] = parts
        self.ticket.set_lines(self.lines)
        self.refresh()
        self.banner.show_message(f"Group {line.group_id} split into {len(parts)} single-leg orders.", "info")

    def _validate(self, lines: list[OrderLine]) -> bool:
        ok = True
        for w in self.ticket.line_widgets:
            if w.line not in lines:
                continue
            w.read()
            errors = field_errors(w.line)
            w.show_errors(errors)
            ok = ok and not errors
        return ok

    def primary(self) -> None:
        plan = self.plan
        if plan is None or self._busy:
            return
        if self.completed:
            self.close()
            return
        if plan.paper:
            self.paper.set_plan(plan, self.quotes())
            self.stack.setCurrentWidget(self.paper)
            return
        lines = [line for line in self.lines if line.sendable]
        if not lines:
            self.banner.show_message("Every order of this ticket has been sent.", "info")
            return
        if not self._validate(lines):
            self.banner.show_message("Fix the highlighted fields before sending.", "error")
            self.ticket.hide_confirm()
            return
        self.ticket.show_confirm(self._confirm_html(lines))

    def _confirm_html(self, lines: list[OrderLine]) -> str:
        plan = self.plan
        assert plan is not None
        quotes = self.quotes()
        rows, warnings = [], []
        size = value = Decimal(0)
        pnl: Decimal | None = None
        for line in lines:
            ratios, _ = line_ratios(plan, line)
            q = combo_quote(ratios, quotes)
            price = reference_price(line, q)
            combos = line_combos(plan, line)
            legs = " / ".join(f"{n} {r:+g}" for n, r in ratios.items())
            how = " ".join(part for part in (
                "MKT" if line.order_type == OrderType.Market else "",
                f"STP {line.stop_price:+.2f}" if line.stop_price is not None else "",
                f"LMT {line.limit_price:+.2f}" if line.limit_price is not None else "") if part)
            rows.append(f"<tr><td>{line.label}</td><td>{legs}</td><td align=right>{combos:f}×</td>"
                        f"<td>{how} {line.tif.value}</td><td>{fmt_signed(price)}</td></tr>")
            size += line_size(plan, line)
            value += line_notional(plan, line, price)
            p = exit_pnl(plan, line, price)
            if p is not None:
                pnl = (pnl or Decimal(0)) + p
            warnings += guard_warnings(plan, line, q, self.limits)
        if plan.allowed is False:
            warnings.append("The prepare checks did not allow this trade")
        html = (f"<b>Send {len(lines)} order(s) to {plan.account}</b>"
                f"<table cellspacing=6>{''.join(rows)}</table>"
                f"Total size <b>{size:f}</b> contracts · order value <b>{fmt_money(value)}</b>")
        if pnl is not None:
            html += f" · realizes <b>{fmt_money(pnl)}</b> if filled"
        if warnings:
            html += "<br><span style='color:#e8b84a'>⚠ " + "<br>⚠ ".join(warnings) + "</span>"
        self.last_warnings = warnings
        return html

    last_warnings: list[str] = []

    def confirm_send(self) -> None:
        if self._busy or self.plan is None or not self.ticket.confirming:
            return
        lines = [line for line in self.lines if line.sendable]
        if not self._validate(lines):
            self.ticket.hide_confirm()
            return
        self.ticket.hide_confirm()
        self.spawn(self._send_lines(lines))

    async def _send_lines(self, lines: list[OrderLine]) -> None:
        self._set_busy(True)
        try:
            for line in lines:
                await self._send_line(line)
        finally:
            self._set_busy(False)
        self._update_lines()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for b in (self.ticket.primary, self.ticket.confirm_button, self.ticket.replace_button,
                  self.paper.commit_button):
            b.setEnabled(not busy)

    def _order_args(self, line: OrderLine, key: str, replaces: int | None = None) -> dict[str, Any]:
        plan = self.plan
        assert plan is not None
        return {"idempotency_key": key, "broker_account_id": plan.account, "exec_plan_id": plan.exec_plan_id,
                "leg_group_id": line.group_id, "qty_multiplier": plan.send_multiplier, "replaces_order": replaces,
                "leg_group_order": LegGroupOrder(order_type=line.order_type, time_in_force=line.tif,
                                                 limit_price=line.limit_price, stop_price=line.stop_price,
                                                 leg_names=list(line.leg_names), qty=line.qty)}

    async def _send_line(self, line: OrderLine, replaces: int | None = None) -> int | None:
        """One SendOrder with its own key (re-used only to resolve an unknown outcome)."""
        if replaces is None and line.unknown and line.idempotency_key:
            key = line.idempotency_key
        else:
            key = new_key("send_order_")
        if replaces is None:
            line.idempotency_key = key
            line.state, line.rejection = OrderState.PendingSubmit, None
            self._update_lines()
        args = self._order_args(line, key, replaces)
        what = f"sending {line.label}" if replaces is None else f"modifying order #{replaces}"
        try:
            result = await watch_outcome(self.session, self.session.control.send_order(**args),
                                         self._unknown(what, key))
        except OutcomeUnknownError as exc:
            line.unknown = True
            self.banner.show_message(f"✗ Outcome still unknown for {line.label} (key {key}): {exc}. It was not "
                                     "re-sent; retrying re-uses the same key.", "error")
            self._update_lines()
            return None
        except MesoLiveApiException as exc:
            if exc.status == StatusCode.DuplicateRequest and exc.data is not None:
                result = exc.data  # a retry of an unknown outcome: the original's result
            else:
                if replaces is None:
                    line.state = None if line.order_id is None else line.state
                    line.idempotency_key = None
                self.banner.show_message(f"{line.label}: {api_error_text(exc)}", "error")
                self._update_lines()
                return None
        order_ids = list(getattr(result, "order_ids", None) or [])
        if not order_ids:
            return None
        order_id = order_ids[0]
        line.unknown = False
        self.ctx.remember_order(order_id, self.plan, line)
        if replaces is None:
            line.order_id = order_id
            line.order_ids.append(order_id)
            line.state = OrderState.Submitted
        await self._seed_order(line, order_id, replaces)
        self._update_lines()
        return order_id

    async def _seed_order(self, line: OrderLine, order_id: int, replaces: int | None) -> None:
        """The order's state now (its OrderUpdate event may have arrived before the reply)."""
        try:
            order = await self.session.control.get_order(order_id=order_id)
        except Exception:
            order = None
        event = self._order_events.get(order_id)
        state = order.state if order is not None else (event.state if event is not None else None)
        rejection = event.rejection.reason if event is not None and event.rejection is not None else None
        if rejection is None:
            row = self.session.state.orders.get(order_id)
            rejection = row.rejection if row is not None else None
        if replaces is not None:
            if state == OrderState.Rejected:
                self.banner.show_message(f"The replacement of order #{replaces} was rejected: "
                                         f"{rejection or 'no reason given'}. The original order keeps working.", "error")
                return
            line.order_id = order_id
            line.order_ids.append(order_id)
            self.banner.show_message(f"Order #{replaces} replaced by #{order_id} at {line.limit_price}.", "ok")
        if state is not None:
            line.state = state
        if order is not None:
            line.filled = order.cum_qty
            line.avg_fill = order.avg_fill_price
        if rejection is not None:
            line.rejection = rejection
        if line.state == OrderState.Rejected:
            self._announce_rejection(line)

    def _announce_rejection(self, line: OrderLine) -> None:
        self.banner.show_message(f"{line.label} rejected: {line.rejection or 'no reason given'}"
                                 + (" — split the combo into single legs and send again?"
                                    if len(line.leg_names) > 1 else ""), "error")

    def cancel_orders(self) -> None:
        working = [line for line in self.lines if line.working]
        if not working:
            self.banner.show_message("No working orders to cancel.", "info")
            return
        self.spawn(self._cancel(working))

    async def _cancel(self, lines: list[OrderLine]) -> None:
        for line in lines:
            assert line.order_id is not None
            key = new_key("cancel_order_")
            try:
                result = await watch_outcome(self.session, self.session.control.cancel_order(
                    idempotency_key=key, order_id=line.order_id, broker_account_id=self.plan.account
                    if self.plan else None), self._unknown(f"cancelling order #{line.order_id}", key))
                line.state = result.state
                self.banner.show_message(f"Order #{line.order_id} {result.state.value.lower()}.", "info")
            except MesoLiveApiException as exc:
                self.banner.show_message(f"Cancel of #{line.order_id}: {api_error_text(exc)}", "error")
        self._update_lines()

    def replace_orders(self) -> None:
        if self._busy:
            return
        working = [line for line in self.lines if line.working]
        if not working:
            self.banner.show_message("No working orders to modify.", "info")
            return
        for w in self.ticket.line_widgets:
            if w.line in working:
                w.line.limit_price = w.read().limit_price
        if not self._validate(working):
            self.banner.show_message("Fix the highlighted fields before modifying.", "error")
            return
        self.spawn(self._replace(working))

    async def _replace(self, lines: list[OrderLine]) -> None:
        self._set_busy(True)
        try:
            for line in lines:
                await self._send_line(line, replaces=line.order_id)
        finally:
            self._set_busy(False)

    # -- paper ----------------------------------------------------------------------------------
    def commit_paper(self) -> None:
        if self._busy or self.plan is None or self.completed:
            return
        fills, errors = self.paper.fills()
        if errors:
            self.banner.show_message("Enter a fill price for every leg: " + ", ".join(errors), "error")
            return
        self.spawn(self._commit_paper(fills))

    async def _commit_paper(self, fills: dict[str, Any]) -> None:
        plan = self.plan
        assert plan is not None
        self._paper_key = self._paper_key or new_key("paper_fill_")
        self._set_busy(True)
        try:
            result = await watch_outcome(self.session, self.session.control.apply_paper_fills(
                idempotency_key=self._paper_key, broker_account_id=plan.account, exec_plan_id=plan.exec_plan_id,
                qty_multiplier=plan.send_multiplier, fills=fills),
                self._unknown("committing the paper fills", self._paper_key))
        except OutcomeUnknownError as exc:
            self.banner.show_message(f"✗ Outcome unknown for the paper fills: {exc}. Committing again re-uses the "
                                     "same key.", "error")
            return
        except MesoLiveApiException as exc:
            if exc.status == StatusCode.DuplicateRequest and exc.data is not None:
                result = exc.data
            else:
                self._paper_key = None
                self.banner.show_message(f"Paper fills refused: {api_error_text(exc)}", "error")
                return
        finally:
            self._set_busy(False)
        self.completed = True
        position_id = result.position_id or plan.position_id
        self.position_id = position_id
        self.paper.commit_button.setText("Close")
        self.paper.commit_button.clicked.disconnect()
        self.paper.commit_button.clicked.connect(self.close)
        self.paper.back_button.setEnabled(False)
        verb = {"entry": "opened", "exit": "closed", "adjustment": "adjusted"}[plan.kind]
        self.banner.show_message(f"✓ Paper fills committed: position #{position_id} {verb} "
                                 f"(orders {', '.join(f'#{i}' for i in result.order_ids)}).", "ok")
        self.sig_done.emit(position_id)

    # -- order updates --------------------------------------------------------------------------
    def _on_event(self, event: MesoLiveEvent) -> None:
        if isinstance(event, OrderUpdateEvent):
            self._order_events[event.order_id] = event
            for line in self.lines:
                if line.order_id == event.order_id:
                    line.state = event.state
                    if event.filled_qty is not None:
                        line.filled = event.filled_qty
                    if event.avg_fill_price is not None:
                        line.avg_fill = event.avg_fill_price
                    if event.rejection is not None:
                        line.rejection = event.rejection.reason
                    if event.state == OrderState.Rejected:
                        self._announce_rejection(line)
                    self._update_lines()
        elif isinstance(event, PositionUpdateEvent) and self.plan is not None:
            mine = event.position_id == self.position_id or (
                self.session.state.exec_plan_positions.get(self.plan.exec_plan_id) == event.position_id)
            if mine and event.status == PositionStatus.Closed and self.plan.kind == "exit":
                self.closed_position = True
                self.banner.show_message(f"✓ Position #{event.position_id} closed · realized PnL "
                                         f"{fmt_money(event.realized_pnl)}", "ok")

    def _update_lines(self) -> None:
        for w in self.ticket.line_widgets:
            w.set_state()
        if self.lines and all(line.done for line in self.lines) and not self.completed:
            self.completed = True
            self.ticket.primary.setText("Close")
            self.ticket.back_button.setEnabled(False)
            plan = self.plan
            pid = self.position_id or (self.session.state.exec_plan_positions.get(plan.exec_plan_id) if plan else None)
            if not self.closed_position:
                self.banner.show_message("✓ All orders filled" + (f" · position #{pid}" if pid else "") + ".", "ok")
            self.sig_done.emit(pid)

    # -- lifecycle --------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None and self.plan is None:
            spawn(self.job.cancel())
        self._timer.stop()
        self._remove_events()
        for task in list(self._tasks):
            task.cancel()
        self.ctx.window_closed(self)
        super().closeEvent(event)
