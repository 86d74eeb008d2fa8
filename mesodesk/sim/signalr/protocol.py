"""SignalR JSON hub protocol: record framing, parsing and validation, encoding.

Spec: dotnet/aspnetcore ``src/SignalR/docs/specs/HubProtocol.md``. Messages are
JSON objects terminated by the record separator ``0x1E``; a WebSocket frame may
carry several of them.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import orjson

RS = b"\x1e"

#: The JSON hub protocol version this server speaks. As in ASP.NET Core
#: (``JsonHubProtocol.IsVersionSupported(version) => version <= Version``) a client may ask
#: for any version up to it: version 0 clients (e.g. signalrcore, which sends the negotiate
#: version) get the same messages, since versions 0 and 1 of the JSON protocol do not differ.
#: Version 2 (stateful reconnect: Ack/Sequence messages) is not implemented.
JSON_PROTOCOL_VERSION = 1

Dumps = Callable[[Any], bytes]


class MessageType(IntEnum):
    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7


class ProtocolError(Exception):
    """The peer broke the hub protocol; the connection must be closed."""


class MessageTooLarge(ProtocolError):
    """A single message exceeded the configured maximum size."""


def _default(obj: Any) -> Any:
    """orjson ``default`` hook: pydantic models and exact decimals."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="python", by_alias=True)
    if isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            raise TypeError(f"non-finite Decimal {obj} is not valid JSON")
        return orjson.Fragment(str(obj).encode())
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def default_dumps(obj: Any) -> bytes:
    """Default serializer: orjson + pydantic + exact ``Decimal`` numbers."""
    return orjson.dumps(obj, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


def encode(message: dict[str, Any], dumps: Dumps = default_dumps) -> bytes:
    """One record: the serialized message followed by the record separator."""
    return dumps(message) + RS


class RecordReader:
    """Splits incoming frames into complete records, buffering a trailing partial one.

    Linear in the bytes fed: each frame is scanned once, and the frames of a partial record
    are kept as a list of chunks, joined only when its separator arrives (a record sent in
    many small frames costs no more than one sent whole).
    """

    def __init__(self, max_message_size: int) -> None:
        self._max = max_message_size
        self._partial: list[bytes] = []  # frames of the record not yet terminated
        self._partial_size = 0

    def _too_large(self) -> MessageTooLarge:
        return MessageTooLarge(f"Message exceeds the maximum size of {self._max} bytes.")

    def feed(self, data: bytes) -> list[bytes]:
        end = data.find(RS)
        if end < 0:  # no separator: the partial record grows, nothing else is touched
            if data:
                self._partial.append(data)
                self._partial_size += len(data)
                if self._partial_size > self._max:
                    raise self._too_large()
            return []
        parts = data.split(RS)
        if self._partial:
            if self._partial_size + end > self._max:
                raise self._too_large()
            self._partial.append(parts[0])
            parts[0] = b"".join(self._partial)
            self._partial, self._partial_size = [], 0
        tail = parts.pop()  # text after the last separator (usually b"")
        if tail:
            self._partial, self._partial_size = [tail], len(tail)
        records = [p for p in parts if p]
        if any(len(rec) > self._max for rec in records) or self._partial_size > self._max:
            raise self._too_large()
        return records


def parse_handshake(record: bytes) -> tuple[str, int]:
    """Return (protocol, version) of a handshake request or raise ProtocolError."""
    try:
        data = orjson.loads(record)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("Handshake request is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ProtocolError("Handshake request must be a JSON object.")
    protocol = data.get("protocol")
    version = data.get("version")
    if not isinstance(protocol, str) or not isinstance(version, int) or isinstance(version, bool):
        raise ProtocolError("Handshake request is missing 'protocol' or 'version'.")
    return protocol, version


def version_supported(version: int) -> bool:
    """ASP.NET Core's rule: every version up to the server's own."""
    return version <= JSON_PROTOCOL_VERSION


def _require_str(data: dict[str, Any], key: str) -> None:
    if not isinstance(data.get(key), str):
        raise ProtocolError(f"Missing required property '{key}'.")


def _optional(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> None:
    if key in data and data[key] is not None and not isinstance(data[key], kind):
        raise ProtocolError(f"Property '{key}' has the wrong type.")


def parse_message(record: bytes) -> dict[str, Any]:
    """Parse and validate one hub message (types 1-7)."""
    try:
        data = orjson.loads(record)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("Message is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ProtocolError("Message must be a JSON object.")
    mtype = data.get("type")
    if not isinstance(mtype, int) or isinstance(mtype, bool):
        raise ProtocolError("Missing required property 'type'.")
    try:
        kind = MessageType(mtype)
    except ValueError:
        raise ProtocolError(f"Unknown message type '{mtype}'.") from None
    _optional(data, "headers", dict)
    if kind in (MessageType.INVOCATION, MessageType.STREAM_INVOCATION):
        _require_str(data, "target")
        if kind is MessageType.STREAM_INVOCATION:
            _require_str(data, "invocationId")
        else:
            _optional(data, "invocationId", str)
        if not isinstance(data.get("arguments"), list):
            raise ProtocolError("Missing required property 'arguments'.")
        _optional(data, "streamIds", list)
    elif kind is MessageType.STREAM_ITEM:
        _require_str(data, "invocationId")
        if "item" not in data:
            raise ProtocolError("Missing required property 'item'.")
    elif kind is MessageType.COMPLETION:
        _require_str(data, "invocationId")
        if "result" in data and "error" in data:
            raise ProtocolError("The 'error' and 'result' properties are mutually exclusive.")
        _optional(data, "error", str)
    elif kind is MessageType.CANCEL_INVOCATION:
        _require_str(data, "invocationId")
    elif kind is MessageType.CLOSE:
        _optional(data, "error", str)
        _optional(data, "allowReconnect", bool)
    data["type"] = kind
    return data


# --- constructors for outgoing messages ------------------------------------------------

PING: dict[str, Any] = {"type": 6}


def invocation(target: str, args: list[Any], invocation_id: str | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"type": 1, "target": target, "arguments": args}  # "arguments" always present
    if invocation_id is not None:
        msg["invocationId"] = invocation_id
    return msg


def stream_item(invocation_id: str, item: Any) -> dict[str, Any]:
    return {"type": 2, "invocationId": invocation_id, "item": item}


def completion_result(invocation_id: str, result: Any) -> dict[str, Any]:
    return {"type": 3, "invocationId": invocation_id, "result": result}


def completion_error(invocation_id: str, error: str) -> dict[str, Any]:
    return {"type": 3, "invocationId": invocation_id, "error": error}


def completion_empty(invocation_id: str) -> dict[str, Any]:
    return {"type": 3, "invocationId": invocation_id}


def close(error: str | None = None, allow_reconnect: bool = False) -> dict[str, Any]:
    msg: dict[str, Any] = {"type": 7}
    if error is not None:
        msg["error"] = error
    if allow_reconnect:
        msg["allowReconnect"] = True
    return msg
