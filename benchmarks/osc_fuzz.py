"""OSC fuzz benchmark: random and mutated datagrams into a running show, then valid ones work.

Starts ``installation run STAGE --headless --seconds S --stats ... --osc-port N`` (a temporary
copy of ``show_configs/stage.toml`` with ``[osc] rate_limit = 100000``, ``rate_burst =
10000``, so the fuzz is parsed, not rate-limited), waits for ``/pong``, and sends ``--count``
datagrams made by a seeded mutator from 127.0.0.1 (two source ports), paced at ``--rate``
a second. The mutator starts from valid messages for every standard address (every OSC type
python-osc encodes: i, h, f, d, s, b, T, F, N, r, m, arrays) and valid bundles, and applies one
to three of: bit flips, byte overwrites, truncation, random tails, type-tag rewrites (also to
tags python-osc does not know), huge / negative / zero blob and bundle-element lengths,
nested bundles (up to 3,000 deep), random timetags (past, now, soon, far ahead), splices of
two datagrams, addresses that are not UTF-8, and thousands of arguments; 10 % are random
bytes.

Afterwards, from a fresh socket: ``/show/status`` (its counters are the last heartbeat's),
``/ping`` (a ``/pong`` must come back), and ``/rainbow/trigger 7 "after fuzz"``; then the
gallery must hold a seed-7 record with that caption, the stats ``images_revealed >= 1`` and
``osc_applied`` above the status' figure, the show exits 0, and every datagram is counted
once (the outcomes add up to ``osc_datagrams``; the kernel's drops at the show's socket are
read from ``/proc/net/udp``). Small defaults; the BENCHMARKS.md figures came from

    python benchmarks/osc_fuzz.py --count 100000 --rate 4000 --repeat 3 \
        --json benchmarks/results/osc_fuzz.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from osc_show import (
    OUTCOMES,
    ShowProcess,
    median,
    outcome_sum,
    snmp_delta,
    stage_show,
    udp_snmp,
    udp_socket_drops,
)
from pythonosc.osc_bundle_builder import IMMEDIATELY
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

OSC = {"rate_limit": 100000, "rate_burst": 10000}
MAX_DATAGRAM = 65507
NTP_EPOCH = 2208988800
TYPE_TAGS = "ifsbhdtTFNIcrm[]Sx?,\x00é"
B = OscMessageBuilder
ADDRESSES = (
    "/scene", "/scene/next", "/scene/previous", "/lava/rate", "/lava/hue", "/lava/saturation",
    "/lava/brightness", "/lava/reset", "/rainbow/trigger", "/rainbow/truncation",
    "/rainbow/walk", "/rainbow/latent", "/show/blackout", "/show/status", "/ping",
)  # fmt: skip


def _value(rng: random.Random) -> tuple[Any, str | None]:
    """A random argument and its explicit type (None: python-osc infers it)."""
    pick = rng.randrange(14)
    if pick == 0:
        return rng.choice([0, 1, 7, -1, 2**31 - 1, -(2**31)]), B.ARG_TYPE_INT
    if pick == 1:
        return rng.choice([0, 2**53 + 1, 2**63 - 1, -(2**63)]), B.ARG_TYPE_INT64
    if pick == 2:
        return rng.choice([0.0, 0.5, 1.0, -1.0, 1e30, math.inf, math.nan]), B.ARG_TYPE_FLOAT
    if pick == 3:
        return rng.choice([0.25, 1e300, -math.inf, math.nan, 5e-324]), B.ARG_TYPE_DOUBLE
    if pick == 4:
        return rng.choice(["", "rainbow", "lava_lamp", "x" * 600, "é☃"]), B.ARG_TYPE_STRING
    if pick == 5:
        return rng.randbytes(rng.randrange(1, 64)), B.ARG_TYPE_BLOB
    if pick == 6:
        return True, B.ARG_TYPE_TRUE
    if pick == 7:
        return False, B.ARG_TYPE_FALSE
    if pick == 8:
        return None, B.ARG_TYPE_NIL
    if pick == 9:
        return rng.getrandbits(32), B.ARG_TYPE_RGBA
    if pick == 10:
        return tuple(rng.randrange(256) for _ in range(4)), B.ARG_TYPE_MIDI
    if pick == 11:
        return [rng.random(), rng.randrange(10)], None  # an array
    return rng.uniform(-2.0, 12.0), B.ARG_TYPE_FLOAT


def seed_message(rng: random.Random) -> bytes:
    """A well-formed message to a standard address (its values may be right or wrong)."""
    builder = OscMessageBuilder(address=rng.choice(ADDRESSES))
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
        value, kind = _value(rng)
        if kind is None:
            builder.add_arg(value)
        else:
            builder.add_arg(value, kind)
    return bytes(builder.build().dgram)


def timetag(rng: random.Random) -> int:
    """An NTP timetag: immediately, the past, now, soon, far ahead, or any 64 bits."""
    pick = rng.randrange(6)
    now = time.time() + NTP_EPOCH
    if pick == 0:
        return IMMEDIATELY
    if pick == 1:
        return rng.getrandbits(64)
    seconds = now + {2: -100.0, 3: 0.0, 4: rng.uniform(0.0, 2.0), 5: 1e6}[pick]
    return (int(seconds) << 32) | rng.getrandbits(32)


def bundle(rng: random.Random, depth: int) -> bytes:
    """A bundle of messages and bundles, ``depth`` levels deep."""
    inner = seed_message(rng)
    for _ in range(depth):
        parts = [inner] + [seed_message(rng) for _ in range(rng.randrange(2))]
        rng.shuffle(parts)
        body = b"".join(struct.pack(">i", len(part)) + part for part in parts)
        inner = b"#bundle\x00" + struct.pack(">Q", timetag(rng)) + body
        if len(inner) > MAX_DATAGRAM - 512:
            break
    return inner


def deep_bundle(rng: random.Random) -> bytes:
    """One message inside up to 3,000 nested bundles (as deep as a datagram allows)."""
    depth = rng.choice([100, 500, 999, 1000, 2000, 3000])
    data = seed_message(rng)[:64]
    depth = min(depth, (MAX_DATAGRAM - len(data)) // 20)
    heads = []
    size = len(data)
    for _ in range(depth):  # innermost first: each level is 16 bytes of header + a size
        heads.append(b"#bundle\x00" + struct.pack(">Qi", IMMEDIATELY, size))
        size += 20
    return b"".join(reversed(heads)) + data


def retag(rng: random.Random, data: bytes) -> bytes:
    """Rewrite some of a message's type tags (also to tags python-osc does not know)."""
    comma = data.find(b",")
    if comma < 0:
        return data
    end = data.find(b"\x00", comma)
    end = len(data) if end < 0 else end
    tags = bytearray(data[comma:end])
    for _ in range(rng.randrange(1, 4)):
        tags.insert(rng.randrange(1, len(tags) + 1), ord(rng.choice(TYPE_TAGS[:-1])))
    if rng.random() < 0.2:
        tags = bytearray(b"," + b"i" * rng.choice([100, 1000, 10000]))
    return data[:comma] + bytes(tags) + data[end:]


