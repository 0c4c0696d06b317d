#!/bin/bash
# tests/bench/setup.sh: prepare `make bench`.  Installs the Debian packages the
# benchmark runs (omindex from xapian-omega, GNU time for peak RSS) and builds
# corpus A under $BENCH_DIR (default /tmp/arca-bench): every gimp-help HTML
# page in English, Korean, Japanese, Simplified Chinese and Russian.  The help
# packages are downloaded and unpacked, never installed.  A second run reuses
# the downloaded packages and a complete corpus.
set -euo pipefail

BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
LANGS="en ko ja zh_CN ru"
HELP_PKGS="gimp-help-en gimp-help-ko gimp-help-ja gimp-help-zh-cn gimp-help-ru"
TOOL_PKGS="xapian-omega time gzip"
export DEBIAN_FRONTEND=noninteractive

die() { echo "bench setup: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  sudo=
elif command -v sudo >/dev/null 2>&1; then
  sudo=sudo
else
  sudo=none
fi

apt_updated=
apt_update() {
  [ -n "$apt_updated" ] && return 0
  [ "$sudo" = none ] && die "need root (or sudo) to run apt-get update"
  echo "bench setup: apt-get update" >&2
  $sudo apt-get update -q || die "apt-get update failed"
  apt_updated=1
}

# Tools: install only what is missing, refreshing the package lists first.
missing=
for p in $TOOL_PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "$sudo" = none ] && die "need root (or sudo) to install:$missing"
  echo "bench setup: installing:$missing" >&2
  apt_update
  # shellcheck disable=SC2086
  $sudo apt-get install -y -q --no-install-recommends $missing ||
    die "apt-get install failed for:$missing"
fi
command -v omindex >/dev/null 2>&1 || die "omindex is still missing after installing xapian-omega"
[ -x /usr/bin/time ] || die "/usr/bin/time is still missing after installing time"

mkdir -p "$BENCH_DIR/debs" || die "cannot create $BENCH_DIR/debs"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cd "$BENCH_DIR"

# Help packages: fetch the missing .deb files.  `apt-get download` needs no
# root, but finds nothing before the first `apt-get update`.
missing_debs() {
  local p
  for p in $HELP_PKGS; do
    ls "debs/${p}_"*.deb >/dev/null 2>&1 || printf '%s ' "$p"
  done
}
# As root, apt would drop to its _apt user, which cannot write here, and
# warn that it downloads unsandboxed; say so up front instead.
dl_opts=
[ "$(id -u)" -eq 0 ] && dl_opts="-o APT::Sandbox::User=root"
fetch=$(missing_debs)
if [ -n "$fetch" ]; then
  # shellcheck disable=SC2086
  if ! (cd debs && apt-get download -q $dl_opts $fetch); then
    apt_update
    # shellcheck disable=SC2086
    (cd debs && apt-get download -q $dl_opts $fetch) || die "apt-get download failed for: $fetch"
  fi
  fetch=$(missing_debs)
  [ -z "$fetch" ] || die "$fetch did not download into $BENCH_DIR/debs"
fi

# The stamp records what the corpus was built from and what it holds; a
# corpus whose stamp and contents agree is reused.
corpus_stats() {  # prints "files bytes" of directory $1
  find "$1" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}
debs_id=$(find debs -maxdepth 1 -name '*.deb' -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ')
if [ -d corpusA ] && [ -s corpusA.stamp ]; then
  want=$(sed -n 's/^debs: //p' corpusA.stamp)
  stats=$(sed -n 's/^stats: //p' corpusA.stamp)
  if [ "$want" = "$debs_id" ] && [ "$stats" = "$(corpus_stats corpusA)" ]; then
    echo "bench setup: reusing corpus A in $BENCH_DIR/corpusA (${stats% *} files, ${stats#* } bytes)"
    exit 0
  fi
  echo "bench setup: corpus A does not match its stamp; rebuilding" >&2
fi

# Unpack into a scratch tree, copy the HTML of each language, then swap the
# finished corpus in so an interrupted run never leaves a partial one behind.
rm -rf unpack corpusA.new corpusA.stamp
mkdir -p unpack corpusA.new
for d in debs/*.deb; do
  if ! dpkg-deb -x "$d" unpack; then
    rm -f "$d"
    die "cannot unpack $BENCH_DIR/$d (a broken download?): removed it; run again to fetch it anew"
  fi
done
help=unpack/usr/share/gimp/2.0/help
for l in $LANGS; do
  [ -d "$help/$l" ] || die "no help pages for language $l in $help"
  (cd "$help" && find "$l" -name '*.html' -type f -print0 |
     xargs -0 -r cp --parents -p -t "$BENCH_DIR/corpusA.new") ||
    die "cannot copy the $l help pages"
done
rm -rf corpusA unpack
mv corpusA.new corpusA
printf 'debs: %s\nstats: %s\n' "$debs_id" "$(corpus_stats corpusA)" > corpusA.stamp

echo "bench setup: corpus A in $BENCH_DIR/corpusA"
printf '  %-6s %6s %12s\n' lang files bytes
for l in $LANGS all; do
  d=corpusA; [ "$l" = all ] || d=corpusA/$l
  read -r files bytes < <(corpus_stats "$d")
  printf '  %-6s %6d %12d\n' "$l" "$files" "$bytes"
done
