"""What is announced of a flapping signal (Qt-free): On once, Off once it has settled, the flips folded
into one history entry that still holds every event; time from a manual clock."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

import mesodesk.contract as c
from mesodesk.contract import SignalState
from mesodesk.core.announcements import OFF_SETTLE_SECONDS, Announcer, fold, is_debounced, span_text
from mesodesk.core.notices import Notice, Severity, away_summary, describe
from tests.contract.contract_factories import build
from tests.core.factories import order_update
from tests.core.test_notify_feed import Clock


def exit_signal(on: bool, seq: int, position_id: int = 5) -> Notice:
    event = build(c.ExitSignalEvent).model_copy(update={
        "state": SignalState.On if on else SignalState.Off, "event_id": uuid4(), "event_seq_id": seq,
        "position_id": position_id, "position_name": "PCS"})
    return describe(event)


class Desk:
    """The manager's use of the announcer: history rows, folds, and every announcement."""

    def __init__(self, settle: float = OFF_SETTLE_SECONDS) -> None:
        self.clock = Clock()
        self.announcer = Announcer(clock=lambda: self.clock.now, call_later=self.clock.call_later,
                                   settle_seconds=settle)
        self.rows: list[Notice] = []
        self.announced: list[Notice] = []
        self.announcer.add_settled_listener(self.announced.append)

    def offer(self, notice: Notice) -> None:
        decision = self.announcer.offer(notice)
        if decision.fold_into is not None:
            assert any(r is decision.fold_into for r in self.rows), "folded into an entry of the history"
            assert decision.fold_into.folded[-1] is notice and not decision.announce
            return
        self.rows.append(notice)
        if decision.announce:
            self.announced.append(notice)

    def keys_in_history(self) -> list[str]:
        return [k for row in self.rows for k in (row.key, *(f.key for f in row.folded))]


def test_a_signal_flapping_20_times_in_80_s_is_announced_on_once_and_off_once() -> None:
    desk = Desk()
    flips = [exit_signal(on=i % 2 == 0, seq=i + 1) for i in range(20)]  # On, off, On, … off: every 4 s
    for i, notice in enumerate(flips):
        if i:
            desk.clock.advance(4)
        desk.offer(notice)
    assert desk.announced == [flips[0]]  # the first On; the rest is waiting to settle or folded
    assert len(desk.rows) == 2 and desk.rows[0] is flips[0] and desk.rows[1] is flips[1]
    entry = desk.rows[1]
    assert entry.title == "Exit signal flipped 20× in 76 s — PCS"
    assert entry.body.startswith("now off · ") and entry.level_on is False and entry.severity is Severity.INFO
    assert entry.time == flips[-1].time and entry.seq == 20 and entry.event_count == 19
    assert sorted(desk.keys_in_history()) == sorted(n.key for n in flips)  # every event, once
    assert desk.announcer.pending() == [entry]
    desk.clock.advance(OFF_SETTLE_SECONDS - 1)
    assert desk.announced == [flips[0]]  # not settled yet
    desk.clock.advance(1)
    assert desk.announced == [flips[0], entry]  # Off once, with the summary
    assert not desk.announcer.pending() and desk.clock.active == 0
    # an On after the Off was announced starts a new episode: announced again
    again = exit_signal(on=True, seq=21)
    desk.offer(again)
    assert desk.announced[-1] is again and desk.rows[-1] is again


def test_a_flap_that_ends_on_says_so_and_a_plain_off_is_announced_as_itself() -> None:
    desk = Desk(settle=10)
    on, off, back = exit_signal(True, 1), exit_signal(False, 2), exit_signal(True, 3)
    for notice in (on, off, back):
        desk.offer(notice)
        desk.clock.advance(3)
    assert desk.announced == [on] and not desk.announcer.pending() and desk.clock.active == 0
    assert off.title == "Exit signal flipped 3× in 6 s — PCS" and off.body.startswith("now ON · ")
    assert off.severity is Severity.WARNING and off.actions and off.actions[0].payload["position_id"] == 5
    # a level that simply goes off (no flip back) is announced as the plain Off, after the settle time
    other_on, other_off = exit_signal(True, 4, position_id=6), exit_signal(False, 5, position_id=6)
    desk.offer(other_on)
    desk.offer(other_off)
    desk.clock.advance(10)
    assert desk.announced[-2:] == [other_on, other_off] and other_off.title == "Exit signal off — PCS"
    assert not other_off.folded


