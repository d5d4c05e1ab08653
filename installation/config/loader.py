"""Load a show file: TOML -> validated ``ShowConfig``, every error at once.

Errors name the file, the key path (``scenes[0].step_rate``) and, for a misspelled
key, the nearest valid one. Types are strict: a string is never read as a number, nor a number
as a string or a float as an integer (an integer is a valid float). Paths are resolved
relative to the show file, and each input file's path remembers where it came from
(``installation.config.paths``).
"""

from __future__ import annotations

import datetime
import difflib
import json
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from installation.config.gaze_schema import CameraSection
from installation.config.paths import ShowPath, Table
from installation.config.posting_schema import FileTarget, PostingSection
from installation.config.problems import describe_all, format_path
from installation.config.schema import (
    ModelKind,
    SceneSettings,
    ShowConfig,
    scene_label,
    show_schema,
)
from installation.errors import ConfigError

SceneKinds = Sequence[type[SceneSettings]]
"""The settings class of every scene kind the show may use (from the scene registry)."""


def scene_kind_of(settings: type[SceneSettings]) -> str:
    """The ``kind`` literal of a scene settings class."""
    return str(typing.get_args(settings.model_fields["kind"].annotation)[0])


def load_show(path: Path | str, scene_kinds: SceneKinds) -> ShowConfig:
    """Read, validate and resolve a show file, or raise one ``ConfigError`` listing all problems."""
    path = Path(path)
    if not path.is_file():
        hint = _nearby_shows(path)
        raise ConfigError(
            f"Show config {path} does not exist.{hint} "
            "Pass the path of a show file, e.g. `installation run show_configs/default.toml`."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Show config {path} is not UTF-8 text ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Show config {path} is not valid TOML: {exc}. Fix the syntax and retry."
        ) from exc
    return parse_show(data, source=path, scene_kinds=scene_kinds)


def parse_show(data: dict[str, Any], source: Path, scene_kinds: SceneKinds) -> ShowConfig:
    """Validate an already-parsed TOML document that came from ``source``."""
    schema = show_schema(scene_kinds)
    needs = {scene_kind_of(kind): kind.model_kind for kind in scene_kinds}
    dates: dict[tuple[int | str, ...], object] = {}
    document = json.dumps(_without_dates(data, (), dates))
    problems = [
        f"{format_path(list(keys))}: a date or time is not a valid value here (got {value})."
        for keys, value in dates.items()
    ]
    config: ShowConfig | None = None
    try:
        # JSON mode: its strict rules are TOML's (an array is a valid tuple, a string a path).
        config = schema.model_validate_json(document, strict=True)
    except ValidationError as exc:
        problems += describe_all(exc.errors(), schema, sorted(needs), set(dates))
    problems += _cross_check(data, needs)
    problems += _check_controls(data, {scene_kind_of(kind): kind for kind in scene_kinds})
    if problems or config is None:
        raise ConfigError(_summary(source, problems))
    base = source.resolve().parent
    models = {
        name: resolve_paths(entry, base, source, f"[models.{name}]")
        for name, entry in config.models.items()
    }
    folder = (base / config.gallery.folder.expanduser()).resolve()
    gallery = config.gallery.model_copy(update={"folder": folder})
    posting = resolve_posting(config.posting, base, source)
    scenes = [
        resolve_paths(scene, base, source, f"[[scenes]] number {index + 1}")
        for index, scene in enumerate(config.scenes)
    ]
    update = {"models": models, "gallery": gallery, "posting": posting, "scenes": scenes}
    update["camera"] = _resolve_camera(config.camera, base, source)
    update["gaze"] = config.gaze.resolved(base, source.stem)
    return config.model_copy(update=update)


TableT = typing.TypeVar("TableT", bound=Table)


def resolve_paths(settings: TableT, base: Path, source: Path, table: str) -> TableT:
    """A table's input file paths (a model file, the game's agent table) relative to the show
    file's folder ``base``, each remembering where in the show file ``source`` it came from."""
    resolved = {
        name: (base / value.expanduser()).resolve()
        for name, value in settings
        if isinstance(value, Path)
    }
    origins = {
        name: ShowPath(table, name, str(getattr(settings, name)), source, path)
        for name, path in resolved.items()
    }
    return settings.with_paths(origins, resolved) if resolved else settings


def resolve_posting(posting: PostingSection, base: Path, source: Path) -> PostingSection:
    """The posting folders and env file relative to the show file (``~`` expanded)."""

    def resolved(path: Path) -> Path:
        return (base / path.expanduser()).resolve()

    targets = {
        name: target.model_copy(update={"folder": resolved(target.folder)})
        if isinstance(target, FileTarget)
        else target
        for name, target in posting.targets.items()
    }
    update: dict[str, object] = {"folder": resolved(posting.folder), "targets": targets}
    origins: dict[str, ShowPath] = {}
    if posting.env_file is not None:
        update["env_file"] = env_file = resolved(posting.env_file)
        written = str(posting.env_file)
        origins["env_file"] = ShowPath("[posting]", "env_file", written, source, env_file)
    return posting.with_paths(origins, update)


def _resolve_camera(camera: CameraSection, base: Path, source: Path) -> CameraSection:
    """The camera with a video file's path relative to the show file, remembering the file."""
    resolved = camera.resolved(base)
    if not isinstance(camera.source, str) or "://" in camera.source:
        return resolved
    origin = ShowPath("[camera]", "source", camera.source, source, Path(str(resolved.source)))
    return resolved.with_paths({"source": origin}, {})


