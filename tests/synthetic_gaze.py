"""A synthetic webcam for gaze: a real photograph whose eyes look at known points on the screen.

There is no webcam on the build machine, so gaze is measured on frames made here: scikit-image's
``astronaut`` (a real photograph inside its wheel) is placed in a 640x480 camera frame where a
pinhole camera at the top centre of the screen would see a head at a given position, and her
eyes are replaced by a parametric eye model looking at a screen point: the iris (with its
limbal ring, radial texture and pupil) sits on an eyeball of 1.2 cm radius turned towards the
target, foreshortened by the angle, between almond-shaped lids; the upper lid follows the
vertical gaze, as real lids do; a corneal highlight stays put (it follows the light, not the
gaze). Skin tone, brightness, gamma, a side light, sensor noise and blur vary.

Conventions: screen coordinates in cm, x to the right as the visitor sees the screen, y down,
origin at the screen's top-left corner, screen plane z = 0, the visitor at z > 0. The camera
sits at (width / 2, 0, 0) looking at the visitor, *not mirrored*: the visitor's right eye is
on the image's left. The iris offset is projected orthographically at the eye's depth (the
eye is small against its distance). Head pose is position, distance and in-plane roll; the
head does not turn (yaw, pitch), which real visitors do: the figures measured on these frames
say what the pipeline resolves, not what a real webcam in a real room gives.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
IPD_CM = 6.3
EYEBALL_CM = 1.2
IRIS_CM = 0.58
PUPIL_CM = 0.21
FISSURE_WIDTH_CM = 3.0
FISSURE_HEIGHT_CM = 1.05
# Measured on astronaut() at 8x zoom: iris centres and the eye openings' centres (pixels).
PHOTO_EYES = ((203.0, 101.5), (247.0, 104.0))
IRIS_COLOURS = {
    "brown": (40, 62, 102),
    "blue": (150, 112, 70),
    "green": (80, 120, 92),
    "grey": (118, 118, 110),
}  # BGR


@dataclass(frozen=True)
class HeadPose:
    """The midpoint between the eyes in screen cm (x right, y down) at ``distance_cm``."""

    x_cm: float
    y_cm: float
    distance_cm: float
    roll_deg: float = 0.0


@dataclass(frozen=True)
class ScreenGeometry:
    """The screen's pixels, visible size and the nominal viewing distance."""

    width_px: int
    height_px: int
    width_cm: float
    height_cm: float
    distance_cm: float

    def point_cm(self, point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * self.width_cm, point[1] * self.height_cm

    def degrees_between(
        self, a: tuple[float, float], b: tuple[float, float], head: HeadPose | None = None
    ) -> float:
        """The visual angle between two screen points (in [0, 1]^2) seen from the head
        (default: in front of the screen's centre at ``distance_cm``)."""
        head = head or HeadPose(self.width_cm / 2, self.height_cm / 2, self.distance_cm)
        eye = np.array([head.x_cm, head.y_cm, head.distance_cm])
        va = np.array([*self.point_cm(a), 0.0]) - eye
        vb = np.array([*self.point_cm(b), 0.0]) - eye
        cosine = float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))
        return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


@dataclass(frozen=True)
class Appearance:
    """How the frame looks: skin tint (BGR gains), light, noise, blur, iris colour."""

    skin_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    brightness: float = 1.0
    gamma: float = 1.0
    side_light: float = 0.0
    """-0.4..0.4: the frame is this much brighter on the right than on the left."""
    noise: float = 2.0
    blur: float = 0.6
    iris: str = "brown"


@cache
def _photo() -> tuple[Frame, NDArray[np.float32]]:
    """The photograph (BGR) with its own eyes painted over with skin, once."""
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # type: ignore[no-untyped-call]
    mask = np.zeros(photo.shape[:2], np.uint8)
    for cx, cy in PHOTO_EYES:
        cv2.ellipse(mask, (round(cx), round(cy)), (14, 7), 0, 0, 360, 255, -1)
    painted = np.asarray(cv2.inpaint(photo, mask, 5, cv2.INPAINT_TELEA), dtype=np.uint8)
    return painted, photo.astype(np.float32)


