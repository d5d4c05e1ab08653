"""Show configuration: schema (frozen models) and loader (all errors at once)."""

from installation.config.loader import load_show, parse_show
from installation.config.schema import ShowConfig

__all__ = ["ShowConfig", "load_show", "parse_show"]
