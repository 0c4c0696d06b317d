#!/bin/bash
# Lua scripting, as a researcher uses it: `arca run` over the State of the
# Union speeches (the shared corpus when there is one, else the small copy
# in tests/data/sotu), `arca report`, and the module in a stock lua5.4.
. "$(dirname "$0")/lib.sh"
plan 26

L=$DATA/lua
C=$TMP/c
SOTU=$CORPUS/sotu
[ -d "$SOTU" ] || SOTU=$DATA/sotu
arca init "$C" >/dev/null
arca -C "$C" import "$SOTU" >/dev/null 2>&1 || { echo "Bail out! import of $SOTU failed"; exit 1; }
r() { arca -C "$C" run "$@"; }

# Speeches per decade that mention a term: the script walks the hits and
# buckets them by date; arca search counts each decade with a year: range.
for term in slavery railroad; do
    r "$L/decades.lua" "$term" >"$TMP/dec.txt" 2>"$TMP/err"
    expected=$(
        for d in $(seq 1790 10 2020); do
            n=$(arca -C "$C" search --json "$term year:$d..$((d + 9))" | json .total)
            [ "$n" -gt 0 ] && printf '%s\t%s\n' "$d" "$n"
        done)
    is "$(cat "$TMP/dec.txt")" "$expected" "speeches per decade mentioning '$term' = arca search --json totals"
done
total=$(arca -C "$C" search --json slavery | json .total)
is "$(r "$L/decades.lua" slavery | awk '{ s += $2 } END { print s }')" "$total" \
   "the decades add up to the total"

# Facets are exact: each value's count is what c:count gives with that
# value as a filter and as a query term, and what arca search --facet says.
r "$L/facets.lua" war >"$TMP/f.txt"
is "$(tail -1 "$TMP/f.txt")" "mismatches 0" "every facet value equals count() with its filter"
arca -C "$C" search --json --facet year --facet lang --facet type war |
    jq -r '.facets | to_entries[] | .key as $k | .value | to_entries[] | "\($k) \(.key) \(.value)"' |
    sort >"$TMP/cli-facets.txt"
is "$(grep -v mismatches "$TMP/f.txt" | sort)" "$(cat "$TMP/cli-facets.txt")" \
   "c:facets equals arca search --facet"
is "$(grep -c '^year ' "$TMP/f.txt")" \
   "$(arca -C "$C" search --json --limit 1000 war | json '[.hits[].date[0:4]] | unique | length')" \
   "one year value per distinct year of the matches"

# Iteration visits every hit once, whatever the query.
total_all=$(arca -C "$C" search --json '' | json .total)
is "$(r "$L/iterate.lua" "" | cut -d' ' -f1-6)" "hits $total_all count $total_all dups 0" \
   "iterating everything visits count() hits, no duplicates"
n=$(arca -C "$C" search --json 'union' | json .total)
is "$(r "$L/iterate.lua" union | cut -d' ' -f1-6)" "hits $n count $n dups 0" \
   "iterating 'union' visits its $n hits"

