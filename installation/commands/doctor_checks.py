"""``installation doctor``: what this machine has, which providers really run, model health.

Each section prints its own lines. What the checks log, and what native libraries (onnxruntime,
OpenCV, SDL) print on stderr while they run, is held back and reported as ``warning`` lines of
that section: INFO logs are dropped (the section says the same), so the report reads clean.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import socket
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from installation.commands.doctor_disk import disk_report
from installation.config.schema import ShowConfig
from installation.errors import InstallationError
from installation.models import onnx_runtime
from installation.models.catalog import missing_model, threads_per_model
from installation.native_stderr import held_native_stderr
from installation.outputs.sdl import SCREEN_ADVICE, check_screen, pygame_versions
from installation.scenes.registry import load_show

WARM_RUNS = 20

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NATIVE_LOG = re.compile(
    r"\[\s*(?P<level>[VIWEF]|VERBOSE|INFO|DEBUG|WARN|WARNING|ERROR|FATAL)\b[^\]]*\]\s*(?P<text>.*)"
)
_QUIET_LEVELS = {"V", "I", "VERBOSE", "INFO", "DEBUG"}
_DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY")


def _line(label: str, value: str) -> None:
    print(f"  {label:<26} {value}")


class _HeldWarnings(logging.Handler):
    """Collects the warnings and errors logged while one doctor section runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _native_lines(printed: list[str]) -> list[str]:
    """What native libraries printed, without colour codes, log prefixes or their info lines."""
    lines: list[str] = []
    for raw in (_ANSI.sub("", line) for line in printed):
        match = _NATIVE_LOG.search(raw)
        if match and match["level"] in _QUIET_LEVELS:
            continue
        line = (match["text"] if match else raw).strip()
        if line:
            lines.append(line)
    return lines


@contextmanager
def _held_output() -> Iterator[list[str]]:
    """Hold back the block's log records and native stderr; the list gets the warnings."""
    root = logging.getLogger()
    handler = _HeldWarnings()
    handlers, root.handlers = root.handlers, [handler]
    notes: list[str] = []
    try:
        with held_native_stderr() as printed:
            yield notes
    finally:
        root.handlers = handlers
    native = _native_lines(printed)
    notes.extend(dict.fromkeys([*handler.lines, *native]))  # in order, once each


