"""Connection management through the SDK clients: lifecycle, auth, timeouts, TLS with a private CA."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mesodesk.sdk import (
    ConnectionState,
    InvocationTimeout,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveEventHubClient,
    NotConnectedError,
    SignalRAuthError,
)
from tests.sdk.conftest import FAST, until


async def test_async_with_and_connect_close(simulator: Any, api_key: str) -> None:
    states: list[ConnectionState] = []
    client = MesoLiveControlHubClient(simulator.url, api_key, **FAST)
    client.add_state_listener(states.append)
    assert client.state is ConnectionState.DISCONNECTED
    await client.connect()
    assert client.connected and client.state is ConnectionState.CONNECTED
    await client.close()
    assert client.state is ConnectionState.DISCONNECTED
    with pytest.raises(NotConnectedError):
        await client.list_agents()
    assert states[0] is ConnectionState.CONNECTING and ConnectionState.CONNECTED in states
    async with MesoLiveDataHubClient(simulator.url, api_key, **FAST) as data:
        assert data.connected
    assert not data.connected


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_access_token_factory(simulator: Any, api_key: str, kind: str) -> None:
    calls: list[int] = []

    def sync_token() -> str:
        calls.append(1)
        return api_key

    async def async_token() -> str:
        calls.append(1)
        return api_key

    factory = sync_token if kind == "sync" else async_token
    async with MesoLiveControlHubClient(simulator.url, access_token_factory=factory, **FAST) as c:
        assert (await c.list_agents()).agents
        await simulator.signalr.disconnect_all()
        await until(lambda: c.connection.connection_count == 2 and c.connected)
        assert (await c.list_agents()).agents
    assert len(calls) >= 2  # asked again for the reconnect


async def test_bad_key_fails_fast(simulator: Any) -> None:
    with pytest.raises(SignalRAuthError):
        await MesoLiveControlHubClient(simulator.url, "wrong-key", **FAST).connect()
    with pytest.raises(ValueError):
        MesoLiveControlHubClient(simulator.url, "k", access_token_factory=lambda: "k")


async def test_skip_negotiation(simulator: Any, api_key: str) -> None:
    """skipNegotiation (the app's session to its embedded simulator): the upgrade alone, and a
    rejected key still fails fast."""
    async with MesoLiveControlHubClient(simulator.url, api_key, skip_negotiation=True, **FAST) as control:
        assert control.connected
        await control.list_agents()
    with pytest.raises(SignalRAuthError):
        await MesoLiveControlHubClient(simulator.url, "wrong-key", skip_negotiation=True, **FAST).connect()


def test_the_sdk_imports_aiohttp_only_to_negotiate() -> None:
    """aiohttp (~0.15 s to import) only for the negotiate request: a session that skips it never loads it."""
    code = ("import sys, mesodesk.sdk, mesodesk.core.session; "
            "print(sorted(m for m in ('aiohttp', 'yarl', 'mesodesk.sdk._signalr.negotiate') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_per_call_timeout(simulator: Any, api_key: str) -> None:
    async with MesoLiveEventHubClient(simulator.url, api_key, **FAST) as ev:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises((InvocationTimeout, TimeoutError)):
            # 1 ms is shorter than any round trip
            await ev.get_latest_event_seq_id(timeout=0.000001)
        assert loop.time() - t0 < 2


async def test_wait_connected_after_a_drop(simulator: Any, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST) as c:
        await simulator.signalr.disconnect_all()
        await until(lambda: not c.connected or c.connection.connection_count == 2)  # the client noticed
        await c.wait_connected(timeout=5)
        assert (await c.list_agents()).agents
    with pytest.raises(NotConnectedError):
        await c.wait_connected(timeout=1)


def _make_ca_and_server_cert(tmp: Path) -> tuple[Path, ssl.SSLContext]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mesodesk test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = tmp / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    return ca_file, server_ctx


async def test_tls_with_a_private_ca(tmp_path: Path, api_key: str) -> None:
    from mesodesk.sim.server import SimulatorServer

    ca_file, server_ctx = _make_ca_and_server_cert(tmp_path)
    server = SimulatorServer(tmp_path / "sim", api_key, seed=1, tick_interval=0.1)
    await server.start(port=0, ssl_context=server_ctx)
    try:
        assert server.url.startswith("https://")
        client_ctx = ssl.create_default_context(cafile=str(ca_file))
        async with MesoLiveControlHubClient(server.url, api_key, ssl=client_ctx, **FAST) as c:
            assert (await c.list_agents()).agents  # negotiate (https) and wss both verified
        # without the CA the certificate is rejected
        untrusting = MesoLiveControlHubClient(server.url, api_key, connect_timeout=2.0, **FAST)
        with pytest.raises(Exception) as info:
            await untrusting.connect(timeout=2.0)
        assert "CERTIFICATE" in repr(info.value).upper() or "CERTIFICATE" in repr(untrusting.connection.last_error).upper()
    finally:
        await server.stop()
