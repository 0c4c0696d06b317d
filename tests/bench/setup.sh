#!/bin/bash
# tests/bench/setup.sh: prepare `make bench`.  Installs the Debian packages the
# benchmark runs (omindex from xapian-omega, recollindex from recollcmd,
# python3 for the SQLite FTS5 peer and recoll's filters, GNU time for peak
# RSS, and for corpus B poppler-utils, whose pdftotext and pdfinfo omindex and
# recoll run on each PDF; unless BENCH_SERVE=0, wrk and curl for serve.sh)
# and builds the corpora named in BENCH_CORPORA (default "A B A10") under
# $BENCH_DIR (default /tmp/arca-bench):
#   corpus A: every gimp-help HTML page in English, Korean, Japanese,
#             Simplified Chinese and Russian;
#   corpus B: every fourth PDF, by sorted path, of four texlive *-doc packages;
#   corpus A10: corpus A ten times over, each copy's files ending in a comment
#             of their own, so that no file is a duplicate of another.
# The packages are downloaded and unpacked, never installed.  A second run
# reuses the downloaded packages and a complete corpus.
set -euo pipefail

BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
BENCH_CORPORA=${BENCH_CORPORA:-A B A10}
LANGS="en ko ja zh_CN ru"
PKGS_A=(gimp-help-en gimp-help-ko gimp-help-ja gimp-help-zh-cn gimp-help-ru)
PKGS_B=(texlive-latex-recommended-doc texlive-latex-base-doc texlive-science-doc texlive-fonts-recommended-doc)
TOOL_PKGS="xapian-omega xapian-tools time gzip python3"
# recollindex is a peer the benchmark can do without: run.sh reports it as
# n/a when it is missing, so a failed install only warns.
OPT_PKGS="recollcmd"
export DEBIAN_FRONTEND=noninteractive

die() { echo "bench setup: $*" >&2; exit 1; }

want_a="" want_b="" want_a10=""
for c in $BENCH_CORPORA; do
  case $c in
    A) want_a=1 ;;
    B) want_b=1 ;;
    A10) want_a=1 want_a10=1 ;;  # built from corpus A
    *) echo "bench setup: BENCH_CORPORA lists unknown corpus '$c' (known: A B A10)" >&2; exit 2 ;;
  esac
done
[ -n "$want_a$want_b" ] || { echo "bench setup: BENCH_CORPORA names no corpus (known: A B A10)" >&2; exit 2; }
[ -n "$want_b" ] && TOOL_PKGS="$TOOL_PKGS poppler-utils"
[ "${BENCH_SERVE:-1}" != 0 ] && TOOL_PKGS="$TOOL_PKGS wrk curl"

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
missing=
for p in $OPT_PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$sudo" = none ]; then
    echo "bench setup: not installing$missing (needs root or sudo); run.sh will report recollindex as n/a" >&2
  else
    echo "bench setup: installing:$missing" >&2
    apt_update
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing ||
      echo "bench setup: apt-get install failed for:$missing; run.sh will report recollindex as n/a" >&2
  fi
fi
[ -x /usr/bin/time ] || die "/usr/bin/time is still missing after installing time"
if [ "${BENCH_SERVE:-1}" != 0 ]; then
  for t in wrk curl; do
    command -v "$t" >/dev/null 2>&1 || die "$t is still missing after installing it"
  done
fi
if [ -n "$want_b" ]; then
  for t in pdftotext pdfinfo; do
    command -v "$t" >/dev/null 2>&1 || die "$t is still missing after installing poppler-utils"
  done
fi

mkdir -p "$BENCH_DIR/debs" || die "cannot create $BENCH_DIR/debs"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cd "$BENCH_DIR"