def _section(check: Callable[[], list[str] | None]) -> list[str]:
    """Run one section's check with its warnings held back, print them as its last lines, and
    return what the check returned (what is missing; the usable providers). With ``--debug``
    nothing is held back: every log line and native message shows where it happens."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        return check() or []
    with _held_output() as notes:
        missing = check()
    for note in notes:
        _line("warning", note)
    return missing or []


def _versions() -> None:
    print("Software")
    _line("python", f"{sys.version.split()[0]} ({platform.platform()})")
    pygame_version, sdl_version = pygame_versions()
    _line("pygame / SDL", f"{pygame_version} / {sdl_version}")
    _line("onnxruntime", f"{onnx_runtime.version()} (package {onnx_runtime._package_name()})")
    _line("cpu cores", str(os.cpu_count()))
    try:  # the version only: importing torch would take seconds and is not needed here
        _line("torch (training)", metadata.version("torch"))
    except metadata.PackageNotFoundError:
        _line("torch (training)", "not installed: training needs pip install -e '.[train]'")


def _display() -> list[str]:
    """Whether ``installation run`` (without --headless) has a screen to show on here."""
    print("Display")
    check = check_screen()
    if check.problem is not None:
        headless = "`installation run --headless` works without one"
        _line("screen", f"MISSING: {check.problem} {SCREEN_ADVICE}; {headless}.")
        return [f"a display (DISPLAY or WAYLAND_DISPLAY; {headless})"]
    if check.warning is not None:
        _line("screen", check.warning)
        return []
    driver = f"SDL video driver {check.driver}"
    where = ", ".join(
        f"{name}={os.environ[name]}" for name in _DISPLAY_VARIABLES if os.environ.get(name)
    )
    _line("screen", f"{driver} ({where})" if where else driver)
    return []


def _providers() -> list[str]:
    print("Execution providers (preferred first)")
    usable: list[str] = []
    compiled = onnx_runtime.available_providers()
    for provider in onnx_runtime.PROVIDER_NAMES.values():
        problem = onnx_runtime.provider_problem(provider)
        if problem is None:
            usable.append(provider)
            _line(provider, "usable")
        elif provider in compiled:
            _line(provider, f"compiled in, NOT usable: {problem}")
        else:
            _line(provider, f"not available: {problem}")
    return usable


def _models(show: Path, loaded: ShowConfig | InstallationError) -> list[str]:
    missing: list[str] = []
    print(f"Models of {show}")
    if isinstance(loaded, InstallationError):
        print(f"  show config problem: {loaded}")
        return [f"a valid show config ({show})"]
    config = loaded
    threads = threads_per_model(config.runtime, len(config.models))
    for name, entry in config.models.items():
        if not entry.path.is_file():
            _line(name, f"PROBLEM: {missing_model(name, entry)}")
            missing.append(f"model {name!r} ({entry.path})")
            continue
        try:
            model = onnx_runtime.load_model(
                name, entry.path, entry.kind, config.runtime.providers, threads
            )
        except InstallationError as exc:
            _line(name, f"PROBLEM: {exc}")
            missing.append(f"model {name!r} ({entry.path})")
            continue
        feeds = model.zero_feeds()
        for _ in range(WARM_RUNS + 3):
            model.run(feeds)
        warm = statistics.median(model.stats.latencies_ms[3:])
        spec = model.spec
        size = f"{spec.image_size[1]}x{spec.image_size[0]}" if spec.image_size else "-"
        _line(name, f"{spec.kind} contract v1 ok, {size}, latent {spec.latent_size}")
        _line("", f"file {entry.path}")
        _line(
            "",
            f"runs on {model.provider} ({threads} CPU thread(s)), warm latency "
            f"median {warm:.2f} ms over {WARM_RUNS} runs",
        )
        if spec.description:
            _line("", spec.description)
    missing += _game_agents(config)
    return missing


def _game_agents(config: ShowConfig) -> list[str]:
    """The stage game's agent table of each tictactoe scene (a JSON table, not an ONNX model)."""
    from installation.scenes.tictactoe_agent import AgentError, load_table

    missing: list[str] = []
    for scene in config.scenes:
        path = getattr(scene, "agent", None)
        if scene.kind != "tictactoe" or not isinstance(path, Path):
            continue
        try:
            table = load_table(path)
        except AgentError as exc:
            _line(scene.label, f"PROBLEM: {exc}")
            missing.append(f"the game agent ({path})")
            continue
        _line(scene.label, f"tic-tac-toe agent, {len(table.values)} boards learned")
        _line("", f"file {path}")
    return missing


def _osc(show: Path, config: ShowConfig) -> None:
    """Where the show listens for OSC (and whether that port is free now) and whom it tells."""
    settings = config.osc
    print(f"OSC of {show}")
    if not settings.enabled:
        _line("server", "off ([osc] enabled = false)")
        return
    where = f"{settings.host}:{settings.port}"
    _line("server", f"{where}, senders allowed: {', '.join(settings.allow) or 'nobody'}")
    _line("", f"port now: {_udp_port_state(settings.host, settings.port)}")
    if settings.advertise:
        _line("", "announced over zeroconf as _osc._udp")
    for target in settings.targets:
        _line("target", f"{target.host}:{target.port} ({_resolves(target.host)})")
    if not settings.targets:
        _line("target", "none ([[osc.targets]]): nobody hears what the show does")


def _udp_port_state(host: str, port: int) -> str:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"NOT free ({exc.strerror}): the show would run without OSC; pick another port"
    return "free"


def _resolves(host: str) -> str:
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError as exc:
        return f"does NOT resolve: {exc}"
    return "resolves"


