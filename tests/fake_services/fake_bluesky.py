"""A fake Bluesky PDS: XRPC sessions (real-looking HS256 JWTs), profile, blobs and records.

Shapes follow docs.bsky.app and the lexicons. Errors are ``{"error", "message"}``. As in the
real PDS (``auth-verifier``), an expired or unverifiable token is answered **400**
``ExpiredToken`` / ``InvalidToken``; a missing one 401 ``AuthMissing``; a wrong password 401
``AuthenticationRequired``. The session's didDoc names this server as the account's PDS, so
the atproto SDK keeps talking to the fake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.fake_services.base import FakeService, FaultPlan, Request, Response, sniff_image

MAX_POST_GRAPHEMES = 300
MAX_POST_BYTES = 3000
IMAGE_BLOB_LIMIT = 1_000_000
ACCESS_SCOPES = ("com.atproto.access", "com.atproto.appPass", "com.atproto.appPassPrivileged")
_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_NSID = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$"
)
_tid_lock = threading.Lock()
_last_tid = 0


def make_tid() -> str:
    """A fresh TID (timestamp identifier), strictly increasing within this process."""
    global _last_tid
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _last_tid + 1)
        _last_tid = micros
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(_B32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def make_cid(data: bytes, *, codec: int = 0x55) -> str:
    """A CIDv1 string: base32 multibase, ``codec`` (0x55 raw, 0x71 dag-cbor), sha2-256."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def iter_blob_refs(value: Any) -> Iterator[dict[str, Any]]:
    """Every ``{"$type": "blob", ...}`` dict inside a JSON value."""
    if isinstance(value, dict):
        if value.get("$type") == "blob":
            yield value
        for item in value.values():
            yield from iter_blob_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_blob_refs(item)


