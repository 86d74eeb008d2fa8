"""mesodesk: a desktop trading console for MesoLive."""

__version__ = "0.1.0"  # the one place; pyproject.toml reads it (no importlib.metadata at start-up)
