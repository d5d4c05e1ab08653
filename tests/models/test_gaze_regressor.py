"""The gaze regressor: fits what it should, chooses by held-out error, exports a model that
the contract accepts and that computes what numpy computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from installation.inputs.gaze.features import FEATURES
from installation.inputs.gaze.source import GazeModel, load_gaze_model
from installation.models.gaze_regressor import choose_regressor, fit_ridge, gaze_onnx

META = {
    "installation.kind": "gaze",
    "installation.contract": "1",
    "installation.description": "test",
    "installation.trained_on": "numbers",
    "installation.license": "CC0",
    "features": FEATURES,
}


def data(bent: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    targets = rng.uniform(0.05, 0.95, (16, 2))
    groups = np.repeat(np.arange(16), 12)
    points = targets[groups]
    features = rng.normal(0, 1, (len(points), 12))
    features[:, 0] = points[:, 0] * 3 + rng.normal(0, 0.01, len(points))
    features[:, 1] = points[:, 1] * 2 + rng.normal(0, 0.01, len(points))
    if bent:  # the screen x depends on the product of two features (head and iris)
        features[:, 0] = np.sqrt(points[:, 0]) * 3
        features[:, 2] = 1.0 + 0.0 * points[:, 0]
    return features.astype(np.float32), points, groups


def test_ridge_recovers_a_linear_mapping() -> None:
    features, points, _ = data(bent=False)
    model = fit_ridge(features, points, alpha=1e-4)
    assert np.abs(model.predict(features) - points).max() < 0.02
    unused = fit_ridge(features, points, alpha=1e-4, columns=(0, 1))  # the rest: noise
    assert unused.weights.shape == (2, 2)
    assert np.abs(unused.predict(features) - points).max() < 0.02
    blind = fit_ridge(features, points, alpha=1e-4, columns=(5, 6))  # only noise
    assert np.abs(blind.predict(features) - points).mean() > 0.1


def test_the_quadratic_form_wins_where_the_mapping_bends() -> None:
    features, points, groups = data(bent=True)
    choice = choose_regressor(features, points, groups, compact=(0, 1, 2))
    assert choice.regressor.expansion == "quadratic"
    best_linear = min(v for k, v in choice.errors.items() if k.startswith("linear"))
    best_quadratic = min(v for k, v in choice.errors.items() if k.startswith("quadratic"))
    assert best_quadratic < 0.5 * best_linear


@pytest.mark.parametrize(("bent", "columns"), [(False, None), (True, None), (True, (0, 1, 2, 5))])
def test_the_exported_model_computes_what_numpy_computes(
    tmp_path: Path, bent: bool, columns: tuple[int, ...] | None
) -> None:
    features, points, groups = data(bent)
    choice = choose_regressor(features, points, groups, compact=(0, 1, 2), columns=columns)
    regressor = choice.regressor
    assert regressor.columns == columns
    path = tmp_path / "show.gaze.onnx"
    path.write_bytes(gaze_onnx(regressor, META))
    model = load_gaze_model(path)
    assert isinstance(model, GazeModel)
    assert model.model.spec.kind == "gaze" and model.model.spec.latent_size == 12
    for row in features[:20]:
        assert model.predict(row) == pytest.approx(
            tuple(regressor.predict(row[None, :])[0]), abs=1e-5
        )
    far = np.full(12, 40.0, np.float32)  # looking far off the screen: clipped to it
    x, y = model.predict(far)
    assert 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0


def test_a_model_fitted_on_other_features_is_refused(tmp_path: Path) -> None:
    features, points, _ = data(bent=False)
    path = tmp_path / "old.gaze.onnx"
    path.write_bytes(gaze_onnx(fit_ridge(features, points, 0.1), META | {"features": "patches/0"}))
    from installation.errors import ModelError

    with pytest.raises(ModelError, match="calibrate again"):
        load_gaze_model(path)
    assert load_gaze_model(tmp_path / "never-calibrated.onnx") is None
