#!/bin/bash
# Extra fields config.lua declares are searchable by name: a keyword field
# as one exact, case-folded value, a text field by its words; whether they
# come from a sidecar or an import hook.  A bad declaration is named.
. "$(dirname "$0")/lib.sh"
plan 12

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in"
printf 'Minutes of the spring meeting.\n' >"$TMP/in/a.txt"
printf '{"title": "Spring minutes", "dept": "Finance", "writer": "Kim Minsu", "room": 301}\n' >"$TMP/in/a.meta.json"
printf 'Minutes of the autumn meeting.\n' >"$TMP/in/b.txt"
printf '{"title": "Autumn minutes", "dept": "Planning", "writer": "Lee Jiyoung"}\n' >"$TMP/in/b.meta.json"
printf 'A note without a sidecar; its hook gives the writer.\n' >"$TMP/in/c.txt"
cat >"$C/config.lua" <<'LUA'
return {
  fields = { dept = "keyword", writer = "text", room = "keyword" },
  on_extract = function(mime, doc)
    if doc.name == "c.txt" then doc.fields.writer = "Park Kim" end
  end,
}
LUA
arca -C "$C" import --quiet "$TMP/in"

titles() { arca -C "$C" search --json "$1" | jq -r '[.hits[].title] | sort | join("|")'; }
is "$(titles 'dept:finance')" "Spring minutes" "a keyword field is searched by its value, case-folded"
is "$(titles 'dept:Planning minutes')" "Autumn minutes" "and combines with words"
is "$(titles 'writer:kim')" "Spring minutes|c.txt" "a text field is searched by its words, from a sidecar or a hook"
is "$(titles 'writer:"lee jiyoung"')" "Autumn minutes" "and by a phrase"
is "$(titles 'room:301')" "Spring minutes" "a number is its text"
is "$(titles 'kim writer:lee')" "" "a field's words are not found under another field"
is "$(arca -C "$C" search --json --facet dept minutes | jq -c .facets.dept)" '{"Finance":1,"Planning":1}' \
   "a keyword field is a facet"
printf 'local f = arca.open():facets("minutes", {"dept", "type"})\nprint(f.dept.Finance, f.dept.Planning)\n' >"$TMP/f.lua"
is "$(arca -C "$C" run "$TMP/f.lua")" "$(printf '1\t1')" "in Lua too"
arca -C "$C" search --facet writer minutes >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" "no facet 'writer'" "a text field is not a facet"

# A declaration changed later takes effect with a reindex.
cat >"$C/config.lua" <<'LUA'
return { fields = { dept = "keyword", writer = "text", room = "keyword", floor = "keyword" } }
LUA
printf '{"title": "Autumn minutes", "dept": "Planning", "writer": "Lee Jiyoung", "floor": "3"}\n' >"$TMP/in/b.meta.json"
arca -C "$C" import --quiet "$TMP/in"
is "$(titles 'floor:3')" "Autumn minutes" "a field declared later is searched once records carry it"

printf 'return { fields = { title = "text" } }\n' >"$C/config.lua"
arca -C "$C" search x >/dev/null 2>"$TMP/err"
like "$? $(cat "$TMP/err")" '^1 .*config\.lua: fields\.title: title: is built in' "a built-in name cannot be declared"
printf 'return { fields = { dept = "number" } }\n' >"$C/config.lua"
arca -C "$C" search x >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" 'fields\.dept: "text" or "keyword", not number' "a bad kind is named"
done_testing
