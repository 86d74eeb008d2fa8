"""Trading GUI tests reuse the UI fixtures: a qasync loop per test and an isolated config dir."""

from tests.ui.conftest import _isolated_config, qloop  # noqa: F401
