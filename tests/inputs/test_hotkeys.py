"""Global hotkeys: config problems, what a pressed combination posts, and when the source starts.

The tests run with pynput's dummy backend (conftest), which parses keys but listens to nothing.
The last test presses real keys: it starts its own Xvfb and runs the source in a child
process with the X11 backend, pressing combinations with xdotool (skipped without them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from installation.config.schema import ControlsSection
from installation.events import (
    Blackout,
    Event,
    InputReceived,
    NextScene,
    QuitRequested,
    SelectScene,
    Trigger,
)
from installation.inputs.base import start_sources
from installation.inputs.hotkeys import NO_HOTKEYS, GlobalHotkeys, hotkey_problems

ROOT = Path(__file__).resolve().parents[2]
HOTKEYS = {
    "<ctrl>+<alt>+n": "next_scene",
    "<ctrl>+<alt>+b": "blackout",
    "<ctrl>+<alt>+t": "trigger:rainbow",
}


def test_good_hotkeys_have_no_problems() -> None:
    good = {
        **HOTKEYS,
        "<CTRL>+<Alt>+N": "scene:lava lamp",
        "<cmd>+<shift>+<f9>": "overlay",
        "<ctrl>++": "trigger",
        "<ctrl>+<65>": "quit",
        "<f12>": "none",
    }
    assert hotkey_problems(good) == []
    assert hotkey_problems(good, scenes={"rainbow", "lava lamp"}) == []


@pytest.mark.parametrize(
    ("combo", "expected"),
    [
        ("<ctrl>+<bogus>", "'<bogus>' is not a key pynput knows"),
        ("<ctrl>+<ctlr>+n", "(did you mean '<ctrl>'?)"),
        ("ctrl+n", "'ctrl' is neither one character nor a key name in angle brackets"),
        ("<ctrl>+", "ends in '+'"),
        ("", "is empty"),
        ("<ctrl>+n+N", "names a key twice"),
        ("n", "needs a named key other than <shift>"),
        ("<shift>+a", "needs a named key other than <shift>"),
    ],
)
def test_a_bad_combination_is_one_problem(combo: str, expected: str) -> None:
    (problem,) = hotkey_problems({combo: "next_scene"})
    assert problem.startswith(f"controls.hotkeys: {combo!r} is not a hotkey: ")
    assert expected in problem


def test_actions_and_scene_names_are_checked() -> None:
    problems = hotkey_problems(
        {"<ctrl>+<alt>+x": "explode", "<ctrl>+<alt>+t": "trigger:rainbw"}, scenes={"rainbow"}
    )
    assert problems == [
        "controls.hotkeys: '<ctrl>+<alt>+x': 'explode' is not an action (quit, next_scene, "
        "previous_scene, blackout, overlay, trigger, trigger:SCENE, scene:SCENE, none)",
        "controls.hotkeys: '<ctrl>+<alt>+t': no scene named 'rainbw'. Scenes: rainbow.",
    ]


def test_each_callback_posts_what_was_pressed_and_its_action() -> None:
    controls = ControlsSection(
        hotkeys={**HOTKEYS, "<ctrl>+<alt>+s": "scene:lava", "<ctrl>+<alt>+q": "quit"}
    )
    source = GlobalHotkeys(controls)
    posted: list[Event] = []
    callbacks = source.callbacks(posted.append)
    assert set(callbacks) == {*HOTKEYS, "<ctrl>+<alt>+s", "<ctrl>+<alt>+q"}

    def press(combo: str) -> list[Event]:
        posted.clear()
        callbacks[combo]()
        return list(posted)

    assert press("<ctrl>+<alt>+n") == [InputReceived("hotkey", "<ctrl>+<alt>+n"), NextScene()]
    assert press("<ctrl>+<alt>+b") == [InputReceived("hotkey", "<ctrl>+<alt>+b"), Blackout()]
    received, trigger = press("<ctrl>+<alt>+t")
    assert received == InputReceived("hotkey", "<ctrl>+<alt>+t")
    assert isinstance(trigger, Trigger) and (trigger.name, trigger.target) == ("hotkey", "rainbow")
    assert press("<ctrl>+<alt>+s")[1] == SelectScene("lava")
    quit_event = press("<ctrl>+<alt>+q")[1]
    assert isinstance(quit_event, QuitRequested) and "<ctrl>+<alt>+q" in quit_event.reason


def test_unbound_and_kiosk_quit_hotkeys_are_not_listened_for() -> None:
    controls = ControlsSection(
        hotkeys={"<ctrl>+<alt>+q": "quit", "<ctrl>+<alt>+n": "none", "<f9>": "blackout"},
        kiosk=True,
    )
    assert GlobalHotkeys(controls).hotkeys == {"<f9>": "blackout"}


def test_check_says_why_it_does_not_start(caplog: pytest.LogCaptureFixture) -> None:
    assert GlobalHotkeys(ControlsSection()).check() == NO_HOTKEYS
    assert GlobalHotkeys(ControlsSection(hotkeys={"<f9>": "none"})).check() == NO_HOTKEYS
    source = GlobalHotkeys(ControlsSection(hotkeys=HOTKEYS))
    assert os.environ.get("PYNPUT_BACKEND") == "dummy"
    reason = source.check()
    assert reason is not None and "PYNPUT_BACKEND=dummy" in reason and "\n" not in reason
    assert start_sources([source], [].append) == []
    assert "input global hotkeys is not available: PYNPUT_BACKEND=dummy" in caplog.text


def _child_env(display: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYNPUT_BACKEND")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    if display is not None:
        env["DISPLAY"] = display
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.skipif(sys.platform != "linux", reason="pynput needs an X display only on Linux")
def test_check_without_a_display_says_so_plainly() -> None:
    script = (
        "from installation.config.schema import ControlsSection\n"
        "from installation.inputs.hotkeys import GlobalHotkeys, hotkey_problems\n"
        "hotkeys = {'<ctrl>+<alt>+n': 'next_scene', '<ctrl>+<bogus>': 'blackout'}\n"
        "print(GlobalHotkeys(ControlsSection(hotkeys={'<ctrl>+<alt>+n': 'next_scene'})).check())\n"
        "print(hotkey_problems(hotkeys))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=_child_env(None),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    reason, problems = result.stdout.splitlines()
    assert reason.startswith("pynput cannot reach a keyboard here (")
    assert "is DISPLAY set?" in reason
    assert problems == "[]"  # without pynput only the form is checked: '<bogus>' passes


CHILD = textwrap.dedent(
    """
    import sys, time
    from installation.config.schema import ControlsSection
    from installation.inputs.base import start_sources
    from installation.inputs.hotkeys import GlobalHotkeys

    hotkeys = {"<ctrl>+<alt>+n": "next_scene", "<ctrl>+<alt>+t": "trigger:rainbow"}
    source = GlobalHotkeys(ControlsSection(hotkeys=hotkeys))
    print("check", source.check(), flush=True)
    posted = []
    assert start_sources([source], posted.append) == [source]
    print("ready", flush=True)
    sys.stdin.readline()  # the test has pressed its keys
    deadline = time.monotonic() + 5
    while len(posted) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # anything more that would arrive
    for event in posted:
        print("posted", repr(event), flush=True)
    source.stop()
    print("stopped", flush=True)
    """
)


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private Xvfb server; its display name (``:N``, chosen by Xvfb)."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"pressing real keys needs {' and '.join(missing)} (apt-get install xvfb xdotool)"
        )
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "320x240x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.skipif(sys.platform != "linux", reason="Xvfb and xdotool: Linux only")
def test_real_key_presses_under_xvfb_post_events(xvfb: str) -> None:
    env = _child_env(xvfb)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "check None"
        assert child.stdout.readline().strip() == "ready"
        for keys in ("ctrl+alt+n", "ctrl+n", "alt+t", "ctrl+alt+t"):  # two are no hotkeys
            subprocess.run(["xdotool", "key", keys], env=env, check=True, timeout=10)
        child.stdin.write("\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines = out.splitlines()
    assert lines[-1] == "stopped", out + err
    posted = [line.removeprefix("posted ") for line in lines[:-1]]
    assert len(posted) == 4, out + err
    assert posted[0] == "InputReceived(source='hotkey', what='<ctrl>+<alt>+n')"
    assert posted[1] == "NextScene()"
    assert posted[2] == "InputReceived(source='hotkey', what='<ctrl>+<alt>+t')"
    assert posted[3].startswith("Trigger(name='hotkey', target='rainbow'")
