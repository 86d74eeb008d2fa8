"""What goes into the frozen bundle, what must stay out, and how big it may get.

Used in three places:
  * packaging/mesodesk.spec filters PyInstaller's TOC through `keep()` (so the pruning
    is the same on every OS and no file is deleted behind PyInstaller's back),
  * packaging/mesodesk.spec and build.py call `check_bundle()` after the build, and fail it
    when a forbidden Qt module is in the bundle or it is bigger than the limit,
  * tests/packaging/test_packaging.py checks the guard itself on a fake bundle.

    python packaging/bundle_check.py dist/mesodesk      # check an existing bundle
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from pathlib import Path

# ---------------------------------------------------------------------------- pruning
# Paths are matched against the destination inside the bundle, with "/" separators and
# lower-cased, e.g. "pyside6/qt/plugins/platforms/libqeglfs.so" (Linux),
# "pyside6/plugins/platforms/qwindows.dll" (Windows) or "pyside6/qt/lib/qtcore.framework/..." (macOS).
PRUNE_PATTERNS: tuple[str, ...] = (
    # Qt's own UI translations (~20 MB on disk): the app is English-only.
    "pyside6/*translations/*",
    # Embedded-Linux / Wayland / VNC platforms and their helpers: the .deb targets X11 (xcb),
    # which also covers Wayland sessions through XWayland; offscreen stays for tests and smoke runs.
    "pyside6/*plugins/egldeviceintegrations/*",
    "pyside6/*plugins/wayland*/*",
    "pyside6/*plugins/platforms/*qeglfs*",
    "pyside6/*plugins/platforms/*qvnc*",
    "pyside6/*plugins/platforms/*qlinuxfb*",
    "pyside6/*plugins/platforms/*qvkkhrdisplay*",
    "pyside6/*plugins/platforms/*qminimalegl*",
    "pyside6/*plugins/platforms/*qwayland*",
    "pyside6/*plugins/platforms/*qminimal.*",
    "pyside6/*plugins/platforms/*qdirect2d*",
    # GTK3 platform theme: would need the host's GTK3 (not a dependency); Qt's Fusion is used instead.
    "pyside6/*plugins/platformthemes/*qgtk3*",
    # evdev/TUIO input plugins are for eglfs/linuxfb kiosks (TUIO would pull in QtNetwork + Kerberos).
    "pyside6/*plugins/generic/*",
    # Qt libraries only the plugins above need.
    "pyside6/*libqt6eglfs*",
    "pyside6/*libqt6wayland*",
    "pyside6/*libqt6wlshell*",
    "libqt6eglfs*",
    "libqt6wayland*",
    "libqt6wlshell*",
    # Image formats a trading console never loads (keep png/jpeg/svg/ico/gif).
    "pyside6/*plugins/imageformats/*qtga*",
    "pyside6/*plugins/imageformats/*qtiff*",
    "pyside6/*plugins/imageformats/*qwbmp*",
    "pyside6/*plugins/imageformats/*qwebp*",
    "pyside6/*plugins/imageformats/*qicns*",
    "pyside6/*plugins/imageformats/*qpdf*",
    # Qt build-time tools and docs that the wheels ship next to the modules.
    "pyside6/*.pyi",
    "pyside6/typesystems/*",
    "pyside6/include/*",
    "pyside6/glue/*",
    "pyside6/scripts/*",
    "pyside6/doc/*",
    "pyside6/qt/metatypes/*",
    "pyside6/qt/lib/cmake/*",
)

# Linux only: shared libraries taken from the system instead of the bundle. Each one is covered by
# a package in the .deb's Depends (packaging/linux/control.in), so the distribution keeps them
# patched; PyInstaller would otherwise copy the build machine's copies. soname regex -> package.
LINUX_SYSTEM_LIBS: dict[str, str] = {
    r"libX11\.so": "libx11-6",
    r"libX11-xcb\.so": "libx11-xcb1",
    r"libXext\.so": "libxext6",
    r"libXrender\.so": "libxrender1",
    r"libxcb\.so": "libxcb1",
    r"libxcb-cursor\.so": "libxcb-cursor0",
    r"libxcb-glx\.so": "libxcb-glx0",
    r"libxcb-icccm\.so": "libxcb-icccm4",
    r"libxcb-image\.so": "libxcb-image0",
    r"libxcb-keysyms\.so": "libxcb-keysyms1",
    r"libxcb-randr\.so": "libxcb-randr0",
    r"libxcb-render-util\.so": "libxcb-render-util0",
    r"libxcb-render\.so": "libxcb-render0",
    r"libxcb-shape\.so": "libxcb-shape0",
    r"libxcb-shm\.so": "libxcb-shm0",
    r"libxcb-sync\.so": "libxcb-sync1",
    r"libxcb-util\.so": "libxcb-util1",
    r"libxcb-xfixes\.so": "libxcb-xfixes0",
    r"libxcb-xkb\.so": "libxcb-xkb1",
    r"libxkbcommon\.so": "libxkbcommon0",
    r"libxkbcommon-x11\.so": "libxkbcommon-x11-0",
    r"libfontconfig\.so": "libfontconfig1",
    r"libfreetype\.so": "libfreetype6",
    r"lib(glib|gobject|gio|gmodule|gthread)-2\.0\.so": "libglib2.0-0",
    r"libdbus-1\.so": "libdbus-1-3",
    r"libz\.so": "zlib1g",
    r"libGL\.so|libGLX\.so|libOpenGL\.so|libGLdispatch\.so": "libgl1",
    r"libEGL\.so": "libegl1",
}
# Always provided by the C library (libc6), never bundled by PyInstaller.
LINUX_LIBC = re.compile(r"^(ld-linux.*|libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl)\.so")


def is_system_lib(name: str) -> bool:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return any(re.match(rx, base) for rx in LINUX_SYSTEM_LIBS)


def system_package(soname: str) -> str | None:
    for rx, pkg in LINUX_SYSTEM_LIBS.items():
        if re.match(rx, soname):
            return pkg
    return None


def elf_needed(path: str | Path) -> list[str]:
    """DT_NEEDED entries (direct dependencies) of an ELF file, read with `readelf -d`."""
    import subprocess

    try:
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:  # no binutils: nothing is treated as orphaned
        return []
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def drop_orphans(
    entries: list[tuple], dropped: list[tuple], needed=elf_needed, resolve=None
) -> tuple[list[tuple], list[str]]:
    """Remove shared libraries that only dropped files needed.

    entries: the binary TOC entries kept so far, (dest, src, typecode); dropped: the entries
    removed (pruned plugins, system libraries). A bundled library reachable through DT_NEEDED from
    a dropped entry (also through libraries that are not bundled, found with `resolve(name) ->
    path`) is an orphan candidate; it stays if a kept non-candidate reaches it through bundled
    libraries. Returns (kept entries, dest names removed).
    """
    by_name: dict[str, tuple] = {}
    for e in entries:
        if e[2] != "SYMLINK":
            by_name.setdefault(Path(e[0]).name, e)
    dropped_names = {Path(e[0]).name for e in dropped}

    def closure(starts: list[tuple], through_unbundled: bool) -> set[str]:
        seen: set[str] = set()
        visited: set[str] = set()
        todo = [e[1] for e in starts if e[2] != "SYMLINK" and e[1]]
        while todo:
            for lib in needed(todo.pop()):
                if lib in seen or lib in visited:
                    continue
                if lib in by_name and lib not in dropped_names:
                    seen.add(lib)
                    todo.append(by_name[lib][1])
                elif through_unbundled and resolve is not None:
                    visited.add(lib)
                    path = resolve(lib)
                    if path:
                        todo.append(path)
        return seen

    candidates = closure(dropped, through_unbundled=True)
    roots = [e for e in entries if Path(e[0]).name not in candidates]
    orphans = candidates - closure(roots, through_unbundled=False)
    kept = [e for e in entries if not (e[2] != "SYMLINK" and Path(e[0]).name in orphans)]
    return kept, [e[0] for e in entries if e not in kept]


def drop_dangling_symlinks(*tocs: list[tuple]) -> tuple[list[list[tuple]], list[str]]:
    """Remove SYMLINK entries (src = target relative to the link's folder) whose target is gone."""
    present = {_norm(e[0]) for toc in tocs for e in toc if e[2] != "SYMLINK"}
    out, removed = [], []
    for toc in tocs:
        kept = []
        for e in toc:
            if e[2] == "SYMLINK":
                target = os.path.normpath(str(Path(e[0]).parent / e[1])).replace("\\", "/").lower()
                if target not in present:
                    removed.append(e[0])
                    continue
            kept.append(e)
        out.append(kept)
    return out, removed


# ---------------------------------------------------------------------------- guard
# A file whose bundle path matches one of these means a Qt module we never want has come back
# (through a new import, a hook change or a dependency). Case-insensitive regular expressions.
FORBIDDEN: dict[str, str] = {
    "QtWebEngine": r"qt6?webengine|qtwebengine",
    "QtQml/QtQuick": r"qt6?(qml|quick)|/qml/",
    "QtDesigner": r"qt6?designer|/designer",
    "Qt translations": r"pyside6/.*translations/.+\.qm$",
    "Other Qt bindings": r"(^|/)(pyqt5|pyqt6|pyside2)(/|$)",
    "tkinter": r"(^|/)(_?tkinter|tcl\d|tk\d)",
}

# The measured Linux bundle is ~187 MB (see packaging/README.md); the limit leaves ~15 % for
# dependency updates. Raise it deliberately, with a note in the README, never as a reflex.
DEFAULT_LIMIT_MB = 215.0
LIMIT_ENV = "MESODESK_BUNDLE_LIMIT_MB"


def _norm(path: str) -> str:
    return path.replace("\\", "/").lower()


def keep(dest: str) -> bool:
    """False for a bundle destination path that the pruning rules drop."""
    d = _norm(dest)
    return not any(fnmatch.fnmatchcase(d, p) for p in PRUNE_PATTERNS)


def forbidden_hits(rel_paths: list[str]) -> dict[str, list[str]]:
    """Forbidden-module name -> the offending bundle paths."""
    hits: dict[str, list[str]] = {}
    for name, pattern in FORBIDDEN.items():
        rx = re.compile(pattern, re.IGNORECASE)
        found = [p for p in rel_paths if rx.search(_norm(p))]
        if found:
            hits[name] = found
    return hits


def bundle_files(root: Path) -> list[tuple[str, int]]:
    """(path relative to root, size in bytes) of every regular file; symlinks count 0 bytes."""
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath, f)
            size = 0 if p.is_symlink() else p.stat().st_size
            out.append((p.relative_to(root).as_posix(), size))
    return out


