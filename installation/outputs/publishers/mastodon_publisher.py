"""Mastodon through Mastodon.py: ``media_post`` with the alt text, wait for processing,
then ``status_post`` with the outbox item's key as its ``Idempotency-Key``.

Mastodon returns the same status for the same key for an hour, so an attempt whose answer was
lost is repeated (within that hour) without posting twice. Rate limits are thrown, never slept
(Mastodon.py's default sleeps inside the call), and their reset time is honoured.
"""

from __future__ import annotations

import time
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

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

TEXT_LIMIT = 500
PROCESSING_POLL_SECONDS = (0.2, 0.3, 0.5, 1.0, 2.0)  # then every 2 s
PROCESSING_TIMEOUT_SECONDS = 60.0


class MastodonPublisher(Publisher):
    kind = "mastodon"
    safe_to_repeat_seconds = 50 * 60.0  # the server keeps an Idempotency-Key for one hour

    def __init__(
        self,
        name: str,
        base_url: str,
        access_token: Secret,
        visibility: str = "public",
        timeout: float = 30.0,
    ) -> None:
        super().__init__(name)
        self.base_url = base_url.rstrip("/")
        self.visibility = visibility
        self._api = Mastodon(
            access_token=access_token.reveal(),
            api_base_url=self.base_url,
            ratelimit_method="throw",
            request_timeout=timeout,
            # No version probe (Mastodon.py would assume 1.0.0 when it fails and upload through
            # the old endpoint): every supported server has the v2 media upload (>= 3.1.4).
            version_check_mode="created",
            mastodon_version="4.0.0",
        )

    def render(self, post: Post) -> Rendered:
        plain = render_plainly(post)
        text, notes = shortened(plain.text, TEXT_LIMIT)
        alt, alt_notes = shortened(plain.alt, 1500)
        return Rendered(text, alt, plain.image, plain.mime_type, plain.size, notes + alt_notes)

    def publish(self, post: Post) -> Posted:
        rendered = self.render(post)
        try:
            media = self._api.media_post(
                rendered.image, mime_type=rendered.mime_type, description=rendered.alt
            )
            media = self._processed(media)
        except MastodonError as exc:
            raise self._media_error(exc) from None
        post.committing()
        try:
            status = self._api.status_post(
                rendered.text,
                media_ids=[media],
                visibility=self.visibility,
                idempotency_key=post.key,
            )
        except MastodonError as exc:
            raise self._status_error(exc) from None
        return Posted(str(status["id"]), str(status.get("url") or status.get("uri") or ""))

    def _processed(self, media: Any) -> Any:
        """The attachment once the server has processed it (v2 uploads answer before)."""
        deadline = time.monotonic() + PROCESSING_TIMEOUT_SECONDS
        polls = 0
        while media.get("url") is None:
            if time.monotonic() > deadline:
                raise Retry(f"the image was not processed in {PROCESSING_TIMEOUT_SECONDS:g} s")
            time.sleep(PROCESSING_POLL_SECONDS[min(polls, len(PROCESSING_POLL_SECONDS) - 1)])
            polls += 1
            media = self._api.media(media["id"])
        return media

    def _media_error(self, exc: MastodonError) -> PostError:
        """Uploading the image posts nothing: every failure but a refusal is retried."""
        refusal = self._refusal(exc)
        return refusal or Retry(f"image upload failed: {_describe(exc)}", self._reset())

    def _status_error(self, exc: MastodonError) -> PostError:
        refusal = self._refusal(exc)
        if refusal is not None:
            return refusal
        if isinstance(exc, MastodonRatelimitError):
            return Retry("rate limited", self._reset())
        api_error = isinstance(exc, MastodonAPIError) and not isinstance(exc, MastodonServerError)
        if api_error and _status_code(exc) == 422:  # media still processing, or a validation
            return Retry(f"the server refused the status for now: {_describe(exc)}")
        if isinstance(exc, (MastodonNetworkError, MastodonServerError)):
            return Unclear(f"status post answer lost: {_describe(exc)}")
        return Unclear(f"status post failed: {_describe(exc)}")

    def _refusal(self, exc: MastodonError) -> Rejected | None:
        if isinstance(exc, MastodonUnauthorizedError) or _status_code(exc) in (401, 403):
            return Rejected(
                f"{self.base_url} refused the access token ({_describe(exc)}): make a new one "
                "with the write:media and write:statuses scopes"
            )
        code = _status_code(exc)
        if code is not None and 400 <= code < 500 and code not in (408, 422, 429):
            return Rejected(f"{self.base_url} refused the post: {_describe(exc)}")
        return None

    def _reset(self) -> float | None:
        reset = getattr(self._api, "ratelimit_reset", None)
        remaining = getattr(self._api, "ratelimit_remaining", 1)
        if reset is None or remaining not in (0, None):
            return None
        return float(reset) if reset > time.time() else None

    def check(self) -> str:
        try:
            account = self._api.account_verify_credentials()
        except MastodonError as exc:
            raise self._refusal(exc) or Retry(_describe(exc)) from None
        return f"logged in as @{account['acct']} on {self.base_url}"


def _status_code(exc: MastodonError) -> int | None:
    for arg in exc.args:
        if isinstance(arg, int) and 100 <= arg < 600:
            return arg
    return None


def _describe(exc: MastodonError) -> str:
    parts = [str(arg) for arg in exc.args if arg]
    return f"{type(exc).__name__}: {', '.join(parts)}" if parts else type(exc).__name__
