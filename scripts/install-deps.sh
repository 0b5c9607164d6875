#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages the build, the tests and the demo need (as root).
# Only missing packages are installed; a machine that has them all is left untouched.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config g++
  libssl-dev libpcsclite-dev libp11-kit-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev libpq-dev
  googletest libgtest-dev libgmock-dev
  # test world: PC/SC stack, virtual reader, reference modules and clients
  pcscd vsmartcard-vpcd opensc opensc-pkcs11 softhsm2 p11-kit
  gnutls-bin libnss3-tools openssl python3-pykcs11 libfaketime sqlite3 python3-aiosmtpd
  libnss3-dev firefox-esr xvfb xdotool imagemagick  # tests/firefox (NSS test, Firefox under Xvfb)
  libengine-pkcs11-openssl openjdk-17-jdk-headless openssh-client thunderbird  # tests/clients
  # unblock service: PostgreSQL backend tests, holder pages in headless Chromium
  postgresql-15 chromium chromium-driver python3-selenium
  # fuzzing (libFuzzer comes with clang 14's runtime)
  clang-14 libclang-rt-14-dev
  # Debian packages (scripts/package-test.sh): build, lint, check; jq for ias-pkcs11-register
  debhelper lintian jq systemd man-db
  # static analysis (scripts/static-analysis.sh)
  clang-tidy-14 cppcheck
  # script helpers
  procps psmisc python3 util-linux curl xxd
)
[ "${IAS_EXTRA_PACKAGES:-}" ] && read -r -a extra <<<"$IAS_EXTRA_PACKAGES" && packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
