"""A --quick run of the photo-trained (StyleGAN2-style) rainbow generator: train, interrupt,
resume (the run folder's checkpoint says which trainer), export, generate with onnxruntime."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from installation.errors import TrainingError
from installation.training.rainbow.commands import (
    configure_export,
    configure_train,
    run_export,
    run_train,
)
from installation.training.rainbow.stylegan.train import (
    RainbowTrainConfig,
    RainbowTrainer,
    load_checkpoint,
)


def _train_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure_train(parser)
    return parser.parse_args(list(argv))


def _export_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure_export(parser)
    return parser.parse_args(list(argv))


def test_quick_train_resume_export_round_trip(tmp_path: Path) -> None:
    run = tmp_path / "run"
    RainbowTrainer(RainbowTrainConfig.quick(), run).train(stop_after=7)
    state = load_checkpoint(run / "checkpoint.pt")
    assert (state["iteration"], state["done"]) == (7, False)
    assert run_train(_train_args("--quick", "--out", str(run), "--resume")) == 0
    state = load_checkpoint(run / "checkpoint.pt")
    assert state["done"] and state["iteration"] == RainbowTrainConfig.quick().iterations
    for name in ("samples.png", "truncation.png", "summary.json", "dataset.npy"):
        assert (run / name).is_file()

    onnx_path = tmp_path / "rainbow.onnx"
    assert run_export(_export_args(str(run / "checkpoint.pt"), "--output", str(onnx_path))) == 0
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(0).uniform(-1.0, 1.0, (2, 512)).astype(np.float32)
    (image,) = session.run(["image"], {"z": z, "truncation": np.full(2, 0.8, np.float32)})
    size = RainbowTrainConfig.quick().resolution
    assert image.shape == (2, size, size, 3) and image.dtype == np.uint8


def test_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    straight = RainbowTrainer(RainbowTrainConfig.quick(), tmp_path / "a")
    straight.train(stop_after=8)
    interrupted = RainbowTrainer(RainbowTrainConfig.quick(), tmp_path / "b")
    interrupted.train(stop_after=3)
    resumed = RainbowTrainer(RainbowTrainConfig.quick(), tmp_path / "b", resume=True)
    resumed.train(stop_after=5)
    for a, b in zip(
        straight.generator_ema.parameters(), resumed.generator_ema.parameters(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-5)


def test_existing_run_without_resume_is_refused(tmp_path: Path) -> None:
    RainbowTrainer(RainbowTrainConfig.quick(), tmp_path).train(stop_after=1)
    with pytest.raises(TrainingError, match="--resume"):
        RainbowTrainer(RainbowTrainConfig.quick(), tmp_path)


def test_bad_options_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    with pytest.raises(TrainingError, match="power of two"):
        run_train(
            _train_args(
                "--quick",
                "--out",
                str(tmp_path / "a"),
                "--images",
                str(photos),
                "--resolution",
                "100",
            )
        )
    with pytest.raises(TrainingError, match="between 8 and 1024"):
        run_train(_train_args("--quick", "--out", str(tmp_path / "b"), "--resolution", "4"))
    with pytest.raises(TrainingError, match="does not exist"):
        run_train(
            _train_args("--quick", "--out", str(tmp_path), "--images", str(tmp_path / "nope"))
        )
    for option in ("--iterations", "--threads"):
        with pytest.raises(SystemExit) as exit_info:
            _train_args("--quick", option, "0")
        assert exit_info.value.code == 2
        assert f"{option}: must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("mapping_only", [True, False])
def test_walk_term_trains_only_the_mapping_when_asked(tmp_path: Path, mapping_only: bool) -> None:
    config = replace(RainbowTrainConfig.quick(), walk_loss_mapping_only=mapping_only)
    trainer = RainbowTrainer(config, tmp_path)
    g = trainer.generator
    g.zero_grad(set_to_none=True)
    assert trainer.backward_walk_term() >= 0.0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in g.mapping.parameters())
    synthesis_grads = [p.grad for p in g.synthesis.parameters()]
    if mapping_only:
        assert all(grad is None for grad in synthesis_grads)
    else:
        assert any(grad is not None and grad.abs().sum() > 0 for grad in synthesis_grads)
    assert all(p.requires_grad for p in g.parameters())  # switched back on for the GAN step


def test_export_latent_smoothing_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert _export_args("c.pt").latent_smoothing is None  # the shipped default is used
    assert _export_args("c.pt", "--latent-smoothing", "0").latent_smoothing == 0.0
    for bad in ("-0.1", "lots"):
        with pytest.raises(SystemExit) as exit_info:
            _export_args("c.pt", "--latent-smoothing", bad)
        assert exit_info.value.code == 2
    assert "--latent-smoothing" in capsys.readouterr().err
