"""What an Event Hub event says: one :class:`Notice` per event (Qt-free).

The one event -> text implementation of mesodesk. :func:`describe` turns each of
the 17 event payloads into a readable title and body (strategy, position, order,
state, reason), a severity (info, success, warning, error), the object a click
should take the trader to (:class:`Target`), action buttons for signals, and a
*level key* for the level states: entry/exit/adjustment signals are On/Off and
errors Raised/Cleared, tracked by key (the signal's scope, the stable ``ErrorId``)
rather than as messages.

Notifications show the notice; the event log shows :attr:`Notice.log_text` at
:attr:`Severity.log_level` (see :mod:`mesodesk.core.event_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mesodesk.contract import (
    EVENT_CALLBACKS,
    AdjustmentSignalEvent,
    AgentStatusEvent,
    AutoUpdateVarsAdjustmentCompletedEvent,
    AutoUpdateVarsAdjustmentFailedEvent,
    AutoUpdateVarsAdjustmentStartedEvent,
    EntrySignalEvent,
    ErrorEvent,
    ExitSignalEvent,
    LegUpdateEvent,
    MesoLiveEvent,
    OrderUpdateEvent,
    PositionAdjustmentPreparationCompletedEvent,
    PositionAdjustmentPreparationFailedEvent,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PositionExitPreparationCompletedEvent,
    PositionExitPreparationFailedEvent,
    PositionUpdateEvent,
    event_type_of,
)
from mesodesk.core.formatting import fmt_money
from mesodesk.core.trading.exit_rules import fired_rules
from mesodesk.core.trading.pricing import signed_words

#: the 17 Event Hub callback names, in the contract's order
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_CALLBACKS)
#: key prefix of the "N events while you were away" summary notice (:func:`away_summary`)
AWAY_KEY_PREFIX = "away:"


class Severity(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def log_level(self) -> str:
        """The event log's level: "info", "warning" or "error" (a success is info there)."""
        return "info" if self is Severity.SUCCESS else self.value


_RANK = {Severity.INFO: 0, Severity.SUCCESS: 1, Severity.WARNING: 2, Severity.ERROR: 3}

#: callback -> (label shown in the filter, category)
TYPE_LABELS: dict[str, str] = {
    "OnEntrySignal": "Entry signal",
    "OnExitSignal": "Exit signal",
    "OnAdjustmentSignal": "Adjustment signal",
    "OnOrderUpdate": "Order update",
    "OnPositionUpdate": "Position update",
    "OnLegUpdate": "Leg update",
    "OnAgentStatusChange": "Agent status",
    "OnError": "Error",
    "OnPositionEntryPreparationCompleted": "Entry prepared",
    "OnPositionEntryPreparationFailed": "Entry preparation failed",
    "OnPositionExitPreparationCompleted": "Exit prepared",
    "OnPositionExitPreparationFailed": "Exit preparation failed",
    "OnPositionAdjustmentPreparationCompleted": "Adjustment prepared",
    "OnPositionAdjustmentPreparationFailed": "Adjustment preparation failed",
    "OnAutoUpdateVarsAdjustmentStarted": "Auto-update vars started",
    "OnAutoUpdateVarsAdjustmentCompleted": "Auto-update vars completed",
    "OnAutoUpdateVarsAdjustmentFailed": "Auto-update vars failed",
}

#: filter groups of the notification center: group -> callbacks
GROUPS: dict[str, tuple[str, ...]] = {
    "Signals": ("OnEntrySignal", "OnExitSignal", "OnAdjustmentSignal"),
    "Orders": ("OnOrderUpdate",),
    "Positions & legs": ("OnPositionUpdate", "OnLegUpdate"),
    "Preparation": tuple(t for t in EVENT_TYPES if "Preparation" in t),
    "Auto-update vars": tuple(t for t in EVENT_TYPES if "AutoUpdateVars" in t),
    "Errors": ("OnError",),
    "Agent": ("OnAgentStatusChange",),
}


