"""The outbox database: every state change is one transaction; operator commands are guarded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from installation.outputs.publishers.outbox_store import OutboxError, OutboxStore, new_key

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@pytest.fixture
def store(tmp_path: Path) -> OutboxStore:
    return OutboxStore(tmp_path / "data" / "outbox.sqlite")


def test_keys_are_valid_bluesky_record_keys_and_unique() -> None:
    keys = {new_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(TID.match(key) for key in keys)


def test_an_item_goes_queued_sending_sent(store: OutboxStore, tmp_path: Path) -> None:
    item = store.add("archive", tmp_path / "a.png", "caption", "alt", "manual", 100.0)
    assert (item.state, item.attempts, item.next_attempt_at) == ("queued", 0, 100.0)
    assert store.next_due(99.0) is None
    due = store.next_due(100.0)
    assert due is not None and due.id == item.id
    claimed = store.claim(item.id, 101.0)
    assert claimed.state == "sending" and claimed.committing_since is None
    store.committing(item.id, 102.0)
    store.mark_sent(item.id, "42", "https://example/42", 103.0)
    sent = store.get(item.id)
    assert (sent.state, sent.attempts, sent.remote_id, sent.sent_at) == ("sent", 1, "42", 103.0)
    assert store.counts()["sent"] == 1
    with pytest.raises(OutboxError, match="no longer queued"):
        store.claim(item.id, 104.0)


def test_requeue_counts_the_attempt_and_remembers_the_first_unclear_one(
    store: OutboxStore, tmp_path: Path
) -> None:
    item = store.add("m", tmp_path / "a.png", "c", "a", "manual", 0.0)
    store.claim(item.id, 1.0)
    store.committing(item.id, 2.0)
    store.requeue(item.id, 10.0, "lost answer", 3.0, unclear=True)
    store.claim(item.id, 10.0)
    store.committing(item.id, 11.0)
    store.requeue(item.id, 20.0, "lost again", 12.0, unclear=True)
    again = store.get(item.id)
    assert again.attempts == 2 and again.first_unclear_at == 2.0
    assert again.last_error == "lost again" and again.next_attempt_at == 20.0


def test_blocked_targets_are_skipped(store: OutboxStore, tmp_path: Path) -> None:
    first = store.add("x", tmp_path / "a.png", "c", "a", "manual", 0.0)
    second = store.add("mastodon", tmp_path / "b.png", "c", "a", "manual", 1.0)
    assert store.next_due(5.0).id == first.id  # type: ignore[union-attr]
    assert store.next_due(5.0, frozenset({"x"})).id == second.id  # type: ignore[union-attr]


def test_retry_and_drop_are_for_decided_items_only(store: OutboxStore, tmp_path: Path) -> None:
    item = store.add("x", tmp_path / "a.png", "c", "a", "manual", 0.0)
    with pytest.raises(OutboxError, match="only failed or unknown"):
        store.retry(item.id, 1.0)
    store.claim(item.id, 1.0)
    with pytest.raises(OutboxError, match="being sent right now"):
        store.drop(item.id)
    store.mark_unknown(item.id, "lost", 2.0)
    assert store.retry(item.id, 3.0).state == "queued"
    store.drop(item.id)
    with pytest.raises(OutboxError, match="no item"):
        store.get(item.id)


def test_a_second_connection_sees_every_committed_change(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    writer, reader = OutboxStore(path), OutboxStore(path)
    item = writer.add("x", tmp_path / "a.png", "c", "a", "manual", 0.0)
    writer.claim(item.id, 1.0)
    assert [i.id for i in reader.left_sending()] == [item.id]


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutboxError, match=r"Cannot open the outbox database .*\[posting\] folder"):
        OutboxStore(blocker / "outbox.sqlite")
