#!/bin/bash
# The default gazetteer: a place named in one script finds the records that
# name it in the others (Korean, English, Chinese, Japanese, Russian,
# Mongolian, older romanisations), without any configuration; names that
# are also common words are left out; config.lua can turn it off.
. "$(dirname "$0")/lib.sh"
plan 12

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in"
printf 'The harbour of Busan was busy all winter.\n' >"$TMP/in/b-en.txt"
printf '부산 항구는 겨울 내내 바빴다.\n' >"$TMP/in/b-ko.txt"
printf 'Порт Пусан был загружен всю зиму.\n' >"$TMP/in/b-ru.txt"
printf '釜山港整个冬天都很忙。\n' >"$TMP/in/b-zh.txt"
printf 'The delegation flew to Ulaanbaatar.\n' >"$TMP/in/u-en.txt"
printf 'Делегация прилетела в Улаанбаатар.\n' >"$TMP/in/u-mn.txt"
printf '代表団はウランバートルに到着した。\n' >"$TMP/in/u-ja.txt"
printf 'A bibimbap festival in Jeonju.\n' >"$TMP/in/j-en.txt"
printf '지난주 전주 비빔밥 축제.\n' >"$TMP/in/j-ko.txt"
arca -C "$C" import --quiet "$TMP/in"

# File names are searchable too, so these name no place.
names() { arca -C "$C" search --json --limit 20 "$@" | jq -r '[.hits[].title] | sort | join(" ")'; }
busan="b-en.txt b-ko.txt b-ru.txt b-zh.txt"
is "$(names Busan)" "$busan" "English finds Korean, Russian and Chinese forms"
is "$(names 부산)" "$busan" "so does Korean"
is "$(names Пусан)" "$busan" "and Russian"
is "$(names 釜山)" "$busan" "and the Hanja"
is "$(names Pusan)" "$busan" "and the older romanisation"
is "$(names 부산시)" "$busan" "and the name with its suffix"
ub="u-en.txt u-ja.txt u-mn.txt"
is "$(names 울란바토르)" "$ub" "a Korean name finds English, Mongolian and Japanese records"
is "$(names 'harbour 부산')" "b-en.txt" "a place name combines with other words"
is "$(names Jeonju)" "j-en.txt" "a name that is also a common word (전주: last week) is not expanded"

printf 'return { gazetteer = false }\n' >"$C/config.lua"
is "$(names Busan)" "b-en.txt" "gazetteer = false turns it off"
printf 'return { gazetteer = "no" }\n' >"$C/config.lua"
arca -C "$C" search x >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" 'config\.lua: gazetteer: true or false, not string' "a wrong value is named"

ok "the gazetteer file passes its checks" bash "$ARCA_SRC/tests/unit/gazetteer_check.sh" "$ARCA_SRC/core/gazetteer.tsv"
