"""The console says which exit rule fired and its target (issue 22, defect 3): Position details ›
Signals and the Exit review, not only the toast. The target is the whole position's: for the
seeded 3-lot put credit spread, 3 × the per-spread value, computed here from its legs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from mesodesk.sim.seed import BROKER_ACCOUNT
from tests.trading.helpers import shot
from tests.trading.test_paper_and_broker import open_exit, ready
from tests.ui.aio import run, until
from tests.ui.console import console

PCS_3_LOTS = 4  # seeded "PCS 45DTE #2" on the broker account, QtyMultiplier 3


def money(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01')):,.2f}"


def test_exit_rule_and_target_in_position_details_and_exit_review(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            server = c.server
            await server.context.signals.stop()  # the test evaluates
            position = server.world.positions[PCS_3_LOTS]
            legs = server.world.position_legs(PCS_3_LOTS)
            assert position.broker_account_id == BROKER_ACCOUNT
            lots = abs(next(leg.qty for leg in legs if leg.name == "short_put"))
            assert lots == 3
            # the bundled definition by hand: credit per spread (per share, net of commissions, from the
            # legs' cost basis) x 100 x spreads held x 0.5 (profit target) / x 2 (stop loss)
            credit = sum((-leg.qty * leg.avg_entry_price for leg in legs), Decimal(0)) / lots
            profit_target, stop_loss = credit * 100 * lots / 2, credit * 100 * lots * 2

            detail = c.window.show_position_details(PCS_3_LOTS)
            assert "no exit signal" in detail.exit_summary.text()
            # the position earns more than its target (booked as realized P&L), then the server evaluates
            short = next(leg for leg in legs if leg.name == "short_put")
            server.world.save_leg(short.model_copy(update={"user_set_realized_pnl": Decimal(100_000)}))
            server.context.signals.evaluate_once()

            # Position details › Signals: the rule that fired, every target, live (no reopen)
            await until(lambda: "profit target" in detail.exit_summary.text())
            summary = detail.exit_summary.text()
            assert summary.startswith("Exit signal ON: ")
            assert f"profit target {money(profit_target)} hit" in summary and "P&L $" in summary
            rules = detail.exit_rules
            shown = {rules.verticalHeaderItem(r).text(): (rules.item(r, 0).text(), rules.item(r, 2).text())
                     for r in range(rules.rowCount())}
            assert shown["Profit target"] == (money(profit_target), "hit")
            assert shown["Stop loss"] == (money(stop_loss), "not hit")
            assert rules.item(0, 1).text().startswith("P&L $")
            assert not rules.isHidden()
            detail.tabs.setCurrentIndex(detail.tabs.count() - 1)
            await shot(detail, "exit-reason-details")

            # the Exit review: why this exit, and the rules with their targets
            w = await open_exit(c, PCS_3_LOTS)
            assert w.plan.exit_signal is not None
            banner = w.review.trigger
            assert banner.isVisible() and banner.level == "ok"
            assert f"Exit signal ON: profit target {money(profit_target)} hit" in banner.text()
            table = w.review.conditions
            rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
                    for r in range(table.rowCount())}
            assert rows["Profit target"] == (money(profit_target), "✓ hit")
            assert rows["Stop loss"] == (money(stop_loss), "· not hit")
            assert table.isVisible()
            await shot(w, "exit-reason-review")

    run(qloop, scenario(), timeout=120)


def test_manual_exit_says_no_signal_is_on(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            await c.server.context.signals.stop()
            # a 1-day-old 3-lot is far from its targets: no exit signal was sent
            assert not any(getattr(e, "position_id", None) == PCS_3_LOTS and e.exit_signal_result is not None
                           for e in c.server.context.signals.active_signals()
                           if hasattr(e, "exit_signal_result"))
            w = await open_exit(c, PCS_3_LOTS)
            assert w.plan.exit_signal is None
            assert w.review.trigger.level == "warn"
            assert "No exit signal received for this position — this is a manual exit." in w.review.trigger.text()
            assert not w.review.conditions.isVisible()

    run(qloop, scenario(), timeout=120)
