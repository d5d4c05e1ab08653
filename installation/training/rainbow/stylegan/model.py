"""Torch modules of the rainbow generator: a small StyleGAN2-style generator and discriminator.

Generator (what is exported):

* Mapping: ``z`` [N, 512] is normalised by its second moment (``z * rsqrt(mean(z²) + eps)``),
  so Runway-style ``z`` in [-1, 1], a standard normal ``z`` or any other scale give the same
  kind of ``w``; then a few equalised-learning-rate fully connected layers produce ``w``.
* Truncation: the mapping tracks the average ``w`` during training (``w_avg``, a buffer);
  ``w = w_avg + psi * (w - w_avg)`` per sample, so ``psi = 0`` gives the same image for all z.
* Synthesis: a learned 4x4 constant, then per resolution a bilinear 2x upsample and two
  modulated / demodulated 3x3 convolutions (styles from ``w``), with a skip-connected toRGB
  at every resolution (StyleGAN2's "skip" generator). The modulation is done on the
  activations (scale, shared conv, demodulate), not by per-sample grouped weights, so the
  batch size stays dynamic in ONNX. There are no noise inputs: the graph is deterministic.

Discriminator (training only): residual blocks from fromRGB down to 4x4, minibatch standard
deviation, then a linear head.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

LATENT_SIZE = 512


def normalise_second_moment(z: Tensor, eps: float = 1e-8) -> Tensor:
    """``z * rsqrt(mean(z²) + eps)`` over the last dimension."""
    return z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + eps)


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    """Feature maps at ``resolution`` (StyleGAN's ``channel_base // res``, capped)."""
    return max(8, min(channel_max, channel_base // resolution))


class EqualLinear(nn.Module):
    """A linear layer with equalised learning rate (weights scaled at run time)."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activate: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((c_out,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(c_in)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: Tensor) -> Tensor:
        out = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        if self.activate:
            out = F.leaky_relu(out, 0.2) * math.sqrt(2.0)
        return out


class MappingNetwork(nn.Module):
    """z -> w, with the running average of w kept for truncation."""

    w_avg: Tensor

    def __init__(
        self, z_dim: int = LATENT_SIZE, w_dim: int = 256, layers: int = 4, w_avg_beta: float = 0.995
    ) -> None:
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.Sequential(
            *[EqualLinear(dims[i], dims[i + 1], lr_mul=0.01, activate=True) for i in range(layers)]
        )
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.w_avg_beta = w_avg_beta
        self.z_dim = z_dim
        self.w_dim = w_dim

    def forward(self, z: Tensor, psi: Tensor | None = None, update_w_avg: bool = False) -> Tensor:
        w: Tensor = self.net(normalise_second_moment(z))
        if update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        return w if psi is None else self.truncate(w, psi)

    def truncate(self, w: Tensor, psi: Tensor) -> Tensor:
        """``w_avg + psi (w - w_avg)`` per sample (``psi`` [N])."""
        w_avg = self.w_avg[None, :]
        out: Tensor = w_avg + psi.reshape(-1, 1) * (w - w_avg)
        return out


class ModulatedConv(nn.Module):
    """3x3 (or 1x1) convolution modulated by a style from w, optionally demodulated."""

    def __init__(
        self, c_in: int, c_out: int, w_dim: int, kernel: int = 3, demodulate: bool = True
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)
        self.scale = 1.0 / math.sqrt(c_in * kernel * kernel)
        self.padding = kernel // 2
        self.demodulate = demodulate

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        style = self.affine(w)  # [N, c_in]
        weight = self.weight * self.scale
        x = x * style[:, :, None, None]
        x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            # sum over c_in, k of (weight * style)^2 for each (sample, c_out)
            wsq = weight.pow(2).sum(dim=(2, 3))  # [c_out, c_in]
            demod = torch.rsqrt(style.pow(2) @ wsq.t() + 1e-8)  # [N, c_out]
            x = x * demod[:, :, None, None]
        return x


class StyledLayer(nn.Module):
    """Modulated conv + bias + leaky ReLU (with StyleGAN's gain)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(c_in, c_out, w_dim)
        self.bias = nn.Parameter(torch.zeros(c_out))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        x = self.conv(x, w) + self.bias[None, :, None, None]
        return F.leaky_relu(x, 0.2) * math.sqrt(2.0)


class ToRGB(nn.Module):
    """1x1 modulated conv (no demodulation) to RGB."""

    def __init__(self, c_in: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(c_in, 3, w_dim, kernel=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        out: Tensor = self.conv(x, w) + self.bias[None, :, None, None]
        return out


def upsample2x(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class SynthesisNetwork(nn.Module):
    """w -> RGB image in about [-1, 1] at ``resolution`` (a power of two >= 8)."""

    def __init__(self, resolution: int, w_dim: int, channel_base: int, channel_max: int) -> None:
        super().__init__()
        if resolution < 8 or resolution & (resolution - 1):
            raise ValueError(f"resolution must be a power of two >= 8, got {resolution}")
        self.resolution = resolution
        c4 = channels_at(4, channel_base, channel_max)
        self.const = nn.Parameter(torch.randn(1, c4, 4, 4))
        self.conv4 = StyledLayer(c4, c4, w_dim)
        self.rgb4 = ToRGB(c4, w_dim)
        self.firsts = nn.ModuleList()  # upsampled input -> c
        self.seconds = nn.ModuleList()  # c -> c
        self.rgbs = nn.ModuleList()
        res, c_prev = 8, c4
        while res <= resolution:
            c = channels_at(res, channel_base, channel_max)
            self.firsts.append(StyledLayer(c_prev, c, w_dim))
            self.seconds.append(StyledLayer(c, c, w_dim))
            self.rgbs.append(ToRGB(c, w_dim))
            res, c_prev = res * 2, c

    def forward(self, w: Tensor) -> Tensor:
        x = self.const.expand(w.shape[0], -1, -1, -1)
        x = self.conv4(x, w)
        rgb: Tensor = self.rgb4(x, w)
        for first, second, to_rgb in zip(self.firsts, self.seconds, self.rgbs, strict=True):
            x = second(first(upsample2x(x), w), w)
            rgb = upsample2x(rgb) + to_rgb(x, w)
        return rgb


class RainbowGenerator(nn.Module):
    """The exported generator: (z [N, 512], psi [N]) -> RGB in about [-1, 1], [N, 3, R, R]."""

    def __init__(
        self,
        resolution: int = 128,
        z_dim: int = LATENT_SIZE,
        w_dim: int = 256,
        mapping_layers: int = 4,
        channel_base: int = 2048,
        channel_max: int = 128,
    ) -> None:
        super().__init__()
        self.resolution = resolution
        self.z_dim = z_dim
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.synthesis = SynthesisNetwork(resolution, w_dim, channel_base, channel_max)

    def forward(self, z: Tensor, psi: Tensor | None = None, update_w_avg: bool = False) -> Tensor:
        out: Tensor = self.synthesis(self.mapping(z, psi, update_w_avg))
        return out


class EqualConv2d(nn.Module):
    """A convolution with equalised learning rate, optionally with leaky ReLU (gain sqrt 2)."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, bias: bool = True, activate: bool = True
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.scale = 1.0 / math.sqrt(c_in * kernel * kernel)
        self.padding = kernel // 2
        self.activate = activate

    def forward(self, x: Tensor) -> Tensor:
        x = F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)
        if self.activate:
            x = F.leaky_relu(x, 0.2) * math.sqrt(2.0)
        return x


class DiscriminatorBlock(nn.Module):
    """Two 3x3 convs and a 2x average-pool, with a 1x1 residual shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(c_in, c_in, 3)
        self.conv2 = EqualConv2d(c_in, c_out, 3)
        self.skip = EqualConv2d(c_in, c_out, 1, bias=False, activate=False)

    def forward(self, x: Tensor) -> Tensor:
        skip = self.skip(F.avg_pool2d(x, 2))
        x = F.avg_pool2d(self.conv2(self.conv1(x)), 2)
        out: Tensor = (x + skip) * (1.0 / math.sqrt(2.0))
        return out


def minibatch_stddev(x: Tensor, group: int = 4) -> Tensor:
    """Append the average standard deviation over groups of samples as one feature map."""
    n, c, h, w = x.shape
    g = min(group, n)
    while n % g:
        g -= 1
    y = x.reshape(g, n // g, c, h, w)
    y = (y - y.mean(dim=0)).pow(2).mean(dim=0).add(1e-8).sqrt()  # [n/g, c, h, w]
    y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


class RainbowDiscriminator(nn.Module):
    """Residual discriminator: RGB in [-1, 1] at ``resolution`` -> one logit per image."""

    def __init__(self, resolution: int = 128, channel_base: int = 2048, channel_max: int = 128):
        super().__init__()
        c = channels_at(resolution, channel_base, channel_max)
        self.from_rgb = EqualConv2d(3, c, 1)
        blocks = []
        res = resolution
        while res > 4:
            c_next = channels_at(res // 2, channel_base, channel_max)
            blocks.append(DiscriminatorBlock(c, c_next))
            res, c = res // 2, c_next
        self.blocks = nn.Sequential(*blocks)
        self.conv = EqualConv2d(c + 1, c, 3)
        self.fc = EqualLinear(c * 16, c, activate=True)
        self.out = EqualLinear(c, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self.blocks(self.from_rgb(x))
        x = self.conv(minibatch_stddev(x))
        out: Tensor = self.out(self.fc(x.flatten(1)))
        return out.squeeze(1)


def tensor_to_images(x: Tensor) -> Tensor:
    """float [N, 3, H, W] in about [-1, 1] -> uint8 [N, H, W, 3] (rounded, clamped)."""
    y = torch.clamp(x * 127.5 + 128.0, 0.0, 255.0)
    return torch.floor(y).to(torch.uint8).permute(0, 2, 3, 1)
