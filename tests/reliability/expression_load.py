"""Figures of issue 18, findings 3 and 4 (expression engine), for one or more code trees in one run.

    .venv/bin/python -m tests.reliability.expression_load [--code /work/old18] [--code .]

For each tree, ``python -m mesodesk.sim`` of that tree runs as a subprocess (the client is
this checkout's SDK) and the script reports:

* finding 3: one CreateStrategy with 40 conditions of ~9.6 KB each: its duration and the
  longest round trip of a probe client (ListAccounts in a loop on another connection) while
  it was in flight, i.e. how long the simulator's event loop was blocked; the same for the
  worst definition the tree accepts at the expression limits (expressions of 1,000 terms up
  to the per-strategy character limit);
* finding 4: the simulator's RSS before and after 480 CreateStrategy calls, each with a
  distinct ~9.6 KB condition, all refused; then 480 more with distinct ~2.4 KB conditions of
  999 terms that parse on every tree (refused for their unknown variables).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from mesodesk.sdk import MesoLiveControlHubClient
from mesodesk.sdk.errors import MesoLiveApiException

KEY_ENV = "MESODESK_EXPRESSION_LOAD_KEY"
KEY = "expression-load-key-0123456789"


def base_definition() -> dict[str, Any]:
    text = resources.files("mesodesk.sim").joinpath("strategies", "spx_put_credit_spread.json").read_text()
    return dict(json.loads(text))


def balanced_condition(i: int) -> str:
    """~9.6 KB that parses on the old code too (nesting 2): 30 groups of 50 distinct unknown variables."""
    groups = []
    size = 0
    g = 0
    while size < 9_400:
        group = "(" + "+".join(f"v{i}_{g}_{j}" for j in range(50)) + ")"
        groups.append(group)
        size += len(group) + 1
        g += 1
    return "+".join(groups) + " > 0"


def at_the_limits(i: int) -> str:
    """Parses on both trees (999 terms, ~2.4 KB), refused for its 499 unknown variables."""
    return "+".join(f"v{j}" for j in range(499)) + f" > {i}"


def worst_accepted() -> dict[str, Any]:
    """Entry.Conditions of 999 terms each (``1+1+... > k``) up to ~31,000 characters in all."""
    d = base_definition()
    condition = "+".join(["1"] * 499)  # 997 terms, 997 characters
    used = sum(len(s) for s in _strings(d))
    d["Entry"]["Conditions"] = [f"{condition} > {k}" for k in range(max(1, (32_000 - used) // (len(condition) + 6)))]
    return d


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(pid)


async def blocked(url: str, call: Callable[[], Awaitable[Any]]) -> tuple[float, float, str]:
    """(call seconds, longest probe round trip in seconds, outcome) of ``call``."""
    async with MesoLiveControlHubClient(url, KEY) as probe:
        await probe.list_accounts()
        done = asyncio.Event()
        longest = 0.0

        async def probing() -> None:
            nonlocal longest
            while not done.is_set():
                t = time.perf_counter()
                await probe.list_accounts()
                longest = max(longest, time.perf_counter() - t)
                await asyncio.sleep(0.002)

        task = asyncio.create_task(probing())
        await asyncio.sleep(0.05)
        longest = 0.0
        start = time.perf_counter()
        try:
            await call()
            outcome = "accepted"
        except MesoLiveApiException as exc:
            outcome = f"{getattr(exc.status, 'value', exc.status)}: {(exc.message or '')[:150]}"
        took = time.perf_counter() - start
        done.set()
        await task
        return took, longest, outcome


async def measure(code: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, KEY_ENV: KEY, "PYTHONPATH": str(code)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", f"{tmp}/sim", "--api-key-env",
            KEY_ENV, "--ready-json", cwd=tmp, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        assert proc.stdout is not None
        ready = json.loads(await proc.stdout.readline())
        url = ready["url"]
        out: dict[str, Any] = {"code": str(code)}
        try:
            async with MesoLiveControlHubClient(url, KEY, invoke_timeout=120.0) as control:
                took, longest, outcome = await blocked(
                    url, lambda: control.create_strategy(strategy_definition=base_definition()))
                out["baseline: a bundled strategy"] = {"call s": round(took, 3), "loop blocked s": round(longest, 3),
                                                       "outcome": outcome}
                big = base_definition()
                big["Entry"]["Conditions"] = [balanced_condition(1_000 + k) for k in range(40)]
                size = sum(len(c) for c in big["Entry"]["Conditions"])
                took, longest, outcome = await blocked(url, lambda: control.create_strategy(strategy_definition=big))
                out["finding 3: 40 x 9.6 KB"] = {"KiB": round(size / 1024), "call s": round(took, 3),
                                                 "loop blocked s": round(longest, 3), "outcome": outcome}
                worst = worst_accepted()
                took, longest, outcome = await blocked(url, lambda: control.create_strategy(strategy_definition=worst))
                out["worst at the limits"] = {"conditions": len(worst["Entry"]["Conditions"]),
                                              "chars": sum(len(s) for s in _strings(worst)), "call s": round(took, 3),
                                              "loop blocked s": round(longest, 3), "outcome": outcome}
                await asyncio.sleep(1.0)
                before = rss_kib(proc.pid)
                refused = 0
                for i in range(480):
                    d = base_definition()
                    d["Entry"]["Conditions"] = [balanced_condition(i)]
                    try:
                        await control.create_strategy(strategy_definition=d)
                    except MesoLiveApiException:
                        refused += 1
                out["finding 4: 480 refused"] = {"refused": refused, "RSS before MiB": round(before / 1024),
                                                 "RSS after MiB": round(rss_kib(proc.pid) / 1024)}
                before = rss_kib(proc.pid)
                refused = 0
                for i in range(480):
                    d = base_definition()
                    d["Entry"]["Conditions"] = [at_the_limits(i)]
                    try:
                        await control.create_strategy(strategy_definition=d)
                    except MesoLiveApiException:
                        refused += 1
                out["480 refused within the limits"] = {"refused": refused, "RSS before MiB": round(before / 1024),
                                                        "RSS after MiB": round(rss_kib(proc.pid) / 1024)}
        finally:
            proc.terminate()
            await proc.wait()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", type=Path, help="a code tree (default: this checkout)")
    args = parser.parse_args()
    for code in args.code or [Path(__file__).resolve().parents[2]]:
        code = code.resolve()
        print(json.dumps(asyncio.run(measure(code)), indent=1), flush=True)


if __name__ == "__main__":
    main()
