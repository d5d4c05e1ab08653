"""An external game that tells the show it is over: python-osc, a few rounds of a dice game.

Run a show with a rainbow scene (``installation run show_configs/stage.toml --windowed``),
then ``python docs/examples/osc/external_game.py``. Each round two teams roll dice; the winner
and score go to the show as ``/game/over WINNER SCORE SEED``, and the show reveals, shows,
saves and (with ``[posting]`` on) posts that round's rainbow. ``/show/status`` is asked after
each round, so you see the show answer.
"""

from __future__ import annotations

import argparse
import random
import socket
import time

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket


def message(address: str, *values: object) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value)
    return builder.build().dgram


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=15.0, help="seconds between rounds")
    args = parser.parse_args()
    rng = random.Random()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        for number in range(1, args.rounds + 1):
            scores = {team: sum(rng.randint(1, 6) for _ in range(5)) for team in ("Red", "Blue")}
            winner = max(scores, key=lambda team: scores[team])
            seed = rng.randrange(2**31)
            print(f"round {number}: {scores} -> /game/over {winner!r} {scores[winner]} {seed}")
            sock.sendto(message("/game/over", winner, scores[winner], seed), (args.host, args.port))
            sock.sendto(message("/show/status"), (args.host, args.port))
            try:
                for timed in OscPacket(sock.recv(65536)).messages:
                    print(f"  the show: {timed.message.address} {list(timed.message.params)}")
            except TimeoutError:
                print("  no answer: is a show running, with OSC on this port?")
            if number < args.rounds:
                time.sleep(args.pause)


if __name__ == "__main__":
    main()
