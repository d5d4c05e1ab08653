"""A missing input file is explained in the show file's terms: which key, read from where."""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.config.paths import PROJECT_ROOT
from installation.config.schema import ModelEntry, RuntimeSection
from installation.errors import ModelError
from installation.models.catalog import load_models
from installation.scenes.registry import load_show

SHOW = """
[models.lava]
path = "{path}"
kind = "lava_lamp"

[[scenes]]
kind = "lava_lamp"
model = "lava"
"""


def missing_model_message(show: Path) -> str:
    config = load_show(show)
    with pytest.raises(ModelError) as caught:
        load_models(config.models, RuntimeSection(providers=("cpu",), warmup_runs=0))
    return str(caught.value)


def test_a_show_copied_out_of_show_configs(tmp_path: Path) -> None:
    show = tmp_path / "myshow.toml"
    show.write_text(SHOW.format(path="../exported_models/lava_lamp.onnx"), encoding="utf-8")
    message = missing_model_message(show)
    gone = (tmp_path.parent / "exported_models" / "lava_lamp.onnx").resolve()
    assert message.startswith(
        f'Model file {gone} (from `path = "../exported_models/lava_lamp.onnx"` in '
        f"[models.lava] of {show}) does not exist. Paths in a show file are relative to the "
        f"show file's folder ({tmp_path}); write an absolute path or one relative to {tmp_path}."
    )
    shipped = PROJECT_ROOT / "exported_models" / "lava_lamp.onnx"
    if shipped.is_file():
        assert f'Did you mean {shipped}? Then write `path = "{shipped}"`.' in message
    assert "Or train and export it" in message
    assert "installation train" in message


def test_a_path_meant_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    (work / "models" / "mine.onnx").write_bytes(b"")
    (tmp_path / "shows").mkdir()
    show = tmp_path / "shows" / "show.toml"
    show.write_text(SHOW.format(path="models/mine.onnx"), encoding="utf-8")
    monkeypatch.chdir(work)
    message = missing_model_message(show)
    assert f"relative to the show file's folder ({tmp_path / 'shows'})" in message
    assert f"Did you mean {work / 'models' / 'mine.onnx'}?" in message


def test_an_absolute_path_gets_no_advice_about_relative_ones(tmp_path: Path) -> None:
    gone = tmp_path / "gone" / "lava.onnx"
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(path=gone.as_posix()), encoding="utf-8")
    message = missing_model_message(show)
    assert message.startswith(f'Model file {gone} (from `path = "{gone.as_posix()}"`')
    assert "relative to the show file's folder" not in message


def test_a_model_entry_not_from_a_show_file(tmp_path: Path) -> None:
    entries = {"lava": ModelEntry(path=tmp_path / "gone.onnx", kind="lava_lamp")}
    with pytest.raises(ModelError, match=r"gone\.onnx \(model 'lava'\) does not exist"):
        load_models(entries, RuntimeSection(providers=("cpu",)))


def test_other_input_files_remember_where_they_came_from(tmp_path: Path) -> None:
    show = tmp_path / "show.toml"
    show.write_text(
        "[posting]\nenv_file = 'secrets/posting.env'\n"
        "[camera]\nsource = 'clips/visitor.avi'\n"
        "[[scenes]]\nkind = 'tictactoe'\nagent = 'tables/agent.json'\n",
        encoding="utf-8",
    )
    config = load_show(show)
    scene = config.scenes[0]
    agent = tmp_path / "tables" / "agent.json"
    assert scene.agent == agent  # type: ignore[attr-defined]
    message = scene.missing_file("agent", "The tic-tac-toe agent", agent)
    assert message.startswith(
        f'The tic-tac-toe agent {agent} (from `agent = "tables/agent.json"` in '
        f"[[scenes]] number 1 of {show}) does not exist. Paths in a show file are relative"
    )
    env_file = config.posting.path_origin("env_file")
    assert env_file is not None
    assert env_file.resolved == tmp_path / "secrets" / "posting.env"
    camera = config.camera.path_origin("source")
    assert camera is not None
    assert camera.written == "clips/visitor.avi"
    assert str(camera.resolved) == config.camera.source
