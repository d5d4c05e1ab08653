"""A fake Mastodon 4.3 server: instance, verify_credentials, media (async processing) and
statuses with ``Idempotency-Key``.

Shapes follow docs.joinmastodon.org. Mastodon.py 2.3.3 sends statuses form-urlencoded
(``status=..&sensitive=0&visibility=..&media_ids%5B%5D=1``) and media as multipart (``file``,
``description``, ``focus``); multipart and JSON status bodies are accepted too. Like Mastodon's
PostStatusService, a repeated Idempotency-Key answers the first status again before any
validation, and a key is remembered only once its status exists.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fake_services.base import FakeService, FaultPlan, Request, Response, sniff_image

MAX_CHARACTERS = 500
MAX_MEDIA = 4
MAX_DESCRIPTION = 1500
IMAGE_LIMIT_BYTES = 16 * 1024 * 1024
VISIBILITIES = ("public", "unlisted", "private", "direct")
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"

_MEDIA_ID = re.compile(r"^/api/v1/media/(\d+)$")


def iso_time(moment: float) -> str:
    """``2026-12-03T12:00:00.000Z``."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def status_html(text: str) -> str:
    """Mastodon's rendering of plain text: paragraphs, line breaks, escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()] or [""]
    return "".join(
        "<p>" + "<br />".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


@dataclass
class _Media:
    id: str
    mime_type: str
    size: int
    width: int
    height: int
    description: str | None
    focus: tuple[float, float]
    polls_left: int
    sha256: str
    status_id: str | None = None


class FakeMastodon(FakeService):
    """Mastodon API over loopback. Uploads through ``/api/v2/media`` need
    ``processing_polls`` polls of ``GET /api/v1/media/:id`` (answered 206) before they have
    a URL (200) and can be attached; with 0 they are ready at once."""

    service_name = "mastodon"

    def __init__(
        self,
        access_token: str,
        processing_polls: int = 1,
        *,
        username: str = "show",
        account_id: str = "109000000000000001",
        max_characters: int = MAX_CHARACTERS,
        faults: FaultPlan | None = None,
        log_path: Path | None = None,
        reset_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(
            faults=faults, log_path=log_path, reset_seconds=reset_seconds, host=host, port=port
        )
        self.access_token = access_token
        self.processing_polls = processing_polls
        self.username = username
        self.account_id = account_id
        self.max_characters = max_characters
        self.media: dict[str, _Media] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, str] = {}

    # -- error shapes ---------------------------------------------------------------------

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        if status == 429:
            message = "Too many requests"
        return Response(status, {"error": message})

    def rate_limit_headers(self, remaining: int, reset_at: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": iso_time(reset_at),
        }

    # -- shapes ---------------------------------------------------------------------------

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Fake Show",
            "locked": False,
            "bot": True,
            "discoverable": True,
            "group": False,
            "created_at": "2024-01-01T00:00:00.000Z",
            "note": "<p>A fake account on a fake server.</p>",
            "url": f"{self.url}/@{self.username}",
            "uri": f"{self.url}/users/{self.username}",
            "avatar": f"{self.url}/avatars/original/missing.png",
            "avatar_static": f"{self.url}/avatars/original/missing.png",
            "header": f"{self.url}/headers/original/missing.png",
            "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self.statuses),
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def _attachment(self, media: _Media) -> dict[str, Any]:
        ready = media.polls_left <= 0
        extension = media.mime_type.split("/")[-1]
        url = f"{self.url}/system/media_attachments/files/original/{media.id}.{extension}"
        small = f"{self.url}/system/media_attachments/files/small/{media.id}.{extension}"
        size = {"width": media.width, "height": media.height}
        original = {**size, "size": f"{media.width}x{media.height}"}
        if media.height:
            original["aspect"] = media.width / media.height
        return {
            "id": media.id,
            "type": "image" if media.mime_type.startswith("image/") else "unknown",
            "url": url if ready else None,
            "preview_url": small,
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": {
                "original": original,
                "small": original,
                "focus": {"x": media.focus[0], "y": media.focus[1]},
            },
            "description": media.description,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }

    def instance_v1(self) -> dict[str, Any]:
        return {
            "uri": self.domain,
            "title": "Fake Mastodon",
            "short_description": "A fake Mastodon for tests",
            "description": "A fake Mastodon for tests",
            "email": "admin@example.test",
            "version": "4.3.0",
            "urls": {"streaming_api": f"ws://{self.domain}"},
            "stats": {"user_count": 1, "status_count": len(self.statuses), "domain_count": 1},
            "thumbnail": None,
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": self._configuration(),
            "contact_account": None,
            "rules": [],
        }

    def instance_v2(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "title": "Fake Mastodon",
            "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A fake Mastodon for tests",
            "usage": {"users": {"active_month": 1}},
            "thumbnail": {"url": f"{self.url}/packs/media/images/preview.png"},
            "languages": ["en"],
            "configuration": {
                **self._configuration(),
                "urls": {"streaming": f"ws://{self.domain}"},
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 2},
            "contact": {"email": "admin@example.test", "account": None},
            "rules": [],
        }

    def _configuration(self) -> dict[str, Any]:
        return {
            "accounts": {"max_featured_tags": 10},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": MAX_MEDIA,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "image_size_limit": IMAGE_LIMIT_BYTES,
                "image_matrix_limit": 33177600,
                "video_size_limit": 99614720,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    # -- routes ---------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        path, method = request.path.rstrip("/") or "/", request.method
        authorization = request.header("Authorization")
        authorized = authorization == f"Bearer {self.access_token}"
        if path in ("/api/v1/instance", "/api/v2/instance") and method == "GET":
            if authorization is not None and not authorized:
                return self.error(401, "The access token is invalid")
            return Response(200, self.instance_v1() if "v1" in path else self.instance_v2())
        if not authorized:
            return self.error(401, "The access token is invalid")
        if path == "/api/v1/accounts/verify_credentials" and method == "GET":
            return Response(200, self.account())
        if path in ("/api/v1/media", "/api/v2/media") and method == "POST":
            return self._upload(request, synchronous=path == "/api/v1/media")
        match = _MEDIA_ID.match(path)
        if match and method in ("GET", "PUT"):
            return self._media(request, match.group(1))
        if path == "/api/v1/statuses" and method == "POST":
            return self._post_status(request)
        if path.startswith("/api/v1/statuses/") and method == "GET":
            status = self.statuses.get(path.rsplit("/", 1)[1])
            return Response(200, status) if status else self.error(404, "Record not found")
        return self.error(404, "Record not found")

    def _upload(self, request: Request, *, synchronous: bool) -> Response:
        parts = {part.name: part for part in request.parts()}
        upload = parts.get("file")
        if upload is None or upload.filename is None or not upload.data:
            return self.error(422, "Validation failed: File can't be blank")
        mime, width, height = sniff_image(upload.data)
        if mime is None:
            return self.error(
                422, "Validation failed: File content type is invalid, File file type is invalid"
            )
        if len(upload.data) > IMAGE_LIMIT_BYTES:
            return self.error(422, "Validation failed: File file size must be less than 16 MB")
        description = parts["description"].text if "description" in parts else None
        if description is not None and len(description) > MAX_DESCRIPTION:
            return self.error(
                422, f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION})"
            )
        focus = self._focus(parts["focus"].text if "focus" in parts else None)
        polls = 0 if synchronous else self.processing_polls
        media = _Media(
            id=str(self.next_id()),
            mime_type=mime,
            size=len(upload.data),
            width=width,
            height=height,
            description=description,
            focus=focus,
            polls_left=polls,
            sha256=hashlib.sha256(upload.data).hexdigest(),
        )
        self.media[media.id] = media
        self.record_effect(
            "media",
            id=media.id,
            mime_type=mime,
            size=media.size,
            description=description,
            sha256=media.sha256,
        )
        return Response(202 if polls > 0 else 200, self._attachment(media))

    @staticmethod
    def _focus(text: str | None) -> tuple[float, float]:
        if not text:
            return 0.0, 0.0
        try:
            x, y = (float(value) for value in text.split(","))
        except ValueError:
            return 0.0, 0.0
        return max(-1.0, min(1.0, x)), max(-1.0, min(1.0, y))

    def _media(self, request: Request, media_id: str) -> Response:
        media = self.media.get(media_id)
        if media is None:
            return self.error(404, "Record not found")
        if request.method == "PUT":
            fields = dict(request.fields())
            if "description" in fields:
                media.description = fields["description"]
            if "focus" in fields:
                media.focus = self._focus(fields["focus"])
            return Response(200, self._attachment(media))
        if media.polls_left > 0:
            media.polls_left -= 1
            return Response(206, {**self._attachment(media), "url": None})
        return Response(200, self._attachment(media))

    @staticmethod
    def _status_fields(request: Request) -> tuple[dict[str, Any], list[str]]:
        if request.content_type == "application/json":
            body = request.json()
            if not isinstance(body, dict):
                return {}, []
            ids = body.get("media_ids") or []
            return body, [str(i) for i in (ids if isinstance(ids, list) else [ids])]
        pairs = request.fields()
        ids = [value for key, value in pairs if key in ("media_ids[]", "media_ids")]
        return {key: value for key, value in pairs if not key.startswith("media_ids")}, ids

    def _post_status(self, request: Request) -> Response:
        key = request.header("Idempotency-Key")
        if key is not None and key in self.idempotency:
            request.notes.append("idempotent_replay")
            return Response(200, self.statuses[self.idempotency[key]])
        fields, media_ids = self._status_fields(request)
        text = fields.get("status")
        text = text if isinstance(text, str) else ""
        visibility = fields.get("visibility") or "public"
        if not text.strip() and not media_ids:
            return self.error(422, "Validation failed: Text can't be blank")
        if len(text) > self.max_characters:
            limit = self.max_characters
            return self.error(422, f"Validation failed: Text character limit of {limit} exceeded")
        if visibility not in VISIBILITIES:
            return self.error(422, "Validation failed: Visibility is not included in the list")
        if len(media_ids) > MAX_MEDIA:
            return self.error(422, f"Validation failed: Cannot attach more than {MAX_MEDIA} files")
        missing = [i for i in media_ids if i not in self.media or self.media[i].status_id]
        if missing:
            ids = ", ".join(missing)
            return self.error(422, f"Media {ids} not found or already attached to another post")
        media = [self.media[i] for i in media_ids]
        if any(item.polls_left > 0 for item in media):
            return self.error(422, NOT_READY)
        status = self._new_status(text, str(visibility), media, fields)
        for item in media:
            item.status_id = status["id"]
        if key is not None:
            self.idempotency[key] = status["id"]
        self.record_effect(
            "post",
            id=status["id"],
            text=text,
            media_ids=media_ids,
            descriptions=[item.description for item in media],
            idempotency_key=key,
            visibility=visibility,
        )
        return Response(200, status)

    def _new_status(
        self, text: str, visibility: str, media: list[_Media], fields: dict[str, Any]
    ) -> dict[str, Any]:
        status_id = str(self.next_id())
        sensitive = str(fields.get("sensitive", "0")).lower() in ("1", "true")
        status = {
            "id": status_id,
            "created_at": iso_time(time.time()),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": sensitive,
            "spoiler_text": str(fields.get("spoiler_text") or ""),
            "visibility": visibility,
            "language": str(fields.get("language") or "en"),
            "uri": f"{self.url}/users/{self.username}/statuses/{status_id}",
            "url": f"{self.url}/@{self.username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": status_html(text),
            "reblog": None,
            "application": {"name": "fake-services", "website": None},
            "account": self.account(),
            "media_attachments": [self._attachment(item) for item in media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self.statuses[status_id] = status
        return status
