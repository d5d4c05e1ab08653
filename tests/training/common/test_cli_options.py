"""Options shared by the train, export and measure commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from installation.training.common.cli_options import (
    add_count_options,
    add_export_options,
    add_measure_options,
    add_run_options,
)


def test_shared_options_and_their_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_run_options(parser, "lava")
    args = parser.parse_args([])
    assert (args.quick, args.out, args.resume, args.seed) == (False, Path("runs/lava"), False, 0)
    parser = argparse.ArgumentParser()
    add_export_options(parser, "rainbow", Path("exported_models/rainbow.onnx"))
    args = parser.parse_args(["run/checkpoint.pt"])
    assert (args.checkpoint, args.output) == (
        Path("run/checkpoint.pt"),
        Path("exported_models/rainbow.onnx"),
    )
    parser = argparse.ArgumentParser()
    add_measure_options(parser, "lava lamp", "lava_rollout.png")
    args = parser.parse_args(["m.onnx", "--out", "r.json"])
    assert (args.model_file, args.out, args.figures) == (Path("m.onnx"), Path("r.json"), None)


def test_counts_must_be_positive_whole_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_count_options(parser, [("--seeds", 5, "rollouts")])
    assert parser.parse_args([]).seeds == 5
    assert parser.parse_args(["--seeds", "1"]).seeds == 1
    for bad, message in (("0", "must be at least 1, got 0"), ("2.5", "expected a whole number")):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(["--seeds", bad])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
