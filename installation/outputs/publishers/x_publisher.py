"""X through its v2 API: media upload (here), alt text (here), the post (tweepy).

tweepy 4.17 uploads media through the retired v1.1 endpoint (tweepy issue 2217), so the upload
is written here against ``POST /2/media/upload`` (one request for small files; initialize,
append, finalize for large ones), signed with OAuth 1.0a by tweepy's own handler (which is
requests-oauthlib): no hand-written crypto. The post is tweepy's ``Client.create_tweet``.

X has no idempotency key: when the answer to ``create_tweet`` is lost, nobody can know whether
it posted, and the outbox marks the item ``unknown`` rather than risk a second post.
Every request goes through one ``requests`` session whose base URL is the target's
``base_url`` (tweepy hard-codes its host; the session swaps it), with a timeout.
"""

from __future__ import annotations

import time
from typing import Any

import requests
import tweepy
from urllib3.exceptions import NewConnectionError

from installation.outputs.publishers.credentials import Secret
from installation.outputs.publishers.file_publisher import render_plainly
from installation.outputs.publishers.post import (
    Post,
    Posted,
    PostError,
    Publisher,
    Rejected,
    Rendered,
    Retry,
    Unclear,
    shortened,
)
from installation.outputs.publishers.post_images import fit_bytes

TEXT_LIMIT = 280
ALT_LIMIT = 1000
IMAGE_LIMIT = 5 * 1024 * 1024
TWEEPY_HOST = "https://api.twitter.com"
PROCESSING_TIMEOUT_SECONDS = 60.0


class RebasedSession(requests.Session):
    """A session that sends tweepy's ``https://api.twitter.com`` requests to ``base_url``."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        if text.startswith(TWEEPY_HOST):
            text = self.base_url + text[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, text, *args, **kwargs)  # type: ignore[arg-type]


class XPublisher(Publisher):
    kind = "x"

    def __init__(
        self,
        name: str,
        base_url: str,
        keys: dict[str, Secret],
        chunk_bytes: int = 1 << 20,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(name)
        self.base_url = base_url.rstrip("/")
        self.chunk_bytes = chunk_bytes
        revealed = {field: secret.reveal() for field, secret in keys.items()}
        self._client = tweepy.Client(**revealed)
        self._session = RebasedSession(self.base_url, timeout)
        self._client.session = self._session
        self._auth = tweepy.OAuth1UserHandler(**revealed).apply_auth()

    def render(self, post: Post) -> Rendered:
        plain = render_plainly(post)
        text, notes = shortened(plain.text, TEXT_LIMIT)
        alt, alt_notes = shortened(plain.alt, ALT_LIMIT)
        try:
            image, mime, image_notes = fit_bytes(plain.image, plain.mime_type, IMAGE_LIMIT)
        except ValueError as exc:
            raise Rejected(str(exc)) from None
        return Rendered(text, alt, image, mime, plain.size, notes + alt_notes + image_notes)

    def publish(self, post: Post) -> Posted:
        rendered = self.render(post)
        try:
            media_id = self._upload(rendered)
            self._call(
                "POST",
                "/2/media/metadata",
                json={
                    "id": media_id,
                    "metadata": {"alt_text": {"text": rendered.alt}},
                },
            )
        except requests.RequestException as exc:
            raise Retry(f"media upload failed: {_describe(exc)}") from None
        post.committing()
        try:
            response = self._client.create_tweet(
                text=rendered.text, media_ids=[media_id], user_auth=True
            )
        except tweepy.TweepyException as exc:
            raise _tweet_error(exc) from None
        except requests.RequestException as exc:
            if _never_arrived(exc):
                raise Retry(f"could not reach {self.base_url}: {_describe(exc)}") from None
            raise Unclear(f"the answer to the post was lost: {_describe(exc)}") from None
        data: Any = getattr(response, "data", None) or {}
        tweet_id = str(data.get("id", ""))
        return Posted(tweet_id, f"https://x.com/i/web/status/{tweet_id}")

    # Media upload, v2 ------------------------------------------------------------------------

    def _upload(self, rendered: Rendered) -> str:
        if len(rendered.image) <= self.chunk_bytes:
            answer = self._call(
                "POST",
                "/2/media/upload",
                files={"media": ("image", rendered.image, rendered.mime_type)},
                data={"media_category": "tweet_image", "media_type": rendered.mime_type},
            )
            return self._processed(answer)
        started = self._call(
            "POST",
            "/2/media/upload/initialize",
            json={
                "media_type": rendered.mime_type,
                "total_bytes": len(rendered.image),
                "media_category": "tweet_image",
            },
        )
        media_id = str(started["id"])
        for index, offset in enumerate(range(0, len(rendered.image), self.chunk_bytes)):
            chunk = rendered.image[offset : offset + self.chunk_bytes]
            self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={"media": ("chunk", chunk, "application/octet-stream")},
                data={"segment_index": str(index)},
            )
        return self._processed(self._call("POST", f"/2/media/upload/{media_id}/finalize"))

    def _processed(self, answer: dict[str, Any]) -> str:
        """The media id once X has processed it (images usually need no wait)."""
        media_id = str(answer["id"])
        deadline = time.monotonic() + PROCESSING_TIMEOUT_SECONDS
        info = answer.get("processing_info") or {}
        while info.get("state") in ("pending", "in_progress"):
            if time.monotonic() > deadline:
                raise Retry(f"X did not process the image in {PROCESSING_TIMEOUT_SECONDS:g} s")
            time.sleep(min(float(info.get("check_after_secs", 1)), 5.0))
            status = self._call(
                "GET", "/2/media/upload", params={"media_id": media_id, "command": "STATUS"}
            )
            info = status.get("processing_info") or {}
        if info.get("state") == "failed":
            raise Rejected(f"X could not process the image: {info.get('error', info)}")
        return media_id

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One signed v2 request; its ``data``. Raises Retry/Rejected on an error answer."""
        response = self._session.request(method, self.base_url + path, auth=self._auth, **kwargs)
        if response.status_code >= 400:
            raise _answer_error(response)
        body = response.json() if response.content else {}
        data: dict[str, Any] = body.get("data", {}) if isinstance(body, dict) else {}
        return data

    def check(self) -> str:
        try:
            me = self._client.get_me(user_auth=True)
        except tweepy.TweepyException as exc:
            raise _tweet_error(exc) from None
        except requests.RequestException as exc:
            raise Retry(_describe(exc)) from None
        data: Any = getattr(me, "data", None)
        return f"logged in as @{getattr(data, 'username', '?')} on {self.base_url}"

    def close(self) -> None:
        self._session.close()


