"""Packaging: the installer recipes agree with each other, and the bundle guard works.

The quick tests read files only. The heavy one builds the frozen app and the .deb and runs the
installed-package smoke test (`python packaging/build.py --target all --smoke`; Linux, root,
~1.5 minutes on 2 cores with warm caches, ~2.5 the first time); it runs only when selected
with `pytest -m heavy`.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"


def load(name: str) -> ModuleType:
    """Import packaging/<name>.py by path (the folder name clashes with the PyPI 'packaging')."""
    if str(PKG) not in sys.path:
        sys.path.insert(0, str(PKG))  # build.py imports its siblings by name
    spec = importlib.util.spec_from_file_location(f"mesodesk_packaging_{name}", PKG / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_check = load("bundle_check")
make_icons = load("make_icons")


# ------------------------------------------------------------------------------ icons

def test_committed_icons_are_complete_and_well_formed() -> None:
    assert make_icons.check() == []


def test_ico_and_icns_containers_hold_the_expected_sizes() -> None:
    ico = make_icons.read_ico((ROOT / "resources" / "mesodesk.ico").read_bytes())
    assert sorted(size for size, _ in ico) == sorted(make_icons.ICO_SIZES)
    icns = dict(make_icons.read_icns((ROOT / "resources" / "mesodesk.icns").read_bytes()))
    assert icns[b"ic10"] == 1024 and icns[b"icp4"] == 16


# ------------------------------------------------------------------------------ Linux files

def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PKG / "linux" / "mesodesk.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_has_the_required_keys() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "mesodesk"
    assert entry["Exec"].split()[0] == "mesodesk"  # /usr/bin/mesodesk from the .deb
    assert entry["Icon"] == "mesodesk"  # a theme name, resolved through the hicolor icons
    assert entry["Terminal"] == "false"
    categories = entry["Categories"]
    assert categories.endswith(";")
    main = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
            "Office", "Science", "Settings", "System", "Utility"}
    assert main & set(categories.split(";")), "a registered main category is required"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    out = subprocess.run(["desktop-file-validate", str(PKG / "linux" / "mesodesk.desktop")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "error" not in out.stdout.lower(), out.stdout


def control_fields() -> dict[str, str]:
    text = (PKG / "linux" / "control.in").read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
        if m:
            fields[m[1]] = m[2]
    return fields


def test_control_template_fields_and_placeholders() -> None:
    fields = control_fields()
    for key in ("Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Description"):
        assert key in fields, key
    assert fields["Package"] == "mesodesk"
    assert fields["Version"] == "@VERSION@" and fields["Architecture"] == "@ARCH@"
    assert fields["Installed-Size"] == "@INSTALLED_SIZE@"


def test_depends_cover_every_library_left_to_the_system() -> None:
    depends = {d.strip().split(" ")[0] for d in control_fields()["Depends"].split(",")}
    assert set(bundle_check.LINUX_SYSTEM_LIBS.values()) <= depends
    # offscreen rendering and text: GL/EGL are never bundled; without a font every glyph is a box
    assert {"libgl1", "libegl1", "fonts-dejavu-core", "@LIBC@"} <= depends


def test_launcher_execs_the_bundle_by_its_real_path() -> None:
    text = (PKG / "linux" / "mesodesk.sh").read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh")
    assert 'exec /opt/mesodesk/mesodesk "$@"' in text


# ------------------------------------------------------------------------------ spec, Windows, macOS

def test_spec_bundles_what_the_frozen_app_needs_and_excludes_the_rest() -> None:
    spec = (PKG / "mesodesk.spec").read_text(encoding="utf-8")
    assert 'collect_submodules("mesodesk")' in spec  # mesodesk.sim for --run-simulator
    assert 'collect_data_files("mesodesk")' in spec  # strategies/*.json
    assert 'copy_metadata("mesodesk")' in spec  # __version__ from the dist-info
    assert '(str(ROOT / "resources"), "resources")' in spec  # main_window.RESOURCES, theme.THEME_DIR
    for module in ("PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtDesigner", "PySide6.QtWebEngineCore",
                   "PyQt5", "PyQt6", "tkinter", "pytest"):
        assert f'"{module}"' in spec, module
    assert '"PySide6.QtOpenGL"' not in spec  # pyqtgraph imports it
    assert "upx=True" not in spec and "strip=True" not in spec
    assert (ROOT / "mesodesk" / "sim" / "strategies").is_dir()


def test_windows_and_macos_recipes_point_at_existing_files() -> None:
    iss = (PKG / "windows" / "mesodesk.iss").read_text(encoding="utf-8")
    icon = re.search(r"^SetupIconFile=(.+)$", iss, re.M)
    assert icon is not None
    assert (PKG / "windows" / icon[1].strip().replace("\\", "/")).resolve() == ROOT / "resources" / "mesodesk.ico"
    assert "PrivilegesRequired=lowest" in iss
    assert '#define AppExe "mesodesk.exe"' in iss
    dmg = (PKG / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "--options runtime" in dmg and "notarytool submit" in dmg and "stapler staple" in dmg
    assert (PKG / "macos" / "entitlements.plist").exists()


def test_version_mapping_for_debian_and_windows() -> None:
    build = load("build")
    assert build.debian_version("0.1.0") == "0.1.0"
    assert build.debian_version("1.2rc1") == "1.2~rc1"  # sorts before 1.2 in dpkg
    assert build.windows_numeric_version("1.2rc1") == "1.2.0.0"
    assert build.windows_numeric_version("2.0.1") == "2.0.1.0"


# ------------------------------------------------------------------------------ bundle guard

def fake_bundle(root: Path, files: dict[str, int]) -> Path:
    for rel, size in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
    return root


def test_guard_flags_webengine_in_a_fake_bundle(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "mesodesk", {
        "mesodesk": 10,
        "_internal/PySide6/Qt/lib/libQt6Core.so.6": 10,
        "_internal/PySide6/Qt/lib/libQt6WebEngineCore.so.6": 10,
    })
    problems, _ = bundle_check.check_bundle(bundle, max_mb=1000)
    assert len(problems) == 1 and "QtWebEngine" in problems[0]


@pytest.mark.parametrize("rel", [
    "_internal/PySide6/Qt/lib/libQt6Quick.so.6",
    "_internal/PySide6/QtQml.abi3.so",
    "_internal/PySide6/Qt/qml/QtQuick/Controls/libqtquickcontrols2plugin.so",
    "_internal/PySide6/Qt/lib/libQt6Designer.so.6",
    "_internal/PySide6/Qt/translations/qtbase_de.qm",
    "_internal/PyQt6/QtCore.abi3.so",
    "_internal/PySide6/Qt6WebEngineCore.dll",
])
def test_guard_flags_other_unwanted_qt_modules(tmp_path: Path, rel: str) -> None:
    bundle = fake_bundle(tmp_path / "mesodesk", {"mesodesk": 1, rel: 1})
    problems, _ = bundle_check.check_bundle(bundle, max_mb=1000)
    assert problems, rel


def test_guard_passes_a_clean_bundle_and_enforces_the_size_limit(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "mesodesk", {
        "mesodesk": 1000,
        "_internal/PySide6/Qt/lib/libQt6Widgets.so.6": 1000,
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so": 1000,
        "_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so": 1000,
        "_internal/resources/mesodesk.svg": 1000,
    })
    assert bundle_check.check_bundle(bundle, max_mb=1) == ([], pytest.approx(0.005))
    problems, _ = bundle_check.check_bundle(bundle, max_mb=0.001)
    assert len(problems) == 1 and "limit" in problems[0]


def test_prune_rules_keep_xcb_and_offscreen_and_drop_the_rest() -> None:
    keep = bundle_check.keep
    assert keep("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert keep("PySide6/Qt/plugins/platforms/libqoffscreen.so")
    assert keep("PySide6/plugins/platforms/qwindows.dll")
    assert keep("PySide6/Qt/plugins/imageformats/libqsvg.so")
    for dropped in ("PySide6/Qt/translations/qtbase_fr.qm", "PySide6/Qt/plugins/platforms/libqeglfs.so",
                    "PySide6/Qt/plugins/platforms/libqwayland-egl.so", "PySide6/Qt/plugins/wayland-shell-integration/x.so",
                    "PySide6/Qt/plugins/platformthemes/libqgtk3.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
                    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
                    "PySide6\\translations\\qt_de.qm"):
        assert not keep(dropped), dropped


def test_orphaned_libraries_of_pruned_plugins_are_dropped() -> None:
    graph = {
        "/src/libqgtk3.so": ["libgtk-3.so.0", "libcairo.so.2", "libQt6Gui.so.6"],
        "/sys/libgtk-3.so.0": ["libpango-1.0.so.0"],
        "/src/libcairo.so.2": ["libpng16.so.16"],
        "/src/libpango-1.0.so.0": [],
        "/src/libpng16.so.16": [],
        "/src/libQt6Gui.so.6": ["libpng16.so.16"],
        "/src/QtGui.abi3.so": ["libQt6Gui.so.6"],
    }
    entries = [
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libpango-1.0.so.0", "/src/libpango-1.0.so.0", "BINARY"),
        ("libpng16.so.16", "/src/libpng16.so.16", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("PySide6/QtGui.abi3.so", "/src/QtGui.abi3.so", "EXTENSION"),
    ]
    dropped = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY")]
    kept, removed = bundle_check.drop_orphans(
        entries, dropped, needed=lambda path: graph.get(str(path), []),
        resolve=lambda name: "/sys/libgtk-3.so.0" if name == "libgtk-3.so.0" else None,
    )
    # cairo and pango only served the GTK theme; libpng is still needed by QtGui
    assert sorted(removed) == ["libcairo.so.2", "libpango-1.0.so.0"]
    assert [e[0] for e in kept] == ["libpng16.so.16", "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/QtGui.abi3.so"]
    links = [("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
             ("libcairo.so.2", "cairo/libcairo.so.2", "SYMLINK")]
    (_, kept_links), gone = bundle_check.drop_dangling_symlinks(kept, links)
    assert gone == ["libcairo.so.2"] and [e[0] for e in kept_links] == ["libQt6Gui.so.6"]


# ------------------------------------------------------------------------------ the real thing

@pytest.mark.heavy
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds and installs a .deb")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the .deb smoke test needs root")
def test_build_and_smoke_test_the_installed_deb(request: pytest.FixtureRequest) -> None:
    # Nothing in the suite deselects `heavy` by default, so opt in explicitly: `pytest -m heavy`.
    if "heavy" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("heavy: run with `pytest -m heavy tests/packaging`")
    pytest.importorskip("PyInstaller")
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not installed")
    out = subprocess.run([sys.executable, str(PKG / "build.py"), "--target", "all", "--smoke"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1700)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "PASS:" in out.stderr
    for png in ("smoke-frozen.png", "smoke-deb-offscreen.png", "smoke-deb-xcb.png"):
        assert (ROOT / "dist" / png).stat().st_size > 10_000, png