def test_only_signals_are_debounced_and_forget_drops_the_timer() -> None:
    desk = Desk()
    order = describe(order_update())
    assert not is_debounced(order) and desk.announcer.offer(order).announce
    assert is_debounced(exit_signal(True, 1))
    desk.offer(exit_signal(True, 1))
    desk.offer(exit_signal(False, 2))
    assert desk.clock.active == 1
    desk.announcer.forget("exit:5")
    assert desk.clock.active == 0 and not desk.announcer.pending()
    desk.clock.advance(OFF_SETTLE_SECONDS * 2)
    assert len(desk.announced) == 1
    assert [span_text(s) for s in (3.4, 89, 600, 5400)] == ["3 s", "89 s", "10 min", "1.5 h"]
    # an On again without an Off in between (its Off was only recorded, not news): kept, not announced
    on, again = exit_signal(True, 3, position_id=8), exit_signal(True, 4, position_id=8)
    desk.offer(on)
    desk.offer(again)
    assert desk.announced[-1] is on and desk.rows[-1] is again


def episodes(states: list[bool], times: list[float], settle: float) -> list[list[int]]:
    """The event indexes split where an Off stays off longer than ``settle`` (or ends the sequence)."""
    out: list[list[int]] = [[]]
    for i, on in enumerate(states):
        out[-1].append(i)
        if not on and (i + 1 == len(states) or times[i + 1] - times[i] > settle) and i + 1 < len(states):
            out.append([])
    return out


@settings(max_examples=150, deadline=None)
@given(first_on=st.booleans(),
       gaps=st.lists(st.integers(min_value=1, max_value=400).map(lambda g: g / 4 + 0.01), min_size=1, max_size=40),
       settle=st.sampled_from([5.0, 30.0, 60.0]))
def test_announcements_match_the_rule_for_any_flapping(first_on: bool, gaps: list[float], settle: float) -> None:
    desk = Desk(settle=settle)
    states = [first_on if i % 2 == 0 else not first_on for i in range(len(gaps))]  # levels only change
    times = [sum(gaps[1:i + 1]) for i in range(len(gaps))]
    notices = [exit_signal(on, i + 1) for i, on in enumerate(states)]
    for notice, at in zip(notices, times, strict=True):
        desk.clock.advance(at - desk.clock.now)
        desk.offer(notice)
    desk.clock.advance(settle + 1)
    # the rule, computed directly per episode: its On (when it starts with one) is announced at once;
    # its first Off is its history entry, holding the later flips, announced once the Off has settled
    want: list[Notice] = []
    rows: list[Notice] = []
    for episode in episodes(states, times, settle):
        if states[episode[0]]:
            want.append(notices[episode[0]])
            rows.append(notices[episode[0]])
        offs = [i for i in episode if not states[i]]
        if offs:
            entry = notices[offs[0]]
            rows.append(entry)
            assert [n.key for n in entry.folded] == [notices[i].key for i in episode if i > offs[0]]
            if entry.folded:
                assert f"flipped {len(episode)}×" in entry.title
            if not states[episode[-1]]:
                want.append(entry)
    assert desk.announced == want
    assert desk.rows == rows
    assert sorted(desk.keys_in_history()) == sorted(n.key for n in notices)  # nothing dropped, nothing twice
    assert len(desk.announced) <= 2 * len(episodes(states, times, settle))


def test_the_away_summary_counts_folded_events() -> None:
    entry, later = exit_signal(True, 1), exit_signal(False, 2)
    fold(entry, later, count=2, span="while you were away")
    other = describe(order_update())
    assert away_summary([entry, other]).title == "3 events while you were away"
