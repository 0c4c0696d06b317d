#!/bin/bash
# A folder holding a post's text and its files imported as one record with
# attachments: when a sidecar beside the folder (FOLDER.meta.json) says so,
# or config.lua's on_folder does.  The body is the file the sidecar or the
# hook names, else index.*/body.*/post.*; every other file below the folder
# is an attachment.  A changed file imports the folder again as a new
# version of the same record; a bad body or hook fails that folder alone.
. "$(dirname "$0")/lib.sh"
plan 26

IN=$TMP/in
P=$IN/news/near-forum-2023
mkdir -p "$P/extra" "$IN/news/plain"
cp "$DATA/announcement/post.txt" "$P/index.txt"
cp "$DATA/announcement/1.JPG" "$P/1.JPG"
printf 'Minutes of the subcommittee, kept in the archive of Pohang.\n' >"$P/extra/minutes.txt"
printf '{"title": "must not apply"}\n' >"$P/extra/minutes.txt.meta.json"
cat >"$IN/news/near-forum-2023.meta.json" <<'JSON'
{"title": "NEAR International Forum 2023", "date": "2023-12-13",
 "author": "Admin", "board": "News", "tags": ["forum"], "venue": "Gyeongju"}
JSON
printf 'A loose note about the harvest.\n' >"$IN/news/plain/note.txt"
printf 'Another loose note, on lanterns.\n' >"$IN/news/plain/other.txt"
chmod -R u+w "$IN"

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --json --log "$TMP/log" "$IN" >"$TMP/s.json"
is "$(jq -r '[.files, .records, .failed] | join(" ")' <"$TMP/s.json")" "3 3 0" \
   "the folder is one record beside the two loose files"

arca -C "$C" search --json Gyeongju >"$TMP/g.json"
id=$(jq -r '.hits[0].id' <"$TMP/g.json")
like "$id" '^near-forum-2023-[0-9a-f]{10}$' "its id comes from the folder's name"
arca -C "$C" show --json "$id" >"$TMP/r.json"
is "$(jq -r '[.title, .date, .author, .board, (.tags | join(",")), .extra.venue] | join("|")' <"$TMP/r.json")" \
   "NEAR International Forum 2023|2023-12-13|Admin|News|forum|Gyeongju" \
   "the sidecar beside the folder gives its fields"
is "$(jq -r '[.parts[] | .name // "-"] | join(" ")' <"$TMP/r.json")" "index.txt 1.JPG extra/minutes.txt" \
   "index.txt is the body, the other files its attachments, in name order"
is "$(jq -r '[.parts[] | .type] | join(" ")' <"$TMP/r.json")" "text/plain image/jpeg text/plain" \
   "each part detected on its own"
is "$(jq -r '[.hits[].attachments[].name] | join(" ")' <"$TMP/g.json")" "1.JPG extra/minutes.txt" \
   "a hit lists the attachments"

arca -C "$C" search --json Pohang >"$TMP/p.json"
is "$(jq -r '[.total, .hits[0].id, .hits[0].part] | join(" ")' <"$TMP/p.json")" "1 $id extra/minutes.txt" \
   "a word of an attachment finds the record, naming the part"
is "$(arca -C "$C" search --json 'Gyeongju OR Pohang' | jq -r .total)" 1 \
   "found in the body and an attachment, it is one hit"
is "$(arca -C "$C" search --json 'title:"must not apply"' | jq -r .total)" 0 \
   "sidecars inside the folder record are not fields of anything"

arca -C "$C" get "$id" >"$TMP/body"
ok "get ID returns the body's original" cmp "$TMP/body" "$P/index.txt"
arca -C "$C" get "$id/1.JPG" >"$TMP/jpg"
ok "get ID/ATTACHMENT returns the attachment's" cmp "$TMP/jpg" "$P/1.JPG"
arca -C "$C" get "$id/extra/minutes.txt" >"$TMP/min"
ok "an attachment in a folder below it too" cmp "$TMP/min" "$P/extra/minutes.txt"

is "$(jq -r --arg p "$P" 'select(.path == $p) | [.outcome, .records, .id] | join(" ")' "$TMP/log")" \
   "imported 1 $id" "--log has one line for the folder, with its record"

