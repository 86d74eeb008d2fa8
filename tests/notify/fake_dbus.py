# ruff: noqa: F821, F722
"""A private D-Bus session bus with a fake ``org.freedesktop.Notifications`` server (dbus-fast).

No ``from __future__ import annotations`` here: dbus-fast reads the D-Bus signatures
from the annotations at class creation.
"""

import asyncio
import os
import shutil
import signal
import subprocess
from typing import Any

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"


def dbus_daemon() -> str | None:
    return shutil.which("dbus-daemon")


class PrivateBus:
    """``dbus-daemon --session`` on a private socket, stopped with :meth:`stop`."""

    def __init__(self) -> None:
        program = dbus_daemon()
        assert program is not None
        self.process = subprocess.Popen(
            [program, "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()
        assert self.address, self.process.stderr.read() if self.process.stderr else "no address"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class FakeNotifications(ServiceInterface):
    """Records every ``Notify`` call; can click a notification (``ActionInvoked``)."""

    def __init__(self) -> None:
        super().__init__(BUS_NAME)
        self.calls: list[dict[str, Any]] = []
        self.next_id = 0

    @dbus_method()
    def Notify(self, app_name: 's', replaces_id: 'u', app_icon: 's', summary: 's', body: 's',
               actions: 'as', hints: 'a{sv}', expire_timeout: 'i') -> 'u':
        self.next_id += 1
        self.calls.append({"id": self.next_id, "app_name": app_name, "app_icon": app_icon, "summary": summary,
                           "body": body, "actions": list(actions), "hints": dict(hints),
                           "expire_timeout": expire_timeout})
        return self.next_id

    @dbus_method()
    def GetCapabilities(self) -> 'as':
        return ["body", "actions", "body-markup"]

    @dbus_method()
    def GetServerInformation(self) -> 'ssss':
        return ["mesodesk-fake", "mesodesk tests", "1.0", "1.2"]

    @dbus_method()
    def CloseNotification(self, id: 'u') -> None:
        self.NotificationClosed(id, 3)

    @dbus_signal()
    def NotificationClosed(self, id: 'u', reason: 'u') -> 'uu':
        return [id, reason]

    @dbus_signal()
    def ActionInvoked(self, id: 'u', action_key: 's') -> 'us':
        return [id, action_key]


async def serve(address: str) -> tuple[MessageBus, FakeNotifications]:
    bus = await MessageBus(bus_address=address).connect()
    server = FakeNotifications()
    bus.export(OBJECT_PATH, server)
    await bus.request_name(BUS_NAME)
    await asyncio.sleep(0)
    return bus, server
