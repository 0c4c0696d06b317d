#!/bin/bash
# arca import --log FILE: one JSON line per file the import sees, appended,
# with its outcome (imported, unchanged, skipped, failed), id, records,
# type, encoding, bytes, milliseconds, error and warning; a re-run adds a
# line per file again, each unchanged.
. "$(dirname "$0")/lib.sh"
plan 16

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in/sub"
printf 'The harvest report of the northern region.\n' >"$TMP/in/a.txt"
printf '<html><head><title>Lantern festival</title></head><body>Lanterns.</body></html>\n' >"$TMP/in/sub/b.html"
printf '\xb0\xa1\xb3\xaa\xb4\xd9 \xc7\xd1\xb1\xb9\xbe\xee \xb9\xae\xbc\xad\xc0\xd4\xb4\xcf\xb4\xd9.\n' >"$TMP/in/sub/euckr.txt"
: >"$TMP/in/empty.txt"                          # fails: an empty file
printf '{"title": "Harvest"}\n' >"$TMP/in/a.txt.meta.json"
ln -s "$TMP/nowhere" "$TMP/in/dangling"         # skipped
LOG=$TMP/import.jsonl

arca -C "$C" import --quiet --log "$LOG" "$TMP/in" 2>/dev/null
is "$?" 0 "the import runs through with a failing file"
is "$(wc -l <"$LOG" | tr -d ' ')" 5 "one line per file: four files and a link (not the sidecar)"
is "$(jq -c . "$LOG" >/dev/null 2>&1 && echo valid)" valid "every line is JSON"
is "$(jq -r '.path' "$LOG" | sort | uniq -d)" "" "no file has two lines"
line() { jq -c --arg p "$TMP/in/$1" "select(.path == \$p) | $2" "$LOG" | tail -1; }
is "$(line a.txt '[.outcome, .records, .type, .bytes, .error]')" \
   '["imported",1,"text/plain",43,null]' "an imported file: outcome, records, type, bytes, no error"
like "$(line a.txt .id)" '^"a-[0-9a-f]{10}"$' "with its record's id"
is "$(line sub/euckr.txt .encoding)" '"EUC-KR"' "the encoding its text was decoded from"
is "$(line sub/b.html .type)" '"text/html"' "the MIME type"
is "$(line empty.txt '[.outcome, .id, .records]')" '["failed",null,0]' "a failing file is failed, without an id"
like "$(line empty.txt .error)" 'empty file' "with the reason"
is "$(line dangling '[.outcome, .error]')" '["skipped",null]' "a dangling link is skipped"
like "$(line dangling .warning)" 'not followed' "with the reason as its warning"
is "$(jq -r 'select(.ms | type != "number" or . < 0) | .path' "$LOG")" "" "every line has its milliseconds"
is "$(jq -r 'keys_unsorted | join(",")' "$LOG" | sort -u)" \
   "path,outcome,id,records,type,encoding,bytes,ms,error,warning" "every line has the same fields"

# Again: the log is appended to, each file once more, unchanged.
arca -C "$C" import --quiet --log "$LOG" "$TMP/in" 2>/dev/null
is "$(tail -n 5 "$LOG" | jq -r '[.outcome] | @tsv' | sort | uniq -c | awk '{print $2 ":" $1}' | paste -sd' ')" \
   "failed:1 skipped:1 unchanged:3" "a re-run appends a line per file: unchanged, and the failure again"
is "$(stat -c %a "$LOG")" 644 "the log is created with mode 0644"
done_testing
