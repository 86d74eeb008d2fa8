"""Which exit rule fired and its target, in words (Qt-free).

One wording for the toast and event log (:mod:`mesodesk.core.notices`), the Exit review
and Position details › Signals: ``profit target $3,900.00 hit · P&L $4,010.00``.

The server evaluates the rules ([D]: about every 60 s, level-triggered) and sends the
values it used in ``ExitSignalEvent.ExitSignalResult``; the console only shows them.
Targets are dollars of the whole position, as ``PositionPnL`` (a 25-lot's are 25 times a
1-lot's when the definition says so: see the README, "Exit targets of multi-lot positions").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mesodesk.contract import ExitSignalEvent, ExitSignalsResult, MesoLiveEvent, SignalState
from mesodesk.core.formatting import fmt_money

__all__ = ["ExitTrigger", "RuleLine", "exit_summary", "exit_trigger", "fired_rules", "latest_exit_signal",
           "rule_lines"]


@dataclass(frozen=True)
class RuleLine:
    """One exit rule as the server last evaluated it."""

    rule: str  # "Profit target", "Stop loss", "Max days in trade", "Condition"
    target: str  # "$3,900.00" (whole position), the condition's statement; "–" when not sent
    now: str  # what it was compared with: "P&L $4,010.00", "12 days in trade", ""
    state: str  # "hit", "not hit", "true", "false", "error: …"
    hit: bool


@dataclass(frozen=True)
class ExitTrigger:
    """What the Exit review says about why this exit: ``tone`` "ok" (a signal is on) or "warn"."""

    text: str
    tone: str


def fired_rules(result: ExitSignalsResult) -> list[str]:
    """The rules that hold, each with its target: ``["profit target $157.50 hit", ...]``."""
    why: list[str] = []
    if result.profit_target_hit:
        why.append(f"profit target {fmt_money(result.profit_target)} hit")
    if result.stop_loss_hit:
        why.append(f"stop loss {fmt_money(result.stop_loss)} hit")
    if result.max_days_in_trade_hit:
        why.append(_days(result.days_in_trade))
    why.extend(c.statement for c in result.conditions if c.result)
    return why


def _pnl(result: ExitSignalsResult) -> str | None:
    return f"P&L {fmt_money(result.position_pnl)}" if result.position_pnl is not None else None


def _days(days: int | None) -> str:
    return f"{days} day{'' if days == 1 else 's'} in trade"


def exit_summary(result: ExitSignalsResult) -> str:
    """``"profit target $157.50 hit · P&L $200.00"``; the targets when nothing fired."""
    parts = fired_rules(result)
    if not parts:
        targets = [f"{line.rule.lower()} {line.target}" for line in rule_lines(result)
                   if line.rule in ("Profit target", "Stop loss")]
        parts = [f"no rule holds ({', '.join(targets)})" if targets else "no rule holds"]
    return " · ".join([", ".join(parts), *filter(None, [_pnl(result)])])


def rule_lines(result: ExitSignalsResult) -> list[RuleLine]:
    """Every rule of the evaluation: the targets the server computed and whether each holds."""
    def state(hit: bool) -> str:
        return "hit" if hit else "not hit"

    pnl = _pnl(result) or ""
    lines: list[RuleLine] = []
    if result.profit_target is not None:
        lines.append(RuleLine("Profit target", fmt_money(result.profit_target), pnl, state(result.profit_target_hit),
                              result.profit_target_hit))
    if result.stop_loss is not None:
        lines.append(RuleLine("Stop loss", fmt_money(result.stop_loss), pnl, state(result.stop_loss_hit),
                              result.stop_loss_hit))
    if result.max_days_in_trade_hit or result.days_in_trade is not None:
        # the limit is the definition's MaxDaysInTrade; the result carries only the days
        lines.append(RuleLine("Max days in trade", "–", _days(result.days_in_trade),
                              state(result.max_days_in_trade_hit), result.max_days_in_trade_hit))
    for c in result.conditions:
        text = f"error: {c.error}" if c.result is None else ("true" if c.result else "false")
        values = ", ".join(f"{k} = {v:,.2f}" for k, v in (c.values or {}).items())
        lines.append(RuleLine("Condition", c.statement, values, text, bool(c.result)))
    return lines


def latest_exit_signal(events: Iterable[MesoLiveEvent], position_id: int) -> ExitSignalEvent | None:
    """The newest ``ExitSignalEvent`` (On or Off) of ``position_id`` among ``events``."""
    latest: ExitSignalEvent | None = None
    for e in events:
        if isinstance(e, ExitSignalEvent) and e.position_id == position_id and (
                latest is None or e.event_seq_id >= latest.event_seq_id):
            latest = e
    return latest


def exit_trigger(event: ExitSignalEvent | None) -> ExitTrigger:
    """Why this exit: the signal that is on and the rule that fired with its target, or that none is."""
    if event is None or event.exit_signal_result is None:
        return ExitTrigger("No exit signal received for this position — this is a manual exit.", "warn")
    summary = exit_summary(event.exit_signal_result)
    if event.state == SignalState.On:
        return ExitTrigger(f"Exit signal ON: {summary}.", "ok")
    return ExitTrigger(f"Exit signal off (last evaluation: {summary}) — exiting now is a manual decision.", "warn")