def _reset(response: Any) -> float | None:
    try:
        reset = float(response.headers.get("x-rate-limit-reset", ""))
    except (TypeError, ValueError):
        return None
    return reset if reset > time.time() else None


def _answer_error(response: requests.Response) -> PostError:
    code = response.status_code
    detail = f"HTTP {code} {response.text[:200]}".strip()
    if code == 429:
        return Retry(f"rate limited: {detail}", _reset(response))
    if code in (401, 403):
        return Rejected(
            f"X refused the keys ({detail}): check the four OAuth 1.0a keys, that the app has "
            "Read and Write permission, and that the account has posting credits"
        )
    if 400 <= code < 500:
        return Rejected(f"X refused the upload: {detail}")
    return Retry(f"X failed: {detail}")


def _tweet_error(exc: tweepy.TweepyException) -> PostError:
    response = getattr(exc, "response", None)
    if isinstance(exc, tweepy.TooManyRequests):
        return Retry(f"rate limited: {exc}", _reset(response))
    if isinstance(exc, (tweepy.Unauthorized, tweepy.Forbidden)):
        return Rejected(f"X refused the post ({exc}): check the keys and posting credits")
    if isinstance(exc, (tweepy.BadRequest, tweepy.NotFound)):
        return Rejected(f"X refused the post: {exc}")
    if isinstance(exc, tweepy.TwitterServerError) and getattr(response, "status_code", 0) == 503:
        return Retry(f"X is over capacity: {exc}")  # 503: refused before posting
    return Unclear(f"X failed while posting: {exc}")


def _never_arrived(exc: requests.RequestException) -> bool:
    """The request cannot have reached X (no connection was ever made)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        return isinstance(getattr(reason, "reason", None), NewConnectionError)
    return False


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