# Unchanged, then changed.
arca -C "$C" import --json "$IN" >"$TMP/s2.json"
is "$(jq -r '[.files, .unchanged, .records] | join(" ")' <"$TMP/s2.json")" "3 3 0" \
   "a re-run finds the folder unchanged"
printf 'Photographs of the closing ceremony.\n' >"$P/extra/photos.txt"
arca -C "$C" import --json "$IN" >"$TMP/s3.json"
is "$(jq -r '[.unchanged, .records] | join(" ")' <"$TMP/s3.json")" "2 1" \
   "a file added to the folder imports it again"
arca -C "$C" show --json "$id" >"$TMP/r2.json"
is "$(jq -r '[.version, (.parts | length)] | join(" ")' <"$TMP/r2.json")" "2 4" \
   "as a new version of the same record, with the new attachment"
is "$(arca -C "$C" stats --json | jq -r .records)" 3 "and no new record"

# The sidecar names the body.
printf '<html><head><title>Agenda</title></head><body>Agenda of the forum in Andong.</body></html>\n' >"$P/agenda.html"
jq '. + {body: "agenda.html"}' "$IN/news/near-forum-2023.meta.json" >"$TMP/m" && cp "$TMP/m" "$IN/news/near-forum-2023.meta.json"
arca -C "$C" import --quiet "$IN"
arca -C "$C" show --json "$id" >"$TMP/r3.json"
is "$(jq -r '[.parts[0].name, .parts[0].type, ([.parts[].name] | index("index.txt") > 0)] | join(" ")' <"$TMP/r3.json")" \
   "agenda.html text/html true" "\"body\" in the sidecar chooses the body; index.txt becomes an attachment"

printf '{"body": "missing.txt"}\n' >"$IN/news/plain.meta.json"
arca -C "$C" import --json "$IN" >"$TMP/f.json" 2>/dev/null
is "$(jq -r '[.failed, (.errors | length)] | join(" ")' <"$TMP/f.json")" "1 1" "a body that is not there fails that folder"
like "$(jq -r '.errors[0] | .path + ": " + .error' <"$TMP/f.json")" \
     'news/plain: plain\.meta\.json: body "missing\.txt" is not a file in the folder' \
     "naming the folder, the sidecar and the body"
is "$(arca -C "$C" search --json harvest | jq -r .total)" 1 "what was archived before stays"
rm "$IN/news/plain.meta.json"

# config.lua's on_folder decides.
H=$TMP/h
arca init "$H" >/dev/null
rm "$IN/news/near-forum-2023.meta.json"
cat >"$H/config.lua" <<'LUA'
return {
  on_folder = function(folder)
    for _, name in ipairs(folder.files) do
      if name == "index.txt" then
        return { title = "Post: " .. folder.name, board = "Forum",
                 fields = { files = #folder.files } }
      end
    end
  end,
}
LUA
arca -C "$H" import --json --dry-run "$IN" >"$TMP/d.json"
is "$(jq -r '[.files, .records] | join(" ")' <"$TMP/d.json")" "3 3" \
   "--dry-run counts the folder as one record"
arca -C "$H" import --json "$IN" >"$TMP/h.json"
is "$(jq -r '[.files, .records, .failed] | join(" ")' <"$TMP/h.json")" "3 3 0" \
   "on_folder makes the folder with an index.txt one record, walks the other"
hid=$(arca -C "$H" search --json 'board:forum' | jq -r '.hits[0].id')
arca -C "$H" show --json "$hid" >"$TMP/hr.json"
is "$(jq -r '[.title, .board, .extra.files, .parts[0].name] | join("|")' <"$TMP/hr.json")" \
   "Post: near-forum-2023|Forum|5|index.txt" "with the fields it returns (it saw the five files)"
is "$(arca -C "$H" search --json 'lanterns' | jq -r '.hits[0].board')" "null" \
   "the folder it declined is imported file by file"

cat >"$H/config.lua" <<'LUA'
return { on_folder = function(folder) if folder.name == "plain" then error("no posts here") end end }
LUA
arca -C "$H" import --json "$IN" >"$TMP/he.json" 2>/dev/null
like "$(jq -r '.errors[0] | .path + ": " + .error' <"$TMP/he.json")" \
     'news/plain: on_folder: config\.lua:1: no posts here' "a hook's error names the folder and config.lua's line"
done_testing
