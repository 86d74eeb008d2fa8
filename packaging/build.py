"""Build mesodesk's installers with one command.

    python packaging/build.py --target pyinstaller      # dist/mesodesk/ (frozen onedir app)
    python packaging/build.py --target deb              # + dist/mesodesk_<version>_<arch>.deb (Linux)
    python packaging/build.py --target all --smoke      # everything for this OS, then the smoke tests
    python packaging/build.py --target deb --skip-pyinstaller --smoke   # re-pack an existing dist/mesodesk

Targets: icons (re-render resources/ from the SVG), pyinstaller (all OSes), deb (Linux),
installer (this OS's installer from an existing bundle: .deb on Linux, Inno Setup .exe on
Windows, .dmg on macOS), all (pyinstaller + installer). --smoke runs the frozen app's
--screenshot check and, for a .deb, packaging/smoke_test_deb.sh (installs it with apt into a
throwaway Debian root; root only).
Run it with the venv's Python that has mesodesk and pyinstaller installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version as dist_version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bundle_check  # noqa: E402
import make_icons  # noqa: E402

DIST = ROOT / "dist"
WORK = ROOT / "build"
APP = "mesodesk"
# dpkg-deb compressors, measured on the 188 MiB bundle, 2 cores (packaging/README.md):
# zstd -9 67 MB in 3 s (default: dpkg >= 1.21.18, i.e. every system whose glibc can run the
# bundle); xz -6 55.5 MB in 67 s (release builds: smallest download); gzip -6 76 MB in 12 s.
COMPRESSORS = {"gzip": ["-Zgzip", "-z6"], "xz": ["-Zxz", "-z6"], "zstd": ["-Zzstd", "-z9"], "none": ["-Znone"]}


def log(msg: str) -> None:
    print(f"build: {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def app_version() -> str:
    return dist_version(APP)


def debian_version(v: str) -> str:
    """PEP 440 -> Debian: pre-releases sort before the release ('1.0rc1' -> '1.0~rc1')."""
    v = re.sub(r"\.?(dev|a|b|rc)(\d*)", r"~\1\2", v, count=1)
    return v.replace("_", ".")


def deb_arch() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


# --------------------------------------------------------------------------------- frozen app

def build_pyinstaller() -> Path:
    t0 = time.monotonic()
    run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", DIST, "--workpath", WORK / "pyinstaller", HERE / "mesodesk.spec"], cwd=ROOT)
    bundle = DIST / APP
    log(f"PyInstaller bundle {bundle} in {time.monotonic() - t0:.0f} s")
    return bundle


def frozen_executable(bundle: Path) -> Path:
    if sys.platform == "darwin":
        return DIST / f"{APP}.app" / "Contents" / "MacOS" / APP
    return bundle / (f"{APP}.exe" if sys.platform == "win32" else APP)


def png_dimensions(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def smoke_frozen(bundle: Path, out: Path) -> float:
    """Run the frozen app's --screenshot on the embedded simulator; returns the wall time."""
    exe = frozen_executable(bundle)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="mesodesk-smoke-home-") as home:
        env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/data", "XDG_STATE_HOME": f"{home}/state",
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_CACHE_HOME": f"{home}/cache"}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        v = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, timeout=60)
        if v.returncode != 0 or app_version() not in v.stdout:
            raise SystemExit(f"build: frozen --version printed {v.stdout!r} (rc {v.returncode}), "
                             f"expected {app_version()}")
        t0 = time.monotonic()
        r = subprocess.run([exe, "--screenshot", out], env=env, timeout=180)
        wall = time.monotonic() - t0
    if r.returncode != 0 or not out.exists():
        raise SystemExit(f"build: frozen smoke test failed (rc {r.returncode}, png exists: {out.exists()})")
    w, h = png_dimensions(out)
    if w < 1000 or h < 600:
        raise SystemExit(f"build: smoke screenshot is {w}x{h}, expected at least 1000x600")
    log(f"frozen smoke test passed in {wall:.1f} s: {out} ({w}x{h})")
    return wall


# ------------------------------------------------------------------------------------- .deb