def huge_length(rng: random.Random, data: bytes) -> bytes:
    """Overwrite a 4-byte length or size (a blob's, a bundle element's) with a bad one."""
    if len(data) < 8:
        return data
    spot = data.find(b",")
    where = rng.randrange(max(0, min(spot, len(data) - 4)), len(data) - 3)
    where -= where % 4
    if data.startswith(b"#bundle") and len(data) >= 20:
        where = 16
    value = rng.choice([0x7FFFFFFF, -1, -(2**31), 0, 1, len(data) * 4, 3])
    return data[:where] + struct.pack(">i", value) + data[where + 4 :]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        pick = rng.randrange(9)
        if pick == 0 and out:  # bit flips
            for _ in range(rng.randrange(1, 9)):
                spot = rng.randrange(len(out))
                out[spot] ^= 1 << rng.randrange(8)
        elif pick == 1 and out:  # interesting bytes
            out[rng.randrange(len(out))] = rng.choice([0x00, 0xFF, 0x7F, 0x80, 0x2C, 0x2F, 0x23])
        elif pick == 2 and len(out) > 1:  # truncation
            del out[rng.randrange(1, len(out)) :]
        elif pick == 3:  # a random tail
            out += rng.randbytes(rng.randrange(1, 40))
        elif pick == 4:
            out = bytearray(retag(rng, bytes(out)))
        elif pick == 5:
            out = bytearray(huge_length(rng, bytes(out)))
        elif pick == 6:  # a splice of two datagrams
            other = seed_message(rng)
            out = out[: rng.randrange(len(out) + 1)] + other[rng.randrange(len(other)) :]
        elif pick == 7:  # an address that is not UTF-8, or not an address
            out[1:1] = rng.choice([b"\xff\xfe", b"\xc3", b"\x00", b"//", b"*?[]{}", b"\x80" * 8])
        elif rng.random() < 0.9:  # an address that does not exist
            out[1:1] = rng.randbytes(rng.randrange(1, 12))
        else:  # many arguments
            builder = OscMessageBuilder(address=rng.choice(ADDRESSES))
            for _ in range(rng.choice([100, 1000, 5000])):
                builder.add_arg(rng.random())
            out = bytearray(builder.build().dgram)
    return bytes(out[:MAX_DATAGRAM])


