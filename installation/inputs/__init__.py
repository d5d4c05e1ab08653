"""Input sources: window keys and gamepads, later OSC and the camera. They only post events."""
