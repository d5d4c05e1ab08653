"""``python -m tests.fake_services SERVICE [--port N] [--failure-rate F] [--seed S] [--log F]``:
one fake with demo credentials, served until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from tests.fake_services.base import FAULT_KINDS, FakeService, FaultPlan
from tests.fake_services.fake_bluesky import FakeBluesky
from tests.fake_services.fake_mastodon import FakeMastodon
from tests.fake_services.fake_x import FakeX

X_CREDENTIALS = {
    "consumer_key": "fake-consumer-key",
    "consumer_secret": "fake-consumer-secret",
    "access_token": "fake-access-token",
    "access_token_secret": "fake-access-token-secret",
}
MASTODON_TOKEN = "fake-token"
BLUESKY_HANDLE = "show.test"
BLUESKY_PASSWORD = "fake-app-password"


def build(service: str, faults: FaultPlan, log: Path | None, port: int) -> FakeService:
    if service == "x":
        keys = X_CREDENTIALS
        return FakeX(
            keys["consumer_key"],
            keys["consumer_secret"],
            keys["access_token"],
            keys["access_token_secret"],
            faults=faults,
            log_path=log,
            port=port,
        )
    if service == "mastodon":
        return FakeMastodon(MASTODON_TOKEN, faults=faults, log_path=log, port=port)
    return FakeBluesky(BLUESKY_HANDLE, BLUESKY_PASSWORD, faults=faults, log_path=log, port=port)


def credentials(service: str) -> dict[str, str]:
    if service == "x":
        return X_CREDENTIALS
    if service == "mastodon":
        return {"access_token": MASTODON_TOKEN}
    return {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_PASSWORD}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_services", description=__doc__)
    parser.add_argument("service", choices=("x", "mastodon", "bluesky"))
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--kinds", default=",".join(FAULT_KINDS), help="comma-separated fault kinds to draw"
    )
    parser.add_argument("--slow-seconds", type=float, default=3.0)
    parser.add_argument("--paths", default=None, help="regex: only matching paths get faults")
    parser.add_argument("--log", type=Path, default=None, help="effects as JSON lines")
    args = parser.parse_args(argv)
    faults = FaultPlan(
        failure_rate=args.failure_rate,
        seed=args.seed,
        kinds=tuple(kind for kind in args.kinds.split(",") if kind),
        slow_seconds=args.slow_seconds,
        paths=args.paths,
    )
    # Ctrl+C and SIGTERM stop it even where SIGINT arrives ignored (a background job of a
    # non-interactive shell starts with SIGINT ignored, and Python then installs no handler).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    fake = build(args.service, faults, args.log, args.port)
    with fake:
        print(f"fake {args.service} at {fake.url}", flush=True)
        for name, value in credentials(args.service).items():
            print(f"  {name} = {value}", flush=True)
        if args.log is not None:
            print(f"  effects -> {args.log}", flush=True)
        print("Ctrl+C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
