#!/bin/bash
# The report library (lua/report.lua) checked by real tools: its CSV read by
# sqlite3's CSV importer, its JSON by jq, its SVG and HTML by xmllint; then
# the example reports (lua/reports/) run by `arca run` and `arca report`
# over the sotu sample, their counts compared with `arca search --json`.
#
# The library is loaded from the source tree as `require "report"` with
# LUA_PATH=lua/?.lua (installed or inside arca it is "arca.report").
. "$(dirname "$0")/lib.sh"
plan 20

export LUA_PATH="$ARCA_SRC/lua/?.lua;;"
command -v lua5.4 >/dev/null || skip_all "lua5.4 is not installed"

ok "the library's own tests (tests/lua/test_report.lua)" \
   lua5.4 "$ARCA_SRC/tests/lua/test_report.lua" "$ARCA_SRC"

# A table of awkward values: separators, quotes, CR, LF, CRLF, spaces,
# a formula, non-Latin scripts, markup.  want.json holds the values alone.
cat >"$TMP/gen.lua" <<'EOF'
local report = require "report"
local nasty = { "plain", "a,b", 'say "hi"', "two\nlines", "cr\ronly",
  "crlf\r\nend", " spaced ", "", "=1+2", "한국어 русский 中文", '"', ",",
  "\t tab", "back\\slash", "x|y", "<b>&amp;</b>" }
local rows = {}
for i, s in ipairs(nasty) do rows[i] = { i, s, i / 4 } end
local payload = "<script>alert(1)</script> & \"q\" 'a'"
local t = { title = payload, columns = { "n", "te,xt", "quarter" }, rows = rows }
local out = {
  ["t.csv"] = report.csv(t), ["t.json"] = report.tojson(t),
  ["want.json"] = report.json(nasty), ["t.html"] = report.html_page(t),
  ["bar.svg"] = report.bar(t, { title = payload, x = "te,xt", y = "n" }),
  ["line.svg"] = report.line(t, { title = payload, x = "te,xt" }),
  ["timeline.svg"] = report.timeline({ ["1790"] = 1, ["1848"] = 3, ["2001-09-11"] = 2 },
                                     { title = payload, xlabel = "<year>", ylabel = "records & more" }),
}
for name, s in pairs(out) do
  local f = assert(io.open(arg[1] .. "/" .. name, "wb"))
  f:write(s)
  f:close()
end
EOF
ok "the library writes every format" lua5.4 "$TMP/gen.lua" "$TMP"
[ -s "$TMP/want.json" ] || { echo "Bail out! the library wrote nothing to check"; exit 1; }
payload="<script>alert(1)</script> & \"q\" 'a'"

# CSV: sqlite3's importer (RFC 4180) reads back every value.
if command -v sqlite3 >/dev/null; then
    printf '.mode csv\n.import %s t\n.mode json\nselect * from t;\n' "$TMP/t.csv" |
        sqlite3 "$TMP/csv.db" >"$TMP/csv.json"
    is "$(jq -c 'map(keys_unsorted) | unique' <"$TMP/csv.json")" '[["n","te,xt","quarter"]]' \
       "CSV: sqlite3 reads the header as the three columns"
    is "$(jq -c '[.[]."te,xt"]' <"$TMP/csv.json")" "$(jq -c . <"$TMP/want.json")" \
       "CSV: sqlite3 reads back all 16 awkward values exactly"
    is "$(jq -r '[.[].quarter] | join(" ")' <"$TMP/csv.json")" \
       "0.25 0.5 0.75 1 1.25 1.5 1.75 2 2.25 2.5 2.75 3 3.25 3.5 3.75 4" "CSV: numbers as written"
else
    skip "sqlite3 is not installed"; skip "sqlite3 is not installed"; skip "sqlite3 is not installed"
fi
is "$(head -n 1 "$TMP/t.csv" | od -An -tx1 | tr -d ' \n')|$(tail -c 2 "$TMP/t.csv" | od -An -tx1 | tr -d ' \n')" \
   "6e2c2274652c7874222c717561727465720d0a|0d0a" 'CSV: the header is n,"te,xt",quarter; records end in CRLF'
is "$(jq -r '.[3], .[5], .[9]' <"$TMP/want.json" | od -An -c | tr -s ' \n' ' ')" \
   "$(printf 'two\nlines\ncrlf\r\nend\n한국어 русский 中文\n' | od -An -c | tr -s ' \n' ' ')" \
   "JSON: jq decodes escapes and passes UTF-8 through"

# JSON of a table: jq parses it and finds the values in column order.
is "$(jq -c '.columns' <"$TMP/t.json")" '["n","te,xt","quarter"]' "JSON: columns"
is "$(jq -c '[.rows[]."te,xt"]' <"$TMP/t.json")" "$(jq -c . <"$TMP/want.json")" \
   "JSON: jq reads back all 16 awkward values"
is "$(jq -r '.title' <"$TMP/t.json")" "$payload" "JSON: the title intact"
is "$(jq -c '.rows[1] | keys_unsorted' <"$TMP/t.json")" '["n","te,xt","quarter"]' \
   "JSON: row keys in column order"

# SVG: well-formed, standalone, title text exactly the payload.
for chart in bar line timeline; do
    ok "SVG: the $chart chart is well-formed XML" xmllint --noout "$TMP/$chart.svg"
done
svg_title=$(xmllint --xpath 'string(//*[local-name()="title"][1])' "$TMP/timeline.svg")
is "$svg_title" "$payload" "SVG: the title is text, escaped, not markup"
is "$(cat "$TMP"/*.svg | grep -c -i -e '<script' -e 'href' -e 'url(' -e '@import')" 0 \
   "SVG: no scripts, links or external resources"

# HTML: the script payload appears only as text.
is "$(xmllint --html --xpath 'count(//script)' "$TMP/t.html" 2>/dev/null)" 0 \
   "HTML: no script element from the payload"
is "$(xmllint --html --xpath 'string(//caption)' "$TMP/t.html" 2>/dev/null)" "$payload" \
   "HTML: the caption shows the payload as text"

# The example reports, run by arca itself over the sotu sample.
if "$ARCA" help run >/dev/null 2>&1 && "$ARCA" help report >/dev/null 2>&1; then
    C=$TMP/c
    arca init "$C" >/dev/null && arca -C "$C" import "$DATA/sotu" >/dev/null 2>&1
    mkdir -p "$C/reports" && cp "$ARCA_SRC"/lua/reports/*.lua "$C/reports/"
    want=$(arca -C "$C" search --json --facet year union |
           jq -r '.facets.year | to_entries | sort_by(.key) | map(.key + "," + (.value|tostring)) | join(" ")')
    got=$(arca -C "$C" run "$ARCA_SRC/lua/reports/per-year.lua" union | tr -d '\r' | tail -n +2 | tr '\n' ' ')
    is "${got% }" "$want" "per-year (arca run) counts what arca search --json counts"
    arca -C "$C" report timeline union >"$TMP/union.svg"
    ok "timeline (arca report) prints a well-formed SVG" xmllint --noout "$TMP/union.svg"
else
    skip "this arca has no run and report commands"
    skip "this arca has no run and report commands"
fi
done_testing
