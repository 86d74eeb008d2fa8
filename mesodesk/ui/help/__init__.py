"""Help inside the app: the user guide and the live keyboard-shortcut map (:mod:`.guide`)."""

from mesodesk.ui.help.guide import ShortcutsDialog, UserGuideDialog, open_help_dialog

__all__ = ["ShortcutsDialog", "UserGuideDialog", "open_help_dialog"]
