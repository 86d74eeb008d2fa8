"""Data hub client (/hubs/data/v1): pricing snapshots and streams."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, cast, overload

from mesodesk.contract import (
    ComboContractsDataEntry,
    ContractDataEntry,
    GetComboContractsSnapshotArgs,
    GetComboContractsSnapshotResult,
    GetContractSnapshotArgs,
    GetContractSnapshotResult,
    GetLegSnapshotArgs,
    GetLegSnapshotResult,
    GetLegsSnapshotArgs,
    GetLegsSnapshotResult,
    GetPositionSnapshotArgs,
    GetPositionSnapshotResult,
    GetUnderlyingSnapshotArgs,
    GetUnderlyingSnapshotResult,
    LegDataEntry,
    LegsDataEntry,
    PositionDataEntry,
    StreamComboContractsDataArgs,
    StreamContractDataArgs,
    StreamLegDataArgs,
    StreamLegsDataArgs,
    StreamPositionDataArgs,
    StreamUnderlyingDataArgs,
    UnderlyingDataEntry,
)
from mesodesk.sdk._hub import HubClient, HubStream, build_args, wire_args
from mesodesk.sdk.lean import LeanHubStream, LeanLegData, LeanLegsData, LeanPositionData


class MesoLiveDataHubClient(HubClient):
    """Data hub client (/hubs/data/v1): pricing snapshots and streams.

    Every method takes its args model, or keyword arguments that build it (snake_case
    or the reference's PascalCase names; an unknown or invalid one raises
    :class:`~mesodesk.sdk.MesoLiveArgumentError` before anything is sent), and
    raises :class:`~mesodesk.sdk.errors.MesoLiveApiException` on a non-Success status.

    ``stream_position_data``, ``stream_leg_data`` and ``stream_legs_data`` take ``lean=True``
    to yield lean items (msgspec Structs with float market values and ``.to_model()``, see
    :mod:`mesodesk.sdk.lean`) instead of the pydantic models with exact ``Decimal`` values.
    """

    HUB: ClassVar[str] = "data"

    def _lean_stream(self, method: str, args: Any, model: Any, lean_type: Any, maxsize: int,
                     resume: bool) -> Any:
        return LeanHubStream(self._connection.stream(method, wire_args(args), maxsize=maxsize, resume=resume),
                             model, lean_type)

    @overload
    def stream_position_data(
        self, args: StreamPositionDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[False] = False, **kwargs: Any
    ) -> HubStream[PositionDataEntry]: ...

    @overload
    def stream_position_data(
        self, args: StreamPositionDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[True], **kwargs: Any
    ) -> HubStream[LeanPositionData]: ...

    def stream_position_data(
        self, args: StreamPositionDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: bool = False, **kwargs: Any
    ) -> HubStream[PositionDataEntry] | HubStream[LeanPositionData]:
        """``StreamPositionData``.

        An async iterator of :class:`PositionDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        ``lean=True``: ``LeanPositionData`` items instead (float market values, ``.to_model()``).
        """
        built = build_args(StreamPositionDataArgs, args, kwargs)
        if lean:
            return cast(HubStream[LeanPositionData],
                        self._lean_stream("StreamPositionData", built, PositionDataEntry, LeanPositionData, maxsize,
                                          resume))
        return self._stream("StreamPositionData", built, PositionDataEntry, maxsize, resume)

    async def get_position_snapshot(
        self, args: GetPositionSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetPositionSnapshotResult:
        """``GetPositionSnapshot``.
        """
        args = build_args(GetPositionSnapshotArgs, args, kwargs)
        return cast(GetPositionSnapshotResult, await self._invoke("GetPositionSnapshot", args, GetPositionSnapshotResult, timeout))

    @overload
    def stream_leg_data(
        self, args: StreamLegDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[False] = False, **kwargs: Any
    ) -> HubStream[LegDataEntry]: ...

    @overload
    def stream_leg_data(
        self, args: StreamLegDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[True], **kwargs: Any
    ) -> HubStream[LeanLegData]: ...

    def stream_leg_data(
        self, args: StreamLegDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: bool = False, **kwargs: Any
    ) -> HubStream[LegDataEntry] | HubStream[LeanLegData]:
        """``StreamLegData``.

        An async iterator of :class:`LegDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        ``lean=True``: ``LeanLegData`` items instead (float market values, ``.to_model()``).
        """
        built = build_args(StreamLegDataArgs, args, kwargs)
        if lean:
            return cast(HubStream[LeanLegData],
                        self._lean_stream("StreamLegData", built, LegDataEntry, LeanLegData, maxsize, resume))
        return self._stream("StreamLegData", built, LegDataEntry, maxsize, resume)

    async def get_leg_snapshot(
        self, args: GetLegSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetLegSnapshotResult:
        """``GetLegSnapshot``.
        """
        args = build_args(GetLegSnapshotArgs, args, kwargs)
        return cast(GetLegSnapshotResult, await self._invoke("GetLegSnapshot", args, GetLegSnapshotResult, timeout))

    @overload
    def stream_legs_data(
        self, args: StreamLegsDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[False] = False, **kwargs: Any
    ) -> HubStream[LegsDataEntry]: ...

    @overload
    def stream_legs_data(
        self, args: StreamLegsDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: Literal[True], **kwargs: Any
    ) -> HubStream[LeanLegsData]: ...

    def stream_legs_data(
        self, args: StreamLegsDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False,
        lean: bool = False, **kwargs: Any
    ) -> HubStream[LegsDataEntry] | HubStream[LeanLegsData]:
        """``StreamLegsData``.

        An async iterator of :class:`LegsDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        ``lean=True``: ``LeanLegsData`` items instead (float market values, ``.to_model()``).
        """
        built = build_args(StreamLegsDataArgs, args, kwargs)
        if lean:
            return cast(HubStream[LeanLegsData],
                        self._lean_stream("StreamLegsData", built, LegsDataEntry, LeanLegsData, maxsize, resume))
        return self._stream("StreamLegsData", built, LegsDataEntry, maxsize, resume)

    async def get_legs_snapshot(
        self, args: GetLegsSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetLegsSnapshotResult:
        """``GetLegsSnapshot``.
        """
        args = build_args(GetLegsSnapshotArgs, args, kwargs)
        return cast(GetLegsSnapshotResult, await self._invoke("GetLegsSnapshot", args, GetLegsSnapshotResult, timeout))

    def stream_combo_contracts_data(
        self, args: StreamComboContractsDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False, **kwargs: Any
    ) -> HubStream[ComboContractsDataEntry]:
        """``StreamComboContractsData``.

        An async iterator of :class:`ComboContractsDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        A ``Provider`` is required.
        """
        return self._stream("StreamComboContractsData", build_args(StreamComboContractsDataArgs, args, kwargs), ComboContractsDataEntry, maxsize, resume)

    async def get_combo_contracts_snapshot(
        self, args: GetComboContractsSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetComboContractsSnapshotResult:
        """``GetComboContractsSnapshot``.
        """
        args = build_args(GetComboContractsSnapshotArgs, args, kwargs)
        return cast(GetComboContractsSnapshotResult, await self._invoke("GetComboContractsSnapshot", args, GetComboContractsSnapshotResult, timeout))

    def stream_contract_data(
        self, args: StreamContractDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False, **kwargs: Any
    ) -> HubStream[ContractDataEntry]:
        """``StreamContractData``.

        An async iterator of :class:`ContractDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        A ``Provider`` is required.
        """
        return self._stream("StreamContractData", build_args(StreamContractDataArgs, args, kwargs), ContractDataEntry, maxsize, resume)

    async def get_contract_snapshot(
        self, args: GetContractSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetContractSnapshotResult:
        """``GetContractSnapshot``.
        """
        args = build_args(GetContractSnapshotArgs, args, kwargs)
        return cast(GetContractSnapshotResult, await self._invoke("GetContractSnapshot", args, GetContractSnapshotResult, timeout))

    def stream_underlying_data(
        self, args: StreamUnderlyingDataArgs | None = None, /, *, maxsize: int = 64, resume: bool = False, **kwargs: Any
    ) -> HubStream[UnderlyingDataEntry]:
        """``StreamUnderlyingData``.

        An async iterator of :class:`UnderlyingDataEntry`. Leaving the ``async for`` (or cancelling
        the task) sends ``CancelInvocation``; a bounded queue keeps the latest items.
        ``resume=True``: a reconnect does not end the stream; it is invoked again (``stream.gaps``).
        A ``Provider`` is required.
        """
        return self._stream("StreamUnderlyingData", build_args(StreamUnderlyingDataArgs, args, kwargs), UnderlyingDataEntry, maxsize, resume)

    async def get_underlying_snapshot(
        self, args: GetUnderlyingSnapshotArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetUnderlyingSnapshotResult:
        """``GetUnderlyingSnapshot``.
        """
        args = build_args(GetUnderlyingSnapshotArgs, args, kwargs)
        return cast(GetUnderlyingSnapshotResult, await self._invoke("GetUnderlyingSnapshot", args, GetUnderlyingSnapshotResult, timeout))
