"""OSC flood benchmark: 10,000 datagrams a second into a headless stage show, every one counted.

Each run starts ``installation run STAGE --headless --seconds S --stats ... --osc-port N`` (a
temporary copy of ``show_configs/stage.toml``: the rainbow model drifts at 10 images/s while
the flood comes in; ``[osc] allow`` is 127.0.0.1-3, and one ``[[osc.targets]]`` peer, this
script, hears the show's heartbeat). When the show answers ``/ping``, a separate sender
process sends ``--rate`` datagrams a second for ``--seconds`` seconds from pre-encoded
datagrams, in batches every 2 ms, from two source ports on each of 127.0.0.1, .2 and .3 and
one port on 127.0.0.4, which is not on the allow-list (10 % of the flood, ``osc_denied``).

The mix: 50 % valid messages for this show (``/rainbow/truncation``, ``/rainbow/walk``,
``/rainbow/latent x y``, a few ``/ping`` and ``/show/status``), 25 % invalid (wrong types,
out of range, wrong counts, unknown addresses, ``/lava/hue`` in a show without a lava lamp)
and 25 % malformed (random bytes, truncated messages, broken bundles; each one checked to fail
python-osc's parser before it goes into the pool).

Two configurations: ``default`` (``rate_limit`` 500/s, ``rate_burst`` 200 per sender host)
and ``raised`` (``rate_limit = 20000``, ``rate_burst = 2000``: almost the whole flood is
parsed and applied). Bars: exit 0; ``on_time_ratio >= 0.99``; ``osc_datagrams`` equals the
datagrams sent less those the kernel dropped at the show's socket (``/proc/net/udp``'s drops
column, also ``/proc/net/snmp`` ``RcvbufErrors``), and the five outcomes add up to
``osc_datagrams``. The frames of the flood itself are judged from the heartbeats
(``/installation/heartbeat FRAMES UPTIME LATE``) heard during it. Small defaults; the
BENCHMARKS.md figures came from

    python benchmarks/osc_flood.py --seconds 10 --repeat 3 --json benchmarks/results/osc_flood.json
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import random
import socket
import struct
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from osc_show import (
    OUTCOMES,
    OscPeer,
    ShowProcess,
    encode,
    median,
    outcome_sum,
    snmp_delta,
    stage_show,
    udp_snmp,
    udp_socket_drops,
)
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

ALLOWED_HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
DENIED_HOST = "127.0.0.4"
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {"allow": list(ALLOWED_HOSTS)},
    "raised": {"allow": list(ALLOWED_HOSTS), "rate_limit": 20000, "rate_burst": 2000},
}
BATCH_SECONDS = 0.002


def _parses(data: bytes) -> bool:
    try:
        OscPacket(data).messages  # noqa: B018 - parsing is the point
    except Exception:
        return False
    return True


def valid_message(rng: random.Random) -> bytes:
    pick = rng.random()
    if pick < 0.35:
        return encode("/rainbow/truncation", rng.uniform(0.05, 1.0))
    if pick < 0.65:
        return encode("/rainbow/latent", rng.random(), rng.random())
    if pick < 0.96:
        return encode("/rainbow/walk", rng.uniform(0.0, 10.0))
    if pick < 0.99:
        return encode("/ping")
    return encode("/show/status")


def invalid_message(rng: random.Random) -> bytes:
    pick = rng.randrange(8)
    if pick == 0:
        return encode("/rainbow/truncation", "high")
    if pick == 1:
        return encode("/rainbow/truncation", rng.uniform(1.5, 100.0))
    if pick == 2:
        return encode("/rainbow/latent", rng.uniform(1.1, 5.0), rng.uniform(-5.0, -0.1))
    if pick == 3:
        return encode("/rainbow/latent", rng.random())
    if pick == 4:
        return encode("/lava/hue", rng.uniform(-180.0, 180.0))
    if pick == 5:
        return encode(f"/nope/{rng.getrandbits(32):08x}", rng.random())
    if pick == 6:
        return encode("/rainbow/trigger", "seven")
    return encode("/rainbow/walk", math.nan)


def malformed_datagram(rng: random.Random) -> bytes:
    while True:
        pick = rng.randrange(4)
        if pick == 0:  # random bytes that do not start like a message or a bundle
            data = bytes([rng.choice(b"abcXYZ\x00\x01\xff")]) + rng.randbytes(rng.randrange(200))
        elif pick == 1:  # a valid message cut short
            whole = valid_message(rng)
            data = whole[: rng.randrange(1, len(whole))]
        elif pick == 2:  # a bundle whose element size runs past the end
            inner = valid_message(rng)
            data = b"#bundle\x00" + struct.pack(">Q", 1) + struct.pack(">i", len(inner) + 64)
            data += inner
        else:  # a message whose type tags promise more than it carries
            data = b"/rainbow/latent\x00,ffff\x00\x00\x00" + struct.pack(">f", 0.5)
        if not _parses(data):
            return data


def build_pool(seed: int, size: int) -> list[tuple[str, bytes]]:
    """``size`` pre-encoded datagrams with what each is meant to be (valid/invalid/malformed)."""
    rng = random.Random(seed)
    pool = []
    for _ in range(size):
        pick = rng.random()
        if pick < 0.5:
            pool.append(("valid", valid_message(rng)))
        elif pick < 0.75:
            pool.append(("invalid", invalid_message(rng)))
        else:
            pool.append(("malformed", malformed_datagram(rng)))
    bundle = OscBundleBuilder(IMMEDIATELY)  # one valid bundle kind too: two messages at once
    for value in (0.5, 0.6):
        builder = OscMessageBuilder("/rainbow/truncation")
        builder.add_arg(value)
        bundle.add_content(builder.build())
    pool[0] = ("valid", bytes(bundle.build().dgram))
    return pool


def flood(port: int, rate: float, seconds: float, seed: int, out: Queue[dict[str, Any]]) -> None:
    """The sender process: ``rate`` datagrams/s for ``seconds`` s, paced in 2 ms batches."""
    pool = build_pool(seed, 20_000)
    sockets: list[tuple[str, socket.socket]] = []
    for host in ALLOWED_HOSTS:
        for _ in range(2):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((host, 0))
            sock.setblocking(False)
            sockets.append((host, sock))
    denied = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    denied.bind((DENIED_HOST, 0))
    denied.setblocking(False)
    target = ("127.0.0.1", port)
    total = int(rate * seconds)
    batch = max(1, round(rate * BATCH_SECONDS))
    sent_by_kind = {"valid": 0, "invalid": 0, "malformed": 0}
    allowed_by_kind = dict(sent_by_kind)
    sent_by_host: dict[str, int] = {}
    replies = 0
    send_errors = 0
    start = time.perf_counter()
    sent = 0
    while sent < total:
        due = start + sent / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        for _ in range(min(batch, total - sent)):
            kind, data = pool[sent % len(pool)]
            if sent % 10 == 9:
                host, sock = DENIED_HOST, denied
            else:
                host, sock = sockets[(sent - sent // 10) % len(sockets)]
            try:
                sock.sendto(data, target)
            except BlockingIOError:
                # A full send buffer: wait for it rather than lose the datagram here.
                sock.setblocking(True)
                sock.sendto(data, target)
                sock.setblocking(False)
            except OSError:
                send_errors += 1
                sent += 1
                continue
            sent_by_kind[kind] += 1
            if host != DENIED_HOST:
                allowed_by_kind[kind] += 1
            sent_by_host[host] = sent_by_host.get(host, 0) + 1
            sent += 1
        for _, sock in sockets:  # answers to /ping and /show/status: read them, count them
            while True:
                try:
                    sock.recv(65536)
                except (BlockingIOError, OSError):
                    break
                replies += 1
    elapsed = time.perf_counter() - start
    out.put(
        {
            "sent": sum(sent_by_kind.values()),
            "send_errors": send_errors,
            "by_kind": sent_by_kind,
            "allowed_by_kind": allowed_by_kind,
            "by_host": sent_by_host,
            "replies_received": replies,
            "elapsed_s": round(elapsed, 3),
            "rate_achieved": round(sum(sent_by_kind.values()) / elapsed, 1),
        }
    )


class Heartbeats(OscPeer):
    """The show's ``[[osc.targets]]`` peer: heartbeats (frames, uptime, late frames) as heard."""

    def __init__(self) -> None:
        self.beats: list[tuple[float, int, float, int]] = []
        super().__init__()

    def heard(self, address: str, params: list[Any], at: float) -> None:
        if address == "/installation/heartbeat":
            frames, uptime, late = params
            self.beats.append((at, frames, uptime, late))

    def between(self, start: float, end: float) -> dict[str, Any]:
        """Frames and late frames between the last beat before ``start`` and first after ``end``."""
        before = [beat for beat in self.beats if beat[0] <= start]
        after = [beat for beat in self.beats if beat[0] >= end]
        if not before or not after:
            return {}
        first, last = before[-1], after[0]
        frames = last[1] - first[1]
        late = last[3] - first[3]
        return {
            "frames": frames,
            "late_frames": late,
            "seconds": round(last[2] - first[2], 3),
            "fps": round(frames / (last[2] - first[2]), 2),
            "on_time_ratio": round(1.0 - late / frames, 5) if frames else float("nan"),
        }