@dataclass(frozen=True)
class Target:
    """Where a click takes the trader.

    ``kind`` is "position", "order", "leg", "agent", "strategy" or "prepared";
    ``id`` the blotter key (for "prepared": the job id). ``position_id`` lets the
    window select the owning position first (linked blotters); ``prep_kind`` is
    "entry", "exit" or "adjustment" for prepared results.
    """

    kind: str
    id: Any
    position_id: int | None = None
    prep_kind: str | None = None


@dataclass(frozen=True)
class Action:
    """A button on a toast: ``kind`` "entry"/"exit"/"adjustment" = prepare that."""

    id: str
    label: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Notice:
    key: str  # the EventId
    seq: int
    callback: str  # hub callback name, e.g. "OnOrderUpdate"
    title: str
    body: str
    severity: Severity
    time: datetime
    event: MesoLiveEvent
    target: Target | None = None
    actions: tuple[Action, ...] = ()
    #: level state: key and whether this event switches it on (On/Raised) or off
    level_key: str | None = None
    level_on: bool | None = None
    #: worth an OS notification when the window is in the background
    important: bool = False
    #: toasts with the same merge key update one toast instead of stacking
    merge_key: str | None = None
    away: bool = False
    read: bool = False
    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: later events of the same level key folded into this history entry (a flapping signal, see
    #: :mod:`mesodesk.core.announcements`); the entry's title and body then summarise them
    folded: list[Notice] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        """The events this history entry stands for: its own and the folded ones."""
        return 1 + len(self.folded)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.callback, self.callback)

    @property
    def sticky(self) -> bool:
        """Errors stay until dismissed."""
        return self.severity is Severity.ERROR

    @property
    def log_text(self) -> str:
        """The notice on one line, as the event log shows it: ``"<title>: <body>"``."""
        return f"{self.title}: {self.body}" if self.body else self.title

    def search_text(self) -> str:
        return f"{self.title}\n{self.body}\n{self.type_label}".lower()


def _v(value: Any) -> str:
    return str(getattr(value, "value", value))


def _num(value: Decimal | float | int | None, places: int | None = None) -> str:
    if value is None:
        return "–"
    if places is not None:
        return f"{Decimal(value):,.{places}f}"
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return text
    return str(value)


def _money(value: Decimal | None) -> str:
    return fmt_money(value)


