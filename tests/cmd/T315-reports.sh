#!/bin/bash
# The example reports: a new collection has them in reports/; they run
# with `arca report`, agree with the command line's counts, and their SVG
# chart is well-formed XML that a real browser (Debian's chromium) draws.
. "$(dirname "$0")/lib.sh"
plan 8

C=$TMP/c
arca init "$C" >/dev/null
is "$(cd "$C/reports" && ls | paste -sd' ')" \
   "cooccurrence.lua per-year.lua timeline.lua top-authors.lua" \
   "arca init puts the example reports in reports/"
arca -C "$C" import --quiet "$DATA/sotu"

# per-year: the CSV's rows equal the year facet of the same query.
arca -C "$C" report per-year Congress | tr -d '\r' | tail -n +2 | sort >"$TMP/csv"
arca -C "$C" search --json --facet year Congress |
    jq -r '.facets.year | to_entries[] | "\(.key),\(.value)"' | sort >"$TMP/facet"
ok "per-year counts equal the search's year facet" diff "$TMP/csv" "$TMP/facet"
like "$(head -c 300 "$TMP/csv")" '^[0-9]{4},[0-9]+' "and are rows of year,count"

arca -C "$C" report timeline Congress >"$TMP/t.svg"
ok "the timeline is well-formed SVG" xmllint --noout "$TMP/t.svg"

if command -v chromium >/dev/null; then
    shot() {  # SVG PNG: chromium draws SVG at 640x400 into PNG
        chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
                 --window-size=640,400 --screenshot="$2" "file://$1" >/dev/null 2>&1
    }
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"/>' >"$TMP/blank.svg"
    shot "$TMP/t.svg" "$TMP/t.png"
    shot "$TMP/blank.svg" "$TMP/blank.png"
    # The PNG header: width and height, big-endian, at bytes 16..23.
    is "$(od -An -tu1 -j16 -N8 "$TMP/t.png" | tr -s ' ' | sed 's/^ //')" "0 0 2 128 0 0 1 144" \
       "chromium renders the chart (640x400 PNG)"
    sz=$(stat -c %s "$TMP/t.png") blank=$(stat -c %s "$TMP/blank.png")
    ok "with something drawn: $sz bytes against $blank for an empty SVG" test "$sz" -gt $((blank * 3))
    mkdir -p "$ARCA_SRC/build/test-artifacts" 2>/dev/null && cp "$TMP/t.png" "$ARCA_SRC/build/test-artifacts/timeline.png" 2>/dev/null
else
    skip "chromium is not installed"
    skip "chromium is not installed"
fi
arca -C "$C" report nosuch 2>"$TMP/err"
like "$? $(cat "$TMP/err")" '^1 .*nosuch\.lua: no such report.*has: cooccurrence, per-year, timeline, top-authors' \
     "an unknown report is named, with the ones there are"
arca -C "$C" report --sandbox cooccurrence Congress war >"$TMP/co.csv"
like "$(head -1 "$TMP/co.csv")" 'year' "the co-occurrence report runs in the sandbox"
done_testing