def one_run(config: str, index: int, folder: Path, rate: float, seconds: float) -> dict[str, Any]:
    beats = Heartbeats()
    show = stage_show(folder, CONFIGS[config], targets=[("127.0.0.1", beats.port)])
    with ShowProcess(show, seconds + 8.0, folder) as process:
        process.wait_ready()
        time.sleep(1.5)  # a beat before the flood
        snmp_before = udp_snmp()
        drops_before = udp_socket_drops(process.port) or 0
        context = multiprocessing.get_context("spawn")
        results: Queue[dict[str, Any]] = context.Queue()
        sender = context.Process(
            target=flood, args=(process.port, rate, seconds, 1000 * index + 7, results)
        )
        flood_start = time.perf_counter()
        sender.start()
        sent = results.get(timeout=seconds * 3 + 30)
        sender.join()
        flood_end = time.perf_counter()
        time.sleep(1.0)  # the show drains its socket; the next heartbeat comes
        drops = (udp_socket_drops(process.port) or 0) - drops_before
        snmp = snmp_delta(snmp_before, udp_snmp())
        time.sleep(1.5)
        pong_ms = process.ping(timeout=2.0)
        alive_after = process.alive
        code, stats = process.finish()
    beats.close()
    counters = stats.get("counters", {})
    flood_frames = beats.between(flood_start, flood_end)
    # Datagrams the show got that are not the flood's: this script's /ping probes.
    extra = counters.get("osc_datagrams", 0) - sent["sent"] + drops
    return {
        "config": config,
        "osc": CONFIGS[config],
        "exit_code": code,
        "alive_after_flood": alive_after,
        "pong_after_flood_ms": None if pong_ms is None else round(pong_ms, 2),
        "sender": sent,
        "kernel_drops_at_show_socket": drops,
        "udp_snmp_delta": snmp,
        "datagrams_not_from_the_flood": extra,
        "outcome_sum": outcome_sum(counters),
        "flood_frames": flood_frames,
        "stats": stats,
    }


