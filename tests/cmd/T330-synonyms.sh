#!/bin/bash
# Synonyms from config.lua: a place named in one script finds the records
# that name it in another, in the command line, in Lua and as a phrase;
# the spelling suggestion still speaks of the words as typed; mistakes in
# the table are named with config.lua's line.
. "$(dirname "$0")/lib.sh"
plan 11

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in"
printf 'The regional forum was held in Gyeongju this winter.\n' >"$TMP/in/en.txt"
printf '지역 포럼이 경주에서 열렸다.\n' >"$TMP/in/ko.txt"
printf '地方论坛在庆州举行。\n' >"$TMP/in/zh.txt"
printf 'Форум прошёл в Кёнджу.\n' >"$TMP/in/ru.txt"
printf 'The delegation from the Republic of Korea arrived on Monday.\n' >"$TMP/in/rok.txt"
printf 'A note about the weather in Busan.\n' >"$TMP/in/other.txt"
cat >"$C/config.lua" <<'LUA'
return {
  synonyms = {
    { "Gyeongju", "경주", "慶州", "庆州", "Кёнджу" },
    { "ROK", "Republic of Korea", "대한민국" },
  },
}
LUA
arca -C "$C" import --quiet "$TMP/in"

names() { arca -C "$C" search --json --limit 20 "$@" | jq -r '[.hits[].title] | sort | join(" ")'; }
all4="en.txt ko.txt ru.txt zh.txt"
is "$(names 'Gyeongju')" "$all4" "a Latin name finds the Korean, Chinese and Russian forms"
is "$(names '경주')" "$all4" "so does the Korean one"
is "$(names '慶州')" "$all4" "and the traditional Chinese one no record holds"
is "$(names 'ＧＹＥＯＮＧＪＵ')" "$all4" "full-width letters match too"
is "$(names 'forum 경주')" "en.txt" "a synonym combines with other words"
is "$(names 'ROK')" "rok.txt" "an abbreviation finds a phrase"
is "$(names '"republic of korea"')" "rok.txt" "and the quoted phrase still works"
printf 'local c = arca.open()\nprint(c:count("庆州"))\n' >"$TMP/n.lua"
is "$(arca -C "$C" run "$TMP/n.lua")" 4 "Lua searches take synonyms too"
is "$(arca -C "$C" search --json 'forun 慶州' | jq -r .suggestion)" "forum 慶州" \
   "the suggestion corrects the words as typed"

cat >"$C/config.lua" <<'LUA'
return {
  synonyms = {
    { "a", "b" },
    { "lonely" },
  },
}
LUA
arca -C "$C" search x >/dev/null 2>"$TMP/err"
is "$?" 1 "a bad synonym table stops the command"
like "$(cat "$TMP/err")" 'config\.lua.*synonyms\[2\]: a group has 2 to 64 forms, not 1' \
     "and says which group and why"
