"""The X publisher (v2 media upload here, tweepy's create_tweet) against the fake X on loopback;
the fake verifies every OAuth 1.0a signature with oauthlib."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from installation.outputs.publishers.post import Rejected, Retry, Unclear
from installation.outputs.publishers.x_publisher import XPublisher
from tests.fake_services import FakeX, FaultPlan
from tests.outputs.publishers.network_helpers import X_KEYS, a_post, picture, x_secrets

TWEETS = "/2/tweets"


def make_fake(**options: object) -> FakeX:
    faults = FaultPlan(paths=f"^{TWEETS}$", slow_seconds=1.0)
    return FakeX(*X_KEYS, faults=faults, reset_seconds=30, **options)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with make_fake() as service:
        yield service


def publisher(fake: FakeX, keys: tuple[str, ...] = X_KEYS, chunk: int = 1 << 20) -> XPublisher:
    return XPublisher("x", fake.url, x_secrets(keys), chunk_bytes=chunk, timeout=0.5)


def test_a_small_image_in_one_upload_with_alt_text(fake: FakeX, tmp_path: Path) -> None:
    post = a_post(picture(tmp_path / "a.png"))
    posted = publisher(fake).publish(post)
    (tweet,) = fake.posts()
    assert tweet["text"] == post.caption and tweet["alt_texts"] == [post.alt]
    assert posted.remote_id == tweet["id"] and posted.url.endswith(tweet["id"])
    assert len(fake.requests_to("/2/media/upload")) == 1
    assert len(fake.requests_to("/2/media/metadata")) == 1


def test_a_large_image_in_chunks(fake: FakeX, tmp_path: Path) -> None:
    image = picture(tmp_path / "big.png", 200, 150, noise=True)  # about 90 kB
    publisher(fake, chunk=16 << 10).publish(a_post(image))
    appends = [r for r in fake.requests if r["path"].endswith("/append")]
    assert len(appends) == -(-image.stat().st_size // (16 << 10))
    assert len(fake.requests_to("/2/media/upload/initialize")) == 1
    assert len(fake.posts()) == 1


def test_it_waits_for_processing(tmp_path: Path) -> None:
    with make_fake(processing_rounds=2) as fake:
        image = picture(tmp_path / "big.png", 200, 150, noise=True)
        publisher(fake, chunk=16 << 10).publish(a_post(image))
        statuses = [r for r in fake.requests if r["path"] == "/2/media/upload"]
        assert len(statuses) == 3 and len(fake.posts()) == 1  # two "in progress", then done


def test_a_lost_answer_to_the_post_is_unclear(fake: FakeX, tmp_path: Path) -> None:
    fake.faults.push("drop_after")
    with pytest.raises(Unclear, match="answer to the post was lost"):
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))
    assert len(fake.posts()) == 1  # posted, and nobody but X can know


def test_a_slow_answer_is_unclear(fake: FakeX, tmp_path: Path) -> None:
    fake.faults.push("slow")
    with pytest.raises(Unclear):
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))


def test_a_rate_limit_gives_the_reset(fake: FakeX, tmp_path: Path) -> None:
    fake.faults.push("429")
    with pytest.raises(Retry) as caught:
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))
    assert caught.value.not_before is not None and caught.value.not_before > time.time() + 20
    assert fake.posts() == []


def test_over_capacity_is_retried(fake: FakeX, tmp_path: Path) -> None:
    fake.faults.push("503")
    with pytest.raises(Retry, match="over capacity"):
        publisher(fake).publish(a_post(picture(tmp_path / "a.png")))


def test_an_unreachable_server_is_retried(tmp_path: Path) -> None:
    with make_fake() as fake:
        url = fake.url
    target = XPublisher("x", url, x_secrets(), timeout=0.5)
    with pytest.raises(Retry):
        target.publish(a_post(picture(tmp_path / "a.png")))


def test_a_wrong_secret_fails_the_signature(fake: FakeX, tmp_path: Path) -> None:
    wrong = (*X_KEYS[:3], "not-the-secret")
    with pytest.raises(Rejected, match="refused the keys"):
        publisher(fake, wrong).publish(a_post(picture(tmp_path / "a.png")))


def test_long_text_is_shortened_to_fit(fake: FakeX, tmp_path: Path) -> None:
    post = a_post(picture(tmp_path / "a.png"), "word " * 80)
    publisher(fake).publish(post)
    (tweet,) = fake.posts()
    assert len(tweet["text"]) <= 280 and tweet["text"].endswith("…")


def test_check_names_the_account(fake: FakeX) -> None:
    assert "logged in as @fakeshow" in publisher(fake).check()
