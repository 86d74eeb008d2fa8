"""Chart tests reuse the GUI fixtures: a qasync loop per test and an isolated config dir."""

from tests.ui.conftest import _isolated_config, qloop  # noqa: F401  (pytest fixtures)
