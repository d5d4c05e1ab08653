"""The frame loop: clocks, pacing, stats and the runner."""
