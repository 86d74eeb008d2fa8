"""Render the app icon from resources/mesodesk.svg into every size and format the installers need.

    python packaging/make_icons.py            # (re)write the icons under resources/
    python packaging/make_icons.py --check    # exit 1 if an icon is missing or malformed

Writes (all committed to the repo):
  resources/icons/mesodesk-<N>.png   N in PNG_SIZES: Linux hicolor theme, window icons
  resources/mesodesk.ico             Windows: PyInstaller exe icon and Inno Setup
  resources/mesodesk.icns            macOS: the .app bundle icon

Rendering uses QtSvg (already a dependency), so no extra package is needed. The .ico and
.icns containers are written by hand with PNG payloads: both formats allow PNG images
(Windows Vista+, macOS 10.7+) and are a few lines of struct packing.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
SVG = RESOURCES / "mesodesk.svg"
ICON_DIR = RESOURCES / "icons"
ICO = RESOURCES / "mesodesk.ico"
ICNS = RESOURCES / "mesodesk.icns"

PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
"""Sizes written as PNG files; the hicolor theme directories of the .deb use the same list."""
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, with their pixel size (Apple's "@2x" types are just bigger PNGs).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
    (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_path(size: int) -> Path:
    return ICON_DIR / f"mesodesk-{size}.png"


def render_pngs(sizes: set[int]) -> dict[int, bytes]:
    """Render the SVG at each size with QtSvg; returns PNG bytes per size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG} is not a valid SVG")
    out: dict[int, bytes] = {}
    for size in sorted(sizes):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.convertToFormat(QImage.Format.Format_ARGB32).save(buf, "PNG"):
            raise SystemExit(f"make_icons: could not encode the {size}px PNG")
        buf.close()
        out[size] = bytes(data.data())
    return out


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + ICONDIRENTRY per image + PNG payloads (a width/height byte of 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, payload = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """'icns' + total length, then (type, length incl. 8-byte header, PNG data) per element (big-endian)."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def png_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def read_ico(data: bytes) -> list[tuple[int, int]]:
    """(declared size, PNG width) of every image in an .ico made of PNG payloads."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise ValueError("not an ICO file")
    images = []
    for i in range(count):
        w, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        images.append((w or 256, png_size(data[offset:offset + length])[0]))
    return images


def read_icns(data: bytes) -> list[tuple[bytes, int]]:
    """(element type, PNG width) of every element of an .icns file."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an ICNS file (bad magic or length)")
    pos, out = 8, []
    while pos < len(data):
        kind, length = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        out.append((kind, png_size(data[pos + 8:pos + length])[0]))
        pos += length
    return out


def check() -> list[str]:
    """Problems with the committed icons (empty when all is well)."""
    problems = []
    for size in PNG_SIZES:
        path = png_path(size)
        if not path.exists():
            problems.append(f"missing {path.relative_to(ROOT)}")
        elif png_size(path.read_bytes()) != (size, size):
            problems.append(f"{path.relative_to(ROOT)} is not {size}x{size}")
    try:
        ico = read_ico(ICO.read_bytes())
        if sorted(w for w, _ in ico) != sorted(ICO_SIZES) or any(a != b for a, b in ico):
            problems.append(f"{ICO.name} holds {ico}, expected sizes {ICO_SIZES}")
    except (OSError, ValueError, struct.error) as exc:
        problems.append(f"{ICO.name}: {exc}")
    try:
        icns = dict(read_icns(ICNS.read_bytes()))
        if icns != {k: s for k, s in ICNS_TYPES}:
            problems.append(f"{ICNS.name} holds {icns}")
    except (OSError, ValueError, struct.error) as exc:
        problems.append(f"{ICNS.name}: {exc}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify the committed icons")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(f"make_icons: {p}", file=sys.stderr)
        return 1 if problems else 0
    sizes = set(PNG_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES}
    pngs = render_pngs(sizes)
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    for size in PNG_SIZES:
        png_path(size).write_bytes(pngs[size])
    ICO.write_bytes(build_ico({s: pngs[s] for s in ICO_SIZES}))
    ICNS.write_bytes(build_icns(pngs))
    problems = check()
    for p in problems:
        print(f"make_icons: {p}", file=sys.stderr)
    print(f"make_icons: wrote {len(PNG_SIZES)} PNGs, {ICO.name} ({ICO.stat().st_size} B), "
          f"{ICNS.name} ({ICNS.stat().st_size} B)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
