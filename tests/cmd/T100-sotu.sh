#!/bin/bash
# Dated records from sidecars: State of the Union speeches.
. "$(dirname "$0")/lib.sh"
plan 10

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --json "$DATA/sotu" >"$TMP/sum.json"
is "$?" 0 "import ran through"
is "$(json .files <"$TMP/sum.json")" 7 "seven speeches seen (sidecars are not records)"
is "$(json .records <"$TMP/sum.json")" 7 "seven records"
is "$(json .failed <"$TMP/sum.json")" 0 "none failed"

arca -C "$C" search --json --limit 100 'union year:1850..1869' >"$TMP/r.json"
is "$(json '[.hits[].date] | sort | join(" ")' <"$TMP/r.json")" "1850 1862 1868" \
   "year:1850..1869 returns only the speeches of those years"
is "$(json '.total' <"$TMP/r.json")" 3 "and counts them exactly"
is "$(json '.hits[0].title' <"$TMP/r.json" | grep -c 'State of the Union Address')" 1 \
   "titles come from the sidecars"

arca -C "$C" search --json --sort date --limit 3 union >"$TMP/d.json"
is "$(json '[.hits[].date] | join(" ")' <"$TMP/d.json")" "1890 1870 1868" "sort by date, newest first"

id=$(json '.hits[0].id' <"$TMP/d.json")
arca -C "$C" show --json "$id" >"$TMP/s.json"
is "$(json '.extra.name' <"$TMP/s.json")" "Benjamin Harrison" "other sidecar keys are extra fields"

# Re-running skips what is unchanged.
arca -C "$C" import --json "$DATA/sotu" >"$TMP/again.json"
is "$(json '[.records, .unchanged] | join(" ")' <"$TMP/again.json")" "0 7" \
   "a second import finds all seven unchanged"
done_testing