def datagram(rng: random.Random) -> tuple[str, bytes]:
    """One fuzz datagram and the kind of generator that made it."""
    pick = rng.random()
    if pick < 0.10:
        return "random bytes", rng.randbytes(rng.randrange(0, 300))
    if pick < 0.103:
        return "deep bundle", deep_bundle(rng)
    if pick < 0.30:
        return "bundle", mutate(rng, bundle(rng, rng.randrange(1, 6)))
    if pick < 0.40:
        return "message", seed_message(rng)
    return "mutated message", mutate(rng, seed_message(rng))


def fuzz_datagrams(count: int, seed: int) -> tuple[list[tuple[str, bytes]], int]:
    """``count`` fuzz datagrams, made before the show starts, and how many of them python-osc's
    parser refuses here (what the show should count as ``osc_malformed``)."""
    rng = random.Random(seed)
    datagrams = [datagram(rng) for _ in range(count)]
    refused = 0
    for _, data in datagrams:
        try:
            OscPacket(data).messages  # noqa: B018 - parsing is the point
        except Exception:
            refused += 1
    return datagrams, refused


def fuzz(port: int, datagrams: list[tuple[str, bytes]], rate: float) -> dict[str, Any]:
    """Send ``datagrams`` at ``rate`` a second, in 5 ms batches, from two source ports."""
    count = len(datagrams)
    sockets = []
    for _ in range(2):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        sockets.append(sock)
    kinds: dict[str, int] = {}
    sent_bytes = 0
    replies = 0
    start = time.perf_counter()
    batch = max(1, round(rate * 0.005))
    sent = 0
    while sent < count:
        wait = start + sent / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        for _ in range(min(batch, count - sent)):
            kind, data = datagrams[sent]
            sock = sockets[sent % 2]
            while True:
                try:
                    sock.sendto(data, ("127.0.0.1", port))
                    break
                except BlockingIOError:
                    time.sleep(0.0005)
            kinds[kind] = kinds.get(kind, 0) + 1
            sent_bytes += len(data)
            sent += 1
        for sock in sockets:
            while True:
                try:
                    sock.recv(65536)
                except OSError:
                    break
                replies += 1
    elapsed = time.perf_counter() - start
    for sock in sockets:
        sock.close()
    return {
        "sent": sent,
        "bytes": sent_bytes,
        "by_kind": kinds,
        "replies_received": replies,
        "elapsed_s": round(elapsed, 2),
        "rate_achieved": round(sent / elapsed, 1),
    }


def ask(port: int, address: str, *values: Any, answer: str, timeout: float = 2.0) -> Any:
    """Send one message from a fresh socket; the values of the first ``answer`` (None: none)."""
    builder = OscMessageBuilder(address=address)
    for value in values:
        builder.add_arg(value)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.1)
        sent = time.perf_counter()
        sock.sendto(bytes(builder.build().dgram), ("127.0.0.1", port))
        while time.perf_counter() - sent < timeout:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            for timed in OscPacket(data).messages:
                if timed.message.address == answer:
                    took = round((time.perf_counter() - sent) * 1000.0, 2)
                    return [*timed.message.params, took]
    return None


def status_counters(values: list[Any] | None) -> dict[str, int]:
    """``/installation/status SCENE FPS PROVIDER BLACKOUT FRAMES [NAME VALUE ...]`` counters."""
    if not values:
        return {}
    pairs = values[5:-1]
    return {str(pairs[i]): int(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)}


def one_run(index: int, folder: Path, count: int, rate: float) -> dict[str, Any]:
    datagrams, refused_here = fuzz_datagrams(count, seed=index)
    show = stage_show(folder, OSC)
    seconds = count / rate + 15.0
    with ShowProcess(show, seconds, folder) as process:
        process.wait_ready()
        snmp_before = udp_snmp()
        drops_before = udp_socket_drops(process.port) or 0
        sent = fuzz(process.port, datagrams, rate)
        time.sleep(2.0)  # the show drains its socket, a heartbeat takes the counters
        drops = (udp_socket_drops(process.port) or 0) - drops_before
        snmp = snmp_delta(snmp_before, udp_snmp())
        alive_after_fuzz = process.alive
        status = ask(process.port, "/show/status", answer="/installation/status")
        pong = ask(process.port, "/ping", answer="/pong")
        trigger_sent = time.time()
        shown = ask(process.port, "/rainbow/trigger", 7, "after fuzz", answer="")
        time.sleep(3.0)
        code, stats = process.finish(timeout=seconds + 60)
        log = process.log_text()
    after = [
        record
        for record in (
            json.loads(path.read_text(encoding="utf-8"))
            for path in (folder / "gallery").glob("*.json")
        )
        if record.get("seed") == 7 and record.get("caption") == "after fuzz"
    ]
    counters = stats.get("counters", {})
    before = status_counters(status)
    return {
        "exit_code": code,
        "alive_after_fuzz": alive_after_fuzz,
        "sender": sent,
        "python_osc_refuses_here": refused_here,
        "kernel_drops_at_show_socket": drops,
        "udp_snmp_delta": snmp,
        "status_after_fuzz": None if status is None else status[:5],
        "status_ms": None if status is None else status[-1],
        "applied_at_status": before.get("osc_applied"),
        "pong_ms": None if pong is None else pong[-1],
        "trigger_sent_unix": trigger_sent,
        "trigger_answer": shown,
        "after_fuzz_reveal_in_gallery": len(after),
        "outcome_sum": outcome_sum(counters),
        "datagrams_not_from_the_fuzz": counters.get("osc_datagrams", 0) - sent["sent"] + drops,
        "log_tracebacks": log.count("Traceback"),
        "log_unhandled": log.count("could not be handled"),
        "log_lines": len(log.splitlines()),
        "stats": stats,
    }