def _posting(show: Path, config: ShowConfig, online: bool) -> list[str]:
    """Each posting target: its credentials there or not (names only), and with ``online``
    whether the service takes them."""
    from installation.outputs.publishers.credentials import install_redactor
    from installation.outputs.publishers.outbox_store import OutboxError, OutboxStore
    from installation.outputs.publishers.post import PostError
    from installation.outputs.publishers.targets import build_publishers, database_path

    posting = config.posting
    print(f"Posting of {show}")
    if not posting.enabled or not posting.targets:
        _line("targets", "none ([posting.targets.NAME]): nothing is posted")
        return []
    install_redactor()
    try:
        built = build_publishers(posting, dry_run=False)
    except InstallationError as exc:
        _line("credentials", f"PROBLEM: {exc}")
        return ["posting credentials"]
    missing: list[str] = []
    for name, target in posting.targets.items():
        publisher = built.publishers.get(name)
        if publisher is None:
            continue
        where = getattr(target, "base_url", None) or getattr(target, "folder", "")
        if not online:
            _line(name, f"{target.kind} at {where}: credentials set (not tried; add --online)")
            continue
        try:
            _line(name, f"{target.kind}: {publisher.check()}")
        except PostError as exc:
            _line(name, f"{target.kind} at {where}: NOT working: {exc}")
            missing.append(f"working credentials for {name!r}")
        finally:
            publisher.close()
    for problem in built.problems:
        _line("missing", problem)
        missing.append("posting credentials")
    try:
        store = OutboxStore(database_path(posting, dry_run=False))
        counts = store.counts()
        store.close()
        _line("outbox", ", ".join(f"{state} {count}" for state, count in counts.items()))
        if counts["unknown"]:
            _line("", "unknown items need a decision: `installation outbox list`")
    except OutboxError as exc:
        _line("outbox", f"PROBLEM: {exc}")
        missing.append("a writable posting folder")
    return missing


def _camera(show: Path, config: ShowConfig) -> list[str]:
    """The camera (tried once: one frame) and the show's gaze calibration."""
    from installation.inputs.gaze.camera import open_capture
    from installation.inputs.gaze.eyes import FACE_CASCADE, cascade
    from installation.inputs.gaze.source import load_gaze_model

    print(f"Camera and gaze of {show}")
    if not config.camera.enabled:
        _line("camera", "off ([camera] enabled = false)")
        _line("gaze", "off in this show ([camera] enabled = false)")
        return []
    camera = config.camera
    if not config.gaze.enabled:
        _line("camera", f"{camera.describe}, not opened: nothing in the show uses it")
        _line("gaze", "off in this show ([gaze] enabled = false)")
        return []
    _line("gaze", f"on in this show, from {camera.describe}")
    try:
        reader = open_capture(camera)
        frame = reader.read()
        reader.close()
        if frame is None:
            _line(
                "camera", f"{camera.describe} opens but gives no frame: the show runs without gaze"
            )
        else:
            height, width = frame.shape[:2]
            _line("camera", f"{camera.describe}: delivers {width}x{height} frames")
    except InstallationError as exc:
        _line("camera", f"{camera.describe} NOT available ({exc}): the show runs without gaze")
    missing: list[str] = []
    try:
        cascade(FACE_CASCADE)
        _line("detector", "OpenCV Haar cascades (face, eyes) found in opencv-python")
    except InstallationError as exc:
        _line("detector", f"PROBLEM: {exc}")
        missing.append("the Haar cascades (opencv-python<5)")
    path = config.gaze.calibration
    try:
        model = load_gaze_model(path) if path is not None else None
    except InstallationError as exc:
        _line("calibration", f"PROBLEM: {exc}")
        return [*missing, f"a working gaze model ({path})"]
    if model is None:
        _line("calibration", f"none at {path}: run `installation calibrate {show}`")
        return missing
    meta = model.model.spec.metadata
    error = meta.get("validation_mean_degrees", "?")
    _line("calibration", f"{path}: validation error {error}° mean")
    _line("", meta.get("installation.trained_on", ""))
    return missing


def _disk(show: Path, config: ShowConfig) -> list[str]:
    print(f"Disk of {show}")
    return disk_report(config, _line)


def _load(show: Path) -> ShowConfig | InstallationError:
    """The show, read once for every section (or why it cannot be read)."""
    try:
        return load_show(show)
    except InstallationError as exc:
        return exc


def run_doctor(show: Path, online: bool = False) -> int:
    """Print the report; exit 0 when the show can run here, 1 when something is missing."""
    _section(_versions)
    missing = _section(_display)
    usable = _section(_providers)
    loaded = _load(show)
    missing += _section(lambda: _models(show, loaded))
    if isinstance(loaded, ShowConfig):  # else the models' section said why, once
        config = loaded
        _section(lambda: _osc(show, config))
        missing += _section(lambda: _posting(show, config, online))
        missing += _section(lambda: _camera(show, config))
        missing += _section(lambda: _disk(show, config))
    print("Summary")
    if not any(p in usable for p in onnx_runtime.GPU_PROVIDERS):
        _line("GPU", "none usable: models run on the CPU (see the reasons above)")
    if missing:
        _line("missing", "; ".join(missing))
        return 1
    _line("status", "ready to run")
    return 0
