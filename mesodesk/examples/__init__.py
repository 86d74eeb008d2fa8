"""Runnable SDK examples: ``python -m mesodesk.examples.<name> [--server URL --api-key-env VAR]``.

Without ``--server`` each example starts an in-process MesoLive simulator in a
temporary directory, so it runs offline.
"""
