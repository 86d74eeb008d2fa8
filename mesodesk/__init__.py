"""mesodesk: a desktop trading console for MesoLive."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mesodesk")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"
