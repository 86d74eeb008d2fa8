#!/bin/sh
# /usr/bin/mesodesk: start the self-contained build in /opt/mesodesk.
# (A script rather than a symlink: the app re-executes its own binary as the embedded
# simulator, and sys.executable must be the real path inside /opt/mesodesk.)
exec /opt/mesodesk/mesodesk "$@"