def check(run: dict[str, Any]) -> list[str]:
    """What in this run misses a bar (empty: all met)."""
    counters = run["stats"].get("counters", {})
    problems = []
    if run["exit_code"] != 0 or not run["alive_after_fuzz"]:
        problems.append(f"exit code {run['exit_code']}, alive after fuzz {run['alive_after_fuzz']}")
    if run["pong_ms"] is None:
        problems.append("no /pong after the fuzz")
    if counters.get("images_revealed", 0) < 1 or run["after_fuzz_reveal_in_gallery"] < 1:
        problems.append("the trigger after the fuzz revealed nothing")
    if (
        run["applied_at_status"] is None
        or counters.get("osc_applied", 0) <= run["applied_at_status"]
    ):
        problems.append("osc_applied did not grow after the fuzz")
    if run["outcome_sum"] != counters.get("osc_datagrams"):
        problems.append(
            f"outcomes add to {run['outcome_sum']}, not {counters.get('osc_datagrams')}"
        )
    if not 0 <= run["datagrams_not_from_the_fuzz"] <= 300:
        problems.append(f"osc_datagrams is off by {run['datagrams_not_from_the_fuzz']}")
    if run["log_tracebacks"] or run["log_unhandled"]:
        problems.append(f"{run['log_tracebacks']} tracebacks in the show's log")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="fuzz datagrams per run")
    parser.add_argument("--rate", type=float, default=4000.0, help="datagrams per second")
    parser.add_argument(
        "--seconds", type=float, help="fuzz for this long instead of --count (rate x seconds)"
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every run's figures and stats here")
    args = parser.parse_args()
    count = int(args.rate * args.seconds) if args.seconds else args.count
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.repeat):
            folder = Path(tmp) / f"run{index}"
            folder.mkdir()
            run = one_run(index, folder, count, args.rate)
            runs.append(run)
            counters = run["stats"].get("counters", {})
            print(
                f"run {index + 1}: exit {run['exit_code']}, sent {run['sender']}, kernel drops "
                f"{run['kernel_drops_at_show_socket']}, counters {counters}, pong "
                f"{run['pong_ms']} ms, after-fuzz reveal {run['after_fuzz_reveal_in_gallery']}, "
                f"on_time {run['stats'].get('on_time_ratio')}, problems {check(run)}",
                file=sys.stderr,
            )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {count} fuzz datagrams at {args.rate:g}/s per run.\n"
    )
    print(
        "| run | exit | sent | kernel drops | osc_datagrams | messages | applied / rejected / "
        "rate-limited / malformed / denied | python-osc refuses here | sum = datagrams "
        "| pong after | trigger after: revealed, in gallery | on-time | steal ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for index, run in enumerate(runs):
        counters, stats = run["stats"].get("counters", {}), run["stats"]
        outcomes = " / ".join(str(counters.get(f"osc_{o}", 0)) for o in OUTCOMES)
        adds_up = "yes" if run["outcome_sum"] == counters.get("osc_datagrams") else "NO"
        print(
            f"| {index + 1} | {run['exit_code']} | {run['sender']['sent']} "
            f"| {run['kernel_drops_at_show_socket']} | {counters.get('osc_datagrams', 0)} "
            f"| {counters.get('osc_messages', 0)} | {outcomes} | {run['python_osc_refuses_here']} "
            f"| {adds_up} "
            f"| {run['pong_ms']} ms | {counters.get('images_revealed', 0)}, "
            f"{run['after_fuzz_reveal_in_gallery']} | {stats.get('on_time_ratio', math.nan):.5f} "
            f"| {stats.get('steal_ms', 0):.0f} |"
        )
    print(
        f"\nMedian on-time {median([r['stats'].get('on_time_ratio', math.nan) for r in runs]):.5f}"
    )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0 if all(not check(run) for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