def _ratio(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {"width": int(value["width"]), "height": int(value["height"])}


class _AuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeBluesky(FakeService):
    """A Bluesky PDS over loopback for one account (``handle`` / ``app_password``)."""

    service_name = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: str,
        did: str | None = None,
        blob_limit: int = 1_000_000,
        *,
        access_ttl_seconds: float = 2 * 3600,
        refresh_ttl_seconds: float = 60 * 86400,
        display_name: str = "Fake Show",
        faults: FaultPlan | None = None,
        log_path: Path | None = None,
        reset_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(
            faults=faults, log_path=log_path, reset_seconds=reset_seconds, host=host, port=port
        )
        self.handle = handle
        self.app_password = app_password
        digest = base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()
        self.did = did or f"did:plc:{digest[:24]}"
        self.blob_limit = blob_limit
        self.access_ttl_seconds = access_ttl_seconds
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.display_name = display_name
        self._secret = secrets.token_bytes(32)
        self.blobs: dict[str, dict[str, Any]] = {}
        self.records: dict[tuple[str, str], dict[str, Any]] = {}

    # -- error shapes ---------------------------------------------------------------------

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        names = {
            400: "InvalidRequest",
            401: "AuthenticationRequired",
            404: "NotFound",
            429: "RateLimitExceeded",
            500: "InternalServerError",
            501: "MethodNotImplemented",
            503: "NotEnoughResources",
        }
        if status == 429:
            message = "Rate Limit Exceeded"
        return Response(status, {"error": code or names.get(status, "Error"), "message": message})

    def rate_limit_headers(self, remaining: int, reset_at: float) -> dict[str, str]:
        limit = 30 if remaining == 0 else 3000
        return {
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(math.ceil(reset_at)),
            "ratelimit-policy": f"{limit};w=300",
        }

    # -- tokens ---------------------------------------------------------------------------

    def _jwt(self, typ: str, payload: dict[str, Any]) -> str:
        header = _b64url(json.dumps({"typ": typ, "alg": "HS256"}).encode())
        body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64url(signature)}"

    def _tokens(self) -> dict[str, str]:
        now = time.time()
        audience = f"did:web:{self.url.split('//', 1)[1].split(':', 1)[0]}"
        access = {
            "scope": "com.atproto.appPass",
            "sub": self.did,
            "aud": audience,
            "iat": int(now),
            "exp": int(now + self.access_ttl_seconds),
        }
        refresh = {
            "scope": "com.atproto.refresh",
            "sub": self.did,
            "aud": audience,
            "jti": secrets.token_urlsafe(24),
            "iat": int(now),
            "exp": int(now + self.refresh_ttl_seconds),
        }
        return {
            "accessJwt": self._jwt("at+jwt", access),
            "refreshJwt": self._jwt("refresh+jwt", refresh),
        }

    def _verify(self, request: Request, scopes: tuple[str, ...]) -> dict[str, Any]:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer "):
            raise _AuthError(401, "AuthMissing", "Authentication Required")
        token = header.removeprefix("Bearer ").strip()
        try:
            head, body, signature = token.split(".")
            expected = hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
            valid = hmac.compare_digest(_b64url_decode(signature), expected)
            payload = json.loads(_b64url_decode(body))
        except (ValueError, UnicodeDecodeError):
            valid, payload = False, None
        if not valid or not isinstance(payload, dict):
            raise _AuthError(400, "InvalidToken", "Token could not be verified")
        if time.time() >= float(payload.get("exp", 0)):
            raise _AuthError(400, "ExpiredToken", "Token has expired")
        if payload.get("scope") not in scopes or payload.get("sub") != self.did:
            raise _AuthError(400, "InvalidToken", "Bad token scope")
        return payload

    # -- shapes ---------------------------------------------------------------------------

    def did_doc(self) -> dict[str, Any]:
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.handle}"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.url,
                }
            ],
        }

    def _session(self) -> dict[str, Any]:
        return {
            **self._tokens(),
            "handle": self.handle,
            "did": self.did,
            "didDoc": self.did_doc(),
            "email": f"{self.handle.split('.')[0]}@example.test",
            "emailConfirmed": True,
            "active": True,
        }

    def _uri(self, collection: str, rkey: str) -> str:
        return f"at://{self.did}/{collection}/{rkey}"

    # -- routes ---------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        if not request.path.startswith("/xrpc/"):
            return self.error(404, "Not Found", "NotFound")
        method = request.path.removeprefix("/xrpc/")
        try:
            if method == "com.atproto.server.createSession" and request.method == "POST":
                return self._create_session(request)
            if method == "com.atproto.server.refreshSession" and request.method == "POST":
                self._verify(request, ("com.atproto.refresh",))
                self.record_effect("refresh", did=self.did)
                return Response(200, self._session())
            handler = self._routes().get((request.method, method))
            if handler is None:
                return self.error(501, "Method Not Implemented")
            self._verify(request, ACCESS_SCOPES)
            return handler(request)
        except _AuthError as error:
            return self.error(error.status, error.message, error.code)

    def _routes(self) -> dict[tuple[str, str], Callable[[Request], Response]]:
        return {
            ("GET", "com.atproto.server.getSession"): self._get_session,
            ("GET", "app.bsky.actor.getProfile"): self._get_profile,
            ("POST", "com.atproto.repo.uploadBlob"): self._upload_blob,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("POST", "com.atproto.repo.deleteRecord"): self._delete_record,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("GET", "com.atproto.repo.listRecords"): self._list_records,
        }

    def _create_session(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return self.error(400, "Input must be an object")
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            return self.error(400, "Input must have the properties identifier and password")
        known = identifier.lower() in (self.handle.lower(), self.did)
        if not known or not hmac.compare_digest(password, self.app_password):
            return self.error(401, "Invalid identifier or password", "AuthenticationRequired")
        self.record_effect("login", did=self.did, handle=self.handle)
        return Response(200, self._session())

    def _get_session(self, request: Request) -> Response:
        session = self._session()
        for key in ("accessJwt", "refreshJwt"):
            del session[key]
        return Response(200, session)

    def _get_profile(self, request: Request) -> Response:
        actor = request.arg("actor")
        if actor not in (self.handle, self.did):
            return self.error(400, "Profile not found")
        posts = sum(1 for collection, _ in self.records if collection == "app.bsky.feed.post")
        profile = {
            "did": self.did,
            "handle": self.handle,
            "displayName": self.display_name,
            "description": "A fake account on a fake PDS.",
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": posts,
            "indexedAt": "2024-01-01T00:00:00.000Z",
            "createdAt": "2024-01-01T00:00:00.000Z",
        }
        return Response(200, profile)

    def _upload_blob(self, request: Request) -> Response:
        data = request.body
        if not data:
            return self.error(400, "Request body is empty")
        if len(data) > self.blob_limit:
            return self.error(
                400, f"This file is too large. It is {len(data)} bytes.", "BlobTooLarge"
            )
        sniffed, width, height = sniff_image(data)
        declared = request.content_type
        mime = sniffed or (declared if declared and declared != "*/*" else None)
        mime = mime or "application/octet-stream"
        cid = make_cid(data)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}
        self.blobs[cid] = {**blob, "width": width, "height": height}
        self.record_effect("blob", cid=cid, mime_type=mime, size=len(data))
        return Response(200, {"blob": blob})

    def _record_problem(
        self, collection: str, record: dict[str, Any], validate: bool
    ) -> str | None:
        if record.get("$type") != collection:
            return f"Invalid $type: expected {collection}, got {record.get('$type')}"
        for ref in iter_blob_refs(record):
            link = ref.get("ref", {}).get("$link") if isinstance(ref.get("ref"), dict) else None
            if link not in self.blobs:
                return f"Could not find blob: {link}"
        if not validate or collection != "app.bsky.feed.post":
            return None
        text = record.get("text")
        prefix = "Invalid app.bsky.feed.post record: Record"
        if not isinstance(text, str):
            return f'{prefix} must have the property "text"'
        if len(text) > MAX_POST_GRAPHEMES:
            return f"{prefix}/text must not be longer than {MAX_POST_GRAPHEMES} graphemes"
        if len(text.encode("utf-8")) > MAX_POST_BYTES:
            return f"{prefix}/text must not be longer than {MAX_POST_BYTES} characters"
        if not isinstance(record.get("createdAt"), str):
            return f'{prefix} must have the property "createdAt"'
        embed = record.get("embed")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.images":
            return self._images_problem(embed.get("images"))
        return None

    def _images_problem(self, images: Any) -> str | None:
        prefix = "Invalid app.bsky.feed.post record: Record/embed/images"
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            return f"{prefix} must be an array of 1 to 4 images"
        for index, image in enumerate(images):
            if not isinstance(image, dict) or not isinstance(image.get("image"), dict):
                return f'{prefix}/{index} must have the property "image"'
            if not isinstance(image.get("alt"), str):
                return f'{prefix}/{index} must have the property "alt"'
            blob = image["image"]
            if blob.get("$type") != "blob":
                return f"{prefix}/{index}/image should be a blob ref"
            if not str(blob.get("mimeType", "")).startswith("image/"):
                return f"{prefix}/{index}/image mimeType must be an image"
            if int(blob.get("size", 0)) > IMAGE_BLOB_LIMIT:
                return f"{prefix}/{index}/image file too large"
            ratio = image.get("aspectRatio")
            if ratio is not None and not (
                isinstance(ratio, dict)
                and isinstance(ratio.get("width"), int)
                and isinstance(ratio.get("height"), int)
                and ratio["width"] >= 1
                and ratio["height"] >= 1
            ):
                return f"{prefix}/{index}/aspectRatio must have a positive width and height"
        return None

    def _repo_matches(self, repo: Any) -> bool:
        return repo in (self.did, self.handle)

    def _create_record(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return self.error(400, "Input must be an object")
        collection, record = body.get("collection"), body.get("record")
        rkey = body.get("rkey") or make_tid()
        if not self._repo_matches(body.get("repo")):
            return self.error(400, f"Could not find repo: {body.get('repo')}")
        if not isinstance(collection, str) or not _NSID.match(collection):
            return self.error(400, "Input/collection must be a valid NSID")
        if not isinstance(rkey, str) or not _RKEY.match(rkey) or rkey in (".", ".."):
            return self.error(400, "Input/rkey must be a valid record key")
        if not isinstance(record, dict):
            return self.error(400, 'Input must have the property "record"')
        uri = self._uri(collection, rkey)
        if (collection, rkey) in self.records:
            return self.error(400, f"Record already exists: {uri}")
        problem = self._record_problem(collection, record, body.get("validate") is not False)
        if problem is not None:
            return self.error(400, problem)
        cid = make_cid(json.dumps(record, sort_keys=True).encode(), codec=0x71)
        self.records[(collection, rkey)] = {"uri": uri, "cid": cid, "value": record}
        if collection == "app.bsky.feed.post":
            images = self._post_images(record)
            self.record_effect(
                "post",
                rkey=rkey,
                uri=uri,
                cid=cid,
                text=record.get("text"),
                alts=[image.get("alt") for image in images],
                aspect_ratios=[_ratio(image.get("aspectRatio")) for image in images],
            )
        else:
            self.record_effect("record", collection=collection, rkey=rkey, uri=uri, cid=cid)
        commit = {"cid": make_cid(cid.encode(), codec=0x71), "rev": make_tid()}
        return Response(
            200, {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"}
        )

    @staticmethod
    def _post_images(record: dict[str, Any]) -> list[dict[str, Any]]:
        embed = record.get("embed")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.recordWithMedia":
            embed = embed.get("media")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.images":
            images = embed.get("images")
            return [image for image in images if isinstance(image, dict)] if images else []
        return []

    def _delete_record(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not self._repo_matches(body.get("repo")):
            return self.error(400, "Input must name this repo, a collection and an rkey")
        key = (str(body.get("collection")), str(body.get("rkey")))
        if self.records.pop(key, None) is not None:
            self.record_effect("delete", collection=key[0], rkey=key[1], uri=self._uri(*key))
        return Response(200, {"commit": {"cid": make_cid(b"".join(k.encode() for k in key))}})

    def _get_record(self, request: Request) -> Response:
        collection, rkey = request.arg("collection") or "", request.arg("rkey") or ""
        stored = self.records.get((collection, rkey))
        cid = request.arg("cid")
        if (
            not self._repo_matches(request.arg("repo"))
            or stored is None
            or (cid and cid != stored["cid"])
        ):
            uri = f"at://{request.arg('repo')}/{collection}/{rkey}"
            return self.error(400, f"Could not locate record: {uri}", "RecordNotFound")
        return Response(200, dict(stored))

    def _list_records(self, request: Request) -> Response:
        if not self._repo_matches(request.arg("repo")):
            return self.error(400, f"Could not find repo: {request.arg('repo')}")
        collection = request.arg("collection") or ""
        limit = max(1, min(100, int(request.arg("limit") or 50)))
        keys = sorted(rkey for c, rkey in self.records if c == collection)
        if request.arg("reverse") != "true":
            keys.reverse()
        cursor = request.arg("cursor")
        if cursor:
            keys = [
                k for k in keys if (k > cursor if request.arg("reverse") == "true" else k < cursor)
            ]
        page = keys[:limit]
        body: dict[str, Any] = {"records": [dict(self.records[(collection, k)]) for k in page]}
        if len(keys) > limit:
            body["cursor"] = page[-1]
        return Response(200, body)
