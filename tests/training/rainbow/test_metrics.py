"""The rainbow generator's measures: hue sectors, and a full report on a tiny exported model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from installation.cli import main
from installation.training.rainbow.metrics import (
    hue_sectors_present,
    pixel_std,
    rainbow_colour_share,
)

SECTOR_COLOURS = [
    (255, 0, 0),  # red
    (255, 255, 0),  # yellow
    (0, 255, 0),  # green
    (0, 255, 255),  # cyan
    (0, 0, 255),  # blue
    (255, 0, 255),  # magenta
]


def _stripes(colours: list[tuple[int, int, int]], size: int = 60) -> np.ndarray:
    image = np.full((size, size, 3), 128, dtype=np.uint8)
    for k, colour in enumerate(colours):
        image[:, k * 10 : (k + 1) * 10] = colour
    return image


def test_each_saturated_sector_counts_once() -> None:
    images = np.stack(
        [
            _stripes(SECTOR_COLOURS),
            _stripes(SECTOR_COLOURS[:4]),
            np.full((60, 60, 3), 128, dtype=np.uint8),  # grey: no saturation
            _stripes(SECTOR_COLOURS) // 5,  # saturated but too dark (V < 0.25)
        ]
    )
    assert hue_sectors_present(images).tolist() == [6, 4, 0, 0]
    assert rainbow_colour_share(images) == 0.25


def test_a_stray_pixel_is_not_a_sector() -> None:
    image = np.full((1, 128, 128, 3), 128, dtype=np.uint8)
    image[0, 0, 0] = (0, 0, 255)  # 1 pixel < 0.1 % of 16,384
    assert hue_sectors_present(image).tolist() == [0]
    image[0, :1, :17] = (0, 0, 255)  # 17 pixels >= 16.4
    assert hue_sectors_present(image).tolist() == [1]


def test_pixel_std_is_zero_for_identical_images_only() -> None:
    same = np.repeat(_stripes(SECTOR_COLOURS)[None], 5, axis=0)
    assert pixel_std(same) == 0.0
    other = same.copy()
    other[0] = 0
    assert pixel_std(other) > 0.0


def test_missing_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure", "rainbow", str(tmp_path / "nope.onnx")]) == 2
    err = capsys.readouterr().err
    assert "No model at" in err and "installation export rainbow" in err


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from installation.training.rainbow.scene.export import export_scene_checkpoint
    from installation.training.rainbow.scene.train import SceneTrainConfig, SceneTrainer

    folder = tmp_path_factory.mktemp("rainbow_metrics")
    checkpoint = SceneTrainer(SceneTrainConfig.quick(), folder / "run").train()
    onnx_path = folder / "tiny.onnx"
    export_scene_checkpoint(checkpoint, onnx_path)
    return onnx_path


def test_report_of_a_tiny_model(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    argv = [str(tiny_model), "--out", str(out), "--colour-samples", "40"]
    argv += ["--truncation-samples", "16", "--walks", "2", "--walk-steps", "12"]
    argv += ["--real-images", "24", "--figures", str(tmp_path / "figures")]
    code = main(["measure", "rainbow", *argv])
    report = json.loads(out.read_text())
    assert code == (0 if all(report["passes"].values()) else 1)
    assert report["resolution"] == 32 and report["latent_size"] == 512
    # psi 0 maps every z to w_avg and every noise uniform to 0.5: one image.
    assert report["psi0_max_spread"] == 0 and report["pixel_std_by_psi"][0] == 0.0
    assert sum(report["sector_histogram"]) == 40
    assert len(report["walk_jump_ratios"]) == 2 and min(report["walk_jump_ratios"]) >= 1.0
    assert [level["size"] for level in report["pyramid"]] == [32.0, 16.0]
    assert all(level["ratio"] > 0 for level in report["pyramid"])
    ok = all(level["ratio"] <= 2.0 for level in report["pyramid"])
    assert report["passes"]["texture_every_scale"] == ok
    assert 0.0 <= report["bow_found_share"] <= 1.0
    assert report["latency_ms"]["median"] > 0
    for name in ("samples", "truncation", "walk", "data_grid"):
        assert (tmp_path / "figures" / f"rainbow_{name}.png").stat().st_size > 0