def _without_dates(
    value: Any, keys: tuple[int | str, ...], found: dict[tuple[int | str, ...], object]
) -> Any:
    """``value`` with each TOML date or time (no key takes one) noted in ``found`` and nulled."""
    if isinstance(value, Mapping):
        return {key: _without_dates(item, (*keys, key), found) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_dates(item, (*keys, index), found) for index, item in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.time)):
        found[keys] = value
        return None
    return value


def _summary(source: Path, problems: list[str]) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"Show config {source} has {len(problems)} {noun}:\n{lines}\nFix them and run again."


def _cross_check(data: dict[str, Any], needs: dict[str, ModelKind | None]) -> list[str]:
    """Scenes must name a model of the right kind; works on raw data so it runs with the rest."""
    models = data.get("models")
    scenes = data.get("scenes")
    if not isinstance(models, dict) or not isinstance(scenes, list):
        return []
    problems: list[str] = []
    for index, scene in enumerate(scenes):
        if not isinstance(scene, dict) or scene.get("kind") not in needs:
            continue
        needed = needs[scene["kind"]]
        name = scene.get("model")
        if needed is not None and name is None:
            problems.append(f"scenes[{index}].model: a {scene['kind']!r} scene needs a model.")
        if needed is None or not isinstance(name, str):
            continue
        entry = models.get(name)
        if not isinstance(entry, dict):
            close = difflib.get_close_matches(name, list(models), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(models)) or "none"
            problems.append(
                f"scenes[{index}].model: no model named {name!r} in [models] "
                f"(defined: {known}).{hint}"
            )
        elif entry.get("kind") in typing.get_args(ModelKind) and entry.get("kind") != needed:
            problems.append(
                f"scenes[{index}].model: a {scene['kind']!r} scene needs a {needed!r} model, "
                f"but [models.{name}] has kind {entry.get('kind')!r}."
            )
    return problems


def _check_controls(data: dict[str, Any], kinds: dict[str, type[SceneSettings]]) -> list[str]:
    """Controls that name a scene must name one the show has; axes must steer live parameters.

    Works on raw data, like ``_cross_check``, so its problems are listed with all others.
    """
    controls, scenes = data.get("controls"), data.get("scenes")
    if not isinstance(controls, dict) or not isinstance(scenes, list):
        return []
    live: dict[str, frozenset[str]] = {}
    for scene in scenes:
        if isinstance(scene, dict) and scene.get("kind") in kinds:
            parameters = kinds[scene["kind"]].live_parameters
            label = scene_label(scene.get("name"), str(scene["kind"]))
            live[str(label)] = live[str(scene["kind"])] = parameters
    problems: list[str] = []
    raw_gaze = controls.get("gaze")
    gaze: dict[str, Any] = raw_gaze if isinstance(raw_gaze, dict) else {}
    actions: list[tuple[str, object]] = [
        (f"controls.{table}.{control}", action)
        for table in ("keys", "gamepad_buttons")
        if isinstance(controls.get(table), dict)
        for control, action in controls[table].items()
    ]
    if "dwell_action" in gaze:
        actions.append(("controls.gaze.dwell_action", gaze["dwell_action"]))
    for where, action in actions:
        verb, _, target = action.partition(":") if isinstance(action, str) else ("", "", "")
        if verb == "game" and "tictactoe" not in live:
            problems.append(
                f"{where}: {action!r} controls the stage game, and this show has no tictactoe "
                "scene."
            )
        elif verb in ("trigger", "scene") and target and target not in live:
            problems.append(f"{where}: {_no_scene(target, live)}")
    points = gaze.get("point", ())
    for index, scene in enumerate(points if isinstance(points, list) else []):
        if isinstance(scene, str) and scene not in live:
            problems.append(f"controls.gaze.point[{index}]: {_no_scene(scene, live)}")
    axes = controls.get("gamepad_axes")
    bindings = [
        (f"controls.gamepad_axes.{axis}", binding)
        for axis, binding in (axes.items() if isinstance(axes, dict) else [])
    ] + [(f"controls.gaze.{axis}", gaze[axis]) for axis in ("x", "y") if axis in gaze]
    for where, binding in bindings:
        if not isinstance(binding, dict):
            continue
        scene = binding.get("scene")
        if scene is not None and scene not in live:
            problems.append(f"{where}.scene: {_no_scene(scene, live)}")
            continue
        parameters = live[scene] if scene is not None else frozenset().union(*live.values())
        parameter = binding.get("parameter")
        if isinstance(parameter, str) and parameter not in parameters:
            problems.append(
                f"{where}.parameter: {parameter!r} cannot change while the show runs. "
                f"Live parameters: {', '.join(sorted(parameters)) or 'none'}."
            )
    return problems


def _no_scene(name: object, live: dict[str, frozenset[str]]) -> str:
    close = difflib.get_close_matches(str(name), list(live), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"no scene named {name!r}.{hint} Scenes: {', '.join(sorted(live))}."


def _nearby_shows(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else Path("show_configs")
    if not folder.is_dir():
        return ""
    shows = sorted(p.name for p in folder.glob("*.toml"))
    if not shows:
        return ""
    close = difflib.get_close_matches(path.name, shows, n=1)
    if close:
        return f" Did you mean {folder / close[0]}?"
    return f" Shows in {folder}: {', '.join(shows)}."
