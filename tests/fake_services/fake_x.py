"""A fake X (Twitter) API v2: OAuth 1.0a user context, media upload (one-shot and chunked),
media metadata (alt text), posts and ``users/me``.

Shapes follow docs.x.com. Every request's ``Authorization: OAuth ...`` header is verified for
real with oauthlib's signature helpers: consumer key and access token must match, the
timestamp must be within 5 minutes, and the HMAC-SHA1 signature must verify over the method,
the URL the client requested (``http://<Host><path>``, or ``https://api.twitter.com<path>``,
the URL tweepy signs when a session rewrites the host only after signing) and the query and
form-urlencoded body parameters (JSON and multipart bodies are not signed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oauthlib.oauth1 import Client as OAuthClient  # type: ignore[import-untyped, unused-ignore]
from oauthlib.oauth1.rfc5849 import (  # type: ignore[import-untyped, unused-ignore]
    signature as oauth_signature,
)

from tests.fake_services.base import FakeService, FaultPlan, Request, Response, sniff_image

TWITTER_HOST = "https://api.twitter.com"
MAX_TWEET_CHARS = 280
MAX_ALT_TEXT_CHARS = 1000
EXPIRES_AFTER_SECS = 86400
IMAGE_LIMIT_BYTES = 5 * 1024 * 1024
CATEGORIES = (
    "amplify_video",
    "tweet_gif",
    "tweet_image",
    "tweet_video",
    "dm_gif",
    "dm_image",
    "dm_video",
    "subtitles",
)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/pjpeg")

_APPEND = re.compile(r"^/2/media/upload/(\d+)/(append|finalize)$")


@dataclass
class _Media:
    id: str
    media_type: str
    category: str
    total_bytes: int
    size: int = 0
    state: str = "uploading"  # uploading, pending, in_progress, succeeded
    polls: int = 0
    segments: dict[int, bytes] = field(default_factory=dict)
    alt_text: str | None = None
    sha256: str = ""

    @property
    def key(self) -> str:
        prefix = "3" if self.category.endswith("image") else "7"
        return f"{prefix}_{self.id}"


class FakeX(FakeService):
    """X API v2 over loopback. ``processing_rounds`` > 0: chunked uploads need that many
    ``command=STATUS`` polls answering ``in_progress`` before they succeed.
    ``reject_duplicates``: a post with the same text as an earlier one gets X's 403."""

    service_name = "x"

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        user_id: str = "1849000000000000001",
        username: str = "fakeshow",
        name: str = "Fake Show",
        processing_rounds: int = 0,
        reject_duplicates: bool = False,
        faults: FaultPlan | None = None,
        log_path: Path | None = None,
        reset_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(
            faults=faults, log_path=log_path, reset_seconds=reset_seconds, host=host, port=port
        )
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self._signer = OAuthClient(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=access_token,
            resource_owner_secret=access_token_secret,
        )
        self.user = {"id": user_id, "name": name, "username": username}
        self.processing_rounds = processing_rounds
        self.reject_duplicates = reject_duplicates
        self.media: dict[str, _Media] = {}
        self.tweets: dict[str, dict[str, Any]] = {}

    # -- error shapes ---------------------------------------------------------------------

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        titles = {
            400: "Invalid Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found Error",
            429: "Too Many Requests",
            500: "Internal Server Error",
            503: "Service Unavailable",
        }
        title = titles.get(status, "Error")
        body: dict[str, Any] = {"title": title, "type": "about:blank", "status": status}
        if status == 400:
            body["type"] = "https://api.twitter.com/2/problems/invalid-request"
            body["detail"] = "One or more parameters to your request was invalid."
            body["errors"] = [{"message": message}]
        elif status == 404:
            body["type"] = "https://api.twitter.com/2/problems/resource-not-found"
            body["detail"] = message
        elif status == 401:
            body["detail"] = "Unauthorized"
        else:
            body["detail"] = message
        return Response(status, body)

    def rate_limit_headers(self, remaining: int, reset_at: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(math.ceil(reset_at)),
        }

    # -- OAuth 1.0a -----------------------------------------------------------------------

    def _auth_problem(self, request: Request) -> str | None:
        header = request.header("Authorization") or ""
        if not header.lower().startswith("oauth "):
            return "no OAuth Authorization header"
        form = None
        if request.content_type == "application/x-www-form-urlencoded":
            form = request.body.decode("utf-8", "replace")
        try:
            params = oauth_signature.collect_parameters(
                uri_query=request.query_string,
                body=form,
                headers={"Authorization": header},
                exclude_oauth_signature=False,
            )
        except ValueError:
            return "malformed OAuth header"
        oauth = dict(params)
        if oauth.get("oauth_consumer_key") != self.consumer_key:
            return "wrong consumer key"
        if oauth.get("oauth_token") != self.access_token:
            return "wrong access token"
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return "unsupported signature method"
        if oauth.get("oauth_version", "1.0") != "1.0" or not oauth.get("oauth_nonce"):
            return "bad OAuth version or nonce"
        try:
            if abs(time.time() - int(oauth.get("oauth_timestamp", ""))) > 300:
                return "timestamp out of bounds"
        except ValueError:
            return "bad timestamp"
        body_hash = oauth.get("oauth_body_hash")
        if body_hash is not None:
            expected_hash = base64.b64encode(hashlib.sha1(request.body).digest()).decode()
            if not hmac.compare_digest(body_hash, expected_hash):
                return "body hash mismatch"
        given = oauth.get("oauth_signature", "")
        normalized = oauth_signature.normalize_parameters(
            [item for item in params if item[0] != "oauth_signature"]
        )
        urls = [f"{TWITTER_HOST}{request.path}"]
        if request.header("Host"):
            urls.insert(0, f"http://{request.header('Host')}{request.path}")
        for url in urls:
            base_string = oauth_signature.signature_base_string(
                request.method, oauth_signature.base_string_uri(url), normalized
            )
            expected = oauth_signature.sign_hmac_sha1_with_client(base_string, self._signer)
            if hmac.compare_digest(str(expected), given):
                return None
        return "signature mismatch"

    # -- routes ---------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        problem = self._auth_problem(request)
        if problem is not None:
            request.notes.append(f"auth: {problem}")
            return self.error(401, "Unauthorized")
        path, method = request.path, request.method
        if path == "/2/users/me" and method == "GET":
            return Response(200, {"data": dict(self.user)})
        if path == "/2/tweets" and method == "POST":
            return self._create_tweet(request)
        if path == "/2/media/upload" and method == "POST":
            return self._upload(request)
        if path == "/2/media/upload" and method == "GET":
            return self._status(request)
        if path == "/2/media/upload/initialize" and method == "POST":
            return self._initialize(request)
        if path == "/2/media/metadata" and method == "POST":
            return self._metadata(request)
        match = _APPEND.match(path)
        if match and method == "POST":
            media = self.media.get(match.group(1))
            if media is None or media.state != "uploading":
                return self.error(400, f"media id {match.group(1)} is not being uploaded")
            if match.group(2) == "append":
                return self._append(request, media)
            return self._finalize(media)
        return self.error(404, f"no route {method} {path}")

    def _media_data(self, media: _Media, *, with_processing: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": media.id,
            "media_key": media.key,
            "size": media.size,
            "expires_after_secs": EXPIRES_AFTER_SECS,
        }
        if with_processing:
            data["processing_info"] = self._processing_info(media)
        return data

    def _processing_info(self, media: _Media) -> dict[str, Any]:
        if media.state == "succeeded":
            return {"state": "succeeded", "progress_percent": 100}
        if media.state == "pending":
            return {"state": "pending", "check_after_secs": 1}
        percent = int(100 * media.polls / (self.processing_rounds + 1))
        return {"state": "in_progress", "check_after_secs": 1, "progress_percent": percent}

    def _new_media(self, media_type: str | None, category: str | None, total: int) -> _Media:
        return _Media(
            id=str(self.next_id()),
            media_type=media_type or "application/octet-stream",
            category=category or "tweet_image",
            total_bytes=total,
        )

    def _check_media_fields(
        self, category: str | None, media_type: str | None, data: bytes | None
    ) -> str | None:
        if category is None:
            return "media_category is required"
        if category not in CATEGORIES:
            return f"media_category must be one of {', '.join(CATEGORIES)}"
        if data is not None and not data:
            return "media must not be empty"
        if category.endswith("image") and media_type is not None and media_type not in IMAGE_TYPES:
            return f"media_type {media_type} is not an image type"
        if category.endswith("image") and data is not None and len(data) > IMAGE_LIMIT_BYTES:
            return "image files must be at most 5 MB"
        return None

    def _upload(self, request: Request) -> Response:
        parts = {part.name: part for part in request.parts()}
        if "media" not in parts:
            return self.error(400, "media is required (multipart/form-data)")
        data = parts["media"].data
        category = parts["media_category"].text if "media_category" in parts else None
        media_type = parts["media_type"].text if "media_type" in parts else None
        sniffed, _, _ = sniff_image(data)
        problem = self._check_media_fields(category, media_type or sniffed, data)
        if problem is not None:
            return self.error(400, problem)
        media = self._new_media(media_type or sniffed, category, len(data))
        media.size = len(data)
        media.sha256 = hashlib.sha256(data).hexdigest()
        processing = not media.category.endswith("image") and self.processing_rounds > 0
        media.state = "pending" if processing else "succeeded"
        self.media[media.id] = media
        self._media_effect(media)
        return Response(200, {"data": self._media_data(media, with_processing=processing)})

    def _initialize(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return self.error(400, "a JSON object body is required")
        total = body.get("total_bytes")
        media_type = body.get("media_type")
        category = body.get("media_category")
        if not isinstance(total, int) or total <= 0:
            return self.error(400, "total_bytes must be a positive integer")
        if not isinstance(media_type, str):
            return self.error(400, "media_type is required")
        if not isinstance(category, str | None):
            return self.error(400, "media_category must be a string")
        problem = self._check_media_fields(category or "tweet_image", media_type, None)
        if problem is None and total > IMAGE_LIMIT_BYTES and (category or "").endswith("image"):
            problem = "image files must be at most 5 MB"
        if problem is not None:
            return self.error(400, problem)
        media = self._new_media(media_type, category, total)
        self.media[media.id] = media
        data = {"id": media.id, "media_key": media.key, "expires_after_secs": EXPIRES_AFTER_SECS}
        return Response(200, {"data": data})

    def _append(self, request: Request, media: _Media) -> Response:
        index_text: str | None
        if request.content_type == "application/json":
            body = request.json()
            if not isinstance(body, dict):
                return self.error(400, "a JSON object body is required")
            try:
                chunk = base64.b64decode(str(body.get("media", "")), validate=True)
            except (binascii.Error, ValueError):
                return self.error(400, "media must be base64")
            index_text = str(body.get("segment_index", ""))
        else:
            parts = {part.name: part for part in request.parts()}
            if "media" not in parts:
                return self.error(400, "media is required")
            chunk = parts["media"].data
            index_text = parts["segment_index"].text if "segment_index" in parts else None
        if index_text is None or not index_text.isdigit() or int(index_text) > 999:
            return self.error(400, "segment_index must be an integer in [0, 999]")
        if not chunk:
            return self.error(400, "media must not be empty")
        media.segments[int(index_text)] = chunk
        if sum(len(part) for part in media.segments.values()) > media.total_bytes:
            del media.segments[int(index_text)]
            return self.error(400, "appended bytes exceed total_bytes")
        return Response(200, {"data": {"expires_at": int(time.time()) + EXPIRES_AFTER_SECS}})

    def _finalize(self, media: _Media) -> Response:
        data = b"".join(media.segments[index] for index in sorted(media.segments))
        if len(data) != media.total_bytes:
            return self.error(
                400, f"File size mismatch: got {len(data)} bytes, expected {media.total_bytes}"
            )
        media.size = len(data)
        media.sha256 = hashlib.sha256(data).hexdigest()
        media.segments.clear()
        media.state = "pending" if self.processing_rounds > 0 else "succeeded"
        self._media_effect(media)
        return Response(200, {"data": self._media_data(media, with_processing=True)})

    def _status(self, request: Request) -> Response:
        if request.arg("command") != "STATUS":
            return self.error(400, "command=STATUS is required")
        media = self.media.get(request.arg("media_id") or "")
        if media is None or media.state == "uploading":
            return self.error(400, f"unknown media_id {request.arg('media_id')}")
        if media.state != "succeeded":
            media.polls += 1
            media.state = "in_progress"
            if media.polls > self.processing_rounds:
                media.state = "succeeded"
        data = {"id": media.id, "media_key": media.key}
        return Response(200, {"data": {**data, "processing_info": self._processing_info(media)}})

    def _media_effect(self, media: _Media) -> None:
        self.record_effect(
            "media",
            id=media.id,
            media_key=media.key,
            size=media.size,
            media_type=media.media_type,
            category=media.category,
            sha256=media.sha256,
        )

    def _metadata(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return self.error(400, "a JSON object body is required")
        media = self.media.get(str(body.get("id", "")))
        if media is None:
            return self.error(400, f"unknown media id {body.get('id')}")
        metadata = body.get("metadata")
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(text, str):
            return self.error(400, "metadata.alt_text.text is required")
        if len(text) > MAX_ALT_TEXT_CHARS:
            return self.error(400, f"alt text must be at most {MAX_ALT_TEXT_CHARS} characters")
        media.alt_text = text
        self.record_effect("alt_text", id=media.id, text=text)
        associated = {"alt_text": {"text": text}}
        return Response(200, {"data": {"id": media.id, "associated_metadata": associated}})

    def _create_tweet(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return self.error(400, "a JSON object body is required")
        text = body.get("text")
        media_field = body.get("media")
        media_ids: list[str] = []
        if media_field is not None:
            ids = media_field.get("media_ids") if isinstance(media_field, dict) else None
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                return self.error(400, "media.media_ids must be a non-empty list of strings")
            media_ids = ids
        if text is not None and not isinstance(text, str):
            return self.error(400, "text must be a string")
        if not text and not media_ids:
            return self.error(400, "text is required unless media is given")
        if text is not None and len(text) > MAX_TWEET_CHARS:
            return self.error(400, f"text is longer than {MAX_TWEET_CHARS} characters")
        if len(media_ids) > 4:
            return self.error(400, "at most 4 media ids")
        unknown = [i for i in media_ids if i not in self.media]
        if unknown:
            return self.error(400, f"Your media IDs are invalid: {', '.join(unknown)}")
        unready = [i for i in media_ids if self.media[i].state != "succeeded"]
        if unready:
            return self.error(400, f"media {', '.join(unready)} has not finished processing")
        if self.reject_duplicates and text and any(t["text"] == text for t in self.tweets.values()):
            return self.error(403, "You are not allowed to create a Tweet with duplicate content.")
        tweet_id = str(self.next_id())
        tweet = {"id": tweet_id, "text": text or "", "edit_history_tweet_ids": [tweet_id]}
        self.tweets[tweet_id] = tweet
        self.record_effect(
            "post",
            id=tweet_id,
            text=text or "",
            media_ids=media_ids,
            alt_texts=[self.media[i].alt_text for i in media_ids],
        )
        return Response(201, {"data": dict(tweet)})
