"""Security: bind policy, bearer auth (header and ``access_token``), constant-time token
comparison, TLS (``--tls-cert/--tls-key``; the SDK verifies certificates), redaction of
tokens in logs, and the GUI keeping the API key out of every file it writes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import keyring
import keyring.backend
import pytest

from mesodesk.sdk import (
    ConnectTimeoutError,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveEventHubClient,
    SignalRAuthError,
)
from mesodesk.sim.cli import is_loopback
from mesodesk.sim.signalr import constant_time_token_check
from mesodesk.sim.signalr import server as signalr_server

from .conftest import API_KEY, FAST, KEY_ENV, SimProcess

pytestmark = pytest.mark.timeout(120)

HUB = "/hubs/control/v1"


# ------------------------------------------------------------------------------ bind policy
def test_refuses_a_non_loopback_bind_without_an_explicit_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    for host in ("0.0.0.0", "::", "192.0.2.10"):
        proc = subprocess.run([sys.executable, "-m", "mesodesk.sim", "--host", host, "--port", "0", "--data-dir",
                               str(tmp_path / "sim")], capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 2, proc
        assert "refusing to bind" in proc.stderr and "--api-key-env" in proc.stderr
    # an explicit key that is empty is refused too
    proc = subprocess.run([sys.executable, "-m", "mesodesk.sim", "--host", "0.0.0.0", "--port", "0",
                           "--api-key-env", "MESODESK_EMPTY_KEY", "--data-dir", str(tmp_path / "sim")],
                          capture_output=True, text=True, timeout=60, env={**env, "MESODESK_EMPTY_KEY": ""})
    assert proc.returncode != 0 and "empty or not set" in proc.stderr
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.com")


# ------------------------------------------------------------------------------ authentication
async def test_wrong_or_missing_token_is_401_on_negotiate_and_socket(sim_factory: Any) -> None:
    sim: SimProcess = sim_factory()
    url = await sim.start()
    wrong = [None, "", "x", API_KEY[:-1], API_KEY + "x", API_KEY.upper(), API_KEY[:5] + " " + API_KEY[5:], "Bearer"]
    async with aiohttp.ClientSession() as http:
        async def negotiate(headers: dict[str, str], query: str = "") -> int:
            async with http.post(f"{url}{HUB}/negotiate?negotiateVersion=1{query}", headers=headers) as r:
                if r.status == 401:
                    assert r.headers.get("WWW-Authenticate") == "Bearer"
                return r.status

        async def upgrade(headers: dict[str, str], query: str = "") -> int:
            try:
                ws = await http.ws_connect(f"{url}{HUB}{'?' + query.lstrip('&') if query else ''}", headers=headers)
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status
            await ws.close()
            return 101

        checked = 0
        for token in wrong:
            for scheme in ("Bearer", "bearer", "Basic"):
                headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
                assert await negotiate(headers) == 401, (scheme, token)
                assert await upgrade(headers) == 401, (scheme, token)
                checked += 2
            if token:
                assert await negotiate({}, f"&access_token={token}") == 401
                assert await upgrade({}, f"&access_token={token}") == 401
                checked += 2
        assert await negotiate({}, "&access_token=" + API_KEY) == 200
        assert await negotiate({"Authorization": f"Bearer {API_KEY}"}) == 200
        assert await upgrade({}, "access_token=" + API_KEY) == 101
        assert await upgrade({"Authorization": f"Bearer {API_KEY}"}) == 101
        # a negotiated id does not replace the token on the upgrade
        async with http.post(f"{url}{HUB}/negotiate?negotiateVersion=1",
                             headers={"Authorization": f"Bearer {API_KEY}"}) as r:
            conn_token = (await r.json())["connectionToken"]
        assert await upgrade({}, f"id={conn_token}") == 401
        assert await upgrade({"Authorization": "Bearer nope"}, f"id={conn_token}") == 401
    for client_type in (MesoLiveControlHubClient, MesoLiveDataHubClient, MesoLiveEventHubClient):
        with pytest.raises(SignalRAuthError):
            async with client_type(url, "not-the-key", **FAST):
                pass
    print(f"auth checks: {checked + 6}")


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signalr_server.hmac, "compare_digest", spy)
    check = constant_time_token_check("s3cret", "user")
    assert check("s3cret") == "user"
    assert check("s3cre") is None and check("S3CRET") is None and check("") is None
    assert check(None) is None  # no token: rejected without comparing
    assert calls == [(b"s3cret", b"s3cret"), (b"s3cre", b"s3cret"), (b"S3CRET", b"s3cret"), (b"", b"s3cret")]
    # the simulator authenticates with exactly this check
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", "k3y", seed=1)
    try:
        auth = server.signalr._authenticate
        assert auth is not None and auth.__qualname__ == "constant_time_token_check.<locals>.check"
        calls.clear()
        assert auth("k3y") == "user" and auth("k3z") is None
        assert calls == [(b"k3y", b"k3y"), (b"k3z", b"k3y")]
    finally:
        server.store.close()


# ------------------------------------------------------------------------------ TLS
def make_ca_and_cert(directory: Path) -> tuple[Path, Path, Path, Path]:
    """(CA cert, server cert, server key, a self-signed cert) as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def key_pem(key: Any) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("mesodesk test CA")).issuer_name(name("mesodesk test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])

    def leaf(issuer_name: x509.Name, signer: Any, key: Any) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(issuer_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(san, critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if signer is ca_key:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        return builder.sign(signer, hashes.SHA256())

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = leaf(ca.subject, ca_key, server_key)
    self_key = ec.generate_private_key(ec.SECP256R1())
    self_signed = leaf(name("localhost"), self_key, self_key)
    paths = [directory / n for n in ("ca.pem", "server.pem", "server.key", "self-signed.pem", "self-signed.key")]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key_pem(server_key))
    paths[3].write_bytes(self_signed.public_bytes(serialization.Encoding.PEM))
    paths[4].write_bytes(key_pem(self_key))
    return paths[0], paths[1], paths[2], paths[3]


async def test_tls_serves_wss_and_the_sdk_verifies_certificates(sim_factory: Any, tmp_path: Path) -> None:
    ca, cert, key, self_signed = make_ca_and_cert(tmp_path)
    sim: SimProcess = sim_factory(extra=["--tls-cert", str(cert), "--tls-key", str(key)])
    url = await sim.start()
    assert url.startswith("https://127.0.0.1:")
    # default verification: the private CA is not trusted -> no connection
    client = MesoLiveControlHubClient(url, API_KEY, **{**FAST, "connect_timeout": 2.0})
    with pytest.raises(ConnectTimeoutError) as info:
        await client.connect(timeout=3.0)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(client.connection.last_error) + repr(info.value)
    # trusting another (self-signed) certificate does not help either
    client = MesoLiveControlHubClient(url, API_KEY, ssl=ssl.create_default_context(cafile=str(self_signed)),
                                      **{**FAST, "connect_timeout": 2.0})
    with pytest.raises(ConnectTimeoutError):
        await client.connect(timeout=3.0)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(client.connection.last_error)
    # the right CA: https negotiate + wss upgrade, every hub
    trusted = ssl.create_default_context(cafile=str(ca))
    async with MesoLiveControlHubClient(url, API_KEY, ssl=trusted, **FAST) as control:
        assert (await control.list_agents()).agents
    async with MesoLiveEventHubClient(url, API_KEY, ssl=trusted, **FAST) as events:
        await events.get_latest_event_seq_id()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url.replace("https://", "wss://") + HUB + "?access_token=" + API_KEY,
                                   ssl=trusted)
        await ws.send_str('{"protocol":"json","version":1}\x1e')
        assert (await ws.receive(timeout=5)).data == "{}\x1e"
        await ws.close()
        with pytest.raises(aiohttp.ClientError):  # plain http on the TLS port
            async with http.post(url.replace("https://", "http://") + HUB + "/negotiate") as r:
                await r.read()
        # and a wrong token is still 401 over TLS
        async with http.post(url + HUB + "/negotiate", ssl=trusted, headers={"Authorization": "Bearer x"}) as r:
            assert r.status == 401


def test_tls_options_are_validated(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", str(tmp_path / "sim")]
    proc = subprocess.run([*base, "--tls-cert", str(tmp_path / "x.pem")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "go together" in proc.stderr
    (tmp_path / "bad.pem").write_text("not a certificate")
    proc = subprocess.run([*base, "--tls-cert", str(tmp_path / "bad.pem"), "--tls-key", str(tmp_path / "bad.pem")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot load" in proc.stderr


# ------------------------------------------------------------------------------ logs
class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def debug_logs() -> Iterator[_Capture]:
    handler = _Capture()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def test_logs_never_contain_the_token(debug_logs: _Capture, tmp_path: Path) -> None:
    """SDK and simulator in one process, everything at DEBUG: header and query tokens, good and bad."""
    from mesodesk.sim.server import SimulatorServer

    key = "tok-" + "Zq9" * 10
    server = SimulatorServer(tmp_path / "sim", key, seed=5, tick_interval=0.05)
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, key, **FAST) as control:
            await control.list_agents()
        async with MesoLiveEventHubClient(server.url, key, **FAST) as events:
            await events.get_latest_event_seq_id()
        with pytest.raises(SignalRAuthError):
            async with MesoLiveControlHubClient(server.url, key + "WRONG", **FAST):
                pass
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}{HUB}/negotiate?access_token={key}") as r:
                assert r.status == 200
            ws = await http.ws_connect(f"{server.url}{HUB}?access_token={key}")
            await ws.send_str('{"protocol":"json","version":1}\x1e')
            await ws.receive(timeout=5)
            await ws.send_str("garbage\x1e")  # a protocol error is logged
            await ws.receive(timeout=5)
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(f"{server.url}{HUB}?access_token={key}x")
    finally:
        await server.stop()
    text = "\n".join(debug_logs.lines)
    assert len(debug_logs.lines) > 20, "DEBUG logging did not capture the connection"
    assert key not in text, [line for line in debug_logs.lines if key in line][:5]
    assert "Zq9Zq9" not in text


# ------------------------------------------------------------------------------ GUI: keyring only
class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


def xdg_env(root: Path) -> dict[str, str]:
    dirs = {name: root / name.lower() for name in
            ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return {**{k: str(v) for k, v in dirs.items()}, "HOME": str(root / "home")}


def files_containing(root: Path, secret: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            found.append(path)
    return found


def test_credentials_live_in_the_keyring_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mesodesk.core import credentials

    for k, v in xdg_env(tmp_path / "xdg").items():
        monkeypatch.setenv(k, v)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        secret = "keyring-only-" + "Q7" * 12
        credentials.store_api_key("https://Example.test/", secret)
        assert credentials.load_api_key("https://example.test") == secret
        assert backend.passwords == {(credentials.SERVICE, "https://example.test"): secret}
        credentials.delete_api_key("https://example.test")
        assert credentials.load_api_key("https://example.test") is None
        credentials.store_api_key("https://example.test", secret)
    finally:
        keyring.set_keyring(previous)
    assert files_containing(tmp_path, secret) == []


@pytest.mark.timeout(180)
async def test_gui_run_leaves_the_key_in_no_file(sim_factory: Any, tmp_path: Path) -> None:
    """``mesodesk --server URL --api-key-env VAR --screenshot`` against a live simulator: the key
    appears in no file under the config/data/state(log)/cache dirs."""
    sim: SimProcess = sim_factory(tmp_path / "simdata")
    url = await sim.start()
    root = tmp_path / "gui"
    env = {**os.environ, **xdg_env(root), "GUI_KEY": API_KEY, "QT_QPA_PLATFORM": "offscreen",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop(KEY_ENV, None)
    shot = root / "shot.png"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesodesk", "--server", url, "--api-key-env", "GUI_KEY", "--screenshot", str(shot),
        "--screenshot-timeout", "90", cwd=root, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 150)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    assert shot.exists()
    logs = list((root / "xdg_state_home").rglob("*.log"))
    assert logs, f"no log file under XDG_STATE_HOME: {list(root.rglob('*'))}"
    assert files_containing(root, API_KEY) == []
    assert API_KEY.encode() not in out
