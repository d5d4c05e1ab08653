"""The neural lava lamp's measures, run on an exported ONNX file with onnxruntime.

    installation measure lava exported_models/lava_lamp.onnx --out report.json

* Never diverges: from 5 seeds, 100,000 steps each, no NaN/Inf, and the per-step mean and
  std of z, averaged over any 100 consecutive steps, stay within +-0.1 of 0 and 1.
* Never freezes or loops: the mean absolute difference of consecutive frames, averaged over
  any 1,000-step window, stays within 0.5x-2x of the simulator footage's figure at the same
  step spacing; the latent never returns closer than 0.1 * sqrt(2L) to a state it held 50 to
  5,000 steps before.
* Looks like the footage: sliced Wasserstein distance of 7x7 RGB patches between generated
  frames and held-out footage, divided by the same distance between two disjoint held-out
  footage sets (<= 4).
* Fast: median latency of one ``session.run`` with one thread and no spinning (<= 2 ms).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from installation.training.common.image_grid import write_grid
from installation.training.common.latency import latency_ms
from installation.training.common.onnx_session import measuring_session, model_metadata
from installation.training.common.patch_swd import patch_swd_ratio
from installation.training.common.report import mark
from installation.training.common.seeding import HELD_OUT_SEED
from installation.training.lava.simulator import footage_array

FloatArray = NDArray[np.float64]


def make_session(path: Path, threads: int = 1) -> Any:
    """The measures' onnxruntime session of a lava lamp model (CPU, no spinning)."""
    return measuring_session(path, threads, kind="lava_lamp", model="lava")


def start_latent(seed: int, latent_size: int) -> NDArray[np.float32]:
    z = np.random.default_rng(seed).standard_normal((1, latent_size))
    return np.asarray((z - z.mean()) / z.std(), dtype=np.float32)


@dataclass
class Rollout:
    """What one long rollout recorded."""

    z_mean: FloatArray  # per step
    z_std: FloatArray
    frame_mad: FloatArray  # mean |frame_t - frame_{t-1}| per step (first entry 0)
    latents: NDArray[np.float32]
    sampled_frames: NDArray[np.uint8]
    finite: bool


def run_rollout(session: Any, z0: NDArray[np.float32], steps: int, sample_every: int) -> Rollout:
    """Run ``steps`` steps from ``z0``, keeping every ``sample_every``-th frame."""
    latent_size = z0.shape[1]
    z = z0
    z_mean = np.empty(steps)
    z_std = np.empty(steps)
    mad = np.zeros(steps)
    latents = np.empty((steps, latent_size), dtype=np.float32)
    frames = []
    previous: NDArray[np.int16] | None = None
    finite = True
    for t in range(steps):
        latents[t] = z[0]
        frame, z_next = session.run(["frame", "z_next"], {"z": z})
        current = frame[0].astype(np.int16)
        if previous is not None:
            mad[t] = np.abs(current - previous).mean()
        previous = current
        if t % sample_every == 0:
            frames.append(frame[0])
        z = z_next
        z_mean[t] = float(z.mean())
        z_std[t] = float(z.std())
        if not np.all(np.isfinite(z)):
            finite = False
            break
    return Rollout(z_mean, z_std, mad, latents, np.stack(frames), finite)


def thumbnails(frames: NDArray[np.uint8], factor: int = 4) -> FloatArray:
    """Frames [N, H, W, 3] mean-pooled ``factor`` times smaller, flattened to [N, D]."""
    n, h, w, c = frames.shape
    pooled = frames.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))
    return np.asarray(pooled.reshape(n, -1), dtype=np.float64)


def closest_frame_return(thumbs: FloatArray, min_lag: int, max_lag: int) -> float:
    """Closest RMS difference (grey levels) between thumbnails ``min_lag``-``max_lag`` apart."""
    return closest_return(thumbs, min_lag, max_lag) / float(np.sqrt(thumbs.shape[1]))


def window_means(values: FloatArray, window: int) -> FloatArray:
    """Mean of every run of ``window`` consecutive values."""
    if len(values) < window:
        return np.asarray([values.mean()])
    c = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return np.asarray((c[window:] - c[:-window]) / window)


