#!/usr/bin/env bash
# build_dmg.sh: sign, package, notarize and staple the macOS app built by PyInstaller.
#
# Usage: packaging/macos/build_dmg.sh [APP] [VERSION]
#   APP      default dist/mesodesk.app (from `python packaging/build.py --target pyinstaller`)
#   VERSION  default: importlib.metadata.version("mesodesk") of the python3 on PATH
# Output: dist/mesodesk-<version>-macos-<arch>.dmg (drag-to-Applications layout)
#
# Optional steps, each run only when its variables are set (CI secrets):
#   codesign   MACOS_CODESIGN_IDENTITY   e.g. "Developer ID Application: Name (TEAMID)"; the
#              identity must be in the keychain. If MACOS_CERTIFICATE_P12 (base64 .p12) and
#              MACOS_CERTIFICATE_PASSWORD are set, a temporary keychain is created and used.
#              Signs every Mach-O file inside-out with the hardened runtime, a secure timestamp
#              and packaging/macos/entitlements.plist, then the .app, then the .dmg.
#   notarize   APPLE_ID + APPLE_TEAM_ID + APPLE_APP_PASSWORD (app-specific password), or
#              NOTARY_KEY_ID + NOTARY_ISSUER_ID + NOTARY_KEY_P8 (base64 App Store Connect API key)
#              -> `xcrun notarytool submit --wait`, then `xcrun stapler staple` on the .dmg.
# Without them the .dmg is unsigned (Gatekeeper asks the user to confirm on first launch).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
APP=${1:-$ROOT/dist/mesodesk.app}
VERSION=${2:-$(python3 -c 'import importlib.metadata as m; print(m.version("mesodesk"))')}
ARCH=$(uname -m)
DMG=$ROOT/dist/mesodesk-$VERSION-macos-$ARCH.dmg
ENTITLEMENTS=$HERE/entitlements.plist
say() { printf 'build_dmg: %s\n' "$*" >&2; }

[[ $(uname -s) == Darwin ]] || { say "macOS only"; exit 2; }
[[ -d $APP ]] || { say "no app bundle at $APP (run: python packaging/build.py --target pyinstaller)"; exit 2; }

# The bundle must carry the version the metadata says (PyInstaller writes it from the spec).
plist_version=$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")
[[ $plist_version == "$VERSION" ]] || { say "Info.plist says $plist_version, expected $VERSION"; exit 1; }

# ------------------------------------------------------------------ code signing (optional)
KEYCHAIN=""
cleanup() { [[ -z $KEYCHAIN ]] || security delete-keychain "$KEYCHAIN" 2>/dev/null || true; }
trap cleanup EXIT

SIGN=0
if [[ -n ${MACOS_CODESIGN_IDENTITY:-} ]]; then
  SIGN=1
  if [[ -n ${MACOS_CERTIFICATE_P12:-} ]]; then
    tmp=${RUNNER_TEMP:-$(mktemp -d)}
    KEYCHAIN=$tmp/mesodesk-signing.keychain-db
    kc_pass=$(uuidgen)
    security create-keychain -p "$kc_pass" "$KEYCHAIN"
    security set-keychain-settings -lut 21600 "$KEYCHAIN"
    security unlock-keychain -p "$kc_pass" "$KEYCHAIN"
    echo "$MACOS_CERTIFICATE_P12" | base64 --decode >"$tmp/cert.p12"
    security import "$tmp/cert.p12" -k "$KEYCHAIN" -P "${MACOS_CERTIFICATE_PASSWORD:-}" \
      -T /usr/bin/codesign
    rm -f "$tmp/cert.p12"
    security set-key-partition-list -S apple-tool:,apple: -s -k "$kc_pass" "$KEYCHAIN" >/dev/null
    security list-keychains -d user -s "$KEYCHAIN" $(security list-keychains -d user | tr -d '"')
  fi
  sign() {
    codesign --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
      --sign "$MACOS_CODESIGN_IDENTITY" "$@"
  }
  say "signing Mach-O files inside $APP"
  # Inside-out: every Mach-O file (dylibs, .so extension modules, executables), then the Qt
  # frameworks (find -depth lists nested ones first), then the app itself.
  while IFS= read -r -d '' f; do
    if file -b "$f" | grep -q 'Mach-O'; then sign "$f"; fi
  done < <(find "$APP/Contents" -type f \( -name '*.dylib' -o -name '*.so' -o -perm -u+x \) -print0)
  while IFS= read -r -d '' fw; do sign "$fw"; done < <(find "$APP/Contents" -depth -type d -name '*.framework' -print0)
  sign "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
else
  say "MACOS_CODESIGN_IDENTITY not set: the app and .dmg stay unsigned"
fi

# ------------------------------------------------------------------ the .dmg
STAGE=$(mktemp -d)
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "mesodesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO \
  -imagekey zlib-level=9 -ov "$DMG" >/dev/null
rm -rf "$STAGE"
if ((SIGN)); then
  codesign --force --timestamp --sign "$MACOS_CODESIGN_IDENTITY" "$DMG"
fi
say "built $DMG ($(du -h "$DMG" | cut -f1))"

# ------------------------------------------------------------------ notarization (optional)
notary_args=()
if [[ -n ${APPLE_ID:-} && -n ${APPLE_TEAM_ID:-} && -n ${APPLE_APP_PASSWORD:-} ]]; then
  notary_args=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
elif [[ -n ${NOTARY_KEY_ID:-} && -n ${NOTARY_ISSUER_ID:-} && -n ${NOTARY_KEY_P8:-} ]]; then
  key_file=$(mktemp -t notary).p8
  echo "$NOTARY_KEY_P8" | base64 --decode >"$key_file"
  notary_args=(--key "$key_file" --key-id "$NOTARY_KEY_ID" --issuer "$NOTARY_ISSUER_ID")
fi
if ((${#notary_args[@]})); then
  ((SIGN)) || { say "notarization needs a signed app: set MACOS_CODESIGN_IDENTITY"; exit 1; }
  say "submitting $DMG for notarization (waits for Apple's verdict)"
  xcrun notarytool submit "$DMG" "${notary_args[@]}" --wait --timeout 30m
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
  spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG" || true
else
  say "notarization credentials not set: skipping notarytool and stapler"
fi
echo "$DMG"
