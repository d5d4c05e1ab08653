"""Outputs: the display, recorders, gallery and publishers."""