# The hit fields are the JSON hit's.
r "$L/hits.lua" union 5 >"$TMP/h.txt"
arca -C "$C" search --json --sort date --limit 5 union |
    jq -r '.hits[] | [.rank, .id, .title, .date, (.author // "null"), (.board // "null"),
                      (.lang // "null"), (.type // "null"), (.source // "null"),
                      (.sha256 // "null"), (.attachments | length),
                      (.snippet | gsub("[\t\n]"; " "))] | @tsv' >"$TMP/hj.txt"
is "$(cat "$TMP/h.txt")" "$(cat "$TMP/hj.txt")" "hit fields equal arca search --json's"
is "$(wc -l <"$TMP/h.txt")" 5 "limit = 5 gives five hits"

# hit:text() is the extracted text, as arca show --json --text has it.
r "$L/text.lua" union >"$TMP/text.lua.out"
id=$(jq -r '.hits[0].id' < <(arca -C "$C" search --json --sort date --limit 1 union))
arca -C "$C" show --json --text "$id" | jq -j '.parts[0].text' >"$TMP/text.show"
ok "hit:text() equals the record's text" cmp "$TMP/text.lua.out" "$TMP/text.show"
like "$(wc -c <"$TMP/text.lua.out")" '^[0-9]{4,}$' "and it is the whole speech"

# Records, terms, snippets.
cat >"$TMP/rec.lua" <<'LUA'
local c = arca.open()
local h = c:search("union", { sort = "oldest", limit = 1 })()
local r = c:record(h.id)
print(r.id == h.id, r.title, r.extra.name, #r.parts)
local y = h.date:sub(1, 4)
local t = c:terms("Y" .. y)
print(t["Y" .. y] == c:count("year:" .. y, { parts = true }))
local e = h:snippet(60)
print(#e < #h:snippet(400), e:find("<b>", 1, true) ~= nil)
print(type(h.snippet), h.snippet:find("<b>", 1, true) ~= nil,
      select(2, pcall(function() return ("x")(h) end)))
LUA
first=$(arca -C "$C" search --json --sort oldest --limit 1 union | json '.hits[0].id')
name=$(arca -C "$C" show --json "$first" | json .extra.name)
title=$(arca -C "$C" show --json "$first" | json .title)
is "$(r "$TMP/rec.lua" | head -1)" "$(printf 'true\t%s\t%s\t1' "$title" "$name")" \
   "c:record gives the record's fields and parts"
is "$(r "$TMP/rec.lua" | sed -n 2p)" true "c:terms gives a year's document frequency"
is "$(r "$TMP/rec.lua" | sed -n 3p)" "$(printf 'true\ttrue')" "hit:snippet(n) cuts snippets of other lengths, matches marked"
like "$(r "$TMP/rec.lua" | sed -n 4p)" "^string	true	.*attempt to call a string value" \
     "hit.snippet stays the string; calling any other string is still an error"

# Errors: file:line, a traceback, exit status 1.
r "$L/error.lua" >"$TMP/out" 2>"$TMP/err"
is "$?" 1 "a failing script exits 1"
like "$(head -1 "$TMP/err")" "error\.lua:5: attempt to index a nil value" "the message names file and line"
like "$(tr '\n' ' ' <"$TMP/err")" "stack traceback:.*error\.lua:5: in (upvalue|local) .inner.*error\.lua:8: in (upvalue|local) .outer.*error\.lua:12: in main chunk" \
   "and a traceback shows the calls"
printf 'local x = = 1\n' >"$TMP/syntax.lua"
r "$TMP/syntax.lua" 2>"$TMP/err"; st=$?
is "$st $(grep -c 'syntax.lua:1:' "$TMP/err")" "1 1" "a syntax error names file and line and exits 1"
printf 'local c = arca.open()\nc:search("year:abc..")()\n' >"$TMP/badq.lua"
r "$TMP/badq.lua" 2>"$TMP/err"
like "$(head -1 "$TMP/err")" "badq\.lua:2: search: .*year:abc\.\.: expected years" "a bad query is a Lua error naming the query"

# Writing outside the sandbox: add and import.
mkdir -p "$TMP/more"
echo "An aqueduct zanzibarium report." >"$TMP/more/aq.txt"
echo "attachment text" >"$TMP/att.txt"
r "$L/write.lua" "$TMP/att.txt" "$TMP/more" >"$TMP/w.txt" 2>&1
is "$(grep -v '^id ' "$TMP/w.txt" | tr '\n' ' ')" \
   "found 2 records 2 imported 1 failed 0 surveyor J. Smith tag survey parts 2 " \
   "c:add and c:import write, and the records are found"

# arca report NAME runs reports/NAME.lua of the collection.
mkdir -p "$C/reports"
printf 'local c = arca.open()\nprint("speeches " .. c:count("") .. " " .. (arg[1] or ""))\n' \
    >"$C/reports/count.lua"
is "$(arca -C "$C" report count x)" "speeches $((total_all + 2)) x" "arca report runs reports/NAME.lua with its arguments"

# Many hits: 12,000 records, walked in pages with flat memory.
mkdir -p "$TMP/many"
awk -v d="$TMP/many" 'BEGIN { for (i = 1; i <= 12000; i++) {
    f = sprintf("%s/n%05d.txt", d, i); print "harbour note " i > f; close(f) } }'
arca init "$TMP/m" >/dev/null
arca -C "$TMP/m" import "$TMP/many" >/dev/null 2>&1
read -r _ hits _ count _ dups _ kb < <(arca -C "$TMP/m" run "$L/iterate.lua" harbour)
is "$hits $count $dups" "12000 12000 0" "12,000 hits walked exactly once each"
ok "memory while walking stays under 4 MiB ($kb KiB)" test "$kb" -lt 4096

# The module in a stock lua5.4, after make install into a prefix.
if [ "${ARCA_SANITIZE:-}" = 1 ] || ! command -v lua5.4 >/dev/null; then
    skip "make install and lua5.4 (not with the sanitizer build)"
else
    O=$(dirname "$ARCA")
    (unset MAKEFLAGS MAKELEVEL MFLAGS
     make -s -C "$ARCA_SRC" O="$O" PREFIX="$TMP/p" DESTDIR= install) >"$TMP/inst" 2>&1
    so=$(find "$TMP/p" -name arca.so | head -1)
    lm=$(find "$TMP/p" -name report.lua | head -1)
    got=$(LUA_CPATH="$(dirname "$so")/?.so" LUA_PATH="${lm%arca/report.lua}?.lua" \
          C="$C" lua5.4 -e 'local a = require "arca"; local c = a.open(os.getenv("C"))
                     print(c:count("slavery"), type(require "arca.report"))' 2>&1)
    is "$got" "$(printf '%s\ttable' "$total")" "lua5.4 requires the installed module and counts"
fi
done_testing
