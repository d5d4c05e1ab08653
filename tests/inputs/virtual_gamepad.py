"""SDL's virtual joysticks, reached through the SDL library that pygame itself loaded.

``SDL_JoystickAttachVirtual`` makes a real SDL device: SDL reports it plugged in and pulled
out, opens it, and sends its buttons and axes through the same event queue as a USB pad.
pygame does not wrap this API, so the tests call it with ctypes on pygame's own copy of SDL
(the same library instance, so the devices appear in pygame's event queue).
"""

from __future__ import annotations

import ctypes
import glob
import os
from pathlib import Path

import pygame

GAMECONTROLLER = 1
"""SDL_JOYSTICK_TYPE_GAMECONTROLLER: SDL maps it as a standard game controller."""
THROTTLE = 9
"""SDL_JOYSTICK_TYPE_THROTTLE: a plain joystick without a controller mapping."""


def _sdl() -> ctypes.CDLL:
    package = Path(pygame.__file__).parent
    candidates = glob.glob(str(package.parent / "pygame.libs" / "libSDL2-2*"))
    if not candidates:  # a pygame built against the system SDL
        candidates = [*glob.glob("/usr/lib/*/libSDL2-2.0.so.0"), "libSDL2-2.0.so.0"]
    sdl = ctypes.CDLL(candidates[0], mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
    sdl.SDL_JoystickAttachVirtual.restype = ctypes.c_int
    sdl.SDL_JoystickAttachVirtual.argtypes = [ctypes.c_int] * 4
    sdl.SDL_JoystickDetachVirtual.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickOpen.restype = ctypes.c_void_p
    sdl.SDL_JoystickOpen.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
    sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    sdl.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
    sdl.SDL_JoystickSetVirtualHat.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    return sdl


class VirtualGamepad:
    """One virtual device: ``plug_in``, press buttons, move axes and hats, ``pull_out``."""

    def __init__(self, kind: int = GAMECONTROLLER, axes: int = 6, buttons: int = 15, hats: int = 0):
        self._sdl = _sdl()
        self._shape = (kind, axes, buttons, hats)
        self.index: int | None = None
        self.instance: int | None = None
        self._handle: int | None = None

    def plug_in(self) -> int:
        index = int(self._sdl.SDL_JoystickAttachVirtual(*self._shape))
        if index < 0:
            raise RuntimeError("SDL could not attach a virtual joystick")
        self.index = index
        self.instance = self._sdl.SDL_JoystickGetDeviceInstanceID(index)
        # Our own handle to set its state; SDL counts opens, so the show's handle is separate.
        self._handle = self._sdl.SDL_JoystickOpen(index)
        return index

    def press(self, button: int, down: bool = True) -> None:
        self._sdl.SDL_JoystickSetVirtualButton(self._handle, button, 1 if down else 0)
        self._sdl.SDL_JoystickUpdate()

    def move_axis(self, axis: int, value: int) -> None:
        self._sdl.SDL_JoystickSetVirtualAxis(self._handle, axis, value)
        self._sdl.SDL_JoystickUpdate()

    def move_hat(self, hat: int, value: int) -> None:
        """SDL hat bits: 1 up, 2 right, 4 down, 8 left."""
        self._sdl.SDL_JoystickSetVirtualHat(self._handle, hat, value)
        self._sdl.SDL_JoystickUpdate()

    def pull_out(self) -> None:
        if self._handle is not None:
            self._sdl.SDL_JoystickClose(self._handle)
            self._handle = None
        if self.index is not None:
            # Device indices shift as devices come and go: find ours by its instance id.
            for index in range(self._sdl.SDL_NumJoysticks()):
                if self._sdl.SDL_JoystickGetDeviceInstanceID(index) == self.instance:
                    self._sdl.SDL_JoystickDetachVirtual(index)
                    break
            self.index = self.instance = None
