"""The trade window: one non-modal window per flow, stepping through
setup → prepare/review → order ticket → (paper accounts) paper fills.

* **entry**: strategy, account, underlying, leg selection, name → prepare (progress,
  cancellable) → proposed structure → ticket.
* **exit**: prepare the exit of a position at once → review → ticket.
* **adjustment**: condition + operation → prepare; AddLegs/RemoveLegs/MoveLeg go to
  the ticket, UpdateVars is applied by the server and shown as done.

The window renders core objects (:class:`~mesodesk.core.trading.ticket.Ticket`,
:class:`~mesodesk.core.trading.paper.PaperSheet`) and calls their commands; it keeps
no order state of its own. A dropped connection while a call is in flight shows
"outcome unknown — recovering" until the SDK has resolved the outcome; nothing is ever
sent twice (a line whose outcome stays unknown keeps its key, and a retry re-uses it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from mesodesk.contract import PositionAdjustmentOperation, PreparePositionAdjustmentResult
from mesodesk.core.errors import MesoLiveApiException, OutcomeUnknownError, SignalRError, api_error_text
from mesodesk.core.formatting import fmt_money
from mesodesk.core.trading.orders import OrderCommandError
from mesodesk.core.trading.outcome import spawn
from mesodesk.core.trading.paper import PaperSheet
from mesodesk.core.trading.plan import FlowKind, OrderLine, PlanView
from mesodesk.core.trading.prepare import PrepareCancelled, PrepareFailed, PrepareJob
from mesodesk.core.trading.pricing import signed_words
from mesodesk.core.trading.ticket import Ticket, market_text
from mesodesk.ui.trading import shortcuts
from mesodesk.ui.trading.paper import PaperFillPage
from mesodesk.ui.trading.review import ReviewPage
from mesodesk.ui.trading.setup import AdjustSetupPage, EntrySetupPage
from mesodesk.ui.trading.ticket import TicketPage, money_html
from mesodesk.ui.trading.widgets import STYLE, Banner

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController

log = logging.getLogger("mesodesk.ui.trading")

TITLES = {FlowKind.ENTRY: "New position", FlowKind.EXIT: "Exit position", FlowKind.ADJUSTMENT: "Adjust position"}


class TradeWindow(QWidget):
    sig_done = Signal(object)
    """Emitted with the position id once the flow completed (filled / committed / applied)."""

    def __init__(self, ctx: TradingController, kind: FlowKind | str, *, strategy_id: int | None = None,
                 position_id: int | None = None, condition: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        kind = FlowKind(kind)
        self.setObjectName(f"tradeWindow_{kind.value}")
        self.setStyleSheet(STYLE)
        self.ctx = ctx
        self.desk = ctx.desk
        self.session = ctx.session
        self.kind = kind
        self.position_id = position_id
        self.plan: PlanView | None = None
        self.trade: Ticket | None = None
        self.sheet: PaperSheet | None = None
        self.job: PrepareJob | None = None
        self.completed = False
        self.closed_position = False
        self._busy = False
        self._tasks: set[asyncio.Future[Any]] = set()
        #: every "outcome unknown — recovering" / "recovered" message, in order
        self.recoveries: list[str] = []
        self.last_warnings: list[str] = []
        #: the banner shown when Back reopened the ticket after a rejection (cleared on the ticket)
        self._reopen_note: str | None = None

        self.stack = QStackedWidget()
        self.setup: EntrySetupPage | AdjustSetupPage | None = None
        if kind is FlowKind.ENTRY:
            self.setup = EntrySetupPage(ctx, strategy_id)
        elif kind is FlowKind.ADJUSTMENT:
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
        self.ticket = TicketPage()
        self.ticket.sig_primary.connect(self.primary)
        self.ticket.sig_confirm.connect(self.confirm_send)
        self.ticket.sig_back.connect(self.back)
        self.ticket.sig_cancel_orders.connect(self.cancel_orders)
        self.ticket.sig_replace.connect(self.replace_orders)
        self.ticket.sig_split.connect(self.split)
        self.ticket.sig_changed.connect(self.refresh)
        self.paper = PaperFillPage()
        self.paper.sig_commit.connect(self.commit_paper)
        self.paper.sig_back.connect(self.back)
        self.paper.sig_edited.connect(self._paper_edited)
        for page in (self.review, self.ticket, self.paper):
            self.stack.addWidget(page)
        self.banner = Banner("tradeBanner")
        self.banner.setTextFormat(Qt.TextFormat.RichText)  # every message here escapes what it quotes
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.banner)
        self._build_actions()
        self.resize(1000, 640)
        row = self.session.state.positions.get(position_id) if position_id is not None else None
        subject = "" if position_id is None else f" #{position_id}" + (f" · {row.summary.name}" if row else "")
        self.setWindowTitle(TITLES[kind] + subject + " — mesodesk")  # names the position it acts on
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        if self.setup is None:
            QTimer.singleShot(0, self.prepare)

    # -- keyboard ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        slots: dict[str, Callable[[], Any]] = {
            "ticket.accept": self.accept_step, "ticket.commit": self.commit_step,
            "ticket.bid": lambda: self._quick("bid"), "ticket.mid": lambda: self._quick("mid"),
            "ticket.ask": lambda: self._quick("ask"), "ticket.split": self._split_focused,
            "ticket.cancel": self._cancel_key, "ticket.replace": self.replace_orders, "ticket.back": self.back}
        for action_id, slot in slots.items():
            action = QAction(shortcuts.SHORTCUTS[action_id][0], self)
            action.setObjectName(action_id.replace(".", "_"))
            shortcuts.apply_to(action, self.ctx.trading_settings(), action_id)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_id[action_id] = action

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
        if self.page() == "ticket" and not self.ticket.paper:
            self.ticket.quick(kind)

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
        if page == "paper" and not self.completed:
            self.stack.setCurrentWidget(self.ticket)
        elif page == "ticket" and not self.completed:
            self._back_from_ticket()
        elif page == "review" and self.setup is not None and not self.lines_sent():
            self._close_ticket()
            self.stack.setCurrentWidget(self.setup)

    def _back_from_ticket(self) -> None:
        """To the review step (Qty multiplier); its Continue returns to an editable ticket. After a
        rejection the ticket's lines are new again (the rejected orders stay in the Orders blotter)
        unless something is, or may be, live at the broker: then the banner says why not."""
        trade = self.trade
        blocker = trade.back_blocker() if trade is not None else None
        if blocker is not None:
            self.banner.show_message(f"Cannot go back: {escape(blocker)}.", "warn")
            return
        if trade is not None and trade.any_sent:
            retired = trade.reopen()
            self.ticket.set_lines(trade.lines)
            self._reopen_note = (
                f"Order{'s' if len(retired) > 1 else ''} {', '.join(f'#{i}' for i in retired)} stay"
                f"{'' if len(retired) > 1 else 's'} in the Orders blotter. The ticket is editable again: "
                "Continue to order ▸ and send a corrected order.")
            self.banner.show_message(self._reopen_note, "info")
        self.ticket.hide_confirm()
        self.stack.setCurrentWidget(self.review)

    def lines_sent(self) -> bool:
        return (self.trade is not None and self.trade.any_sent) or self.completed

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
            assert exc is not None
            log.error("trade window task failed", exc_info=exc)
            self.banner.show_message(f"Error: {api_error_text(exc)}", "error")

    def _unknown(self, what: str, key: str | None) -> Callable[[bool], None]:
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
        if self.kind is FlowKind.ENTRY:
            assert isinstance(self.setup, EntrySetupPage)
            args = self.setup.args()
            if not args["position_name"]:
                self.setup.mark_name_invalid("Enter a name for the new position.")
            if not args["position_name"] or args["strategy_id"] is None or args["broker_account_id"] is None:
                self.banner.show_message("Choose a strategy and an account and enter a position name.", "error")
                return
            title = f"New position · {args['position_name']}"
            sub = (f"account {args['broker_account_id']} · {args['underlying'].symbol} · "
                   f"{args['leg_selection_constraint'].value}")
        elif self.kind is FlowKind.EXIT:
            args = {"position_id": self.position_id}
            row = self.session.state.positions.get(self.position_id) if self.position_id is not None else None
            title = f"Exit · {row.summary.name if row else f'position #{self.position_id}'}"
            sub = f"position #{self.position_id}"
        else:
            assert isinstance(self.setup, AdjustSetupPage)
            args = self.setup.args()
            title = f"{args['operation'].value} · position #{self.position_id}"
            sub = f"condition {args['condition']}"
        self._close_ticket()
        self.banner.clear_message()
        self.review.start(title, sub)
        self.stack.setCurrentWidget(self.review)
        job = self.desk.prepare(self.kind, args)
        job.on_unknown = self._unknown("the prepare request", job.idempotency_key)
        self.job = job
        self.spawn(self._run_prepare(job))

    async def _run_prepare(self, job: PrepareJob) -> None:
        started = asyncio.get_running_loop().time()
        status = {"text": "Starting…"}
        ticker = QTimer(self)
        ticker.setInterval(100)
        job.on_progress = lambda text: status.__setitem__("text", text)
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
            self.banner.show_message(f"The build failed: {escape(str(exc))}", "error")
            return
        except OutcomeUnknownError as exc:
            self.review.failed("Outcome unknown")
            self.banner.show_message(f"Outcome unknown: {escape(str(exc))}. Check the event log before preparing "
                                     "again.", "error")
            return
        except MesoLiveApiException as exc:
            self.review.failed("Refused by the server")
            self.banner.show_message(api_error_text(exc), "error")
            return
        except SignalRError as exc:  # the connection failed: expected, said here, no traceback
            self.review.failed("Not prepared: the connection failed")
            self.banner.show_message(f"The prepare request did not reach the server: {api_error_text(exc)}. "
                                     "Try again once the status bar shows Connected.", "error")
            return
        except Exception as exc:  # unexpected: logged (→ Errors panel); the progress ends either way
            self.review.failed("Failed")
            self.banner.show_message(f"The prepare request failed: {api_error_text(exc)}", "error")
            log.error("prepare failed", exc_info=exc)
            return
        finally:
            ticker.stop()
            ticker.deleteLater()
        if job is not self.job:
            return
        self.plan = plan = self.desk.plan(self.kind, result)
        self.trade = self.desk.open_ticket(plan)
        trigger = None
        if isinstance(result, PreparePositionAdjustmentResult):
            trigger = self.desk.trigger_status(result.position_id, result.condition)
        self.review.show_plan(self.trade, job.source, position_greeks=self.desk.position_greeks(plan.position_id),
                              trigger=trigger)
        if isinstance(result, PreparePositionAdjustmentResult) and \
                result.operation == PositionAdjustmentOperation.UpdateVars:
            self.completed = True
            self._close_ticket(keep_plan=True)
            self.review.continue_button.setText("Close")
            self.review.continue_button.clicked.disconnect()
            self.review.continue_button.clicked.connect(self.close)
            vars_text = ", ".join(f"{k} = {v:.4g}" for k, v in result.vars.items())
            self.banner.show_message(f"✓ UpdateVars applied by the server: {escape(vars_text)}", "ok")
            self.sig_done.emit(result.position_id)

    def _close_ticket(self, keep_plan: bool = False) -> None:
        if self.trade is not None:
            self.trade.feed.stop()
            if not keep_plan:
                self.trade = None
        if not keep_plan:
            self.plan = None
            self.sheet = None

    def cancel_prepare(self) -> None:
        if self.job is not None and self.plan is None:
            self.review.set_progress("Cancelling…")
            self.spawn(self.job.cancel())

    # -- refresh (screen rate) ------------------------------------------------------------------
    def refresh(self) -> None:
        trade = self.trade
        if trade is None or self.plan is None:
            return
        page = self.page()
        if page == "review":
            self.review.refresh()
        elif page == "ticket":
            for line in trade.follow_market():
                for w in self.ticket.line_widgets:
                    if w.line is line:
                        w.set_limit_from_line()
            for w in self.ticket.line_widgets:
                w.refresh()
            self.ticket.set_summary(trade.totals())
            self._check_done()
        elif page == "paper":
            self.paper.refresh()
        self._check_closed()

    def _check_closed(self) -> None:
        if self.kind is not FlowKind.EXIT or self.closed_position or self.plan is None:
            return
        row = self.session.state.positions.get(self.plan.position_id) if self.plan.position_id else None
        if row is not None and not row.is_open:
            self.closed_position = True
            self.banner.show_message(f"✓ Position #{row.id} closed · realized P&L {fmt_money(row.realized_pnl)}",
                                     "ok")

    # -- ticket ---------------------------------------------------------------------------------
    def to_ticket(self) -> None:
        trade = self.trade
        if trade is None:
            return
        self.ticket.set_ticket(trade)
        self.stack.setCurrentWidget(self.ticket)
        if self._reopen_note is not None and self.banner.text() == self._reopen_note:
            self.banner.clear_message()  # it pointed here
        self._reopen_note = None
        self.refresh()
        if trade.plan.allowed is False:
            self.banner.show_message("The prepare checks did not allow this trade (see the review step).", "warn")
        self.ticket.primary.setFocus()

    def split(self, line: OrderLine) -> None:
        if self.trade is None:
            return
        parts = self.trade.split(line)
        if len(parts) > 1:
            self.ticket.set_lines(self.trade.lines)
            self.refresh()
            self.banner.show_message(f"Group {line.group_id} split into {len(parts)} single-leg orders.", "info")

    def _validate(self, lines: list[OrderLine]) -> bool:
        ok = True
        assert self.trade is not None
        for w in self.ticket.line_widgets:
            if w.line not in lines:
                continue
            errors = {**self.trade.errors(w.line), **w.read()}
            w.show_errors(errors)
            ok = ok and not errors
        return ok

    def primary(self) -> None:
        trade = self.trade
        if trade is None or self._busy:
            return
        if self.completed:
            self.close()
            return
        if trade.plan.paper:
            if self.sheet is None:
                self.sheet = self.desk.paper_sheet(trade)
                self.paper.set_sheet(self.sheet)
            self.stack.setCurrentWidget(self.paper)
            return
        lines = [line for line in trade.lines if trade.sendable(line)]
        if not lines:
            self.banner.show_message("Every order of this ticket has been sent.", "info")
            return
        if not self._validate(lines):
            self.banner.show_message("Fix the highlighted fields before sending.", "error")
            self.ticket.hide_confirm()
            return
        for line in lines:  # the price you confirm is the price sent: defaults stop following the mid
            line.price_edited = True
        self.ticket.show_confirm(self._confirm_html(lines))

    def _confirm_html(self, lines: list[OrderLine]) -> str:
        trade = self.trade
        assert trade is not None
        rows = []
        for line in lines:
            v = trade.view(line)
            legs = " / ".join(f"{escape(n)} {r:+g}" for n, r in v.ratios.items())
            rows.append(f"<tr><td>{escape(line.label)}</td><td>{legs}</td><td align=right>{v.combos:f}×</td>"
                        f"<td>{market_text(line)} {line.tif.value}</td><td><b>{signed_words(v.price)}</b></td></tr>")
        totals = trade.totals(lines)
        html = (f"<b>Send {len(lines)} order(s) to {escape(trade.plan.account)}</b>"
                f"<table cellspacing=6>{''.join(rows)}</table>"
                f"Total size <b>{totals.contracts:f}</b> contracts · order value <b>{fmt_money(totals.value)}</b>")
        if totals.commission:
            html += f" · est. commission {fmt_money(totals.commission)}"
        if totals.realizes is not None:
            html += f" · realizes {money_html(totals.realizes, not totals.realizes_exact)} if filled"
        if totals.risk_defined:
            html += (f" · max profit <b>{fmt_money(totals.max_profit)}</b> · max loss "
                     f"<b>{fmt_money(totals.max_loss)}</b>")
        if totals.warnings:
            html += "<br><span style='color:#e8b84a'>⚠ " + "<br>⚠ ".join(escape(w) for w in totals.warnings) + \
                "</span>"
        self.last_warnings = totals.warnings
        return html

    def confirm_send(self) -> None:
        trade = self.trade
        if self._busy or trade is None or not self.ticket.confirming:
            return
        lines = [line for line in trade.lines if trade.sendable(line)]
        self.ticket.hide_confirm()
        if lines and self._validate(lines):
            self.spawn(self._send_lines(lines))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for b in (self.ticket.primary, self.ticket.confirm_button, self.ticket.replace_button,
                  self.paper.commit_button, self.paper.confirm_button):
            b.setEnabled(not busy)

    async def _send_lines(self, lines: list[OrderLine]) -> None:
        trade = self.trade
        assert trade is not None
        self._set_busy(True)
        try:
            for line in lines:
                what = f"sending {line.label}"
                try:
                    await trade.send(line, self._unknown(what, line.idempotency_key or "new"))
                except OutcomeUnknownError as exc:
                    self.banner.show_message(f"✗ Outcome still unknown for {escape(line.label)} (key "
                                             f"{line.idempotency_key}): {escape(str(exc))}. It was not re-sent; "
                                             "retrying re-uses the same key.", "error")
                except MesoLiveApiException as exc:
                    self.banner.show_message(f"{escape(line.label)}: {api_error_text(exc)}", "error")
                except SignalRError as exc:
                    sent = "was not sent" if line.status.value == "new" else \
                        "may have been sent: retrying re-uses the same key"
                    self.banner.show_message(f"{escape(line.label)} {sent} — the connection failed "
                                             f"({api_error_text(exc)}).", "error")
                self.refresh()
                self._announce_rejection(line)
        finally:
            self._set_busy(False)
        self.refresh()

    def _announce_rejection(self, line: OrderLine) -> None:
        assert self.trade is not None
        v = self.trade.view(line)
        if v.state is not None and v.state.value == "Rejected":
            self.banner.show_message(f"{escape(line.label)} rejected: {escape(v.rejection or 'no reason given')}"
                                     + (f" — {escape(v.advice)}." if v.advice else ""), "error")

    def _check_done(self) -> None:
        trade = self.trade
        if trade is None or self.completed or not trade.completed:
            return
        self.completed = True
        self.ticket.primary.setText("Close")
        self.ticket.back_button.setEnabled(False)
        pid = self.position_id or self.session.state.exec_plan_positions.get(trade.plan.exec_plan_id)
        if not self.closed_position:
            self.banner.show_message("✓ All orders filled" + (f" · position #{pid}" if pid else "") + ".", "ok")
        self.sig_done.emit(pid)

    def cancel_orders(self) -> None:
        trade = self.trade
        working = [line for line in trade.lines if trade.view(line).working] if trade is not None else []
        if not working:
            self.banner.show_message("No working orders to cancel.", "info")
            return
        self.spawn(self._cancel(working))

    async def _cancel(self, lines: list[OrderLine]) -> None:
        trade = self.trade
        assert trade is not None
        for line in lines:
            try:
                state = await trade.cancel(line, self._unknown(f"cancelling order #{line.order_id}", None))
                if state is not None:
                    self.banner.show_message(f"Order #{line.order_id} {state.value.lower()}.", "info")
            except MesoLiveApiException as exc:
                self.banner.show_message(f"Cancel of #{line.order_id}: {api_error_text(exc)}", "error")
        self.refresh()

    def replace_orders(self) -> None:
        trade = self.trade
        if self._busy or trade is None:
            return
        working = [line for line in trade.lines if trade.view(line).working]
        if not working:
            self.banner.show_message("No working orders to modify.", "info")
            return
        if not self._validate(working):
            self.banner.show_message("Fix the highlighted fields before modifying.", "error")
            return
        self.spawn(self._replace(working))

    async def _replace(self, lines: list[OrderLine]) -> None:
        trade = self.trade
        assert trade is not None
        self._set_busy(True)
        try:
            for line in lines:
                old = line.order_id
                try:
                    new = await trade.replace(line, self._unknown(f"modifying order #{old}", None))
                except (OrderCommandError, MesoLiveApiException) as exc:
                    self.banner.show_message(f"Modify #{old}: {api_error_text(exc)}", "error")
                    continue
                except OutcomeUnknownError as exc:
                    self.banner.show_message(f"Modify #{old}: {escape(str(exc))}", "error")
                    continue
                if new is None:
                    rejected = trade.orders.row(trade.orders.live_order(old)) if old is not None else None
                    self.banner.show_message(f"The replacement of order #{old} was rejected"
                                             f"{': ' + escape(rejected.rejection) if rejected and rejected.rejection else ''}"
                                             ". The original order keeps working.", "error")
                else:
                    self.banner.show_message(f"Order #{old} replaced by #{new} at {signed_words(line.limit_price)}.",
                                             "ok")
        finally:
            self._set_busy(False)
        self.refresh()

    # -- paper ----------------------------------------------------------------------------------
    def commit_paper(self) -> None:
        sheet = self.sheet
        if self._busy or sheet is None or self.completed:
            return
        self.paper.refresh()  # prices that follow the mid are current when committed (and shown so)
        errors = sheet.errors()
        if errors:
            for name, message in errors.items():
                if name in self.paper.prices:
                    self.paper.prices[name].set_invalid(True, message)
            self.banner.show_message("Enter a valid fill price for every leg: " + ", ".join(errors), "error")
            self.paper.hide_confirm()
            return
        warnings = sheet.warnings()
        if warnings and not self.paper.confirming:
            self.paper.show_confirm(warnings)
            return
        self.paper.hide_confirm()
        self.spawn(self._commit_paper(sheet))

    def _paper_edited(self) -> None:
        if self.sheet is not None and self.banner.level == "error" and not self.sheet.errors():
            self.banner.clear_message()

    async def _commit_paper(self, sheet: PaperSheet) -> None:
        plan = sheet.plan
        self._set_busy(True)
        self.banner.clear_message()
        try:
            result = await sheet.commit(self.session, self._unknown("committing the paper fills", sheet.key))
        except OutcomeUnknownError as exc:
            self.banner.show_message(f"✗ Outcome unknown for the paper fills: {escape(str(exc))}. Committing again "
                                     "re-uses the same key.", "error")
            return
        except MesoLiveApiException as exc:
            self.banner.show_message(f"Paper fills refused: {api_error_text(exc)}", "error")
            return
        finally:
            self._set_busy(False)
        self.completed = True
        position_id = result.position_id or plan.position_id
        self.position_id = position_id
        self.paper.committed()
        self.paper.commit_button.setText("Close")
        self.paper.commit_button.clicked.disconnect()
        self.paper.commit_button.clicked.connect(self.close)
        self.paper.back_button.setEnabled(False)
        verb = {FlowKind.ENTRY: "opened", FlowKind.EXIT: "closed", FlowKind.ADJUSTMENT: "adjusted"}[plan.kind]
        self.banner.show_message(f"✓ Paper fills committed: position #{position_id} {verb} "
                                 f"(orders {', '.join(f'#{i}' for i in result.order_ids)}).", "ok")
        self.sig_done.emit(position_id)

    # -- lifecycle --------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None and self.plan is None:
            spawn(self.job.cancel(), "cancelling a prepare job")
        self._timer.stop()
        self._close_ticket(keep_plan=True)
        for task in list(self._tasks):
            task.cancel()
        self.ctx.window_closed(self)
        super().closeEvent(event)
