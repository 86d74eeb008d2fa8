"""Qt-free trading commands: prepare, orders, paper fills, strategies; the sign convention,
the ledger and the guards. Windows render these objects and call these commands."""
