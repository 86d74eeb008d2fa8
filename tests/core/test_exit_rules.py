"""One wording for "which exit rule fired, and its target": the toast / event log (notices), the
Exit review and Position details use :mod:`mesodesk.core.trading.exit_rules`."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesodesk.contract import (
    ConditionEvaluation,
    ConditionType,
    ExitSignalEvent,
    ExitSignalsResult,
    SignalState,
)
from mesodesk.core.notices import describe
from mesodesk.core.trading.exit_rules import (
    exit_summary,
    exit_trigger,
    fired_rules,
    latest_exit_signal,
    rule_lines,
)

money = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2)


def dollars(value: Decimal) -> str:
    """Independent of fmt_money: ``$1,234.50`` / ``-$39.00``."""
    return ("-" if value < 0 else "") + f"${abs(value):,.2f}"


def event(result: ExitSignalsResult, state: SignalState = SignalState.On, seq: int = 1,
          position_id: int = 5) -> ExitSignalEvent:
    e = ExitSignalEvent(event_time="2025-03-04T15:00:00Z", state=state, strategy_id=1, strategy_name="PCS",
                        position_id=position_id, position_name="PCS x25", broker_account_id="U7654321",
                        exit_signal_result=result)
    return e.model_copy(update={"event_seq_id": seq})


@given(target=money, stop=money, pnl=money, pt_hit=st.booleans(), sl_hit=st.booleans(), days_hit=st.booleans(),
       days=st.integers(0, 400), condition=st.booleans())
def test_the_rule_and_its_target_say_the_same_everywhere(target: Decimal, stop: Decimal, pnl: Decimal, pt_hit: bool,
                                                        sl_hit: bool, days_hit: bool, days: int,
                                                        condition: bool) -> None:
    cond = ConditionEvaluation(statement="underlying_price < 5000", type=ConditionType.Exit, result=condition,
                               values={"underlying_price": Decimal("4990.5")})
    result = ExitSignalsResult(profit_target_hit=pt_hit, stop_loss_hit=sl_hit, max_days_in_trade_hit=days_hit,
                               conditions=[cond], position_pnl=pnl, profit_target=target, stop_loss=stop,
                               days_in_trade=days)
    expected = ([f"profit target {dollars(target)} hit"] if pt_hit else []) + (
        [f"stop loss {dollars(stop)} hit"] if sl_hit else []) + (
        [f"{days} day{'' if days == 1 else 's'} in trade"] if days_hit else []) + (
        ["underlying_price < 5000"] if condition else [])
    assert fired_rules(result) == expected
    # the toast / event log body and the review's banner carry the same words and the P&L
    body = describe(event(result)).body
    summary = exit_summary(result)
    for words in expected:
        assert words in body and words in summary
    assert f"P&L {dollars(pnl)}" in body and summary.endswith(f"P&L {dollars(pnl)}")
    if not expected:
        assert f"profit target {dollars(target)}" in summary and f"stop loss {dollars(stop)}" in summary
    trigger = exit_trigger(event(result))
    assert trigger.tone == "ok" and trigger.text == f"Exit signal ON: {summary}."
    off = exit_trigger(event(result, SignalState.Off))
    assert off.tone == "warn" and summary in off.text and "manual" in off.text
    # every rule with its target and state
    lines = {line.rule: line for line in rule_lines(result)}
    assert (lines["Profit target"].target, lines["Profit target"].hit) == (dollars(target), pt_hit)
    assert (lines["Stop loss"].target, lines["Stop loss"].hit) == (dollars(stop), sl_hit)
    assert lines["Profit target"].now == f"P&L {dollars(pnl)}"
    assert lines["Max days in trade"].hit is days_hit and lines["Condition"].state == str(condition).lower()
    assert lines["Condition"].now == "underlying_price = 4,990.50"


def test_no_signal_is_a_manual_exit_and_the_latest_signal_wins() -> None:
    assert exit_trigger(None).tone == "warn" and "manual exit" in exit_trigger(None).text
    result = ExitSignalsResult(profit_target=Decimal(100), stop_loss=Decimal(400), position_pnl=Decimal(10))
    on = event(result.model_copy(update={"profit_target_hit": True}), SignalState.On, seq=7)
    off = event(result, SignalState.Off, seq=9)
    other = event(result, SignalState.On, seq=12, position_id=6)
    assert latest_exit_signal([off, other, on], 5) is off
    assert latest_exit_signal([on], 5) is on and latest_exit_signal([other], 5) is None