# Packages: fetch the missing .deb files.  `apt-get download` needs no root,
# but finds nothing before the first `apt-get update`.
missing_debs() {  # the packages of $* with no .deb in debs/
  local p
  for p in "$@"; do
    ls "debs/${p}_"*.deb >/dev/null 2>&1 || printf '%s ' "$p"
  done
}
# As root, apt would drop to its _apt user, which cannot write here, and
# warn that it downloads unsandboxed; say so up front instead.
dl_opts=
[ "$(id -u)" -eq 0 ] && dl_opts="-o APT::Sandbox::User=root"
fetch_debs() {  # fetch_debs PACKAGE...
  local fetch
  fetch=$(missing_debs "$@")
  [ -n "$fetch" ] || return 0
  # shellcheck disable=SC2086
  if ! (cd debs && apt-get download -q $dl_opts $fetch); then
    apt_update
    # shellcheck disable=SC2086
    (cd debs && apt-get download -q $dl_opts $fetch) || die "apt-get download failed for: $fetch"
  fi
  fetch=$(missing_debs "$@")
  [ -z "$fetch" ] || die "$fetch did not download into $BENCH_DIR/debs"
}

corpus_stats() {  # prints "files bytes" of directory $1
  find "$1" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}
debs_of() {  # the .deb files of packages $*, sorted, one line
  local p
  for p in "$@"; do
    find debs -maxdepth 1 -name "${p}_*.deb" -printf '%f\n'
  done | LC_ALL=C sort | tr '\n' ' '
}

# reuse NAME DEBS_ID: true when corpusNAME matches its stamp, which records
# what the corpus was built from and what it holds.
reuse() {
  local want stats
  [ -d "corpus$1" ] && [ -s "corpus$1.stamp" ] || return 1
  want=$(sed -n 's/^debs: //p' "corpus$1.stamp")
  stats=$(sed -n 's/^stats: //p' "corpus$1.stamp")
  if [ "$want" = "$2" ] && [ "$stats" = "$(corpus_stats "corpus$1")" ]; then
    echo "bench setup: reusing corpus $1 in $BENCH_DIR/corpus$1 (${stats% *} files, ${stats#* } bytes)"
    return 0
  fi
  echo "bench setup: corpus $1 does not match its stamp; rebuilding" >&2
  return 1
}

# unpack NAME PACKAGE...: unpack the packages' .deb files into unpackNAME.
unpack() {
  local name=$1 p d; shift
  rm -rf "unpack$name"
  mkdir -p "unpack$name"
  for p in "$@"; do
    for d in debs/"${p}"_*.deb; do
      if ! dpkg-deb -x "$d" "unpack$name"; then
        rm -f "$d"
        die "cannot unpack $BENCH_DIR/$d (a broken download?): removed it; run again to fetch it anew"
      fi
    done
  done
}

# Each corpus is copied into a scratch tree and swapped in when finished, so
# an interrupted run never leaves a partial one behind.
build_a() {
  local debs_id help l d files bytes
  fetch_debs "${PKGS_A[@]}"
  debs_id=$(debs_of "${PKGS_A[@]}")
  reuse A "$debs_id" && return 0
  rm -rf corpusA.new corpusA.stamp
  unpack A "${PKGS_A[@]}"
  mkdir -p corpusA.new
  help=unpackA/usr/share/gimp/2.0/help
  for l in $LANGS; do
    [ -d "$help/$l" ] || die "no help pages for language $l in $help"
    (cd "$help" && find "$l" -name '*.html' -type f -print0 |
       xargs -0 -r cp --parents -p -t "$BENCH_DIR/corpusA.new") ||
      die "cannot copy the $l help pages"
  done
  rm -rf corpusA unpackA
  mv corpusA.new corpusA
  printf 'debs: %s\nstats: %s\n' "$debs_id" "$(corpus_stats corpusA)" > corpusA.stamp

  echo "bench setup: corpus A in $BENCH_DIR/corpusA"
  printf '  %-6s %6s %12s\n' lang files bytes
  for l in $LANGS all; do
    d=corpusA; [ "$l" = all ] || d=corpusA/$l
    read -r files bytes < <(corpus_stats "$d")
    printf '  %-6s %6d %12d\n' "$l" "$files" "$bytes"
  done
}