def limit_mb() -> float:
    return float(os.environ.get(LIMIT_ENV, DEFAULT_LIMIT_MB))


def check_bundle(root: Path, max_mb: float | None = None) -> tuple[list[str], float]:
    """Problems with the bundle at root (empty when it passes) and its size in MB (10^6 bytes)."""
    max_mb = limit_mb() if max_mb is None else max_mb
    if not root.is_dir():
        return [f"{root} is not a directory"], 0.0
    files = bundle_files(root)
    size_mb = sum(s for _, s in files) / 1e6
    problems = []
    for name, paths in forbidden_hits([p for p, _ in files]).items():
        shown = ", ".join(paths[:5]) + (f" (+{len(paths) - 5} more)" if len(paths) > 5 else "")
        problems.append(f"unwanted {name} in the bundle: {shown}")
    if size_mb > max_mb:
        problems.append(f"bundle is {size_mb:.1f} MB, over the {max_mb:.0f} MB limit ({LIMIT_ENV} overrides)")
    return problems, size_mb


def largest(root: Path, n: int = 15) -> list[tuple[str, int]]:
    return sorted(bundle_files(root), key=lambda t: -t[1])[:n]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: bundle_check.py BUNDLE_DIR", file=sys.stderr)
        return 2
    root = Path(args[0])
    problems, size_mb = check_bundle(root)
    print(f"bundle_check: {root}: {size_mb:.1f} MB (limit {limit_mb():.0f} MB)")
    for p in problems:
        print(f"bundle_check: FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
