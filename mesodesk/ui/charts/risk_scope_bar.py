"""The risk graph's scope and beta-weighting selectors: what is graphed (the selected positions,
an account, a strategy) and the index it is weighted to (SPX by default, or none)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from mesodesk.core.risk import SELECTION, RiskScope, scope_choices
from mesodesk.core.state import AppState
from mesodesk.quant.beta_weighting import BETA_INDEXES, DEFAULT_INDEX

NO_INDEX = "Own underlying"


class RiskScopeBar(QWidget):
    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope_box = QComboBox()
        self.scope_box.setObjectName("riskScope")
        self.scope_box.setToolTip("Graph the selected positions, or every open position of an account or strategy")
        self.scope_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scope_box.setMinimumContentsLength(12)
        self.scope_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.scope_box.addItem(SELECTION.label, SELECTION)
        self.index_box = QComboBox()
        self.index_box.setObjectName("riskIndex")
        self.index_box.setToolTip("Beta-weight to this index (betas: Settings → Risk), or graph each "
                                  "position against its own underlying")
        for symbol in BETA_INDEXES:
            self.index_box.addItem(f"β {symbol}", symbol)
        self.index_box.addItem(NO_INDEX, "")
        self.index_box.setCurrentIndex(BETA_INDEXES.index(DEFAULT_INDEX))
        self.scope_box.currentIndexChanged.connect(lambda _i: self.sig_changed.emit())
        self.index_box.currentIndexChanged.connect(lambda _i: self.sig_changed.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 0)
        layout.addWidget(QLabel("Scope"))
        layout.addWidget(self.scope_box, 1)
        layout.addWidget(QLabel("Weight to"))
        layout.addWidget(self.index_box)

    @property
    def scope(self) -> RiskScope:
        data = self.scope_box.currentData()
        return data if isinstance(data, RiskScope) else SELECTION

    @property
    def index(self) -> str | None:
        return str(self.index_box.currentData()) or None

    def set_scope(self, scope: RiskScope) -> bool:
        """Pick ``scope`` if it is offered; returns whether it was."""
        for i in range(self.scope_box.count()):
            if self.scope_box.itemData(i) == scope:
                self.scope_box.setCurrentIndex(i)
                return True
        return False

    def set_index(self, index: str | None) -> None:
        self.index_box.setCurrentIndex(self.index_box.findData(index or ""))

    def update_choices(self, state: AppState) -> None:
        """Offer the accounts and strategies that have open positions (keeps the current pick)."""
        choices = scope_choices(state)
        shown = [self.scope_box.itemData(i) for i in range(self.scope_box.count())]
        if choices == shown:
            return
        current = self.scope
        self.scope_box.blockSignals(True)
        self.scope_box.clear()
        for choice in choices:
            self.scope_box.addItem(choice.label, choice)
        self.scope_box.blockSignals(False)
        if not self.set_scope(current):
            self.scope_box.setCurrentIndex(0)
            self.sig_changed.emit()