def _ease(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.clip(t, 0.0, 1.0)


class SyntheticCamera:
    """Renders camera frames of the photograph looking at screen points (module docstring)."""

    def __init__(
        self,
        geometry: ScreenGeometry,
        frame_size: tuple[int, int] = (640, 480),
        focal_px: float = 600.0,
    ) -> None:
        self.geometry = geometry
        self.frame_size = frame_size
        self.focal = focal_px
        width, height = frame_size
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        room = 70 + 40 * (ys / height) + 15 * np.sin(xs / 90.0)
        tint = np.array([1.0, 0.95, 0.9], np.float32)
        self._room = (np.repeat(room[:, :, None], 3, axis=2) * tint).astype(np.float32)
        self._ramp = (xs / width - 0.5).astype(np.float32)
        rng = np.random.default_rng(1234)
        self._iris_texture = rng.uniform(0.75, 1.2, 48).astype(np.float32)

    # poses -------------------------------------------------------------------------------

    def nominal_pose(self) -> HeadPose:
        g = self.geometry
        return HeadPose(g.width_cm / 2, g.height_cm * 0.4, g.distance_cm, 0.0)

    def random_pose(self, rng: np.random.Generator, spread: float = 1.0) -> HeadPose:
        base = self.nominal_pose()
        return HeadPose(
            base.x_cm + float(rng.uniform(-6, 6)) * spread,
            base.y_cm + float(rng.uniform(-4, 4)) * spread,
            float(np.clip(base.distance_cm + rng.uniform(-15, 15) * spread, 50, 80)),
            float(rng.uniform(-6, 6)) * spread,
        )

    def random_appearance(self, rng: np.random.Generator) -> Appearance:
        tone = float(rng.uniform(0.55, 1.1))  # darker to lighter skin
        warm = float(rng.uniform(0.9, 1.05))
        return Appearance(
            skin_gain=(tone * warm * 0.95, tone, tone * 1.02),
            brightness=float(rng.uniform(0.65, 1.35)),
            gamma=float(rng.uniform(0.75, 1.35)),
            side_light=float(rng.uniform(-0.4, 0.4)),
            noise=float(rng.uniform(1.0, 4.0)),
            blur=float(rng.uniform(0.4, 0.9)),
            iris=str(rng.choice(list(IRIS_COLOURS))),
        )

    # geometry ----------------------------------------------------------------------------

    def project(self, point: NDArray[np.float64]) -> tuple[float, float]:
        """Image pixel of a 3D point in screen cm (the camera is not mirrored)."""
        width, height = self.frame_size
        camera_x = self.geometry.width_cm / 2
        z = float(point[2])
        return (
            width / 2 - self.focal * (float(point[0]) - camera_x) / z,
            height / 2 + self.focal * float(point[1]) / z,
        )

    def eye_centres(self, pose: HeadPose) -> list[NDArray[np.float64]]:
        """3D centres of the visitor's right and left eye (image-left first)."""
        roll = math.radians(pose.roll_deg)
        # The visitor's right eye is at +x (their right); roll tilts the line between the eyes.
        dx, dy = IPD_CM / 2 * math.cos(roll), IPD_CM / 2 * math.sin(roll)
        centre = np.array([pose.x_cm, pose.y_cm, pose.distance_cm])
        return [centre + np.array([dx, -dy, 0.0]), centre + np.array([-dx, dy, 0.0])]

    # rendering ---------------------------------------------------------------------------

    def render(
        self,
        target: tuple[float, float] | None,
        pose: HeadPose,
        look: Appearance,
        rng: np.random.Generator,
    ) -> Frame:
        """One BGR camera frame of the visitor looking at ``target`` (None: at the camera)."""
        _width, _height = self.frame_size
        painted, _ = _photo()
        eyes = self.eye_centres(pose)
        image_eyes = [self.project(e) for e in eyes]
        frame = self._place(painted, image_eyes, look)
        pixels_per_cm = self.focal / pose.distance_cm
        for eye, centre in zip(eyes, image_eyes, strict=True):
            if target is None:
                aim = np.array([self.geometry.width_cm / 2, 0.0, 0.0])
            else:
                aim = np.array([*self.geometry.point_cm(target), 0.0])
            gaze = aim - eye
            gaze /= np.linalg.norm(gaze)
            self._draw_eye(frame, centre, gaze, pixels_per_cm, pose.roll_deg, look)
        return self._light(frame, look, rng)

    def _place(
        self, photo: Frame, image_eyes: list[tuple[float, float]], look: Appearance
    ) -> NDArray[np.float32]:
        """The photograph warped so its eyes land on the projected eyes, over the room."""
        (ax, ay), (bx, by) = PHOTO_EYES
        (px, py), (qx, qy) = image_eyes
        scale = math.hypot(qx - px, qy - py) / math.hypot(bx - ax, by - ay)
        angle = math.atan2(qy - py, qx - px) - math.atan2(by - ay, bx - ax)
        cos, sin = scale * math.cos(angle), scale * math.sin(angle)
        mx, my = (ax + bx) / 2, (ay + by) / 2
        tx, ty = (px + qx) / 2, (py + qy) / 2
        matrix = np.array(
            [[cos, -sin, tx - cos * mx + sin * my], [sin, cos, ty - sin * mx - cos * my]]
        )
        width, height = self.frame_size
        gain = np.array(look.skin_gain, np.float32)
        tinted = np.clip(photo.astype(np.float32) * gain, 0, 255)
        warped = cv2.warpAffine(tinted, matrix, (width, height), flags=cv2.INTER_LINEAR)
        inside = cv2.warpAffine(
            np.ones(photo.shape[:2], np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR
        )[:, :, None]
        placed = warped * inside + self._room * (1.0 - inside)
        return np.asarray(placed, dtype=np.float32)

    def _draw_eye(
        self,
        frame: NDArray[np.float32],
        centre: tuple[float, float],
        gaze: NDArray[np.float64],
        pixels_per_cm: float,
        roll_deg: float,
        look: Appearance,
    ) -> None:
        ss = 4  # supersampling
        half_w = FISSURE_WIDTH_CM / 2 * pixels_per_cm
        half_h = FISSURE_HEIGHT_CM / 2 * pixels_per_cm
        box_w, box_h = math.ceil(half_w * 1.25), math.ceil(half_h * 2.4)
        left, top = int(centre[0]) - box_w, int(centre[1]) - box_h
        size_w, size_h = 2 * box_w + 1, 2 * box_h + 1
        height, width = frame.shape[:2]
        if left < 0 or top < 0 or left + size_w > width or top + size_h > height:
            return
        ys, xs = np.mgrid[0 : size_h * ss, 0 : size_w * ss].astype(np.float32)
        x = left + (xs + 0.5) / ss - 0.5 - centre[0]
        y = top + (ys + 0.5) / ss - 0.5 - centre[1]
        roll = math.radians(roll_deg)
        a = x * math.cos(roll) + y * math.sin(roll)  # along the lids (head frame)
        b = -x * math.sin(roll) + y * math.cos(roll)
        # The iris: the gaze direction seen by the camera (image x is mirrored from screen x).
        gx, gy = -float(gaze[0]), float(gaze[1])
        radius = EYEBALL_CM * pixels_per_cm
        ix, iy = gx * radius, gy * radius
        down = max(0.0, gy)  # the upper lid follows a downward look
        t = np.clip(1.0 - (a / half_w) ** 2, 0.0, None)
        upper = -half_h * t + (0.25 * half_h * (gy + 0.15)) + 0.9 * down * half_h * t
        lower = 0.85 * half_h * t
        opening = (np.abs(a) < half_w) & (b > upper) & (b < lower)
        iris_r = IRIS_CM * pixels_per_cm
        fx, fy = math.sqrt(max(0.05, 1 - gx * gx)), math.sqrt(max(0.05, 1 - gy * gy))
        dx, dy = x - ix, y - iy
        rn = np.sqrt((dx / (iris_r * fx)) ** 2 + (dy / (iris_r * fy)) ** 2)
        angle = np.arctan2(dy, dx)
        stripes = self._iris_texture[((angle + math.pi) / (2 * math.pi) * 47).astype(np.int64)]
        iris_colour = np.array(IRIS_COLOURS[look.iris], np.float32)
        colour = np.empty((*x.shape, 3), np.float32)
        shade = (1.0 - 0.4 * (a / half_w) ** 2)[..., None]
        colour[:] = np.array([218, 222, 228], np.float32)
        colour *= shade
        in_iris = rn < 1.0
        ring = np.clip((rn - 0.78) / 0.22, 0.0, 1.0)[..., None]
        iris = iris_colour * stripes[..., None] * (1.0 - 0.6 * ring)
        colour = np.where(in_iris[..., None], iris, colour)
        in_pupil = rn < PUPIL_CM / IRIS_CM
        colour[in_pupil] = (18, 18, 20)
        glint = (x - 0.22 * radius) ** 2 + (y + 0.25 * radius) ** 2 < (0.09 * radius) ** 2
        colour[glint & opening] = (250, 250, 250)
        # The upper lid's lashes: a dark band just above the opening.
        lash = (np.abs(a) < half_w * 1.02) & (b <= upper) & (b > upper - 0.16 * half_h - 0.6)
        alpha = (opening | lash).astype(np.float32)
        colour[lash & ~opening] = (38, 34, 36)
        # A soft shadow under the upper lid.
        colour *= np.where(opening, 1.0 - 0.35 * np.exp(-(b - upper) / (0.25 * half_h)), 1.0)[
            ..., None
        ]
        small = cv2.resize(
            colour * alpha[..., None], (size_w, size_h), interpolation=cv2.INTER_AREA
        )
        cover = cv2.resize(alpha, (size_w, size_h), interpolation=cv2.INTER_AREA)[..., None]
        region = frame[top : top + size_h, left : left + size_w]
        region *= 1.0 - cover
        region += small

    def _light(
        self, frame: NDArray[np.float32], look: Appearance, rng: np.random.Generator
    ) -> Frame:
        gain = (look.brightness * (1.0 + look.side_light * 2 * self._ramp)).astype(np.float32)
        lit = np.clip(frame * gain[..., None], 0, 255).astype(np.uint8)
        curve = (255.0 * (np.arange(256) / 255.0) ** look.gamma).astype(np.uint8)
        lit = cv2.LUT(lit, curve)
        if look.blur > 0:
            lit = cv2.GaussianBlur(lit, (0, 0), look.blur)
        noise = np.empty(lit.shape, np.float32)
        cv2.setRNGSeed(int(rng.integers(2**31)))  # deterministic for the caller's rng
        cv2.randn(noise, np.array([0.0]), np.array([look.noise]))
        lit = lit.astype(np.float32) + noise
        return np.asarray(np.clip(lit, 0, 255), dtype=np.uint8)


def moved_photo_frames(
    count: int, seed: int = 0, size: tuple[int, int] = (640, 480)
) -> Iterator[Frame]:
    """The photograph itself (its own eyes), moved, scaled (face 90-220 px wide) and relit
    smoothly across ``count`` frames: the detection measure's video."""
    _, photo = _photo()
    rng = np.random.default_rng(seed)
    width, height = size
    phases = rng.uniform(0, 2 * math.pi, 6)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    room = np.repeat((60 + 50 * ys / height)[:, :, None], 3, axis=2)
    ramp = xs / width - 0.5
    face_px, (mx, my) = 95.0, (225.0, 113.0)  # the photo's face box width and centre
    for index in range(count):
        t = index / max(1, count - 1)
        wave = [
            math.sin(2 * math.pi * (f * t) + p)
            for f, p in zip((1, 2, 3, 1.5, 2.5, 0.7), phases, strict=True)
        ]
        face = 155 + 65 * wave[0]  # 90-220 px
        scale = face / face_px
        cx = width / 2 + (width / 2 - face) * 0.7 * wave[1]
        cy = height / 2 + (height / 2 - face) * 0.6 * wave[2]
        angle = math.radians(8 * wave[5])
        cos, sin = scale * math.cos(angle), scale * math.sin(angle)
        matrix = np.array(
            [[cos, -sin, cx - cos * mx + sin * my], [sin, cos, cy - sin * mx - cos * my]]
        )
        warped = cv2.warpAffine(photo, matrix, size, flags=cv2.INTER_LINEAR)
        inside = cv2.warpAffine(np.ones(photo.shape[:2], np.float32), matrix, size)[..., None]
        frame = warped * inside + room * (1 - inside)
        brightness = 1.0 + 0.35 * wave[3]
        gamma = 1.0 + 0.3 * wave[4]
        frame = frame * (brightness * (1 + 0.6 * wave[5] * ramp))[..., None]
        frame = 255.0 * (np.clip(frame, 0, 255) / 255.0) ** gamma
        frame += rng.normal(0, 2.5, frame.shape)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def write_video(path: Path, frames: Iterable[Frame], fps: float = 30.0) -> None:
    """Motion JPEG in an .avi at high quality (what a webcam recording would be)."""
    writer: cv2.VideoWriter | None = None
    try:
        for frame in frames:
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(
                    str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height)
                )
                if not writer.isOpened():
                    raise OSError(f"OpenCV cannot write {path}")
                writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()


def _smooth_walk(rng: np.random.Generator, count: int, amplitude: float) -> NDArray[np.float64]:
    """A smooth random curve in [-amplitude, amplitude] over ``count`` frames."""
    t = np.linspace(0, 1, count)
    curve = np.zeros(count)
    for frequency in (0.7, 1.6, 3.1):
        curve += rng.uniform(-1, 1) * np.sin(2 * math.pi * frequency * t + rng.uniform(0, 6.3))
    return amplitude * curve / 3.0


def write_recording(
    folder: Path,
    camera: SyntheticCamera,
    targets: Sequence[tuple[float, float, str]],
    frames_per_target: int,
    settle_frames: int,
    seed: int,
    head_motion: float = 1.0,
    fps: float = 30.0,
    appearance: Appearance | None = None,
) -> Path:
    """A recording in the format of ``installation calibrate --record`` (``recording.json`` +
    ``camera.avi``): the eyes look at each target for ``frames_per_target`` frames, the first
    ``settle_frames`` of which carry no target; the head drifts and the light wavers slowly.
    ``appearance`` is the visitor and the room (default: drawn from ``seed``)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    count = len(targets) * frames_per_target
    base = camera.nominal_pose()
    dx = _smooth_walk(rng, count, 6.0 * head_motion)
    dy = _smooth_walk(rng, count, 3.5 * head_motion)
    dz = _smooth_walk(rng, count, 10.0 * head_motion)
    roll = _smooth_walk(rng, count, 5.0 * head_motion)
    look_base = appearance or camera.random_appearance(rng)
    # The room's light wavers a little (clouds, a lamp): around the visitor's look, not
    # drifting with the targets' order (a model could learn the order from the light).
    flicker = _smooth_walk(rng, count, 0.08)
    side = _smooth_walk(rng, count, 0.06)
    entries: list[dict[str, object]] = []

    def frames() -> Iterator[Frame]:
        for index in range(count):
            x, y, role = targets[index // frames_per_target]
            settled = index % frames_per_target >= settle_frames
            pose = HeadPose(base.x_cm + dx[index], base.y_cm + dy[index],
                            base.distance_cm + dz[index], roll[index])  # fmt: skip
            look = replace(
                look_base,
                brightness=look_base.brightness * (1.0 + flicker[index]),
                side_light=look_base.side_light + side[index],
            )
            entries.append(
                {
                    "index": index,
                    "target": [x, y] if settled else None,
                    "role": role if settled else None,
                }
            )
            yield camera.render((x, y), pose, look, rng)

    write_video(folder / "camera.avi", frames(), fps)
    g = camera.geometry
    document = {
        "format": "installation.gaze-recording/1",
        "video": "camera.avi",
        "fps": fps,
        "frame_size": list(camera.frame_size),
        "screen": {
            "width_px": g.width_px,
            "height_px": g.height_px,
            "width_cm": g.width_cm,
            "height_cm": g.height_cm,
            "distance_cm": g.distance_cm,
        },
        "frames": entries,
    }
    path = folder / "recording.json"
    path.write_text(json.dumps(document) + "\n", encoding="utf-8")
    return path
