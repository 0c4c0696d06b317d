#!/bin/bash
# One form for text and queries: Hangul stored decomposed (as some file
# systems and old tools write it) and full-width or half-width letters
# are found by queries typed either way, and the text kept and shown is
# the composed, ordinary form.
. "$(dirname "$0")/lib.sh"
plan 8

mkdir -p "$TMP/in"
nfd() { python3 -c 'import sys, unicodedata; print(unicodedata.normalize("NFD", sys.argv[1]), end="")' "$1"; }
if ! command -v python3 >/dev/null 2>&1; then skip_all "python3 is needed to write NFD text"; fi
printf '%s\n' "$(nfd '한국 문서 보관소에 관한 글') and Ｇｙｅｏｎｇｊｕ　（경주） ﾊﾟﾝﾌﾚｯﾄ" >"$TMP/in/decomposed.txt"
printf '부산 항구의 기록입니다\n' >"$TMP/in/composed.txt"

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$TMP/in"
total() { arca -C "$C" search --json "$1" | jq -r .total; }
is "$(total 보관소)" 1 "decomposed Hangul in a file is found by a composed query"
is "$(total "$(nfd 부산)")" 1 "a decomposed query finds composed text"
is "$(total Gyeongju)" 1 "full-width letters are found by plain ones"
is "$(total 'ＧＹＥＯＮＧＪＵ')" 1 "and by full-width ones"
is "$(total 'パンフレット')" 1 "half-width katakana by full-width"
id=$(arca -C "$C" search --json 보관소 | jq -r '.hits[0].id')
like "$(arca -C "$C" search --json 보관소 | jq -r '.hits[0].snippet')" 'and Gyeongju \(경주\) パンフレット' \
     "the snippet shows the ordinary forms"
like "$(arca -C "$C" show "$id" | grep -a "^한국")" '^한국 문서 보관소에 관한 글 and Gyeongju \(경주\) パンフレット$' \
     "the kept text is composed and ordinary"
arca -C "$C" get "$id" >"$TMP/orig"
ok "while the original is kept byte for byte" cmp "$TMP/orig" "$TMP/in/decomposed.txt"
done_testing
