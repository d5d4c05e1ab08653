from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from installation.errors import ModelError
from installation.models.contract import ModelSpec, TensorInfo, check_contract

PATH = Path("/models/some_model.onnx")


def _props(kind: str, **extra: str) -> dict[str, str]:
    return {
        "installation.kind": kind,
        "installation.contract": "1",
        "installation.description": f"a {kind} for tests",
        "installation.trained_on": "nothing",
        "installation.license": "MIT",
        **extra,
    }


def lava_parts(
    latent: int = 16, size: int = 64
) -> tuple[dict[str, str], list[TensorInfo], list[TensorInfo]]:
    metadata = _props("lava_lamp", latent_size=str(latent), step_seconds="0.125")
    inputs = [TensorInfo("z", "float32", (1, latent))]
    outputs = [
        TensorInfo("frame", "uint8", (1, size, size, 3)),
        TensorInfo("z_next", "float32", (1, latent)),
    ]
    return metadata, inputs, outputs


def generator_parts(
    latent: int = 512, height: int = 64, width: int = 96, batch: int | str = "N"
) -> tuple[dict[str, str], list[TensorInfo], list[TensorInfo]]:
    metadata = _props("generator", latent_size=str(latent))
    inputs = [
        TensorInfo("z", "float32", (batch, latent)),
        TensorInfo("truncation", "float32", (batch,)),
    ]
    outputs = [TensorInfo("image", "uint8", (batch, height, width, 3))]
    return metadata, inputs, outputs


def gaze_parts(
    features: int = 12,
) -> tuple[dict[str, str], list[TensorInfo], list[TensorInfo]]:
    metadata = _props("gaze", features="landmarks-v2")
    inputs = [TensorInfo("features", "float32", ("N", features))]
    outputs = [TensorInfo("point", "float32", ("N", 2))]
    return metadata, inputs, outputs


def breach(
    metadata: Mapping[str, str],
    inputs: Sequence[TensorInfo],
    outputs: Sequence[TensorInfo],
    expected_kind: str | None = None,
) -> str:
    with pytest.raises(ModelError) as caught:
        check_contract(PATH, metadata, inputs, outputs, expected_kind)
    message = str(caught.value)
    assert str(PATH) in message
    return message


# Good models ----------------------------------------------------------------------------


def test_good_lava_lamp_gives_its_spec() -> None:
    metadata, inputs, outputs = lava_parts(latent=16, size=64)
    spec = check_contract(PATH, metadata, inputs, outputs, "lava_lamp")
    assert isinstance(spec, ModelSpec)
    assert spec.path == PATH
    assert spec.kind == "lava_lamp"
    assert spec.latent_size == 16
    assert spec.image_size == (64, 64)
    assert spec.batch == 1
    assert spec.step_seconds == pytest.approx(0.125)
    assert spec.description == "a lava_lamp for tests"
    assert spec.metadata["latent_size"] == "16"


def test_good_generator_with_dynamic_batch() -> None:
    metadata, inputs, outputs = generator_parts(latent=512, height=64, width=96)
    spec = check_contract(PATH, metadata, inputs, outputs, "generator")
    assert spec.kind == "generator"
    assert spec.latent_size == 512
    assert spec.image_size == (64, 96)  # (height, width)
    assert spec.batch is None
    assert spec.step_seconds is None


def test_good_generator_with_fixed_batch() -> None:
    metadata, inputs, outputs = generator_parts(batch=1)
    spec = check_contract(PATH, metadata, inputs, outputs)
    assert spec.batch == 1


def test_good_gaze_gives_feature_width_and_no_image() -> None:
    metadata, inputs, outputs = gaze_parts(features=12)
    spec = check_contract(PATH, metadata, inputs, outputs, "gaze")
    assert spec.kind == "gaze"
    assert spec.latent_size == 12
    assert spec.image_size is None
    assert spec.batch is None


