"""Notifications: in-app toasts, the notification center dock, OS notifications, sounds and the tray.

``install_notifications(window)`` wires it all into the main window; see
:mod:`mesodesk.ui.notify.manager` for the exactly-once rule.
"""

from mesodesk.ui.notify.manager import NotificationManager, install_notifications

__all__ = ["NotificationManager", "install_notifications"]
