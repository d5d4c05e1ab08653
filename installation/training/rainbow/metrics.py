"""The rainbow generator's measures, run on an exported ONNX file with onnxruntime.

    installation measure rainbow exported_models/rainbow.onnx --out report.json

Every image measure is taken against 1,000 held-out renderer images (set A) and, where it has
one, a real-versus-real baseline from a second, disjoint 1,000 (set B); generated images are
the model's own distribution, psi 1, unless said otherwise.

* Geometry (``image_measures.bow_stats``): the conic fitted to the ridge of the primary bow;
  the median fit residual relative to the bow's size <= 1.5x set A's, and a bow found in at
  least 0.8x as many images as in set A.
* Texture at every scale (``image_measures.pyramid_swd``): 7x7 patch sliced Wasserstein
  distance on each level of a Laplacian pyramid (256 down to 16 px), patches normalised with
  the real images' statistics; generated-vs-A over B-vs-A <= 2 at every level.
* Sharpness: variance of the Laplacian and high-frequency spectral energy within 0.75-1.33x
  set A's. Colour: per-channel mean and spread within 0.25 of set A's standard deviation.
* Rainbow colours: at psi 0.8, the share of 1,000 samples with saturated pixels
  (HSV S > 0.35 and V > 0.25) in at least 5 of the 6 hue sectors (red, yellow, green, cyan,
  blue, magenta: 60° wide, centred on 0°, 60°, ...). A sector counts when at least
  ``MIN_SECTOR_FRACTION`` of the image's pixels fall in it (0.1 %, 66 pixels at 256 px), so a
  stray pixel does not count. Limit: >= 90 %.
* Truncation works: the mean per-pixel standard deviation across 256 samples rises strictly
  with psi over {0, 0.25, 0.5, 0.75, 1}, and at psi 0 all samples are the same image within
  1 grey level.
* Smooth walks: along 30 walks of 120 spherical interpolation steps between two z (psi 0.8;
  the rainbow scene's ``slerp``), no consecutive-frame mean absolute difference exceeds 3x
  the walk's median. The same for linear interpolation (10 walks) is reported beside it:
  normalising z turns a straight line between two z into an arc walked twice as fast in its
  middle as at its ends, which alone puts 1.25x into that ratio.
* Fast: median latency of one single-image ``session.run``, 2 threads, no spinning.
  Limit: <= 40 ms.
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from installation.scenes.latent_walk import slerp
from installation.training.common.image_grid import write_grid
from installation.training.common.latency import latency_ms
from installation.training.common.onnx_session import measuring_session, model_metadata
from installation.training.common.report import mark
from installation.training.common.seeding import HELD_OUT_SEED
from installation.training.rainbow.image_measures import (
    bow_stats,
    channel_stats,
    high_frequency_energy,
    laplacian_variance,
    pyramid_swd,
)
from installation.training.rainbow.renderer import render_dataset

MIN_SECTOR_FRACTION = 0.001
SECTOR_NAMES = ("red", "yellow", "green", "cyan", "blue", "magenta")
Images = NDArray[np.uint8]


def make_session(path: Path, threads: int = 2) -> Any:
    """The measures' onnxruntime session of a rainbow generator (CPU, no spinning)."""
    return measuring_session(path, threads, kind="generator", model="rainbow")


def generate(
    session: Any, z: NDArray[np.float32], psi: float | NDArray[np.float32], batch: int = 32
) -> Images:
    """Images [N, H, W, 3] for latents ``z`` [N, Z] at truncation ``psi``."""
    out = []
    for start in range(0, len(z), batch):
        chunk = np.ascontiguousarray(z[start : start + batch], dtype=np.float32)
        trunc = np.broadcast_to(np.asarray(psi, dtype=np.float32), (len(z),))[start : start + batch]
        (images,) = session.run(["image"], {"z": chunk, "truncation": np.ascontiguousarray(trunc)})
        out.append(images)
    return np.concatenate(out)


def latents(seed: int, n: int, size: int) -> NDArray[np.float32]:
    return np.random.default_rng(seed).standard_normal((n, size)).astype(np.float32)


# --- rainbow colours ------------------------------------------------------------------------


