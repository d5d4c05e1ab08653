"""The Bluesky publisher (atproto SDK) against the fake PDS on loopback."""

from __future__ import annotations

import io
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image as PILImage

from installation.outputs.publishers.bluesky_publisher import BlueskyPublisher
from installation.outputs.publishers.credentials import Secret
from installation.outputs.publishers.post import Rejected, Retry, Unclear
from tests.fake_services import FakeBluesky, FaultPlan
from tests.outputs.publishers.network_helpers import BSKY_HANDLE, BSKY_PASSWORD, a_post, picture

CREATE = "/xrpc/com.atproto.repo.createRecord"
UPLOAD = "/xrpc/com.atproto.repo.uploadBlob"


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    """Faults, when a test pushes them, hit the upload and the record creation."""
    faults = FaultPlan(paths=f"^({CREATE}|{UPLOAD})$", slow_seconds=1.0)
    with FakeBluesky(BSKY_HANDLE, BSKY_PASSWORD, faults=faults, reset_seconds=30) as service:
        yield service


def publisher(fake: FakeBluesky, folder: Path, password: str = BSKY_PASSWORD) -> BlueskyPublisher:
    return BlueskyPublisher(
        "bsky",
        fake.url,
        Secret(BSKY_HANDLE),
        Secret(password),
        folder / "sessions" / "bsky.session",
        timeout=0.5,
    )


def test_posts_with_alt_text_and_aspect_ratio_under_the_items_key(
    fake: FakeBluesky, tmp_path: Path
) -> None:
    post = a_post(picture(tmp_path / "a.png", 64, 48))
    posted = publisher(fake, tmp_path).publish(post)
    (record,) = fake.posts()
    assert record["rkey"] == post.key and record["text"] == post.caption
    assert record["alts"] == [post.alt]
    assert record["aspect_ratios"] == [{"width": 64, "height": 48}]
    assert posted.remote_id == record["uri"] and posted.url.endswith(f"/post/{post.key}")


def test_the_session_is_saved_private_and_reused(fake: FakeBluesky, tmp_path: Path) -> None:
    first = publisher(fake, tmp_path)
    first.publish(a_post(picture(tmp_path / "a.png")))
    session = tmp_path / "sessions" / "bsky.session"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert BSKY_PASSWORD not in session.read_text()
    second = publisher(fake, tmp_path)  # a restarted show
    second.publish(a_post(picture(tmp_path / "b.png")))
    assert (first.logins, second.logins) == (1, 0)
    assert len(fake.effects_of("login")) == 1 and len(fake.posts()) == 2


def test_a_lost_answer_is_unclear_and_the_repeat_finds_the_post(
    fake: FakeBluesky, tmp_path: Path
) -> None:
    target = publisher(fake, tmp_path)
    post = a_post(picture(tmp_path / "a.png"))
    fake.faults.push("ok", "drop_after")  # the blob uploads; the record's answer is lost
    with pytest.raises(Unclear):
        target.publish(post)
    repeat = a_post(post.image, post.caption, attempts=1, key=post.key)
    posted = target.publish(repeat)  # asks getRecord first: it is there
    assert len(fake.posts()) == 1 and posted.url.endswith(post.key)
    assert len(fake.requests_to(CREATE)) == 1


def test_a_repeat_after_a_refused_create_posts_once(fake: FakeBluesky, tmp_path: Path) -> None:
    target = publisher(fake, tmp_path)
    post = a_post(picture(tmp_path / "a.png"))
    fake.faults.push("ok", "500")
    with pytest.raises(Unclear):
        target.publish(post)
    target.publish(a_post(post.image, post.caption, attempts=1, key=post.key))
    assert len(fake.posts()) == 1


def test_a_large_image_is_re_encoded_under_the_limit(fake: FakeBluesky, tmp_path: Path) -> None:
    big = picture(tmp_path / "big.png", 900, 700, noise=True)
    assert big.stat().st_size > 1_000_000
    target = publisher(fake, tmp_path)
    rendered = target.render(a_post(big))
    assert len(rendered.image) <= 1_000_000 and "re-encoded" in rendered.notes[0]
    assert PILImage.open(io.BytesIO(rendered.image)).format == "JPEG"
    target.publish(a_post(big))
    (blob,) = fake.effects_of("blob")
    assert blob["size"] <= 1_000_000 and len(fake.posts()) == 1


def test_a_rate_limited_upload_gives_the_reset(fake: FakeBluesky, tmp_path: Path) -> None:
    fake.faults.push("429")
    with pytest.raises(Retry) as caught:
        publisher(fake, tmp_path).publish(a_post(picture(tmp_path / "a.png")))
    assert caught.value.not_before is not None and caught.value.not_before > time.time() + 20


def test_a_dropped_upload_is_retried_not_unclear(fake: FakeBluesky, tmp_path: Path) -> None:
    fake.faults.push("drop_before")
    with pytest.raises(Retry):
        publisher(fake, tmp_path).publish(a_post(picture(tmp_path / "a.png")))


def test_a_wrong_app_password_is_rejected(fake: FakeBluesky, tmp_path: Path) -> None:
    with pytest.raises(Rejected, match="App passwords"):
        publisher(fake, tmp_path, "wrong").publish(a_post(picture(tmp_path / "a.png")))


def test_check_reuses_the_saved_session(fake: FakeBluesky, tmp_path: Path) -> None:
    assert "a new login" in publisher(fake, tmp_path).check()
    assert "the saved session" in publisher(fake, tmp_path).check()


def test_an_expired_saved_session_logs_in_again(tmp_path: Path) -> None:
    with FakeBluesky(
        BSKY_HANDLE, BSKY_PASSWORD, access_ttl_seconds=2.0, refresh_ttl_seconds=3.0
    ) as fake:  # whole seconds: a JWT's exp is an integer
        publisher(fake, tmp_path).publish(a_post(picture(tmp_path / "a.png")))
        time.sleep(4.0)  # both tokens of the saved session have expired (PDS: 400 ExpiredToken)
        later = publisher(fake, tmp_path)
        later.publish(a_post(picture(tmp_path / "b.png")))
        assert later.logins == 1 and len(fake.posts()) == 2


def test_a_failed_login_is_a_pre_check_not_an_attempt(tmp_path: Path) -> None:
    faults = FaultPlan(paths="^/xrpc/com.atproto.server.createSession$", script=["429"])
    with FakeBluesky(BSKY_HANDLE, BSKY_PASSWORD, faults=faults, reset_seconds=30) as service:
        with pytest.raises(Retry) as caught:
            publisher(service, tmp_path).publish(a_post(picture(tmp_path / "a.png")))
        assert caught.value.check  # the outbox counts it in `checks`, not `attempts`


def test_a_failed_upload_is_an_attempt(fake: FakeBluesky, tmp_path: Path) -> None:
    fake.faults.push("500")
    with pytest.raises(Retry) as caught:
        publisher(fake, tmp_path).publish(a_post(picture(tmp_path / "a.png")))
    assert not caught.value.check
