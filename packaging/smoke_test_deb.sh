#!/usr/bin/env bash
# smoke_test_deb.sh: install a built mesodesk .deb on a bare Debian and run it there.
#
# Usage: packaging/smoke_test_deb.sh DEB [OUT_DIR]        (root; called by build.py --smoke)
#
# 1. Unpacks a cached minimal Debian bookworm root (debootstrap --variant=minbase, built once into
#    /var/tmp/mesodesk-pkg-smoke/cache, ~40 s) into a throwaway directory and chroots into it with
#    /dev, /proc, /sys mounted in a private mount namespace; apt settings come from the host.
# 2. `apt-get install --no-install-recommends ./mesodesk_*.deb`: the package's Depends alone must
#    be enough (no Recommends, no Python on the machine).
# 3. As an unprivileged user with a fresh HOME, offscreen: `mesodesk --version` must print the
#    package version; every ELF file in /opt/mesodesk must resolve its libraries (ldd, no
#    "not found"); `/usr/bin/mesodesk --screenshot` must exit 0 with a PNG of at least 1000x600
#    showing live simulator data (the app only saves it once position rows are painted).
# 4. Installs xvfb + xauth and repeats the screenshot on the real X11 (xcb) platform plugin.
# 5. `apt-get purge mesodesk` must remove /opt/mesodesk and /usr/bin/mesodesk.
# The screenshots are copied to OUT_DIR (default: the .deb's folder) as smoke-deb-offscreen.png
# and smoke-deb-xcb.png. Downloaded .debs are kept in /var/tmp/mesodesk-pkg-smoke/apt-archives.
# SMOKE_KEEP=1 keeps the root. Exit 0 = all checks passed.
set -euo pipefail

readonly BASE=/var/tmp/mesodesk-pkg-smoke
readonly SUITE=bookworm
readonly IN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
readonly MIN_W=1000 MIN_H=600