def hsv(images: Images) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Hue in degrees [0, 360), saturation and value in [0, 1] of uint8 RGB images."""
    rgb = images.astype(np.float64) / 255.0
    v = rgb.max(axis=-1)
    c = v - rgb.min(axis=-1)
    s = np.where(v > 0, c / np.maximum(v, 1e-12), 0.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    safe = np.maximum(c, 1e-12)
    h = np.where(
        v == r,
        ((g - b) / safe) % 6.0,
        np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    h = np.where(c > 0, h * 60.0, 0.0)
    return h, s, v


def hue_sectors_present(images: Images) -> NDArray[np.int64]:
    """Per image, how many of the 6 hue sectors hold enough saturated pixels (0..6)."""
    h, s, v = hsv(images)
    saturated = (s > 0.35) & (v > 0.25)
    sector = np.floor(((h + 30.0) % 360.0) / 60.0).astype(np.int64)
    pixels = images.shape[1] * images.shape[2]
    counts = np.stack(
        [(saturated & (sector == k)).sum(axis=(1, 2)) for k in range(6)], axis=1
    )  # [N, 6]
    return np.asarray((counts >= MIN_SECTOR_FRACTION * pixels).sum(axis=1), dtype=np.int64)


def rainbow_colour_share(images: Images, min_sectors: int = 5) -> float:
    """Share of images with saturated pixels in at least ``min_sectors`` hue sectors."""
    return float((hue_sectors_present(images) >= min_sectors).mean())


# --- truncation and walks -------------------------------------------------------------------


def pixel_std(images: Images) -> float:
    """Mean over pixels and channels of the standard deviation across the images."""
    return float(images.astype(np.float64).std(axis=0).mean())


def walk_mads(
    session: Any,
    z0: NDArray[np.float32],
    z1: NDArray[np.float32],
    steps: int,
    spherical: bool = True,
) -> Any:
    """Mean absolute difference of consecutive frames along a walk z0 -> z1 (slerp or linear)."""
    ts = np.linspace(0.0, 1.0, steps + 1)
    if spherical:
        zs = np.stack([slerp(z0, z1, float(t)) for t in ts])
    else:
        zs = ((1 - ts[:, None]) * z0[None] + ts[:, None] * z1[None]).astype(np.float32)
    frames = generate(session, zs, 0.8).astype(np.int16)
    return np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))


def image_latency_ms(session: Any, size: int, runs: int = 200) -> dict[str, float]:
    """Latency of one single-image session.run at psi 0.8: median, p90, p99 in ms."""
    z = latents(7, 1, size)
    psi = np.full(1, 0.8, dtype=np.float32)
    return latency_ms(lambda: session.run(["image"], {"z": z, "truncation": psi}), 20, runs)


@dataclass
class RainbowReport:
    """All measures of one exported generator, with pass/fail against the issue's limits."""

    model: str
    resolution: int
    latent_size: int
    real_images: int
    colour_samples: int
    colour_share: float
    data_colour_share: float
    sector_histogram: list[int]
    psis: list[float]
    pixel_std_by_psi: list[float]
    psi0_max_spread: int
    walks: int
    walk_steps: int
    walk_jump_ratios: list[float]
    worst_linear_walk_jump_ratio: float
    bow_found_share: float
    data_bow_found_share: float
    bow_residual: float
    data_bow_residual: float
    pyramid: list[dict[str, float]]
    laplacian_variance: float
    data_laplacian_variance: float
    high_frequency: float
    data_high_frequency: float
    channel_mean: list[float]
    channel_std: list[float]
    data_channel_mean: list[float]
    data_channel_std: list[float]
    latency_ms: dict[str, float]
    passes: dict[str, bool]

    @property
    def channel_offsets(self) -> tuple[list[float], list[float]]:
        """(|mean difference|, |spread difference|) per channel in real standard deviations."""
        sd = self.data_channel_std
        means = [
            abs(g - r) / s
            for g, r, s in zip(self.channel_mean, self.data_channel_mean, sd, strict=True)
        ]
        spreads = [abs(g - r) / s for g, r, s in zip(self.channel_std, sd, sd, strict=True)]
        return means, spreads


SHARPNESS_RANGE = (0.75, 1.33)
"""Laplacian variance and high-frequency energy, as ratios to the real images'."""

LIMITS: dict[str, float] = {
    "colours": 0.9,
    "walk": 3.0,
    "bow_residual": 1.5,
    "bow_found": 0.8,
    "pyramid": 2.0,
    "channel": 0.25,
    "latency_ms": 40.0,
}


def _within(ratio: float) -> bool:
    low, high = SHARPNESS_RANGE
    return low <= ratio <= high


