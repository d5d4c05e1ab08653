"""Scenes (what is shown) and the director (which scene, crossfades)."""
