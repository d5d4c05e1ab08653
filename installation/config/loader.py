"""Load a show file: TOML -> validated ``ShowConfig``, every error at once.

Errors name the file, the key path (``scenes[0].step_rate``) and, for a misspelled
key, the nearest valid one. Model paths are resolved relative to the show file.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from installation.config.posting_schema import FileTarget, PostingSection
from installation.config.schema import (
    ModelEntry,
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
    problems: list[str] = []
    config: ShowConfig | None = None
    schema = show_schema(scene_kinds)
    needs = {scene_kind_of(kind): kind.model_kind for kind in scene_kinds}
    try:
        config = schema.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, schema, sorted(needs)) for error in exc.errors()]
    problems += _cross_check(data, needs)
    problems += _check_controls(data, {scene_kind_of(kind): kind for kind in scene_kinds})
    if problems or config is None:
        raise ConfigError(_summary(source, problems))
    base = source.resolve().parent
    models = {
        name: ModelEntry(path=(base / entry.path).resolve(), kind=entry.kind)
        for name, entry in config.models.items()
    }
    gallery = config.gallery.model_copy(update={"folder": (base / config.gallery.folder).resolve()})
    posting = resolve_posting(config.posting, base)
    scenes = [resolve_paths(scene, base) for scene in config.scenes]
    update = {"models": models, "gallery": gallery, "posting": posting, "scenes": scenes}
    update["camera"] = config.camera.resolved(base)
    update["gaze"] = config.gaze.resolved(base, source.stem)
    return config.model_copy(update=update)


def resolve_paths(settings: SceneSettings, base: Path) -> SceneSettings:
    """A scene's file settings (the game's agent table) relative to the show file."""
    paths = {name: (base / value).resolve() for name, value in settings if isinstance(value, Path)}
    return settings.model_copy(update=paths) if paths else settings


def resolve_posting(posting: PostingSection, base: Path) -> PostingSection:
    """The posting folders and env file relative to the show file (``~`` expanded)."""

    def resolved(path: Path) -> Path:
        return (base / path.expanduser()).resolve()

    targets = {
        name: target.model_copy(update={"folder": resolved(target.folder)})
        if isinstance(target, FileTarget)
        else target
        for name, target in posting.targets.items()
    }
    env_file = None if posting.env_file is None else resolved(posting.env_file)
    return posting.model_copy(
        update={"folder": resolved(posting.folder), "env_file": env_file, "targets": targets}
    )


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


def _describe(error: ErrorDetails, schema: type[ShowConfig], tags: list[str]) -> str:
    """One line for one pydantic error: key path, what is wrong, and a did-you-mean."""
    keys, model = _walk(error["loc"], schema)
    where = _format_path(keys) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        wrong = str(keys[-1]) if keys else ""
        valid = sorted(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(wrong, valid, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"{where}: unknown key.{hint} Valid keys here: {', '.join(valid)}."
    if kind == "missing":
        return f"{where}: required key is missing."
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = error.get("input", {})
        given_kind = given.get("kind") if isinstance(given, dict) else None
        close = difflib.get_close_matches(str(given_kind), tags, n=1) if given_kind else []
        hint = f" Did you mean {close[0]!r}?" if close else ""
        if given_kind is None:
            return f"{where}.kind: every scene needs a kind, one of: {', '.join(tags)}."
        kinds = ", ".join(tags)
        return f"{where}.kind: unknown scene kind {given_kind!r}.{hint} Valid kinds: {kinds}."
    message = error["msg"]
    shown = error.get("input")
    if isinstance(shown, (dict, list)) or shown is None:
        return f"{where}: {message}."
    return f"{where}: {message} (got {shown!r})."


def _walk(
    loc: tuple[int | str, ...], schema: type[ShowConfig]
) -> tuple[list[int | str], type[BaseModel] | None]:
    """Follow a pydantic location through the schema.

    Discriminated unions put the tag (``lava_lamp``) into the location; it is not a key the
    user wrote, so it is dropped. Returns the user's key path and the model class that holds
    the last key (for did-you-mean).
    """
    keys: list[int | str] = []
    annotation: Any = schema
    owner: type[BaseModel] | None = schema
    for part in loc:
        annotation = _unwrap(annotation)
        if typing.get_origin(annotation) in (Union, types.UnionType):
            tagged = _union_member(annotation, part)
            if tagged is not None:
                annotation = owner = tagged
                continue
            annotation = None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation
            field = annotation.model_fields.get(str(part))
            annotation = field.annotation if field is not None else None
        elif typing.get_origin(annotation) in (list, tuple, dict):
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
        else:
            annotation = None
        keys.append(part)
    return keys, owner


def _union_member(union: Any, tag: int | str) -> type[BaseModel] | None:
    """The member of a discriminated union whose ``kind`` literal is ``tag``."""
    for member in typing.get_args(union):
        member = _unwrap(member)
        if (
            isinstance(member, type)
            and issubclass(member, BaseModel)
            and "kind" in member.model_fields
        ) and typing.get_args(member.model_fields["kind"].annotation) == (tag,):
            return member
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` wrappers."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _format_path(keys: list[int | str]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


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