def measure(
    model: Path,
    colour_samples: int = 1000,
    truncation_samples: int = 256,
    walks: int = 30,
    walk_steps: int = 120,
    real_images: int = 1000,
) -> RainbowReport:
    """Every measure of ``model`` against ``real_images`` held-out renderer images (and a
    second, disjoint set of as many for the real-versus-real baselines)."""
    session = make_session(model, threads=2)
    meta = model_metadata(session)
    size = int(meta.get("latent_size", session.get_inputs()[0].shape[1]))
    t0 = time.perf_counter()

    def progress(what: str) -> None:
        print(f"{what}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    colour_images = generate(session, latents(1, colour_samples, size), 0.8)
    resolution = colour_images.shape[1]
    sectors = hue_sectors_present(colour_images)
    share = float((sectors >= 5).mean())
    histogram = np.bincount(sectors, minlength=7).tolist()
    del colour_images
    progress("colours")
    psis = [0.0, 0.25, 0.5, 0.75, 1.0]
    z_trunc = latents(2, truncation_samples, size)
    stds, spread = [], 0
    for psi in psis:
        images = generate(session, z_trunc, psi)
        stds.append(pixel_std(images))
        if psi == 0.0:
            spread = int((images.max(axis=0).astype(int) - images.min(axis=0).astype(int)).max())
    rising = all(b > a for a, b in itertools.pairwise(stds))
    ends = latents(3, 2 * walks, size)

    def jump_ratios(spherical: bool, count: int) -> list[float]:
        mads = [
            walk_mads(session, ends[2 * k], ends[2 * k + 1], walk_steps, spherical)
            for k in range(count)
        ]
        return [float(m.max() / max(float(np.median(m)), 1e-9)) for m in mads]

    ratios = jump_ratios(True, walks)
    worst_linear = max(jump_ratios(False, min(walks, 10)))
    progress("truncation and walks")
    # Held-out renderer images at the model's resolution: two disjoint sets A and B.
    set_a = render_dataset(range(HELD_OUT_SEED, HELD_OUT_SEED + real_images), resolution)
    set_b = render_dataset(
        range(HELD_OUT_SEED + real_images, HELD_OUT_SEED + 2 * real_images), resolution
    )
    progress("renderer images")
    generated = generate(session, latents(4, real_images, size), 1.0)
    data_share = rainbow_colour_share(set_a)
    bows, data_bows = bow_stats(generated), bow_stats(set_a)
    progress("bow fits")
    pyramid = pyramid_swd(generated, set_a, set_b)
    progress("pyramid SWD")
    mean, std = channel_stats(generated)
    data_mean, data_std = channel_stats(set_a)
    lap, data_lap = laplacian_variance(generated), laplacian_variance(set_a)
    hf, data_hf = high_frequency_energy(generated), high_frequency_energy(set_a)
    latency = image_latency_ms(make_session(model, threads=2), size)
    report = RainbowReport(
        model=str(model),
        resolution=resolution,
        latent_size=size,
        real_images=real_images,
        colour_samples=colour_samples,
        colour_share=share,
        data_colour_share=data_share,
        sector_histogram=histogram,
        psis=psis,
        pixel_std_by_psi=stds,
        psi0_max_spread=spread,
        walks=walks,
        walk_steps=walk_steps,
        walk_jump_ratios=ratios,
        worst_linear_walk_jump_ratio=worst_linear,
        bow_found_share=bows.found_share,
        data_bow_found_share=data_bows.found_share,
        bow_residual=bows.median_residual,
        data_bow_residual=data_bows.median_residual,
        pyramid=pyramid,
        laplacian_variance=lap,
        data_laplacian_variance=data_lap,
        high_frequency=hf,
        data_high_frequency=data_hf,
        channel_mean=mean,
        channel_std=std,
        data_channel_mean=data_mean,
        data_channel_std=data_std,
        latency_ms=latency,
        passes={},
    )
    means, spreads = report.channel_offsets
    report.passes = {
        "rainbow_colours": share >= LIMITS["colours"],
        "truncation_works": rising and spread <= 1,
        "smooth_walks": max(ratios) <= LIMITS["walk"],
        "bow_geometry": bool(
            bows.median_residual <= LIMITS["bow_residual"] * data_bows.median_residual
        ),
        "bows_found": bows.found_share >= LIMITS["bow_found"] * data_bows.found_share,
        "texture_every_scale": all(level["ratio"] <= LIMITS["pyramid"] for level in pyramid),
        "sharpness": _within(lap / data_lap) and _within(hf / data_hf),
        "colour_statistics": max(means + spreads) <= LIMITS["channel"],
        "fast": latency["median"] <= LIMITS["latency_ms"],
    }
    return report


def format_report(r: RainbowReport) -> str:
    """The report as the lines ``installation measure rainbow`` prints."""
    p = r.passes
    lat = r.latency_ms
    stds = ", ".join(f"{psi:g}: {s:.1f}" for psi, s in zip(r.psis, r.pixel_std_by_psi, strict=True))
    levels = ", ".join(f"{int(v['size'])} px {v['ratio']:.2f}" for v in r.pyramid)
    means, spreads = r.channel_offsets
    over = sum(ratio > LIMITS["walk"] for ratio in r.walk_jump_ratios)
    bow_ratio = r.bow_residual / r.data_bow_residual
    found_ratio = r.bow_found_share / max(r.data_bow_found_share, 1e-9)
    lap_ratio = r.laplacian_variance / r.data_laplacian_variance
    hf_ratio = r.high_frequency / r.data_high_frequency
    worst, median_walk = max(r.walk_jump_ratios), float(np.median(r.walk_jump_ratios))
    return "\n".join(
        [
            f"rainbow generator measures for {r.model} ({r.resolution}x{r.resolution}, "
            f"z {r.latent_size}); real images: {r.real_images} held-out renderer scenes "
            f"(and {r.real_images} more for the real-vs-real baselines)",
            f"  [{mark(p['bow_geometry'])}] bow geometry: median conic-fit residual of the "
            f"primary bow's ridge {r.bow_residual:.4f} of its size vs real "
            f"{r.data_bow_residual:.4f} = {bow_ratio:.2f}x (limit 1.5x; psi 1)",
            f"  [{mark(p['bows_found'])}] bows found: {r.bow_found_share:.1%} of images vs real "
            f"{r.data_bow_found_share:.1%} = {found_ratio:.2f}x (limit >= 0.8x)",
            f"  [{mark(p['texture_every_scale'])}] texture at every scale: 7x7 patch SWD / "
            f"real-vs-real per Laplacian level: {levels} (limit 2 at every level)",
            f"  [{mark(p['sharpness'])}] sharpness: Laplacian variance "
            f"{r.laplacian_variance:.1f} vs {r.data_laplacian_variance:.1f} = {lap_ratio:.2f}x, "
            f"high-frequency energy {r.high_frequency:.5f} vs {r.data_high_frequency:.5f} = "
            f"{hf_ratio:.2f}x (limits 0.75-1.33x)",
            f"  [{mark(p['colour_statistics'])}] colour statistics: channel mean offsets "
            f"{', '.join(f'{v:.3f}' for v in means)}, spread offsets "
            f"{', '.join(f'{v:.3f}' for v in spreads)} real std (R, G, B; limit 0.25)",
            f"  [{mark(p['rainbow_colours'])}] rainbow colours: {r.colour_share:.1%} of "
            f"{r.colour_samples} samples at psi 0.8 have >= 5 of 6 saturated hue sectors "
            f"(limit 90%; held-out renderer images: {r.data_colour_share:.1%}); "
            f"images by sector count 0..6: {r.sector_histogram}",
            f"  [{mark(p['truncation_works'])}] truncation works: per-pixel std by psi "
            f"{{{stds}}}; psi 0 spread {r.psi0_max_spread} grey level(s) (limit 1)",
            f"  [{mark(p['smooth_walks'])}] smooth walks: worst step {worst:.2f}x the walk's "
            f"median (median walk {median_walk:.2f}x; {over} of "
            f"{r.walks} slerp walks of {r.walk_steps} steps over the 3x limit); linear walks: "
            f"{r.worst_linear_walk_jump_ratio:.2f}x",
            f"  [{mark(p['fast'])}] fast: one image median {lat['median']:.2f} ms, "
            f"p90 {lat['p90']:.2f} ms, p99 {lat['p99']:.2f} ms "
            "(onnxruntime CPU, 2 threads, no spinning; limit 40 ms)",
        ]
    )


def write_figures(model: Path, folder: Path) -> list[Path]:
    """Figures of an exported generator: ``rainbow_samples.png`` (24 samples at psi 0.8),
    ``rainbow_truncation.png`` (a row per psi 0, 0.25, 0.5, 0.75, 1 for the same 8 z),
    ``rainbow_walk.png`` (every 10th frame of two 120-step slerp walks at psi 0.8) and
    ``rainbow_data_grid.png`` (24 held-out renderer scenes at the model's size)."""
    session = make_session(model)
    size = int(session.get_inputs()[0].shape[1])
    folder.mkdir(parents=True, exist_ok=True)
    samples = generate(session, latents(11, 24, size), 0.8)
    resolution = samples.shape[1]
    z = latents(12, 8, size)
    truncation = [generate(session, z, psi) for psi in (0.0, 0.25, 0.5, 0.75, 1.0)]
    ends = latents(13, 4, size)
    steps = np.linspace(0.0, 1.0, 121)[::10]
    walk_rows = [
        generate(
            session, np.stack([slerp(ends[2 * k], ends[2 * k + 1], float(t)) for t in steps]), 0.8
        )
        for k in range(2)
    ]
    real = render_dataset(range(HELD_OUT_SEED, HELD_OUT_SEED + 24), resolution)
    scale = 2 if resolution <= 128 else 1
    paths = [folder / f"rainbow_{n}.png" for n in ("samples", "truncation", "walk", "data_grid")]
    write_grid(paths[0], samples.reshape(4, 6, *samples.shape[1:]), scale=scale)
    write_grid(paths[1], truncation, scale=scale)
    write_grid(paths[2], walk_rows, scale=scale)
    write_grid(paths[3], real.reshape(4, 6, *real.shape[1:]), scale=scale)
    return paths