def check(run: dict[str, Any], probes_max: int = 300) -> list[str]:
    """What in this run misses a bar (empty: every bar met)."""
    stats, counters = run["stats"], run["stats"].get("counters", {})
    problems = []
    if run["exit_code"] != 0:
        problems.append(f"exit code {run['exit_code']}")
    if stats.get("on_time_ratio", 0.0) < 0.99:
        problems.append(f"on_time_ratio {stats.get('on_time_ratio')}")
    datagrams = counters.get("osc_datagrams")
    if run["outcome_sum"] != datagrams:
        problems.append(f"outcomes add to {run['outcome_sum']}, not {datagrams}")
    if not 0 <= run["datagrams_not_from_the_flood"] <= probes_max:
        problems.append(
            f"osc_datagrams {counters.get('osc_datagrams')} vs sent {run['sender']['sent']} "
            f"less {run['kernel_drops_at_show_socket']} kernel drops"
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the flood")
    parser.add_argument("--rate", type=float, default=10_000.0, help="datagrams per second")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--json", type=Path, help="write every run's figures and stats here")
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs:
            for index in range(args.repeat):
                folder = Path(tmp) / f"{config}{index}"
                folder.mkdir()
                run = one_run(config, index, folder, args.rate, args.seconds)
                runs.append(run)
                counters = run["stats"].get("counters", {})
                print(
                    f"{config} run {index + 1}: exit {run['exit_code']}, sent "
                    f"{run['sender']['sent']} at {run['sender']['rate_achieved']}/s, "
                    f"kernel drops {run['kernel_drops_at_show_socket']}, counters "
                    f"{ {k: v for k, v in counters.items() if k.startswith('osc_')} }, "
                    f"flood frames {run['flood_frames']}, on_time "
                    f"{run['stats'].get('on_time_ratio')}, problems {check(run)}",
                    file=sys.stderr,
                )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.rate:g} datagrams/s for {args.seconds:g} s.\n"
    )
    print(
        "| config, run | exit | sent | kernel drops | osc_datagrams | allowed hosts' valid / "
        "invalid / malformed | applied / rejected / rate-limited / malformed / denied "
        "| sum = datagrams | on-time (run) | frames, late "
        "during the flood | interval p99 / max ms | pong after | steal ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        counters, stats = run["stats"].get("counters", {}), run["stats"]
        outcomes = " / ".join(str(counters.get(f"osc_{o}", 0)) for o in OUTCOMES)
        mix = " / ".join(str(n) for n in run["sender"]["allowed_by_kind"].values())
        during = run["flood_frames"]
        pong = run["pong_after_flood_ms"]
        adds_up = "yes" if run["outcome_sum"] == counters.get("osc_datagrams") else "NO"
        print(
            f"| {run['config']} | {run['exit_code']} | {run['sender']['sent']} "
            f"| {run['kernel_drops_at_show_socket']} | {counters.get('osc_datagrams', 0)} "
            f"| {mix} | {outcomes} | {adds_up} "
            f"| {stats.get('on_time_ratio', float('nan')):.5f} "
            f"| {during.get('frames', '-')}, {during.get('late_frames', '-')} "
            f"| {stats['frame_interval_ms']['p99']:.2f} / {stats['frame_interval_ms']['max']:.2f} "
            f"| {'-' if pong is None else f'{pong:.1f} ms'} | {stats.get('steal_ms', 0):.0f} |"
        )
    for config in args.configs:
        chosen = [run for run in runs if run["config"] == config]
        print(
            f"\n{config}: medians over {len(chosen)} runs: on-time "
            f"{median([r['stats'].get('on_time_ratio', math.nan) for r in chosen]):.5f}, "
            f"applied {median([r['stats']['counters'].get('osc_applied', 0) for r in chosen]):.0f}"
            f", interval p99 "
            f"{median([r['stats']['frame_interval_ms']['p99'] for r in chosen]):.2f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0 if all(not check(run) for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
