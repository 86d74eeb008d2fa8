"""Dialogs: connection, settings (and later entry / exit / order tickets)."""
