"""The last session's window cache: what is written is read back exactly, for its own world only;
a damaged file is no cache and one line saying why, never an exception."""

from __future__ import annotations

import json
import string
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mesodesk.core.session_cache import (
    CACHE_FILE,
    CachedBlotter,
    CachedColumn,
    CachedPanel,
    SessionCache,
    read_cache,
    write_cache,
)
from mesodesk.core.world import World, world_folder

WORLD = World.embedded("/tmp/some/simulator").key
text = st.text(alphabet=string.printable + "€–ÄΔ—", max_size=20)
coordinate = st.integers(-5_000, 5_000)
size = st.integers(0, 5_000)
rects = st.tuples(coordinate, coordinate, size, size)
panels = st.builds(CachedPanel, text, text, rects)


@st.composite
def blotters(draw: st.DrawFn) -> CachedBlotter:
    columns = draw(st.lists(st.builds(CachedColumn, text, size, st.booleans()), max_size=6))
    row = st.tuples(*[text for _ in columns])
    rows = draw(st.lists(row, max_size=8))
    return CachedBlotter(draw(panels), tuple(columns), tuple(rows), draw(st.integers(len(rows), 10**6)))


caches = st.builds(SessionCache, st.just(WORLD), text, st.tuples(coordinate, coordinate, st.integers(1, 5_000),
                                                                 st.integers(1, 5_000)),
                   st.lists(blotters(), max_size=4).map(tuple), st.lists(panels, max_size=4).map(tuple),
                   st.integers(1, 60))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cache=caches)
def test_what_is_written_is_read_back_for_its_world_only(tmp_path: Path, cache: SessionCache) -> None:
    folder = tmp_path / "world"
    write_cache(folder, cache)
    assert read_cache(folder, WORLD).cache == cache
    other = read_cache(folder, World.embedded("/tmp/another/simulator").key)
    assert other.cache is None and other.problem is not None and "another world" in other.problem
    assert [p.name for p in folder.iterdir()] == [CACHE_FILE]  # no temporary file left behind


def _valid_bytes() -> bytes:
    cache = SessionCache(WORLD, "2026-12-02T15:00:00+00:00", (10, 20, 1400, 800), (
        CachedBlotter(CachedPanel("positions", "Positions", (0, 60, 1400, 300)),
                      (CachedColumn("Id", 60, True), CachedColumn("Strategy", 200)), (("#1", "Iron condor"),), 1),))
    return json.dumps(cache.to_json()).encode()


def _assert_ignored(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    read = read_cache(path.parent, WORLD)
    assert read.cache is None
    assert read.problem is not None and "\n" not in read.problem
    assert read.problem.startswith(f"the last session's window {path} is damaged (") and read.problem.endswith(
        "; ignored")


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(_valid_bytes()) - 1))
def test_a_truncated_file_is_ignored_with_one_line(tmp_path: Path, cut: int) -> None:
    _assert_ignored(tmp_path / CACHE_FILE, _valid_bytes()[:cut])


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                           max_leaves=12)


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _still_valid(key: str, value: object, before: object) -> bool:
    """Whether the file stays valid with ``value`` in ``key`` (written independently of the reader)."""
    if key == "row_height":
        return _whole(value, 1, 500)
    if key == "saved_at":
        return isinstance(value, str)
    if key in ("panels", "blotters"):
        return value == []
    if key == "geometry":
        return (isinstance(value, list) and len(value) == 4 and all(_whole(v, -100_000, 100_000) for v in value[:2])
                and all(_whole(v, 1, 100_000) for v in value[2:]))
    return json.dumps(value) == json.dumps(before)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["version", "world", "geometry", "row_height", "blotters", "panels", "saved_at"]),
       value=json_values)
def test_a_wrong_field_is_ignored_with_one_line(tmp_path: Path, key: str, value: object) -> None:
    raw = json.loads(_valid_bytes())
    assume(not _still_valid(key, value, raw[key]))
    raw[key] = value
    _assert_ignored(tmp_path / CACHE_FILE, json.dumps(raw).encode())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_random_bytes_are_ignored_with_one_line(tmp_path: Path, data: bytes) -> None:
    _assert_ignored(tmp_path / CACHE_FILE, data)


def test_no_file_is_no_cache_and_no_problem(tmp_path: Path) -> None:
    assert read_cache(tmp_path / "nothing-here", WORLD).problem is None


def test_each_world_has_its_own_file() -> None:
    root = Path("/data")
    simulator = World.embedded("/data/simulator")
    other_folder = World.embedded("/elsewhere/simulator")
    account_a, account_b = World.server("https://h.example", "aaaa"), World.server("https://h.example", "bbbb")
    folders = {world_folder(w, root) for w in (simulator, other_folder, account_a, account_b)}
    assert len(folders) == 4
