"""The Connect dialog's "Test connection" runs the connection doctor on what was typed."""

from __future__ import annotations

from pathlib import Path

from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.dialogs.connection_dialog import ConnectionDialog
from tests.ui.aio import run, until

KEY = "connect-doctor-key-0123456789"


def test_test_connection_lists_every_check_and_a_verdict(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        server = SimulatorServer(tmp_path / "sim", KEY, seed=3, wire_dialect=WireDialect.from_env())
        await server.start(port=0)
        try:
            dialog = ConnectionDialog("remote", server.url)
            qtbot.addWidget(dialog)
            dialog.show()
            dialog.api_key.setText("wrong-key-0123456789")
            dialog.test_button.click()
            await until(lambda: dialog.report is not None, 30)
            assert dialog.report is not None and dialog.report.blocked
            assert "rejected the API key (401)" in dialog.results.toPlainText()
            assert "blocked" in dialog.verdict.text()
            dialog.report = None
            dialog.api_key.setText(KEY)
            dialog.test_button.click()
            await until(lambda: dialog.report is not None, 30)
            text = dialog.results.toPlainText()
            assert not dialog.report.blocked, text
            assert "✓ ListPositions" in text and "✓ StreamPositionData" in text
            assert dialog.verdict.text().startswith("All checks passed")
            assert dialog.width() <= 720 and KEY not in text
            dialog.grab().save("/tmp/shots/connect-test-connection.png")
            dialog.hide()
        finally:
            await server.stop()

    run(qloop, scenario(), timeout=90)