say() { printf 'smoke_test_deb: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

(($# >= 1 && $# <= 2)) || { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 2; }
DEB=$(realpath "$1")
OUT=$(realpath "${2:-$(dirname "$DEB")}")
[[ -f $DEB ]] || die "no such file: $DEB"
[[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, mount)"
mkdir -p "$BASE"/{cache,runs,apt-archives/partial} "$OUT"

# Private mount namespace: the mounts below vanish with this process, whatever happens.
if [[ -z ${SMOKE_NS:-} ]] && unshare --mount --propagation private true 2>/dev/null; then
  export SMOKE_NS=1
  exec unshare --mount --propagation private -- bash "$0" "$@"
fi

T_ALL=$(now)
PKG_VERSION=$(dpkg-deb -f "$DEB" Version)
ROOT=""

cleanup() {
  local rc=$? pids p r
  set +e
  if [[ -n $ROOT && -d $ROOT ]]; then
    pids=""
    for p in /proc/[0-9]*; do
      r=$(readlink "$p/root" 2>/dev/null) || continue
      [[ $r == "$ROOT" || $r == "$ROOT/"* ]] && pids+=" ${p#/proc/}"
    done
    [[ -z $pids ]] || { kill -TERM $pids 2>/dev/null; sleep 1; kill -KILL $pids 2>/dev/null; }
    awk -v p="$ROOT" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
      while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    if [[ ${SMOKE_KEEP:-0} == 1 ]]; then say "kept the root: $ROOT"
    else rm -rf --one-file-system -- "$ROOT"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the cached bare root
CACHE=$BASE/cache/$SUITE-minbase.tar
exec 9>"$BASE/cache/.lock"
flock 9
# The host's apt sources are reused when they carry $SUITE (Debian hosts, as here); otherwise
# (e.g. an Ubuntu CI runner) the root keeps the deb.debian.org sources debootstrap wrote.
HOST_MIRROR=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
              awk -v s="$SUITE" '$2 == s { print $1; exit }' || true)
if [[ ! -s $CACHE ]]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  mirror=${HOST_MIRROR:-http://deb.debian.org/debian/}
  keyring=()
  if [[ -z $HOST_MIRROR ]]; then
    [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] ||
      { apt-get update -qq && apt-get install -y -qq debian-archive-keyring >/dev/null; }
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  fi
  say "building the cached $SUITE minbase root from $mirror (first run only)"
  T=$(now)
  b=$BASE/cache/build.$$
  rm -rf "$b"
  debootstrap "${keyring[@]}" --variant=minbase "$SUITE" "$b" "$mirror" >"$BASE/cache/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $BASE/cache/debootstrap.log"
  printf '#!/bin/sh\nexit 101\n' >"$b/usr/sbin/policy-rc.d" && chmod 755 "$b/usr/sbin/policy-rc.d"
  find "$b/var/cache/apt/archives" -name '*.deb' -delete 2>/dev/null || true
  tar --numeric-owner --one-file-system -C "$b" -cf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
  rm -rf --one-file-system "$b"
  say "cached root built in $(since "$T") s"
fi
flock -u 9

T=$(now)
ROOT=$(mktemp -d "$BASE/runs/root.XXXXXX")
chmod 755 "$ROOT"
tar --numeric-owner -xf "$CACHE" -C "$ROOT"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"
mount -t proc proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
mount --bind "$BASE/apt-archives" "$ROOT/var/cache/apt/archives"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
[[ ! -f /etc/hosts ]] || cp -L /etc/hosts "$ROOT/etc/hosts"
if [[ -n $HOST_MIRROR ]]; then
  # Host apt settings: sources and the keyrings they name, proxies (as shared/tools/fresh-machine does).
  rm -f "$ROOT"/etc/apt/sources.list "$ROOT"/etc/apt/sources.list.d/*
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && cp -L "$f" "$ROOT$f"
  done
  for k in $(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
             grep -oiE '(signed-by:[[:space:]]*|signed-by=)/[^] ,]+' | sed -E 's/^[^/]*//' | sort -u); do
    [[ -f $k && ! -e $ROOT$k ]] && { mkdir -p "$(dirname "$ROOT$k")"; cp -L "$k" "$ROOT$k"; }
  done
fi
apt-config dump | grep -E '^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date)' \
  >"$ROOT/etc/apt/apt.conf.d/99smoke-host" || true
cp "$DEB" "$ROOT/tmp/"
say "fresh root ready in $(since "$T") s: $ROOT"

in_root() {  # in_root CMD...: run as root inside the chroot with a clean environment
  chroot "$ROOT" /usr/bin/env -i HOME=/root PATH="$IN_PATH" LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
as_user() {  # as_user CMD...: run as the unprivileged user 'trader' with a fresh HOME, offscreen
  chroot --userspec=trader:trader "$ROOT" /usr/bin/env -i HOME=/home/trader USER=trader PATH="$IN_PATH" \
    LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"
}

# ---------------------------------------------------------------- install with apt
T=$(now)
in_root apt-get update -qq >/dev/null || die "apt-get update failed in the root"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB")" >"$OUT/smoke-deb-apt.log" 2>&1 ||
  { tail -20 "$OUT/smoke-deb-apt.log" >&2; die "apt-get install of the .deb failed (log: $OUT/smoke-deb-apt.log)"; }
say "apt-get install ./$(basename "$DEB") with its Depends: $(since "$T") s," \
    "$(grep -oE '[0-9]+ newly installed' "$OUT/smoke-deb-apt.log" || echo '? newly installed') packages"
in_root useradd --create-home --shell /bin/bash trader

# ---------------------------------------------------------------- checks
[[ -x $ROOT/usr/bin/mesodesk && -x $ROOT/opt/mesodesk/mesodesk ]] || die "launcher or binary missing"
[[ -f $ROOT/usr/share/applications/mesodesk.desktop ]] || die "no .desktop entry"
for s in 16 32 48 128 256 512; do
  [[ -f $ROOT/usr/share/icons/hicolor/${s}x${s}/apps/mesodesk.png ]] || die "no ${s}px hicolor icon"
done
[[ -f $ROOT/usr/share/icons/hicolor/scalable/apps/mesodesk.svg ]] || die "no scalable icon"
[[ -f $ROOT/opt/mesodesk/_internal/resources/mesodesk.svg ]] || die "window icon not bundled"
for f in "$ROOT"/opt/mesodesk/_internal/mesodesk/sim/strategies/*.json; do [[ -f $f ]] || die "strategy JSON files not bundled"; done
if [[ -d ${SMOKE_SRC_RESOURCES:-/nonexistent} ]]; then  # every file of the repo's resources/ is in the bundle
  (cd "$SMOKE_SRC_RESOURCES" && find . -type f) | while read -r f; do
    [[ -f $ROOT/opt/mesodesk/_internal/resources/$f ]] || die "resources/$f not bundled"
  done
fi

got=$(as_user /usr/bin/mesodesk --version) || die "mesodesk --version failed"
[[ $got == "mesodesk ${PKG_VERSION%%~*}"* || $got == "mesodesk $PKG_VERSION" ]] ||
  die "mesodesk --version printed '$got', package version is $PKG_VERSION"
got=$(as_user /opt/mesodesk/mesodesk --run-simulator --version) || die "the simulator entry point failed"
say "versions: $(as_user /usr/bin/mesodesk --version) / $got"

# Every bundled ELF file must find its libraries on this machine (bundle + Depends only).
missing=$(in_root bash -c '
  cd /opt/mesodesk/_internal
  find /opt/mesodesk -type f \( -name "*.so*" -o -name mesodesk \) | while read -r f; do
    LD_LIBRARY_PATH=/opt/mesodesk/_internal ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"
  done' || true)
[[ -z $missing ]] || die "unresolved libraries after installing the Depends:"$'\n'"$missing"
say "ldd: every library in /opt/mesodesk resolves"

check_png() {  # check_png FILE LABEL
  local w h
  [[ -s $1 ]] || die "$2: no screenshot written"
  [[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || die "$2: not a PNG"
  w=$(od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
  h=$(od -An -tu1 -j20 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
  ((w >= MIN_W && h >= MIN_H)) || die "$2: screenshot is ${w}x${h}, expected at least ${MIN_W}x${MIN_H}"
  say "$2: screenshot ${w}x${h} OK"
}

T=$(now)
rc=0
as_user timeout 180 /usr/bin/mesodesk --screenshot /tmp/smoke-offscreen.png \
  >"$OUT/smoke-deb-offscreen.log" 2>&1 || rc=$?
say "offscreen run: exit $rc in $(since "$T") s (log: $OUT/smoke-deb-offscreen.log)"
((rc == 0)) || { tail -20 "$OUT/smoke-deb-offscreen.log" >&2; die "mesodesk --screenshot exited $rc"; }
cp "$ROOT/tmp/smoke-offscreen.png" "$OUT/smoke-deb-offscreen.png"
check_png "$OUT/smoke-deb-offscreen.png" offscreen

# ---------------------------------------------------------------- real X11 (xcb) under Xvfb
if [[ ${SMOKE_XCB:-1} == 1 ]]; then
  T=$(now)
  in_root apt-get install -y -q --no-install-recommends xvfb xauth >>"$OUT/smoke-deb-apt.log" 2>&1 ||
    die "installing xvfb failed"
  rc=0
  chroot --userspec=trader:trader "$ROOT" /usr/bin/env -i HOME=/home/trader USER=trader PATH="$IN_PATH" \
    LANG=C.UTF-8 QT_QPA_PLATFORM=xcb timeout 180 xvfb-run -a -s '-screen 0 1600x1000x24' \
    /usr/bin/mesodesk --screenshot /tmp/smoke-xcb.png >"$OUT/smoke-deb-xcb.log" 2>&1 || rc=$?
  say "xcb run under Xvfb: exit $rc in $(since "$T") s incl. installing xvfb (log: $OUT/smoke-deb-xcb.log)"
  ((rc == 0)) || { tail -20 "$OUT/smoke-deb-xcb.log" >&2; die "mesodesk --screenshot on xcb exited $rc"; }
  cp "$ROOT/tmp/smoke-xcb.png" "$OUT/smoke-deb-xcb.png"
  check_png "$OUT/smoke-deb-xcb.png" xcb
fi

# ---------------------------------------------------------------- removal
in_root apt-get purge -y -q mesodesk >>"$OUT/smoke-deb-apt.log" 2>&1 || die "apt-get purge mesodesk failed"
[[ ! -e $ROOT/opt/mesodesk && ! -e $ROOT/usr/bin/mesodesk ]] || die "files left after purge"
say "purge removes /opt/mesodesk and /usr/bin/mesodesk"

say "PASS: $(basename "$DEB") installs with apt on bare $SUITE and renders live data ($(since "$T_ALL") s in all)"
