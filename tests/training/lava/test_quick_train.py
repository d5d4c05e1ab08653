"""A --quick lava lamp run: train, interrupt, resume, export, one onnxruntime step."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from installation.errors import TrainingError
from installation.training.lava.commands import (
    configure_export,
    configure_train,
    run_export,
    run_train,
)
from installation.training.lava.train import LavaTrainConfig, LavaTrainer, load_checkpoint


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
    # Interrupt the run part-way through the first stage ...
    trainer = LavaTrainer(LavaTrainConfig.quick(), run)
    trainer.train(stop_after=7)
    state = load_checkpoint(run / "checkpoint.pt")
    assert (state["stage"], state["iteration"]) == ("autoencoder", 7)
    # ... and resume it through the command.
    assert run_train(_train_args("--quick", "--out", str(run), "--resume", "--threads", "1")) == 0
    state = load_checkpoint(run / "checkpoint.pt")
    assert state["stage"] == "done"
    for name in ("samples_reconstruction.png", "samples_rollout.png", "summary.json"):
        assert (run / name).is_file()
    assert (run / "rollout.mp4").is_file() or (run / "rollout.gif").is_file()

    onnx_path = tmp_path / "lava_lamp.onnx"
    assert run_export(_export_args(str(run / "checkpoint.pt"), "--output", str(onnx_path))) == 0
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    z = np.zeros((1, 64), dtype=np.float32)
    z[0, ::2], z[0, 1::2] = 1.0, -1.0
    frame, z_next = session.run(["frame", "z_next"], {"z": z})
    assert frame.shape == (1, 64, 64, 3) and frame.dtype == np.uint8
    assert z_next.shape == (1, 64) and np.all(np.isfinite(z_next))


def test_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    straight = LavaTrainer(LavaTrainConfig.quick(), tmp_path / "a")
    straight.train(stop_after=10)
    interrupted = LavaTrainer(LavaTrainConfig.quick(), tmp_path / "b")
    interrupted.train(stop_after=4)
    resumed = LavaTrainer(LavaTrainConfig.quick(), tmp_path / "b", resume=True)
    resumed.train(stop_after=6)
    for a, b in zip(
        straight.modules.generator.parameters(), resumed.modules.generator.parameters(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-5)


def test_existing_run_without_resume_is_refused(tmp_path: Path) -> None:
    LavaTrainer(LavaTrainConfig.quick(), tmp_path).train(stop_after=1)
    with pytest.raises(TrainingError, match="--resume"):
        LavaTrainer(LavaTrainConfig.quick(), tmp_path)


def test_export_of_an_unfinished_run_is_refused(tmp_path: Path) -> None:
    LavaTrainer(LavaTrainConfig.quick(), tmp_path).train(stop_after=1)
    with pytest.raises(TrainingError, match="unfinished"):
        run_export(
            _export_args(str(tmp_path / "checkpoint.pt"), "--output", str(tmp_path / "x.onnx"))
        )
