"""Make every exception visible: the log file plus a non-modal error panel.

``install_error_hooks`` routes ``sys.excepthook`` (what qasync's ``asyncSlot``
and Qt virtual overrides end in), ``threading.excepthook`` and the asyncio
loop's exception handler (unretrieved task exceptions) to :class:`ErrorHub`.
The hub logs each one with its traceback and emits ``sig_error`` for the panel.

A cancellation (``asyncio.CancelledError``: the trader cancelled a dialog, a window closed
over its task) is no error: it is a DEBUG line.

Expected failures the app explains itself (connection problems, a simulator crash) go
through :meth:`ErrorHub.explain`: a one-line summary and plain details, no traceback.

It also installs :class:`ErrorLogForwarder` on the ``mesodesk`` logger: every
ERROR record of ``mesodesk.*`` (SDK handler exceptions the SDK logs and
swallows, failed Session tasks, failed refreshes) reaches the panel too.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("mesodesk.errors")

#: a log record attribute: the failure was explained to the user already (no stderr echo needed)
EXPLAINED = "mesodesk_explained"


@dataclass(frozen=True)
class ErrorRecord:
    time: datetime
    summary: str
    details: str


class ErrorHub(QObject):
    sig_error = Signal(object)
    """Emitted with an :class:`ErrorRecord` for every exception that reached a hook."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.records: list[ErrorRecord] = []

    def report(self, summary: str, exc: BaseException | None = None, details: str | None = None) -> None:
        if details is None:
            details = "".join(traceback.format_exception(exc)) if exc is not None else summary
        log.error("%s\n%s", summary, details)
        self.add(summary, details)

    def explain(self, summary: str, details: str) -> ErrorRecord:
        """Show an expected failure the app has put in words (a refused key, an unreachable host,
        a simulator crash): no traceback. Logged at WARNING, marked so it is not echoed to stderr."""
        log.warning("%s\n%s", summary, details, extra={EXPLAINED: True})
        return self.add(summary, details)

    def add(self, summary: str, details: str) -> ErrorRecord:
        """Show an error that is already in the log (used by :class:`ErrorLogForwarder`)."""
        record = ErrorRecord(datetime.now(), summary, details)
        self.records.append(record)
        self.sig_error.emit(record)  # thread-safe: queued to the GUI thread's receivers
        return record

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        if issubclass(exc_type, asyncio.CancelledError):  # a cancelled dialog or task: no error
            log.debug("cancelled: %s", exc_type.__name__)
            return
        self.report(f"{exc_type.__name__}: {exc}", exc.with_traceback(tb))

    def asyncio_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message", "asyncio error"))
        if isinstance(exc, asyncio.CancelledError):
            log.debug("asyncio: %s (cancelled)", message)
            return
        summary = f"{type(exc).__name__}: {exc}" if exc is not None else message
        self.report(summary, exc if isinstance(exc, BaseException) else None,
                    None if exc is not None else f"{message}\n{context!r}")


class ErrorLogForwarder(logging.Handler):
    """Forward ERROR records of ``mesodesk.*`` loggers to the :class:`ErrorHub` panel."""

    def __init__(self, hub: ErrorHub) -> None:
        super().__init__(logging.ERROR)
        self.hub = hub
        self._busy = False
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self._busy or record.name == log.name or not record.name.startswith("mesodesk"):
            return
        self._busy = True
        try:
            from mesodesk.ui.logs import redact

            summary = record.getMessage().splitlines()[0] if record.getMessage() else record.name
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                summary = f"{summary}: {type(exc).__name__}: {exc}"
            self.hub.add(redact(summary), redact(self.format(record)))
        except Exception:
            self.handleError(record)
        finally:
            self._busy = False


def install_log_forwarding(hub: ErrorHub) -> ErrorLogForwarder:
    """Attach a forwarder to the ``mesodesk`` logger (replacing an earlier one); returns it."""
    logger = logging.getLogger("mesodesk")
    for handler in list(logger.handlers):
        if isinstance(handler, ErrorLogForwarder):
            logger.removeHandler(handler)
    forwarder = ErrorLogForwarder(hub)
    logger.addHandler(forwarder)
    return forwarder


def install_error_hooks(hub: ErrorHub, loop: asyncio.AbstractEventLoop) -> None:
    sys.excepthook = hub.excepthook
    install_log_forwarding(hub)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hub.report(f"in thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}", args.exc_value)

    threading.excepthook = thread_hook
    loop.set_exception_handler(hub.asyncio_handler)


class ErrorPanel(QWidget):
    """A list of errors with copyable details; never modal."""

    def __init__(self, hub: ErrorHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorPanel")
        self.list = QListWidget()
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        copy = QPushButton("Copy details")
        clear = QPushButton("Clear")
        copy.clicked.connect(self._copy)
        clear.clicked.connect(self._clear)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(copy)
        buttons.addWidget(clear)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(self.details)
        splitter.setSizes([300, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._show)
        hub.sig_error.connect(self.add)
        for record in hub.records:
            self.add(record)

    def add(self, record: ErrorRecord) -> None:
        item = QListWidgetItem(f"{record.time:%H:%M:%S}  {record.summary}")
        item.setData(256, record.details)
        self.list.addItem(item)
        self.list.setCurrentItem(item)

    def _show(self, item: QListWidgetItem | None) -> None:
        self.details.setPlainText("" if item is None else str(item.data(256)))

    def _copy(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.details.toPlainText())

    def _clear(self) -> None:
        self.list.clear()
        self.details.clear()