def test_expected_kind_none_accepts_any_kind() -> None:
    metadata, inputs, outputs = lava_parts()
    assert check_contract(PATH, metadata, inputs, outputs, None).kind == "lava_lamp"


# Breaches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "installation.contract",
        "installation.description",
        "installation.trained_on",
        "installation.license",
    ],
)
def test_missing_metadata_key_is_named(key: str) -> None:
    metadata, inputs, outputs = lava_parts()
    del metadata[key]
    message = breach(metadata, inputs, outputs)
    assert f"metadata lacks {key}" in message


def test_missing_kind_is_refused() -> None:
    metadata, inputs, outputs = lava_parts()
    del metadata["installation.kind"]
    assert "installation.kind" in breach(metadata, inputs, outputs, "lava_lamp")


def test_all_metadata_missing_lists_every_key() -> None:
    _, inputs, outputs = lava_parts()
    message = breach({}, inputs, outputs)
    for key in ("installation.kind", "installation.contract", "installation.license"):
        assert key in message


def test_wrong_contract_version() -> None:
    metadata, inputs, outputs = lava_parts()
    metadata["installation.contract"] = "2"
    message = breach(metadata, inputs, outputs)
    assert "installation.contract is '2'" in message
    assert "'1'" in message


def test_wrong_kind_versus_expected() -> None:
    metadata, inputs, outputs = lava_parts()
    message = breach(metadata, inputs, outputs, "generator")
    assert "installation.kind is 'lava_lamp' but the show uses it as 'generator'" in message


def test_unknown_kind_lists_known_kinds() -> None:
    metadata, inputs, outputs = lava_parts()
    metadata["installation.kind"] = "lava-lamp"
    message = breach(metadata, inputs, outputs)
    assert "unknown installation.kind 'lava-lamp'" in message
    assert "lava_lamp" in message and "generator" in message and "gaze" in message


def test_missing_input_name_says_what_it_has() -> None:
    metadata, _, outputs = lava_parts()
    message = breach(metadata, [TensorInfo("latent", "float32", (1, 16))], outputs)
    assert "no input named 'z'" in message
    assert "latent" in message


def test_missing_output_name() -> None:
    metadata, inputs, outputs = lava_parts()
    message = breach(metadata, inputs, [o for o in outputs if o.name != "z_next"])
    assert "no output named 'z_next'" in message


def test_missing_generator_truncation_input() -> None:
    metadata, inputs, outputs = generator_parts()
    message = breach(metadata, [i for i in inputs if i.name != "truncation"], outputs)
    assert "no input named 'truncation'" in message


def test_missing_gaze_output() -> None:
    metadata, inputs, _ = gaze_parts()
    message = breach(metadata, inputs, [TensorInfo("xy", "float32", ("N", 2))])
    assert "no output named 'point'" in message


def test_wrong_output_dtype() -> None:
    metadata, inputs, _ = lava_parts()
    outputs = [
        TensorInfo("frame", "float32", (1, 64, 64, 3)),
        TensorInfo("z_next", "float32", (1, 16)),
    ]
    message = breach(metadata, inputs, outputs)
    assert "output 'frame' is float32, expected uint8" in message


def test_wrong_input_dtype() -> None:
    metadata, _, outputs = generator_parts()
    inputs = [TensorInfo("z", "float16", ("N", 512)), TensorInfo("truncation", "float32", ("N",))]
    message = breach(metadata, inputs, outputs)
    assert "input 'z' is float16, expected float32" in message


def test_wrong_rank() -> None:
    metadata, inputs, _ = generator_parts()
    outputs = [TensorInfo("image", "uint8", ("N", 64, 64))]
    message = breach(metadata, inputs, outputs)
    assert "output 'image' has shape" in message
    assert "expected rank 4" in message


def test_wrong_latent_width() -> None:
    metadata, _, outputs = lava_parts(latent=16)
    message = breach(metadata, [TensorInfo("z", "float32", (1, 32))], outputs)
    assert "z width is 32, expected 16" in message


