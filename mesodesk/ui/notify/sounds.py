"""Notification sounds that never block the GUI thread.

Backends, chosen once at start-up:

1. ``QSoundEffect`` (QtMultimedia) when the binding ships it: PySide6-Essentials
   does not (QtMultimedia is in PySide6-Addons), so this path is used only when a
   full PySide6 is installed;
2. Windows: ``winsound.PlaySound(..., SND_ASYNC)``;
3. a player process started detached: ``afplay`` (macOS), ``pw-play``/``paplay``/
   ``aplay`` (Linux), whichever exists;
4. ``QApplication.beep()``.

Plays are rate limited (one per ``min_gap`` seconds) so a burst of events makes
one sound. ``played`` records what was asked for (tests read it).
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtWidgets import QApplication

log = logging.getLogger("mesodesk.ui.notify.sounds")

SOUND_DIR = Path(__file__).resolve().parents[3] / "resources" / "sounds"
_PLAYERS = {"darwin": [("afplay", [])], "linux": [("pw-play", []), ("paplay", []), ("aplay", ["-q"])]}


def sound_path(name: str) -> Path:
    return SOUND_DIR / f"{name}.wav"


class SoundPlayer(QObject):
    def __init__(self, parent: QObject | None = None, *, min_gap: float = 0.35, backend: str | None = None) -> None:
        super().__init__(parent)
        self.min_gap = min_gap
        self.played: list[str] = []
        self._last = 0.0
        self._effects: dict[str, Any] = {}
        self._program: tuple[str, list[str]] | None = None
        self.backend = backend or self._detect()

    def _detect(self) -> str:
        try:
            from PySide6.QtMultimedia import QSoundEffect  # noqa: F401  # PySide6-Addons only
        except ImportError:
            pass
        else:
            return "qtmultimedia"
        if sys.platform == "win32":
            return "winsound"
        for program, args in _PLAYERS.get("darwin" if sys.platform == "darwin" else "linux", []):
            found = shutil.which(program)
            if found:
                self._program = (found, args)
                return f"process:{program}"
        return "beep"

    def play(self, name: str) -> bool:
        """Start playing sound ``name`` (non-blocking); False when rate limited or unknown."""
        path = sound_path(name)
        now = time.monotonic()
        if not name or not path.exists() or now - self._last < self.min_gap:
            return False
        self._last = now
        self.played.append(name)
        try:
            self._play(path)
        except Exception:  # a sound is never worth an error dialog
            log.info("playing %s failed", path, exc_info=True)
        return True

    def _play(self, path: Path) -> None:
        if self.backend == "qtmultimedia":
            from PySide6.QtMultimedia import QSoundEffect

            effect = self._effects.get(path.stem)
            if effect is None:
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(0.6)
                self._effects[path.stem] = effect
            effect.play()
        elif self.backend == "winsound":
            import winsound

            winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT)
        elif self.backend.startswith("process:") and self._program is not None:
            program, args = self._program
            QProcess.startDetached(program, [*args, str(path)])
        elif self.backend == "beep":
            QApplication.beep()
