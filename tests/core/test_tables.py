from mesodesk.core.tables import Table


def test_changes_coalesce_between_flushes() -> None:
    table: Table[int, str] = Table("t")
    dirty_calls = []
    table.on_dirty(lambda: dirty_calls.append(1))
    for i in range(1000):
        table.upsert(1, f"v{i}")
    table.upsert(2, "b")
    changes = table.flush()
    assert changes.added == [1, 2] and not changes.updated and not changes.removed
    assert len(dirty_calls) == 1
    for i in range(500):
        table.upsert(1, f"w{i}")
    table.touch(2)
    table.remove(2)
    changes = table.flush()
    assert changes.updated == {1} and changes.removed == {2}
    assert len(dirty_calls) == 2
    assert not table.flush()


def test_add_then_remove_within_one_flush_is_invisible() -> None:
    table: Table[str, int] = Table("t")
    table.upsert("a", 1)
    table.remove("a")
    assert not table.flush()
    assert len(table) == 0


def test_replace_all_removes_missing_rows() -> None:
    table: Table[int, int] = Table("t")
    table.replace_all({1: 1, 2: 2, 3: 3})
    table.flush()
    table.replace_all({2: 20, 4: 4})
    changes = table.flush()
    assert changes.removed == {1, 3} and changes.updated == {2} and changes.added == [4]
    assert table.items() == [(2, 20), (4, 4)]
