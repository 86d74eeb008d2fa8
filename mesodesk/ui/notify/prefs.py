"""Notification preferences: the ``notifications`` section of the JSON settings (Qt-free).

Stored as a plain dict in :attr:`mesodesk.core.settings.Settings.notifications`
so the core settings stay ignorant of this package. Missing keys take their
defaults and unknown keys are ignored, so the section needs no version bump of
its own; ``NOTIFY_PREFS_VERSION`` is written for a future migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesodesk.core.notices import EVENT_TYPES

NOTIFY_PREFS_VERSION = 1
DESKTOP_MODES = ("unfocused", "always", "never")
SOUNDS = ("info", "success", "warning", "error", "signal", "fill")


@dataclass
class TypeRule:
    toast: bool = True
    desktop: bool = True
    sound: str = ""  # "" = silent, else one of SOUNDS


def _defaults() -> dict[str, TypeRule]:
    rules: dict[str, TypeRule] = {}
    for t in EVENT_TYPES:
        if t.endswith("Signal"):
            rules[t] = TypeRule(True, True, "signal")
        elif t == "OnOrderUpdate":
            rules[t] = TypeRule(True, True, "fill")
        elif t == "OnPositionUpdate":
            rules[t] = TypeRule(True, False, "success")
        elif t == "OnLegUpdate":
            rules[t] = TypeRule(True, False, "")
        elif t == "OnAgentStatusChange":
            rules[t] = TypeRule(True, True, "warning")
        elif t == "OnError" or t.endswith("Failed"):
            rules[t] = TypeRule(True, True, "error")
        elif t.endswith("Completed") and "Preparation" in t:
            rules[t] = TypeRule(True, True, "success")
        else:  # auto-update vars started/completed
            rules[t] = TypeRule(True, False, "")
    return rules


DEFAULT_RULES = _defaults()


@dataclass
class NotificationPrefs:
    #: in-app toasts at all (the notification center always records)
    toasts: bool = True
    #: OS notifications: only while the window is unfocused/minimised, always, or never
    desktop: str = "unfocused"
    sounds: bool = True
    #: silences OS notifications and sounds; toasts and the history stay
    do_not_disturb: bool = False
    #: seconds a non-error toast stays (errors stay until dismissed)
    toast_seconds: int = 6
    max_toasts: int = 5
    rules: dict[str, TypeRule] = field(default_factory=lambda: {k: TypeRule(**vars(v)) for k, v in DEFAULT_RULES.items()})

    def rule(self, callback: str) -> TypeRule:
        return self.rules.get(callback) or DEFAULT_RULES.get(callback) or TypeRule()

    @classmethod
    def from_dict(cls, data: Any) -> NotificationPrefs:
        prefs = cls()
        if not isinstance(data, dict):
            return prefs
        if isinstance(data.get("toasts"), bool):
            prefs.toasts = data["toasts"]
        if data.get("desktop") in DESKTOP_MODES:
            prefs.desktop = data["desktop"]
        if isinstance(data.get("sounds"), bool):
            prefs.sounds = data["sounds"]
        if isinstance(data.get("do_not_disturb"), bool):
            prefs.do_not_disturb = data["do_not_disturb"]
        if isinstance(data.get("toast_seconds"), int):
            prefs.toast_seconds = min(max(data["toast_seconds"], 2), 60)
        if isinstance(data.get("max_toasts"), int):
            prefs.max_toasts = min(max(data["max_toasts"], 1), 10)
        types = data.get("types")
        if isinstance(types, dict):
            for callback, raw in types.items():
                if callback not in prefs.rules or not isinstance(raw, dict):
                    continue
                rule = prefs.rules[callback]
                if isinstance(raw.get("toast"), bool):
                    rule.toast = raw["toast"]
                if isinstance(raw.get("desktop"), bool):
                    rule.desktop = raw["desktop"]
                if raw.get("sound") in ("", *SOUNDS):
                    rule.sound = raw["sound"]
        return prefs

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": NOTIFY_PREFS_VERSION, "toasts": self.toasts, "desktop": self.desktop, "sounds": self.sounds,
            "do_not_disturb": self.do_not_disturb, "toast_seconds": self.toast_seconds,
            "max_toasts": self.max_toasts,
            "types": {k: {"toast": r.toast, "desktop": r.desktop, "sound": r.sound} for k, r in self.rules.items()},
        }
