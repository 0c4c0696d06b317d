#!/bin/bash
# Import hooks in config.lua: on_extract pulls a news board's fields out of
# its own HTML, on_record tags records by a rule; a hook's error names the
# file and the line and fails that file only; a runaway hook is stopped.
. "$(dirname "$0")/lib.sh"
plan 10

mkdir -p "$TMP/in"
cat >"$TMP/in/post1.html" <<'HTML'
<html><head><title>Board</title></head><body>
<div class="subject">NEAR forum 2023 held in Gyeongju</div>
<span class="writer">관리자</span><span class="date">2023.12.13</span>
<div class="body">The forum met in Gyeongju under the theme of cooperation.</div>
<ul class="files"><li>1.JPG</li><li>agenda.pdf</li></ul>
</body></html>
HTML
cat >"$TMP/in/post2.html" <<'HTML'
<html><head><title>Board</title></head><body>
<div class="subject">Budget notice</div>
<span class="writer">Lee</span><span class="date">2022.01.05</span>
<div class="body">A notice about the budget of the secretariat.</div>
</body></html>
HTML
echo "notes of the forum, not a post" >"$TMP/in/notes.txt"

C=$TMP/c
arca init "$C" >/dev/null
cat >"$C/config.lua" <<'LUA'
return {
  on_extract = function(mime, doc)
    if mime ~= "text/html" then return end
    local raw = doc.raw
    doc.title = raw:match('<div class="subject">(.-)</div>') or doc.title
    doc.author = raw:match('<span class="writer">(.-)</span>')
    doc.date = raw:match('<span class="date">(.-)</span>')
    doc.board = "news"
    local files = {}
    for f in raw:gmatch("<li>(.-)</li>") do files[#files + 1] = f end
    doc.fields.listed = table.concat(files, ",")
  end,
  on_record = function(rec)
    if rec.title:find("Gyeongju") then
      rec.tags[#rec.tags + 1] = "place:gyeongju"
    end
  end,
}
LUA
arca -C "$C" import --json "$TMP/in" >"$TMP/s.json"
is "$(jq -r '[.records, .failed] | join(" ")' <"$TMP/s.json")" "3 0" "the posts and the note import"
is "$(arca -C "$C" search --json 'board:news' | jq -r '[.hits[].title] | sort | join("|")')" \
   "Budget notice|NEAR forum 2023 held in Gyeongju" "on_extract gives the posts their board and subjects"
id=$(arca -C "$C" search --json 'Gyeongju board:news' | jq -r '.hits[0].id')
arca -C "$C" show --json "$id" >"$TMP/r.json"
is "$(jq -r '[.author, .date] | join(" ")' <"$TMP/r.json")" "관리자 2023-12-13" \
   "the writer and the board's own date format (2023.12.13) are taken"
is "$(jq -r '.extra.listed' <"$TMP/r.json")" "1.JPG,agenda.pdf" "the attachment list becomes a field"
is "$(arca -C "$C" search --json 'tag:place:gyeongju' | jq -r '[.hits[].id] | join(" ")')" "$id" \
   "on_record tags by a rule, and only the record it matches"
is "$(arca -C "$C" search --json 'notes' | jq -r '.hits[0].board')" "null" "other files pass through"

# A hook's error fails that file only, naming config.lua's line.
E=$TMP/e
arca init "$E" >/dev/null
cat >"$E/config.lua" <<'LUA'
return {
  on_extract = function(mime, doc)
    if doc.name == "post2.html" then error("no subject on this board") end
  end,
}
LUA
arca -C "$E" import --json "$TMP/in" >"$TMP/e.json"
is "$(jq -r '[.records, .failed] | join(" ")' <"$TMP/e.json")" "2 1" "a hook's error fails one file, the rest import"
like "$(jq -r '.errors[0] | .path + ": " + .error' <"$TMP/e.json")" \
     'post2\.html: on_extract: config\.lua:3: no subject on this board' "naming the file and the line"

cat >"$E/config.lua" <<'LUA'
return { on_record = function(rec) while true do end end }
LUA
arca -C "$E" import --json "$TMP/in" >"$TMP/l.json"
like "$(jq -r '.errors[0].error' <"$TMP/l.json")" 'on_record: config\.lua:1: runs too long' \
     "a hook that never ends is stopped"
cat >"$E/config.lua" <<'LUA'
return { on_extract = function(mime, doc) doc.date = "someday" end }
LUA
arca -C "$E" import --json "$TMP/in" >"$TMP/d.json"
like "$(jq -r '.errors[0].error' <"$TMP/d.json")" 'date "someday" is not a date' \
     "a date a hook gives is checked"
done_testing
