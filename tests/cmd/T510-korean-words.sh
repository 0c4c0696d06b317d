#!/bin/bash
# Korean whole words beside the n-grams: a query's word found whole ranks
# above the same two syllables met inside an unrelated longer word, and a
# word with a particle (도시가) counts as the word (도시); with
# analysis.cjk_words = false (n-grams only) the coincidence can win.
# A Korean word inside a longer one is still found.
. "$(dirname "$0")/lib.sh"
plan 7

mkdir -p "$TMP/in"
printf '서울의 도시 계획에 관한 긴 보고서입니다 (annual report). 이 보고서는 여러 해 동안의 자료를 모아 정리한 것입니다.\n' >"$TMP/in/plan.txt"
printf '고도시스템 안내\n' >"$TMP/in/system.txt"
printf '이 도시가 커졌다는 소식과 함께 여러 가지 이야기를 담은 글입니다 그리고 더 많은 내용이 있습니다\n' >"$TMP/in/grown.txt"

order() { arca -C "$1" search --json "$2" | jq -r '[.hits[].source | split("/")[-1]] | join(" ")'; }

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$TMP/in"
is "$(order "$C" 도시)" "plan.txt grown.txt system.txt" \
   "the whole word first, then the word with a particle, then the coincidence"
is "$(order "$C" 고도시스템)" "system.txt" "a long word is found whole"
is "$(order "$C" 시스템)" "system.txt" "and by a word inside it"
is "$(order "$C" 'report 도시')" "plan.txt" "a Latin word beside a Korean one: both must match"
is "$(order "$C" '도시 report')" "plan.txt" "in either order"

N=$TMP/n
arca init "$N" >/dev/null
printf 'return { analysis = { cjk_words = false } }\n' >"$N/config.lua"
arca -C "$N" import --quiet "$TMP/in"
is "$(order "$N" 도시 | cut -d' ' -f1)" "system.txt" "with n-grams only, the coincidence comes first"
printf 'return { analysis = { cjk_word = false } }\n' >"$N/config.lua"
like "$(arca -C "$N" import "$TMP/in" 2>&1)" "config\.lua: analysis\.cjk_word: no such setting" \
     "a misspelt setting is named"
done_testing