def closest_return(latents: NDArray[Any], min_lag: int = 50, max_lag: int = 5000) -> float:
    """Smallest distance between z_t and any z_s with min_lag <= t - s <= max_lag."""
    z = np.asarray(latents, dtype=np.float64)
    sq = (z**2).sum(axis=1)
    best = np.inf
    block = 1000
    for start in range(min_lag, len(z), block):
        stop = min(start + block, len(z))
        lo = max(0, start - max_lag)
        hi = stop - min_lag
        d2 = sq[start:stop, None] + sq[None, lo:hi] - 2.0 * z[start:stop] @ z[lo:hi].T
        t = np.arange(start, stop)[:, None]
        s = np.arange(lo, hi)[None, :]
        lag = t - s
        valid = (lag >= min_lag) & (lag <= max_lag)
        if valid.any():
            best = min(best, float(np.sqrt(max(d2[valid].min(), 0.0))))
    return best


def held_out_footage(
    clips: int, steps: int, step_seconds: float, first_seed: int
) -> NDArray[np.uint8]:
    return np.stack([footage_array(first_seed + i, steps, step_seconds) for i in range(clips)])


def step_latency_ms(path: Path, latent_size: int, runs: int = 3000) -> dict[str, float]:
    """Latency of one session.run (1 thread, no spinning): median, p90, p99 in ms."""
    session = make_session(path, threads=1)
    z = start_latent(0, latent_size)

    def step() -> None:
        nonlocal z
        _, z = session.run(["frame", "z_next"], {"z": z})

    return latency_ms(step, warmup=300, runs=runs)


@dataclass
class LavaReport:
    """All measures of one exported model, with pass/fail against the issue's limits."""

    model: str
    latent_size: int
    step_seconds: float
    seeds: int
    steps_per_seed: int
    all_finite: bool
    max_window_mean_abs: float
    max_window_std_dev: float
    diverges: bool
    footage_frame_mad: float
    min_window_mad_ratio: float
    max_window_mad_ratio: float
    closest_return: float
    return_threshold: float
    frame_closest_return: float
    footage_frame_closest_return: float
    freezes_or_loops: bool
    swd_generated: float
    swd_footage: float
    swd_ratio: float
    swd_frames: int
    swd_spacing: int
    step_latency_ms: dict[str, float]
    passes: dict[str, bool]


