"""The export's metadata (keys from the model contract) and its checks before a file is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from torch import Tensor, nn

from installation.errors import TrainingError
from installation.models.contract import CONTRACT_VERSION, REQUIRED_METADATA
from installation.training.common.onnx_export import (
    check_exported_contract,
    contract_metadata,
    require_agreement,
    write_onnx,
)
from installation.training.common.onnx_session import cpu_session

SHIPPED = Path(__file__).resolve().parents[3] / "exported_models"


class _Generator(nn.Module):
    """A contract-shaped toy generator: ``(z, truncation) -> image`` uint8 [N, 4, 4, 3]."""

    canvas: Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("canvas", torch.ones(1, 4, 4, 3))

    def forward(self, z: Tensor, truncation: Tensor) -> Tensor:
        level = (z[:, 0] * truncation)[:, None, None, None] * self.canvas
        return level.clamp(0.0, 255.0).to(torch.uint8)


def _metadata(latent_size: str = "512") -> dict[str, str]:
    return contract_metadata(
        kind="generator",
        description="a toy",
        trained_on="nothing",
        license="MIT",
        extra={"latent_size": latent_size},
    )


def test_metadata_has_the_contract_keys_first_then_the_extra_ones() -> None:
    props = _metadata()
    assert list(props)[: len(REQUIRED_METADATA)] == list(REQUIRED_METADATA)
    assert props["installation.contract"] == CONTRACT_VERSION
    assert props["installation.kind"] == "generator"
    assert list(props)[len(REQUIRED_METADATA) :] == ["latent_size"]


def _write(output: Path, latent_size: str = "512") -> Path:
    z, psi = torch.ones(2, 512), torch.ones(2)
    return write_onnx(
        _Generator(),
        (z, psi),
        output,
        ["z", "truncation"],
        ["image"],
        _metadata(latent_size),
        "tests",
        dynamic_axes={"z": {0: "N"}, "truncation": {0: "N"}, "image": {0: "N"}},
    )


def test_a_graph_that_follows_the_contract_is_written(tmp_path: Path) -> None:
    path = _write(tmp_path / "sub" / "toy.onnx")
    model = onnx.load(str(path))
    assert model.producer_name == "tests"
    assert {p.key: p.value for p in model.metadata_props} == _metadata()
    z = np.full((3, 512), 2.0, dtype=np.float32)
    (image,) = cpu_session(path).run(["image"], {"z": z, "truncation": np.ones(3, np.float32)})
    assert image.shape == (3, 4, 4, 3) and int(image.max()) == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["toy.onnx"]  # no temporary files


def test_a_graph_that_breaks_the_contract_is_not_written(tmp_path: Path) -> None:
    output = tmp_path / "toy.onnx"
    output.write_bytes(b"the previous export")
    with pytest.raises(TrainingError, match=r"would break the model contract.*z width"):
        _write(output, latent_size="64")  # z is 512 wide
    assert output.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["toy.onnx"]


def test_disagreement_with_torch_is_an_error() -> None:
    require_agreement(Path("m.onnx"), True, "image 0 levels")
    with pytest.raises(TrainingError, match=r"m\.onnx disagrees with torch \(image 9 levels\)"):
        require_agreement(Path("m.onnx"), False, "image 9 levels")


@pytest.mark.parametrize("name", ["lava_lamp.onnx", "rainbow.onnx"])
def test_the_shipped_models_pass_the_export_check(name: str) -> None:
    path = SHIPPED / name
    check_exported_contract(onnx.load(str(path)), path)