# Corpus B takes every fourth PDF (the first, fifth, ...) in C-locale order of
# its path below usr/share/doc, keeping those paths.
build_b() {
  local debs_id doc d files bytes
  fetch_debs "${PKGS_B[@]}"
  debs_id=$(debs_of "${PKGS_B[@]}")
  reuse B "$debs_id" && return 0
  rm -rf corpusB.new corpusB.stamp
  unpack B "${PKGS_B[@]}"
  mkdir -p corpusB.new
  doc=unpackB/usr/share/doc
  [ -d "$doc" ] || die "no $doc in the unpacked texlive packages"
  (cd "$doc" && find . -name '*.pdf' -type f | LC_ALL=C sort | awk 'NR % 4 == 1' |
     tr '\n' '\0' | xargs -0 -r cp --parents -p -t "$BENCH_DIR/corpusB.new") ||
    die "cannot copy the PDF files of $doc"
  rm -rf corpusB unpackB
  mv corpusB.new corpusB
  printf 'debs: %s\nstats: %s\n' "$debs_id" "$(corpus_stats corpusB)" > corpusB.stamp

  echo "bench setup: corpus B in $BENCH_DIR/corpusB"
  printf '  %-28s %6s %12s\n' folder files bytes
  (cd corpusB && find . -type f -printf '%P %s\n') |
    awk '{ n = split($1, p, "/"); d = n > 2 ? p[1] "/" p[2] : p[1]; f[d]++; b[d] += $2 }
         END { for (d in f) printf "  %-28s %6d %12d\n", d, f[d], b[d] }' | LC_ALL=C sort
  read -r files bytes < <(corpus_stats corpusB)
  printf '  %-28s %6d %12d\n' all "$files" "$bytes"
}

# Corpus A10: corpus A copied ten times into corpusA10/01 ... corpusA10/10,
# each file of copy K ending in "<!-- arca bench A10 copy K -->", so that every
# file differs from its nine twins and nothing can be deduplicated.  The stamp
# records corpus A's stamp and what A10 holds.
build_a10() {
  local from stats
  from="$(tr '\n' ' ' < corpusA.stamp)copy-comment-v1"
  if [ -d corpusA10 ] && [ -s corpusA10.stamp ] &&
     [ "$(sed -n 's/^from: //p' corpusA10.stamp)" = "$from" ]; then
    stats=$(sed -n 's/^stats: //p' corpusA10.stamp)
    if [ "$stats" = "$(corpus_stats corpusA10)" ]; then
      echo "bench setup: reusing corpus A10 in $BENCH_DIR/corpusA10 (${stats% *} files, ${stats#* } bytes)"
      return 0
    fi
  fi
  echo "bench setup: building corpus A10 (corpus A ten times, each copy's files changed)" >&2
  rm -rf corpusA10.new corpusA10.stamp
  mkdir -p corpusA10.new
  (cd corpusA && find . -type f -print0 | LC_ALL=C sort -z) | perl -e '
    use strict; use File::Path qw(make_path);
    local $/ = "\0";
    my @files = map { chomp; s{^\./}{}; $_ } <STDIN>;
    for my $k (1 .. 10) {
      my $dir = sprintf "corpusA10.new/%02d", $k;
      for my $f (@files) {
        open my $in, "<:raw", "corpusA/$f" or die "corpusA/$f: $!\n";
        my $data = do { local $/; <$in> };
        close $in;
        (my $d = "$dir/$f") =~ s{/[^/]*$}{};
        make_path($d);
        open my $out, ">:raw", "$dir/$f" or die "$dir/$f: $!\n";
        print $out $data, "\n<!-- arca bench A10 copy $k -->\n" or die "$dir/$f: $!\n";
        close $out or die "$dir/$f: $!\n";
      }
    }' || die "cannot build corpus A10"
  rm -rf corpusA10
  mv corpusA10.new corpusA10
  printf 'from: %s\nstats: %s\n' "$from" "$(corpus_stats corpusA10)" > corpusA10.stamp
  read -r files bytes < <(corpus_stats corpusA10)
  echo "bench setup: corpus A10 in $BENCH_DIR/corpusA10: $files files, $bytes bytes"
}

[ -n "$want_a" ] && build_a
[ -n "$want_b" ] && build_b
[ -n "$want_a10" ] && build_a10
exit 0