def measure(
    model: Path, seeds: int, steps: int, frames: int, footage_clips: int, spacing: int = 10
) -> LavaReport:
    session = make_session(model, threads=1)
    meta = model_metadata(session)
    latent_size = int(meta.get("latent_size", session.get_inputs()[0].shape[1]))
    step_seconds = float(meta.get("step_seconds", "0.1"))
    # SWD frames are taken every ``spacing`` steps, from the rollouts and from the held-out
    # footage alike, so both sets have the same time correlation between frames.
    per_seed = max(1, frames // seeds)
    rollouts = []
    for s in range(seeds):
        t0 = time.perf_counter()
        rollouts.append(run_rollout(session, start_latent(s, latent_size), steps, spacing))
        print(
            f"rollout {s + 1}/{seeds}: {steps} steps in {time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
        )
    finite = all(r.finite for r in rollouts)
    mean_dev = max(float(np.abs(window_means(r.z_mean, 100)).max()) for r in rollouts)
    std_dev = max(float(np.abs(window_means(r.z_std, 100) - 1.0).max()) for r in rollouts)
    # Held-out footage: two disjoint sets (A, B) of simulator clips the model never saw.
    per_clip = max(2, frames // footage_clips)
    span = per_clip * spacing
    set_a = held_out_footage(footage_clips, span, step_seconds, HELD_OUT_SEED)
    set_b = held_out_footage(footage_clips, span, step_seconds, HELD_OUT_SEED + footage_clips)
    footage_mad = float(
        np.mean([np.abs(np.diff(clip.astype(np.int16), axis=0)).mean() for clip in set_a])
    )
    ratios = np.concatenate([window_means(r.frame_mad[1:], 1000) for r in rollouts]) / footage_mad
    threshold = 0.1 * float(np.sqrt(2 * latent_size))
    nearest = min(closest_return(r.latents) for r in rollouts)
    # For the reader, not a limit: how close the *pictures* come back (16x16 thumbnails of the
    # sampled frames, same lags), for the model and for the held-out footage.
    lo, hi = 50 // spacing, 5000 // spacing
    frame_nearest = min(
        closest_frame_return(thumbnails(r.sampled_frames), lo, hi) for r in rollouts
    )
    footage_nearest = min(
        closest_frame_return(thumbnails(np.ascontiguousarray(clip[::spacing])), lo, hi)
        for clip in set_a
    )
    generated = np.concatenate([r.sampled_frames[:per_seed] for r in rollouts])[:frames]
    a = set_a[:, ::spacing].reshape(-1, *set_a.shape[2:])[:frames]
    b = set_b[:, ::spacing].reshape(-1, *set_b.shape[2:])[:frames]
    swd_g, swd_f, swd_ratio = patch_swd_ratio(generated, a, b)
    latency = step_latency_ms(model, latent_size)
    diverges = not finite or mean_dev > 0.1 or std_dev > 0.1
    frozen = bool(ratios.min() < 0.5 or ratios.max() > 2.0 or nearest < threshold)
    passes = {
        "never_diverges": not diverges,
        "never_freezes_or_loops": not frozen,
        "looks_like_footage": swd_ratio <= 4.0,
        "fast": latency["median"] <= 2.0,
    }
    return LavaReport(
        model=str(model),
        latent_size=latent_size,
        step_seconds=step_seconds,
        seeds=seeds,
        steps_per_seed=steps,
        all_finite=finite,
        max_window_mean_abs=mean_dev,
        max_window_std_dev=std_dev,
        diverges=diverges,
        footage_frame_mad=footage_mad,
        min_window_mad_ratio=float(ratios.min()),
        max_window_mad_ratio=float(ratios.max()),
        closest_return=nearest,
        return_threshold=threshold,
        frame_closest_return=frame_nearest,
        footage_frame_closest_return=footage_nearest,
        freezes_or_loops=frozen,
        swd_generated=swd_g,
        swd_footage=swd_f,
        swd_ratio=swd_ratio,
        swd_frames=len(generated),
        swd_spacing=spacing,
        step_latency_ms=latency,
        passes=passes,
    )


def format_report(r: LavaReport) -> str:
    """The report as the lines ``installation measure lava`` prints."""
    p = r.passes
    lat = r.step_latency_ms
    return "\n".join(
        [
            f"lava lamp measures for {r.model} (L={r.latent_size}, step {r.step_seconds} s)",
            f"  [{mark(p['never_diverges'])}] never diverges: {r.seeds} seeds x "
            f"{r.steps_per_seed} steps, finite={r.all_finite}, max |mean z| over 100 steps "
            f"{r.max_window_mean_abs:.2e}, max |std z - 1| {r.max_window_std_dev:.2e} (limit 0.1)",
            f"  [{mark(p['never_freezes_or_loops'])}] never freezes or loops: frame change over "
            f"1000-step windows {r.min_window_mad_ratio:.2f}x-{r.max_window_mad_ratio:.2f}x "
            f"the footage's {r.footage_frame_mad:.2f} levels/step (limits 0.5x-2x); "
            f"closest return {r.closest_return:.2f} (limit > {r.return_threshold:.2f})",
            f"         pictures (16x16 thumbnails, same lags, not a limit): closest return "
            f"{r.frame_closest_return:.2f} grey levels RMS; held-out footage "
            f"{r.footage_frame_closest_return:.2f}",
            f"  [{mark(p['looks_like_footage'])}] looks like the footage: 7x7 patch SWD ratio "
            f"{r.swd_ratio:.2f} = {r.swd_generated:.4f} / {r.swd_footage:.4f} on "
            f"{r.swd_frames} frames {r.swd_spacing} steps apart (limit 4)",
            f"  [{mark(p['fast'])}] fast: one step median {lat['median']:.3f} ms, "
            f"p90 {lat['p90']:.3f} ms, p99 {lat['p99']:.3f} ms "
            "(1 thread, no spinning; limit 2 ms median)",
        ]
    )


def write_figures(model: Path, folder: Path) -> list[Path]:
    """``lava_rollout.png``: two rows of an onnxruntime rollout from seed 0, after 1,000 steps
    to settle, one frame every 20 steps, 2x upscaled."""
    session = make_session(model, threads=1)
    latent_size = int(session.get_inputs()[0].shape[1])
    rollout = run_rollout(session, start_latent(0, latent_size), 1400, 20)
    frames = rollout.sampled_frames[50:70]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lava_rollout.png"
    write_grid(path, frames.reshape(2, 10, *frames.shape[1:]), scale=2)
    return [path]