def glibc_requirement(bundle: Path) -> str:
    """'libc6 (>= X)' with X the newest GLIBC_ symbol version any bundled ELF file needs."""
    best = (2, 17)
    for f in bundle.rglob("*"):
        if f.is_symlink() or not f.is_file() or not (f.name.endswith(".so") or ".so." in f.name or f.name == APP):
            continue
        out = subprocess.run(["objdump", "-T", str(f)], capture_output=True, text=True).stdout
        for m in re.findall(r"GLIBC_(\d+)\.(\d+)", out):
            best = max(best, (int(m[0]), int(m[1])))
    return f"libc6 (>= {best[0]}.{best[1]})"


def check_unbundled_libs(bundle: Path, depends: str) -> None:
    """Every DT_NEEDED library that is not in the bundle must come from a package in Depends."""
    bundled = {p.name for p in bundle.rglob("*.so*")}
    missing: dict[str, set[str]] = {}
    for f in bundle.rglob("*"):
        if f.is_symlink() or not f.is_file() or not (".so" in f.name or f.name == APP):
            continue
        for lib in bundle_check.elf_needed(f):
            if lib in bundled or bundle_check.LINUX_LIBC.match(lib):
                continue
            pkg = bundle_check.system_package(lib)
            if pkg is None or not re.search(rf"(^|[ ,|]){re.escape(pkg)}([ ,(|]|$)", depends):
                missing.setdefault(lib, set()).add(str(f.relative_to(bundle)))
    if missing:
        lines = [f"{lib} (needed by {', '.join(sorted(users)[:3])})" for lib, users in sorted(missing.items())]
        raise SystemExit("build: libraries neither bundled nor covered by Depends:\n  " + "\n  ".join(lines))


def dir_size_kib(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_symlink():
            total += 1
        elif p.is_file():
            total += (p.stat().st_size + 1023) // 1024
    return total


def build_deb(bundle: Path, compression: str) -> Path:
    if not (bundle / APP).exists():
        raise SystemExit(f"build: no frozen app in {bundle}: run --target pyinstaller first")
    t0 = time.monotonic()
    version = debian_version(app_version())
    arch = deb_arch()
    stage = WORK / "deb" / f"{APP}_{version}_{arch}"
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / "opt" / APP
    shutil.copytree(bundle, opt, symlinks=True)
    for p in opt.rglob("*"):  # world-readable, executables and libraries executable
        if not p.is_symlink():
            mode = 0o755 if p.is_dir() or os.access(p, os.X_OK) else 0o644
            p.chmod(mode)
    install = [
        (HERE / "linux" / "mesodesk.sh", stage / "usr/bin/mesodesk", 0o755),
        (HERE / "linux" / "mesodesk.desktop", stage / "usr/share/applications/mesodesk.desktop", 0o644),
        (HERE / "linux" / "copyright", stage / "usr/share/doc/mesodesk/copyright", 0o644),
        (ROOT / "resources" / "mesodesk.svg", stage / "usr/share/icons/hicolor/scalable/apps/mesodesk.svg", 0o644),
    ]
    for size in make_icons.PNG_SIZES:
        install.append((make_icons.png_path(size),
                        stage / f"usr/share/icons/hicolor/{size}x{size}/apps/mesodesk.png", 0o644))
    for src, dst, mode in install:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        dst.chmod(mode)
    for d in stage.rglob("*"):
        if d.is_dir():
            d.chmod(0o755)

    installed_kib = dir_size_kib(stage)
    libc = glibc_requirement(opt)
    control = (HERE / "linux" / "control.in").read_text(encoding="utf-8")
    control = (control.replace("@VERSION@", version).replace("@ARCH@", arch).replace("@LIBC@", libc)
               .replace("@INSTALLED_SIZE@", str(installed_kib)))
    depends = next(line for line in control.splitlines() if line.startswith("Depends:"))
    check_unbundled_libs(opt, depends)
    debian = stage / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "control").write_text(control, encoding="utf-8")
    sums = []
    for p in sorted(stage.rglob("*")):
        if p.is_file() and not p.is_symlink() and debian not in p.parents:
            sums.append(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(stage).as_posix()}")
    (debian / "md5sums").write_text("\n".join(sums) + "\n", encoding="utf-8")
    for f in debian.iterdir():
        f.chmod(0o644)

    out = DIST / f"{APP}_{version}_{arch}.deb"
    out.unlink(missing_ok=True)
    t1 = time.monotonic()
    run(["dpkg-deb", "--root-owner-group", *COMPRESSORS[compression], "--build", stage, out])
    pack = time.monotonic() - t1
    log(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB ({compression}, dpkg-deb {pack:.0f} s), "
        f"installed {installed_kib / 1024:.1f} MiB, {time.monotonic() - t0:.0f} s in all")
    shutil.rmtree(stage)
    return out