def test_generator_latent_width_differs_from_metadata() -> None:
    metadata, inputs, outputs = generator_parts(latent=512)
    metadata["latent_size"] = "256"
    message = breach(metadata, inputs, outputs)
    assert "z width is 512, expected 256" in message


@pytest.mark.parametrize("raw", [None, "many", "0", "-4"])
def test_bad_latent_size_metadata(raw: str | None) -> None:
    metadata, inputs, outputs = generator_parts()
    if raw is None:
        del metadata["latent_size"]
    else:
        metadata["latent_size"] = raw
    message = breach(metadata, inputs, outputs)
    assert "latent_size must be a positive integer" in message


def test_lava_lamp_batch_must_be_one() -> None:
    metadata, _, outputs = lava_parts()
    message = breach(metadata, [TensorInfo("z", "float32", ("N", 16))], outputs)
    assert "z batch is 'N', expected 1" in message


@pytest.mark.parametrize("channels", [1, 4])
def test_image_must_have_three_channels(channels: int) -> None:
    metadata, inputs, _ = generator_parts()
    outputs = [TensorInfo("image", "uint8", ("N", 64, 64, channels))]
    message = breach(metadata, inputs, outputs)
    assert "output 'image' must end in 3 RGB channels" in message


def test_channels_first_layout_is_refused() -> None:
    metadata, inputs, _ = lava_parts()
    outputs = [
        TensorInfo("frame", "uint8", (1, 3, 64, 64)),
        TensorInfo("z_next", "float32", (1, 16)),
    ]
    assert "3 RGB channels" in breach(metadata, inputs, outputs)


@pytest.mark.parametrize("shape", [("N", "H", 64, 3), ("N", 64, None, 3), ("N", -1, -1, 3)])
def test_dynamic_height_or_width_is_refused(shape: tuple[int | str | None, ...]) -> None:
    metadata, inputs, _ = generator_parts()
    message = breach(metadata, inputs, [TensorInfo("image", "uint8", shape)])
    assert "needs a fixed height and width" in message


@pytest.mark.parametrize("raw", [None, "soon", "0", "-0.1"])
def test_lava_lamp_needs_positive_step_seconds(raw: str | None) -> None:
    metadata, inputs, outputs = lava_parts()
    if raw is None:
        del metadata["step_seconds"]
    else:
        metadata["step_seconds"] = raw
    message = breach(metadata, inputs, outputs)
    assert "step_seconds must be a positive number" in message


def test_generator_truncation_batch_must_match() -> None:
    metadata, _, outputs = generator_parts(batch=1)
    inputs = [TensorInfo("z", "float32", (1, 512)), TensorInfo("truncation", "float32", (4,))]
    assert "truncation's batch dimension differs" in breach(metadata, inputs, outputs)


def test_gaze_point_must_be_two_wide() -> None:
    metadata, inputs, _ = gaze_parts()
    message = breach(metadata, inputs, [TensorInfo("point", "float32", ("N", 3))])
    assert "point width is 3, expected 2" in message


def test_gaze_needs_features_metadata_and_fixed_width() -> None:
    metadata, _, outputs = gaze_parts()
    del metadata["features"]
    message = breach(metadata, [TensorInfo("features", "float32", ("N", "F"))], outputs)
    assert "metadata lacks features" in message
    assert "features needs a fixed width" in message


def test_every_mismatch_is_listed_in_one_error() -> None:
    metadata, _, _ = lava_parts()
    metadata["installation.contract"] = "7"
    del metadata["step_seconds"]
    inputs = [TensorInfo("z", "float64", (1, 16))]
    outputs = [
        TensorInfo("frame", "uint8", (1, 64, 64, 4)),
        TensorInfo("z_next", "float32", (1, 16)),
    ]
    message = breach(metadata, inputs, outputs)
    assert "installation.contract is '7'" in message
    assert "input 'z' is float64" in message
    assert "3 RGB channels" in message
    assert "step_seconds" in message
    assert "installation export" in message  # says how to fix it