def _join(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _prep_kind(callback: str) -> str:
    for kind in ("Entry", "Exit", "Adjustment"):
        if f"Position{kind}" in callback:
            return kind.lower()
    return ""


def describe(event: MesoLiveEvent) -> Notice:
    """The notice for one event (title, body, severity, click target, actions, level key)."""
    callback = event_type_of(event)
    n = Notice(key=str(event.event_id), seq=event.event_seq_id, callback=callback,
               title=TYPE_LABELS.get(callback, callback), body="", severity=Severity.INFO, time=event.event_time,
               event=event)
    formatter = next((_FORMATTERS[cls] for cls in type(event).__mro__ if cls in _FORMATTERS), _generic)
    formatter(event, n)
    return n


def worst(notices: Sequence[Notice]) -> Notice:
    """The notice of the highest severity (the first of them)."""
    return max(notices, key=lambda n: n.severity.rank)


def away_summary(away: Sequence[Notice]) -> Notice:
    """One notice for many missed "while you were away": "N events while you were away".

    Its key is ``"away:<first key>"`` (:func:`is_away_summary`), it has no click target,
    the callback, severity and event of the :func:`worst` one, and is important when any is.
    """
    top = worst(away)
    titles = "; ".join(n.title for n in away[-3:])
    count = sum(n.event_count for n in away)
    return Notice(key=f"{AWAY_KEY_PREFIX}{away[0].key}", seq=away[-1].seq, callback=top.callback,
                  title=f"{count} events while you were away", body=f"Latest: {titles}",
                  severity=top.severity, time=away[-1].time, event=top.event, away=True,
                  important=any(n.important for n in away))


def when_text(t: datetime, *, now: datetime | None = None) -> str:
    """When an entry happened, with its date and zone, in this computer's time zone (as the blotters):
    ``Wed 02 Dec 14:48:03 CET``; the year is added when it is not this year's."""
    local = t.astimezone()
    year = "" if local.year == (now or datetime.now(UTC)).astimezone().year else f" {local.year}"
    return f"{local:%a %d %b}{year} {local:%H:%M:%S} {local.tzname() or 'local'}"


def is_away_summary(notice: Notice) -> bool:
    """The notice of :func:`away_summary` (not an event of its own)."""
    return notice.key.startswith(AWAY_KEY_PREFIX)


def _entry_signal(e: EntrySignalEvent, n: Notice) -> None:
    on = _v(e.state) == "On"
    r = e.entry_signal_result
    gates = ""
    if r is not None:
        failed = [name for name, ok in (("schedule", r.schedule_ok), ("re-entry", r.reentry_ok),
                                        ("concurrency", r.concurrency_ok)) if not ok]
        gates = "entry allowed" if r.entry_allowed else (f"blocked by {', '.join(failed)}" if failed else "")
    n.title = f"Entry signal {'ON' if on else 'off'} — {e.strategy_name}"
    n.body = _join(f"Strategy {e.strategy_name} #{e.strategy_id}", f"account {e.broker_account_id}", gates)
    n.severity = Severity.WARNING if on else Severity.INFO
    n.level_key, n.level_on = f"entry:{e.strategy_id}:{e.broker_account_id}", on
    n.target = Target("strategy", e.strategy_id)
    n.important = on
    if on:
        n.actions = (Action("prepare_entry", "Prepare entry", "entry",
                            {"strategy_id": e.strategy_id, "broker_account_id": e.broker_account_id,
                             "strategy_name": e.strategy_name}),)


def _exit_signal(e: ExitSignalEvent, n: Notice) -> None:
    on = _v(e.state) == "On"
    r = e.exit_signal_result
    why = fired_rules(r) if r is not None else []  # the rule and its target, as the Exit review says it
    pnl = f"P&L {_money(r.position_pnl)}" if r is not None and r.position_pnl is not None else None
    n.title = f"Exit signal {'ON' if on else 'off'} — {e.position_name}"
    n.body = _join(f"{e.strategy_name} · position #{e.position_id}", ", ".join(why) or None, pnl)
    n.severity = Severity.WARNING if on else Severity.INFO
    n.level_key, n.level_on = f"exit:{e.position_id}", on
    n.target = Target("position", e.position_id, position_id=e.position_id)
    n.important = on
    if on:
        n.actions = (Action("prepare_exit", "Prepare exit", "exit",
                            {"position_id": e.position_id, "strategy_id": e.strategy_id,
                             "position_name": e.position_name}),)


def _adjustment_signal(e: AdjustmentSignalEvent, n: Notice) -> None:
    on = _v(e.state) == "On"
    statement = e.condition.statement
    n.title = f"Adjustment signal {'ON' if on else 'off'} — {e.position_name}"
    time_ok = None if e.adjustment_time_ok else "outside the adjustment window"
    n.body = _join(f"{e.strategy_name} · position #{e.position_id}", f"when {statement}", time_ok)
    n.severity = Severity.WARNING if on else Severity.INFO
    n.level_key, n.level_on = f"adjustment:{e.position_id}:{statement}", on
    n.target = Target("position", e.position_id, position_id=e.position_id)
    n.important = on
    if on:
        n.actions = (Action("prepare_adjustment", "Prepare adjustment", "adjustment",
                            {"position_id": e.position_id, "strategy_id": e.strategy_id, "condition": statement,
                             "position_name": e.position_name}),)


def _order(e: OrderUpdateEvent, n: Notice) -> None:
    state = _v(e.state)
    n.title = f"Order #{e.order_id} {state.lower() if state != 'PartiallyFilled' else 'partially filled'}"
    fill = None
    if e.filled_qty is not None and e.filled_qty > 0:
        fill = f"filled {_num(e.filled_qty)}"
        if e.remaining_qty:
            fill += f", {_num(e.remaining_qty)} left"
        if e.avg_fill_price is not None:
            fill += f" @ {signed_words(e.avg_fill_price)}"
    reason = f"Rejected: {e.rejection.reason}" if e.rejection is not None else None
    n.body = _join(e.strategy_name, f"account {e.broker_account_id}" if e.broker_account_id else None, fill, reason)
    n.severity = {"Filled": Severity.SUCCESS, "Rejected": Severity.ERROR, "Inactive": Severity.WARNING,
                  "Cancelled": Severity.WARNING, "Expired": Severity.WARNING}.get(state, Severity.INFO)
    n.target = Target("order", e.order_id)
    n.important = state in ("Filled", "Rejected", "Cancelled", "Expired", "Inactive", "PartiallyFilled")
    n.merge_key = f"order:{e.order_id}"


def _position(e: PositionUpdateEvent, n: Notice) -> None:
    status = _v(e.status)
    verb = {"Created": "opened", "Closed": "closed", "Adjusted": "adjusted",
            "RealizedPnLChanged": "realized P&L changed"}.get(status, status)
    n.title = f"Position {e.position_name} {verb}"
    n.body = _join(f"{e.strategy_name} · position #{e.position_id}", f"account {e.broker_account_id}",
                   f"realized {_money(e.realized_pnl)}" if status in ("Closed", "RealizedPnLChanged") else None)
    n.severity = Severity.SUCCESS if status in ("Created", "Closed", "Adjusted") else Severity.INFO
    n.target = Target("position", e.position_id, position_id=e.position_id)
    n.important = status in ("Created", "Closed", "Adjusted")


def _leg(e: LegUpdateEvent, n: Notice) -> None:
    status = _v(e.status)
    verb = {"Created": "opened", "Closed": "closed", "QtyChanged": "qty changed",
            "RealizedPnLChanged": "realized P&L changed"}.get(status, status)
    c = e.contract
    contract = " ".join(p for p in (
        c.root or c.underlying.symbol, f"{c.expiration:%d %b %y}" if c.expiration else None,
        _num(c.strike) if c.strike is not None else None,
        _v(c.option_type) if c.option_type is not None else None) if p)
    n.title = f"Leg {e.leg_name} {verb} — {e.position_name}"
    n.body = _join(contract, f"qty {_num(e.qty)}", f"{e.strategy_name} · position #{e.position_id}")
    n.severity = Severity.INFO
    n.target = Target("leg", e.leg_id, position_id=e.position_id)
    n.merge_key = f"legs:{e.position_id}"


def _agent(e: AgentStatusEvent, n: Notice) -> None:
    status = _v(e.status)
    who = _v(e.connector) if e.connector is not None else "Agent"
    n.title = f"{who} agent {status.lower()}"
    n.body = e.message
    n.severity = {"Connected": Severity.SUCCESS, "Degraded": Severity.WARNING}.get(status, Severity.ERROR)
    n.target = Target("agent", _v(e.connector) if e.connector is not None else "agent")
    n.important = status != "Connected"


def _error(e: ErrorEvent, n: Notice) -> None:
    raised = _v(e.state) == "Raised"
    where = e.position_name or e.strategy_name or "MesoLive"
    n.title = f"Error {'raised' if raised else 'cleared'} — {where}"
    what = e.message or ""
    if e.statement and e.statement not in what:
        what = _join(f"{_v(e.condition_type) + ' ' if e.condition_type else ''}“{e.statement}”", what)
    scope = f"position #{e.position_id}" if e.position_id else (f"strategy #{e.strategy_id}" if e.strategy_id else None)
    n.body = _join(what or None, e.strategy_name if e.position_name else None, scope)
    n.severity = Severity.ERROR if raised else Severity.SUCCESS
    n.level_key, n.level_on = f"error:{e.error_id}", raised
    if e.position_id:
        n.target = Target("position", e.position_id, position_id=e.position_id)
    elif e.strategy_id:
        n.target = Target("strategy", e.strategy_id)
    n.important = raised


def _prep_completed(e: Any, n: Notice) -> None:
    kind = _prep_kind(n.callback)
    r = e.result
    name = getattr(r, "position_name", None) or e.strategy_name
    detail: str | None = None
    if kind == "entry":
        legs = len(r.selected_legs)
        blocked = None if r.entry_allowed in (None, True) else "entry NOT allowed"
        price = r.position_price.mid if r.position_price is not None else None
        detail = _join(f"{legs} legs", f"mid {signed_words(price)}" if price is not None else None, blocked)
    elif kind == "exit":
        detail = f"{len(r.position_legs)} legs to close · position #{r.position_id}"
    elif kind == "adjustment":
        detail = _join(f"{_v(r.operation)} when {r.condition}", f"{len(r.order_legs)} order legs",
                       f"position #{r.position_id}")
    n.title = f"{kind.capitalize()} prepared — {name}"
    n.body = _join(e.strategy_name, detail, "click to review")
    n.severity = Severity.SUCCESS
    n.target = Target("prepared", e.job_id, position_id=getattr(r, "position_id", None), prep_kind=kind)
    n.important = True


def _prep_failed(e: Any, n: Notice) -> None:
    kind = _prep_kind(n.callback)
    n.title = f"{kind.capitalize()} preparation failed — {e.strategy_name}"
    n.body = e.error
    n.severity = Severity.ERROR
    n.target = Target("prepared", e.job_id, prep_kind=kind)
    n.important = True


def _auto_vars(e: Any, n: Notice) -> None:
    phase = n.callback.removeprefix("OnAutoUpdateVarsAdjustment").lower()
    n.title = f"Auto-update vars {phase} — {e.position_name}"
    extra = None
    if isinstance(e, AutoUpdateVarsAdjustmentCompletedEvent) and e.vars:
        extra = ", ".join(f"{k} = {_num(v)}" for k, v in list(e.vars.items())[:4])
    if isinstance(e, AutoUpdateVarsAdjustmentFailedEvent):
        extra = e.error
    n.body = _join(f"when {e.condition}", extra, f"{e.strategy_name} · position #{e.position_id}")
    n.severity = {"started": Severity.INFO, "completed": Severity.SUCCESS}.get(phase, Severity.ERROR)
    n.target = Target("position", e.position_id, position_id=e.position_id)
    n.important = phase == "failed"
    n.merge_key = f"autovars:{e.position_id}:{e.condition}"


def _generic(e: MesoLiveEvent, n: Notice) -> None:
    """A payload without a formatter of its own (a newer contract): its subject and error, if any."""
    subject = getattr(e, "position_name", None) or getattr(e, "strategy_name", None)
    error = getattr(e, "error", None)
    if subject:
        n.title = f"{n.title} — {subject}"
    if isinstance(error, str):
        n.body, n.severity = error, Severity.ERROR


_FORMATTERS: dict[type[MesoLiveEvent], Callable[[Any, Notice], None]] = {
    EntrySignalEvent: _entry_signal,
    ExitSignalEvent: _exit_signal,
    AdjustmentSignalEvent: _adjustment_signal,
    OrderUpdateEvent: _order,
    PositionUpdateEvent: _position,
    LegUpdateEvent: _leg,
    AgentStatusEvent: _agent,
    ErrorEvent: _error,
    PositionEntryPreparationCompletedEvent: _prep_completed,
    PositionExitPreparationCompletedEvent: _prep_completed,
    PositionAdjustmentPreparationCompletedEvent: _prep_completed,
    PositionEntryPreparationFailedEvent: _prep_failed,
    PositionExitPreparationFailedEvent: _prep_failed,
    PositionAdjustmentPreparationFailedEvent: _prep_failed,
    AutoUpdateVarsAdjustmentStartedEvent: _auto_vars,
    AutoUpdateVarsAdjustmentCompletedEvent: _auto_vars,
    AutoUpdateVarsAdjustmentFailedEvent: _auto_vars,
}