# ------------------------------------------------------------------------- Windows, macOS

def windows_numeric_version(v: str) -> str:
    """The release segment as a.b.c.d (Windows file versions are four 16-bit numbers)."""
    m = re.match(r"\d+(\.\d+)*", v)
    nums = [int(x) for x in m[0].split(".")[:4]] if m else []
    return ".".join(str(n) for n in [*nums, 0, 0, 0, 0][:4])


def find_iscc() -> str:
    for cand in (shutil.which("iscc"), shutil.which("ISCC"),
                 r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe", r"C:\Program Files\Inno Setup 6\ISCC.exe"):
        if cand and Path(cand).exists():
            return cand
    raise SystemExit("build: Inno Setup 6 (ISCC.exe) not found; install it (choco install innosetup)")


def build_windows_installer(bundle: Path) -> Path:
    version = app_version()
    run([find_iscc(), f"/DAppVersion={version}", f"/DAppVersionNumeric={windows_numeric_version(version)}",
         f"/DSourceDir={bundle}", f"/DOutputDir={DIST}", HERE / "windows" / "mesodesk.iss"])
    out = DIST / f"{APP}-{version}-windows-x64-setup.exe"
    log(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB")
    return out


def build_macos_dmg() -> None:
    run(["bash", HERE / "macos" / "build_dmg.sh", DIST / f"{APP}.app", app_version()])


def smoke_deb(deb: Path, out_dir: Path) -> None:
    if os.geteuid() != 0:
        raise SystemExit("build: the .deb smoke test needs root (it uses chroot and mount)")
    run(["bash", HERE / "smoke_test_deb.sh", deb, out_dir],
        env={**os.environ, "SMOKE_SRC_RESOURCES": str(ROOT / "resources")})


# ------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--target", choices=["icons", "pyinstaller", "deb", "installer", "all"], default="all")
    parser.add_argument("--smoke", action="store_true", help="run the smoke tests of what was built")
    parser.add_argument("--skip-pyinstaller", action="store_true",
                        help="reuse dist/mesodesk instead of rebuilding it (deb/all)")
    parser.add_argument("--compression", choices=sorted(COMPRESSORS), default="zstd",
                        help="dpkg-deb compressor (default zstd; release builds use xz; see packaging/README.md)")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    is_linux = sys.platform.startswith("linux")
    if args.target == "deb" and not is_linux:
        parser.error("--target deb needs Linux with dpkg-deb")

    if args.target == "icons":
        return make_icons.main([])
    if make_icons.check():
        raise SystemExit("build: icons in resources/ are missing or stale: run --target icons")
    bundle = DIST / APP
    if not args.skip_pyinstaller and args.target != "installer":
        bundle = build_pyinstaller()
    problems, size_mb = bundle_check.check_bundle(bundle)
    if problems:
        raise SystemExit("build: bundle check failed:\n  " + "\n  ".join(problems))
    log(f"bundle {bundle}: {size_mb:.1f} MB, limit {bundle_check.limit_mb():.0f} MB")
    if args.smoke:
        smoke_frozen(bundle, DIST / "smoke-frozen.png")
    if args.target in ("deb", "installer", "all"):
        if is_linux:
            deb = build_deb(bundle, args.compression)
            if args.smoke:
                smoke_deb(deb, DIST)
        elif sys.platform == "win32":
            build_windows_installer(bundle)
        elif sys.platform == "darwin":
            build_macos_dmg()
    log(f"done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
