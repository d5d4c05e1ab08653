"""The Mastodon publisher (Mastodon.py) against the fake Mastodon on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from installation.outputs.publishers.credentials import Secret
from installation.outputs.publishers.mastodon_publisher import MastodonPublisher
from installation.outputs.publishers.post import Rejected, Retry, Unclear
from tests.fake_services import FakeMastodon, FaultPlan
from tests.outputs.publishers.network_helpers import MASTODON_TOKEN, a_post, picture

STATUSES = r"^/api/v1/statuses"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    """Faults, when a test pushes them, hit the status post (the request that posts)."""
    faults = FaultPlan(paths=f"{STATUSES}|^/api/v2/media$", slow_seconds=1.0)
    with FakeMastodon(MASTODON_TOKEN, 2, faults=faults, reset_seconds=30) as service:
        yield service


def publisher(fake: FakeMastodon, token: str = MASTODON_TOKEN) -> MastodonPublisher:
    return MastodonPublisher("masto", fake.url, Secret(token), timeout=0.5)


def test_posts_the_image_with_its_description_once_processed(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    posted = publisher(fake).publish(a_post(picture(tmp_path / "a.png")))
    (post,) = fake.posts()
    assert post["text"] == "A rainbow #item-1" and post["descriptions"] == ["Soft bands of colour."]
    assert posted.remote_id == post["id"] and posted.url.startswith(fake.url)
    polls = fake.requests_to(f"/api/v1/media/{post['media_ids'][0]}")
    assert [poll["status"] for poll in polls] == [206, 206, 200]  # it waited for processing


def test_a_lost_answer_is_unclear_and_the_repeat_posts_once(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    target = publisher(fake)
    post = a_post(picture(tmp_path / "a.png"))
    fake.faults.push("ok", "drop_after")  # the upload goes through; the status's answer is lost
    with pytest.raises(Unclear):
        target.publish(post)
    assert len(fake.posts()) == 1
    target.publish(post)  # the same Idempotency-Key: the server answers with the same status
    assert len(fake.posts()) == 1
    assert "idempotent_replay" in str(fake.requests_to("/api/v1/statuses")[-1])


def test_a_rate_limit_gives_the_reset_time(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.faults.push("429")
    with pytest.raises(Retry) as caught:
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))
    assert caught.value.not_before is not None
    assert 20 < caught.value.not_before - time.time() < 40
    assert fake.posts() == []


def test_a_server_error_on_the_upload_is_retried(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.faults.push("500")
    with pytest.raises(Retry):
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))


def test_a_slow_answer_to_the_status_is_unclear(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.faults.push("ok", "slow")
    with pytest.raises(Unclear, match="answer lost"):
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))


def test_a_wrong_token_is_rejected_with_what_to_do(fake: FakeMastodon, tmp_path: Path) -> None:
    with pytest.raises(Rejected, match=r"refused the access token.*write:media"):
        publisher(fake, "wrong-token").publish(a_post(picture(tmp_path / "a.png")))
    assert "wrong-token" not in str(fake.requests)  # the fake logs no credentials either


def test_check_names_the_account(fake: FakeMastodon) -> None:
    assert "logged in as @show" in publisher(fake).check()
