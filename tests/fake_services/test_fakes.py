"""The fakes against the real client libraries: tweepy + requests-oauthlib (X), Mastodon.py
and the atproto SDK (Bluesky), over loopback, with every fault kind."""

from __future__ import annotations

import http.client
import io
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy  # type: ignore[import-untyped, unused-ignore]
from atproto import Client as AtprotoClient  # type: ignore[import-untyped, unused-ignore]
from atproto import models  # type: ignore[import-untyped, unused-ignore]
from atproto_client import exceptions as at_errors  # type: ignore[import-untyped, unused-ignore]
from atproto_client.request import Request as AtprotoRequest  # type: ignore[import-untyped, unused-ignore]
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)
from PIL import Image
from requests_oauthlib import OAuth1  # type: ignore[import-untyped, unused-ignore]

from tests.fake_services import FakeBluesky, FakeMastodon, FakeX, FaultPlan, make_tid
from tests.fake_services.fake_mastodon import NOT_READY

ROOT = Path(__file__).resolve().parents[2]
X_KEYS = ("ck-test", "cs-test", "at-test", "ats-test")
TWITTER = "https://api.twitter.com"
SLOW = 0.4
TIMEOUT = 0.15


def png(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def wait_for(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# -- X ------------------------------------------------------------------------------------


class RewritingSession(requests.Session):
    """Sends tweepy's ``https://api.twitter.com`` requests to the fake, before signing."""

    def __init__(self, base: str, timeout: float = 2.0) -> None:
        super().__init__()
        self.base, self.timeout = base, timeout

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        target = url.decode() if isinstance(url, bytes) else url
        return super().request(method, target.replace(TWITTER, self.base), *args, **kwargs)


class SendRewritingSession(requests.Session):
    """Rewrites the host only after signing: the signature covers api.twitter.com."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        request.url = (request.url or "").replace(TWITTER, self.base)
        return super().send(request, **kwargs)


def tweepy_client(fake: FakeX, keys: tuple[str, str, str, str] = X_KEYS) -> Any:
    client = tweepy.Client(
        consumer_key=keys[0],
        consumer_secret=keys[1],
        access_token=keys[2],
        access_token_secret=keys[3],
    )
    client.session = RewritingSession(fake.url)
    return client


def oauth(keys: tuple[str, str, str, str] = X_KEYS) -> Any:
    return OAuth1(keys[0], client_secret=keys[1], resource_owner_key=keys[2],
                  resource_owner_secret=keys[3])  # fmt: skip


def upload(fake: FakeX, data: bytes, auth: Any = None) -> requests.Response:
    return requests.post(
        f"{fake.url}/2/media/upload",
        files={"media": ("art.png", data, "image/png")},
        data={"media_category": "tweet_image"},
        auth=auth or oauth(),
        timeout=2,
    )


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    with FakeX(*X_KEYS, faults=FaultPlan(slow_seconds=SLOW)) as fake:
        yield fake


def test_x_upload_alt_text_and_tweet_with_tweepy(fake_x: FakeX) -> None:
    response = upload(fake_x, png())
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"].isdigit() and data["media_key"] == f"3_{data['id']}"
    assert data["expires_after_secs"] == 86400 and "processing_info" not in data
    metadata: dict[str, Any] = {"id": data["id"], "metadata": {"alt_text": {"text": "red"}}}
    answer = requests.post(f"{fake_x.url}/2/media/metadata", json=metadata, auth=oauth())
    assert answer.json()["data"]["associated_metadata"] == {"alt_text": {"text": "red"}}

    client = tweepy_client(fake_x)
    tweet = client.create_tweet(text="hello #item-17", media_ids=[data["id"]], user_auth=True)
    assert tweet.data["text"] == "hello #item-17"
    assert tweet.data["edit_history_tweet_ids"] == [tweet.data["id"]]
    assert client.get_me(user_auth=True).data.username == "fakeshow"

    (post,) = fake_x.posts()
    assert post["media_ids"] == [data["id"]] and post["alt_texts"] == ["red"]
    assert fake_x.posts_with("#item-17") == 1 and fake_x.posts_with("#item-18") == 0
    assert [e["kind"] for e in fake_x.effects] == ["media", "alt_text", "post"]


def test_x_accepts_a_signature_over_api_twitter_com(fake_x: FakeX) -> None:
    client = tweepy_client(fake_x)
    client.session = SendRewritingSession(fake_x.url)
    assert client.create_tweet(text="signed for api.twitter.com", user_auth=True).data["id"]


def test_x_wrong_secret_is_401(fake_x: FakeX) -> None:
    wrong = (X_KEYS[0], "not-the-secret", X_KEYS[2], X_KEYS[3])
    response = upload(fake_x, png(), auth=oauth(wrong))
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    with pytest.raises(tweepy.Unauthorized):
        tweepy_client(fake_x, wrong).create_tweet(text="nope", user_auth=True)
    assert fake_x.effects == []
    assert fake_x.requests[-1]["notes"] == ["auth: signature mismatch"]


def test_x_signature_covers_query_and_form_body(fake_x: FakeX) -> None:
    form = requests.Request(
        "POST", f"{fake_x.url}/2/unknown?a=1", data={"b": "2"}, auth=oauth()
    ).prepare()
    with requests.Session() as session:
        assert session.send(form, timeout=2).status_code == 404  # signed: past the auth check
        form.body = "b=3"
        assert session.send(form, timeout=2).status_code == 401
        form.body, form.url = "b=2", f"{fake_x.url}/2/unknown?a=2"
        assert session.send(form, timeout=2).status_code == 401
        no_auth = session.post(f"{fake_x.url}/2/tweets", json={"text": "x"}, timeout=2)
        assert no_auth.status_code == 401


def test_x_chunked_upload_with_processing() -> None:
    with FakeX(*X_KEYS, processing_rounds=2) as fake:
        data = png(40, 30)
        init: dict[str, Any] = {"media_type": "image/png", "total_bytes": len(data)}
        init["media_category"] = "tweet_image"
        answer = requests.post(f"{fake.url}/2/media/upload/initialize", json=init, auth=oauth())
        media_id = answer.json()["data"]["id"]
        assert set(answer.json()["data"]) == {"id", "media_key", "expires_after_secs"}
        base = f"{fake.url}/2/media/upload/{media_id}"
        early = requests.post(f"{base}/finalize", auth=oauth())
        assert early.status_code == 400 and "mismatch" in early.json()["errors"][0]["message"]
        for index, chunk in enumerate((data[:50], data[50:])):
            files = {"media": ("blob", chunk, "application/octet-stream")}
            sent = requests.post(
                f"{base}/append", files=files, data={"segment_index": str(index)}, auth=oauth()
            )
            assert sent.status_code == 200 and sent.json()["data"]["expires_at"] > time.time()
        final = requests.post(f"{base}/finalize", auth=oauth()).json()["data"]
        assert final["size"] == len(data)
        assert final["processing_info"] == {"state": "pending", "check_after_secs": 1}
        with pytest.raises(tweepy.BadRequest):
            tweepy_client(fake).create_tweet(text="too early", media_ids=[media_id], user_auth=True)
        states = []
        for _ in range(3):
            status = requests.get(
                f"{fake.url}/2/media/upload",
                params={"media_id": media_id, "command": "STATUS"},
                auth=oauth(),
            )
            states.append(status.json()["data"]["processing_info"]["state"])
        assert states == ["in_progress", "in_progress", "succeeded"]
        tweepy_client(fake).create_tweet(text="done #item-3", media_ids=[media_id], user_auth=True)
        assert fake.posts_with("#item-3") == 1
        assert fake.effects_of("media")[0]["size"] == len(data)


def test_x_rejects_bad_tweets(fake_x: FakeX) -> None:
    client = tweepy_client(fake_x)
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="x" * 281, user_auth=True)
    with pytest.raises(tweepy.BadRequest, match="media IDs are invalid"):
        client.create_tweet(text="ghost media", media_ids=["123"], user_auth=True)
    bad_alt: dict[str, Any] = {"id": "999", "metadata": {"alt_text": {"text": "?"}}}
    answer = requests.post(f"{fake_x.url}/2/media/metadata", json=bad_alt, auth=oauth())
    assert answer.status_code == 400 and answer.json()["title"] == "Invalid Request"
    assert client.create_tweet(text="x" * 280, user_auth=True).data["id"]
    assert len(fake_x.posts()) == 1


def test_x_faults_through_tweepy(fake_x: FakeX) -> None:
    client = tweepy_client(fake_x)
    fake_x.faults.push("429")
    with pytest.raises(tweepy.TooManyRequests) as limited:
        client.create_tweet(text="limited #a", user_auth=True)
    headers = limited.value.response.headers
    assert headers["x-rate-limit-remaining"] == "0" and headers["x-rate-limit-limit"]
    assert 0 <= limited.value.reset_time - time.time() <= 2
    assert limited.value.response.json()["status"] == 429

    fake_x.faults.push("500", "503")
    for _ in range(2):
        with pytest.raises(tweepy.TwitterServerError):
            client.create_tweet(text="broken #b", user_auth=True)

    fake_x.faults.push("drop_before")
    with pytest.raises(requests.ConnectionError):
        client.create_tweet(text="lost #c", user_auth=True)
    fake_x.faults.push("drop_after")
    with pytest.raises(requests.ConnectionError):
        client.create_tweet(text="posted but unseen #d", user_auth=True)

    client.session.timeout = TIMEOUT
    fake_x.faults.push("slow")
    with pytest.raises(requests.Timeout):
        client.create_tweet(text="slow #e", user_auth=True)
    assert wait_for(lambda: fake_x.posts_with("#e") == 1)

    assert [fake_x.posts_with(m) for m in ("#a", "#b", "#c", "#d")] == [0, 0, 0, 1]
    faults = [r["fault"] for r in fake_x.requests_to("/2/tweets")]
    assert faults == ["429", "500", "503", "drop_before", "drop_after", "slow"]
    dropped = fake_x.requests_to("/2/tweets")[4]
    assert dropped["status"] is None and dropped["handled_status"] == 201


# -- Mastodon -----------------------------------------------------------------------------


def mastodon_client(fake: FakeMastodon, token: str = "tok", timeout: float = 2.0) -> Mastodon:
    return Mastodon(
        access_token=token, api_base_url=fake.url, ratelimit_method="throw", request_timeout=timeout
    )


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodon]:
    with FakeMastodon("tok", processing_polls=2, faults=FaultPlan(slow_seconds=SLOW)) as fake:
        yield fake


def test_mastodon_media_poll_and_idempotent_status(fake_mastodon: FakeMastodon) -> None:
    client = mastodon_client(fake_mastodon)
    media = client.media_post(png(), mime_type="image/png", description="a red square")
    assert media.url is None and media.type == "image"
    with pytest.raises(MastodonAPIError, match=re.escape(NOT_READY)):
        client.status_post("too early", media_ids=[media.id])
    polls = 0
    while media.url is None:
        media = client.media(media.id)
        polls += 1
    assert polls == 3 and media.description == "a red square"
    assert media.meta.original.width == 8

    first = client.status_post("hello #item-5", media_ids=[media.id], idempotency_key="k1")
    again = client.status_post("hello #item-5", media_ids=[media.id], idempotency_key="k1")
    assert first.id == again.id and first.content == "<p>hello #item-5</p>"
    assert first.media_attachments[0].id == media.id
    assert fake_mastodon.posts_with("#item-5") == 1
    (post,) = fake_mastodon.posts()
    assert post["descriptions"] == ["a red square"] and post["idempotency_key"] == "k1"
    assert fake_mastodon.requests_to("/api/v1/statuses")[-1]["notes"] == ["idempotent_replay"]
    assert client.account_verify_credentials().acct == "show"


def test_mastodon_instance_and_errors(fake_mastodon: FakeMastodon) -> None:
    for path in ("/api/v1/instance", "/api/v1/instance/", "/api/v2/instance"):
        body = requests.get(fake_mastodon.url + path, timeout=2).json()
        assert body["version"] == "4.3.0"
    assert "uri" in requests.get(fake_mastodon.url + "/api/v1/instance", timeout=2).json()
    assert "domain" in requests.get(fake_mastodon.url + "/api/v2/instance", timeout=2).json()
    with pytest.raises(MastodonUnauthorizedError):
        mastodon_client(fake_mastodon, token="wrong").account_verify_credentials()
    client = mastodon_client(fake_mastodon)
    with pytest.raises(MastodonAPIError, match="not found"):
        client.status_post("ghost", media_ids=["42"])
    with pytest.raises(MastodonAPIError, match="character limit"):
        client.status_post("x" * 501)
    assert fake_mastodon.posts() == []


def test_mastodon_accepts_json_and_multipart_statuses(fake_mastodon: FakeMastodon) -> None:
    headers = {"Authorization": "Bearer tok"}
    url = f"{fake_mastodon.url}/api/v1/statuses"
    as_json = requests.post(url, json={"status": "json #j"}, headers=headers, timeout=2)
    parts = {"status": (None, "multipart #m"), "visibility": (None, "unlisted")}
    as_multipart = requests.post(url, files=parts, headers=headers, timeout=2)
    assert as_json.status_code == as_multipart.status_code == 200
    assert as_multipart.json()["visibility"] == "unlisted"
    assert fake_mastodon.posts_with("#j") == fake_mastodon.posts_with("#m") == 1
    v1 = requests.post(
        f"{fake_mastodon.url}/api/v1/media",
        files={"file": ("a.png", png(), "image/png")},
        headers=headers,
        timeout=2,
    )
    assert v1.status_code == 200 and v1.json()["url"]


def test_mastodon_faults(fake_mastodon: FakeMastodon) -> None:
    client = mastodon_client(fake_mastodon)
    fake_mastodon.faults.push("429")
    with pytest.raises(MastodonRatelimitError):
        client.status_post("limited #a")
    assert client.ratelimit_remaining == 0
    assert client.ratelimit_reset is not None and client.ratelimit_reset > time.time() - 1
    fake_mastodon.faults.push("429")
    raw = requests.get(
        f"{fake_mastodon.url}/api/v1/accounts/verify_credentials",
        headers={"Authorization": "Bearer tok"},
        timeout=2,
    )
    assert raw.status_code == 429 and raw.json() == {"error": "Too many requests"}
    assert raw.headers["X-RateLimit-Remaining"] == "0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", raw.headers["X-RateLimit-Reset"])

    fake_mastodon.faults.push("500", "503", "drop_before")
    with pytest.raises(MastodonAPIError):
        client.status_post("broken #b")
    with pytest.raises(MastodonAPIError):
        client.status_post("broken #b")
    with pytest.raises(MastodonNetworkError):
        client.status_post("lost #c")

    fake_mastodon.faults.push("drop_after")
    with pytest.raises(MastodonNetworkError):
        client.status_post("posted #d", idempotency_key="key-d")
    retry = client.status_post("posted #d", idempotency_key="key-d")
    assert fake_mastodon.posts_with("#d") == 1 and retry.content == "<p>posted #d</p>"

    fake_mastodon.faults.push("slow")
    with pytest.raises(MastodonNetworkError):
        mastodon_client(fake_mastodon, timeout=TIMEOUT).status_post("slow #e")
    assert wait_for(lambda: fake_mastodon.posts_with("#e") == 1)
    assert [fake_mastodon.posts_with(m) for m in ("#a", "#b", "#c")] == [0, 0, 0]


# -- Bluesky ------------------------------------------------------------------------------


def bluesky_client(fake: FakeBluesky, timeout: float = 2.0) -> Any:
    return AtprotoClient(base_url=fake.url, request=AtprotoRequest(timeout=timeout))


@pytest.fixture
def fake_bluesky() -> Iterator[FakeBluesky]:
    faults = FaultPlan(slow_seconds=SLOW)
    with FakeBluesky("show.test", "app-pass", blob_limit=5_000, faults=faults) as fake:
        yield fake


def post_record(text: str, blob: Any = None) -> Any:
    embed = None
    if blob is not None:
        image = models.AppBskyEmbedImages.Image(
            alt="a red square",
            image=blob,
            aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(width=8, height=6),
        )
        embed = models.AppBskyEmbedImages.Main(images=[image])
    created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return models.AppBskyFeedPost.Record(text=text, created_at=created, embed=embed)


def test_bluesky_login_blob_post_and_get(fake_bluesky: FakeBluesky) -> None:
    client = bluesky_client(fake_bluesky)
    profile = client.login("show.test", "app-pass")
    assert profile.handle == "show.test" and profile.did == fake_bluesky.did
    assert client._session.pds_endpoint == fake_bluesky.url
    blob = client.upload_blob(png()).blob
    assert blob.ref.link.startswith("bafkrei") and blob.mime_type == "image/png"
    rkey = make_tid()
    created = client.app.bsky.feed.post.create(fake_bluesky.did, post_record("hi #i-1", blob), rkey)
    assert created.uri == f"at://{fake_bluesky.did}/app.bsky.feed.post/{rkey}"
    got = client.app.bsky.feed.post.get(fake_bluesky.did, rkey)
    assert got.value.text == "hi #i-1" and got.value.embed.images[0].alt == "a red square"
    assert got.cid == created.cid

    with pytest.raises(at_errors.BadRequestError, match="Record already exists"):
        client.app.bsky.feed.post.create(fake_bluesky.did, post_record("again #i-1"), rkey)
    with pytest.raises(at_errors.BadRequestError) as missing:
        client.app.bsky.feed.post.get(fake_bluesky.did, make_tid())
    assert missing.value.response.content.error == "RecordNotFound"

    (post,) = fake_bluesky.posts()
    assert post["rkey"] == rkey and post["alts"] == ["a red square"]
    assert post["aspect_ratios"] == [{"width": 8, "height": 6}]
    assert [e["kind"] for e in fake_bluesky.effects] == ["login", "blob", "post"]


def test_bluesky_session_string_avoids_a_new_login(fake_bluesky: FakeBluesky) -> None:
    first = bluesky_client(fake_bluesky)
    first.login("show.test", "app-pass")
    saved = first.export_session_string()
    second = bluesky_client(fake_bluesky)
    second.login(session_string=saved)
    assert second.com.atproto.server.get_session().handle == "show.test"
    second.send_post("from a saved session #s")
    assert len(fake_bluesky.effects_of("login")) == 1 and fake_bluesky.posts_with("#s") == 1


def test_bluesky_rejections(fake_bluesky: FakeBluesky) -> None:
    with pytest.raises(at_errors.UnauthorizedError) as denied:
        bluesky_client(fake_bluesky).login("show.test", "wrong")
    assert denied.value.response.content.error == "AuthenticationRequired"
    client = bluesky_client(fake_bluesky)
    client.login("show.test", "app-pass")
    with pytest.raises(at_errors.BadRequestError) as too_big:
        client.upload_blob(b"\x00" * 5_001)
    assert too_big.value.response.content.error == "BlobTooLarge"
    ghost = models.ComAtprotoRepoUploadBlob.Response(
        blob=models.blob_ref.BlobRef(mime_type="image/png", size=10, ref=models.blob_ref.IpldLink(
            link="bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
    ).blob  # fmt: skip
    with pytest.raises(at_errors.BadRequestError, match="Could not find blob"):
        client.app.bsky.feed.post.create(fake_bluesky.did, post_record("ghost", ghost))
    with pytest.raises(at_errors.BadRequestError, match="300 graphemes"):
        client.send_post("x" * 301)
    blob = client.upload_blob(png()).blob.model_dump(mode="json", by_alias=True)
    no_alt: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": "no alt",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"image": blob}]},
    }
    answer = requests.post(
        f"{fake_bluesky.url}/xrpc/com.atproto.repo.createRecord",
        json={"repo": fake_bluesky.did, "collection": "app.bsky.feed.post", "record": no_alt},
        headers={"Authorization": f"Bearer {client._session.access_jwt}"},
        timeout=2,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "InvalidRequest"
    assert answer.json()["message"].endswith('images/0 must have the property "alt"')
    assert fake_bluesky.posts() == []


def test_bluesky_tokens_refresh_and_expire() -> None:
    with FakeBluesky("show.test", "app-pass", access_ttl_seconds=60) as fake:
        client = bluesky_client(fake)
        client.login("show.test", "app-pass")
        payload = client._session.access_jwt_payload
        assert payload.sub == fake.did and payload.exp - payload.iat == 60 and payload.scope
        client.send_post("refreshed first #r")  # exp - 15 min is past: the SDK refreshes
        assert fake.posts_with("#r") == 1 and len(fake.effects_of("refresh")) >= 1
    with FakeBluesky("show.test", "app-pass", access_ttl_seconds=0) as fake:
        client = bluesky_client(fake)
        with pytest.raises(at_errors.BadRequestError) as expired:
            client.login("show.test", "app-pass")  # the profile lookup has an expired token
        assert expired.value.response.content.error == "ExpiredToken"
        bad = requests.get(
            f"{fake.url}/xrpc/com.atproto.server.getSession",
            headers={"Authorization": "Bearer a.b.c"},
            timeout=2,
        )
        assert bad.status_code == 400 and bad.json()["error"] == "InvalidToken"
        missing = requests.get(f"{fake.url}/xrpc/com.atproto.server.getSession", timeout=2)
        assert missing.status_code == 401 and missing.json()["error"] == "AuthMissing"


def test_bluesky_faults(fake_bluesky: FakeBluesky) -> None:
    client = bluesky_client(fake_bluesky)
    client.login("show.test", "app-pass")
    fake_bluesky.faults.push("429")
    with pytest.raises(at_errors.RateLimitExceededError) as limited:
        client.send_post("limited #a")
    headers = limited.value.response.headers
    assert headers["ratelimit-remaining"] == "0" and headers["ratelimit-policy"] == "30;w=300"
    assert int(headers["ratelimit-reset"]) >= int(time.time())
    assert limited.value.response.content.error == "RateLimitExceeded"
    fake_bluesky.faults.push("500", "503")
    for _ in range(2):
        with pytest.raises(at_errors.RequestException):
            client.send_post("broken #b")
    # A dropped connection escapes the SDK as httpx's own error, not an AtProtocolError.
    fake_bluesky.faults.push("drop_before", "drop_after")
    for text in ("lost #c", "posted #d"):
        with pytest.raises(Exception, match="disconnected") as dropped:
            client.send_post(text)
        assert not isinstance(dropped.value, at_errors.AtProtocolError)
    impatient = bluesky_client(fake_bluesky, timeout=TIMEOUT)
    impatient.login(session_string=client.export_session_string())
    fake_bluesky.faults.push("slow")
    with pytest.raises(at_errors.InvokeTimeoutError):
        impatient.send_post("slow #e")
    assert wait_for(lambda: fake_bluesky.posts_with("#e") == 1)
    assert [fake_bluesky.posts_with(m) for m in ("#a", "#b", "#c", "#d")] == [0, 0, 0, 1]


# -- common -------------------------------------------------------------------------------


def test_fault_plan_script_paths_and_seed() -> None:
    plan = FaultPlan(script=["ok", "500"], paths=r"^/2/tweets$")
    assert plan.next_fault("/2/users/me") is None  # not a matching path: script untouched
    assert [plan.next_fault("/2/tweets") for _ in range(3)] == [None, "500", None]
    plan_a, plan_b = FaultPlan(failure_rate=0.5, seed=7), FaultPlan(failure_rate=0.5, seed=7)
    draws = [plan_a.next_fault("/p") for _ in range(50)]
    assert draws == [plan_b.next_fault("/p") for _ in range(50)] and len(set(draws)) > 2
    assert FaultPlan(failure_rate=1.0, kinds=("503",)).next_fault("/p") == "503"
    with pytest.raises(ValueError):
        FaultPlan(kinds=("teapot",))
    with pytest.raises(ValueError):
        FaultPlan(script=["teapot"])


def test_effects_log_is_jsonl_and_keep_alive_works(tmp_path: Path) -> None:
    log = tmp_path / "effects.jsonl"
    with FakeMastodon("tok", processing_polls=0, log_path=log) as fake:
        connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=2)
        for text in ("one #k1", "two #k2"):
            body = f"status={text.replace('#', '%23')}"
            headers = {
                "Authorization": "Bearer tok",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            connection.request("POST", "/api/v1/statuses", body=body, headers=headers)
            answer = connection.getresponse()
            assert answer.status == 200 and answer.getheader("Content-Length")
            assert json.loads(answer.read())["content"] == f"<p>{text}</p>"
        connection.close()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == ["one #k1", "two #k2"]
    assert lines[0]["service"] == "mastodon" and lines[0]["kind"] == "post"


def _ignore_sigint() -> None:
    """What a background job of a non-interactive shell inherits: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    """Ctrl+C stops the fake service, even when it was started with SIGINT ignored (as under
    `pytest &` in a script); the child is killed whatever happens, so none is left running."""
    log = tmp_path / "e.jsonl"
    command = [sys.executable, "-m", "tests.fake_services", "bluesky", "--log", str(log)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" at ", 1)[1].strip()
        session = {"identifier": "show.test", "password": "fake-app-password"}
        answer = requests.post(
            f"{url}/xrpc/com.atproto.server.createSession", json=session, timeout=2
        )
        assert (
            answer.status_code == 200
            and answer.json()["didDoc"]["service"][0]["serviceEndpoint"] == url
        )
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout and process.stdout.close()
        process.stderr and process.stderr.close()
    assert returncode == 0
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[-1])["kind"] == "login"
