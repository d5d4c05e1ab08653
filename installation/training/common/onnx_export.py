"""Writing an exported model: ``torch.onnx.export``, the contract's metadata, and the checks.

The metadata keys every model carries and the contract version come from
``installation.models.contract``, the module the show checks models with at load, and the
written graph must pass that same check (and ``onnx.checker``) before the file is replaced, so
an export cannot drift from what the show accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from installation.errors import ModelError, TrainingError
from installation.models.contract import (
    CONTRACT_VERSION,
    REQUIRED_METADATA,
    TensorInfo,
    check_contract,
)

OPSET = 17


def contract_metadata(
    kind: str,
    description: str,
    trained_on: str,
    license: str,
    extra: Mapping[str, str],
) -> dict[str, str]:
    """The contract's required metadata (in the contract's order), then the model's ``extra``."""
    values = {
        "kind": kind,
        "contract": CONTRACT_VERSION,
        "description": description,
        "trained_on": trained_on,
        "license": license,
    }
    props: dict[str, str] = {}
    for key in REQUIRED_METADATA:
        short = key.removeprefix("installation.")
        if short not in values:
            raise ValueError(f"the model contract requires {key!r}, which exports do not write")
        props[key] = values[short]
    return props | dict(extra)


def write_onnx(
    graph: nn.Module,
    example_inputs: tuple[Tensor, ...],
    output: Path,
    input_names: Sequence[str],
    output_names: Sequence[str],
    metadata: Mapping[str, str],
    producer: str,
    dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
) -> Path:
    """Export ``graph`` to ``output`` with ``metadata``; check it, then replace ``output``.

    TrainingError (and ``output`` left as it was) when the graph fails ``onnx.checker`` or the
    model contract.
    """
    import onnx

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    raw = output.with_suffix(".raw.tmp")
    with torch.no_grad():
        torch.onnx.export(
            graph,
            example_inputs,
            str(raw),
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=None
            if dynamic_axes is None
            else {k: dict(v) for k, v in dynamic_axes.items()},
            opset_version=OPSET,
            dynamo=False,
        )
    model = onnx.load(str(raw))
    raw.unlink()
    onnx.helper.set_model_props(model, dict(metadata))
    model.producer_name = producer
    onnx.checker.check_model(model)
    check_exported_contract(model, output)
    tmp = output.with_suffix(".tmp")
    onnx.save(model, tmp)
    tmp.replace(output)
    return output


def check_exported_contract(model: Any, output: Path) -> None:
    """Run the show's contract check on an ONNX ``model`` about to be written to ``output``.

    The shapes are onnx's inferred ones, as onnxruntime reports them to the show: the exporter
    declares dimensions it cannot name statically (the image's height and width) as symbols.
    """
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    metadata = {p.key: p.value for p in model.metadata_props}
    try:
        check_contract(
            output,
            metadata,
            tensor_infos(inferred.graph.input),
            tensor_infos(inferred.graph.output),
            metadata.get("installation.kind"),
        )
    except ModelError as exc:
        raise TrainingError(
            f"The export to {output} would break the model contract, so it was not written: {exc}"
        ) from exc


def tensor_infos(values: Sequence[Any]) -> list[TensorInfo]:
    """The contract's view (name, dtype, shape) of ONNX graph inputs or outputs."""
    import onnx

    infos = []
    for value in values:
        tensor = value.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
        shape = tuple(
            d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
            for d in tensor.shape.dim
        )
        infos.append(TensorInfo(value.name, dtype, shape))
    return infos


def require_agreement(path: Path, agrees: bool, details: str) -> None:
    """TrainingError when onnxruntime and torch disagree on an export (``details``: by how much)."""
    if not agrees:
        raise TrainingError(
            f"Exported {path} disagrees with torch ({details}); the export is not "
            "trustworthy. Report this with the torch and onnx versions."
        )
