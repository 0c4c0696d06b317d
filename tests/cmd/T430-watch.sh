#!/bin/bash
# arca watch, a drop folder: what is there at the start, a file copied
# in, one written slowly in pieces (imported once, complete), a new
# subfolder's file, a file moved in, a bad file reported while watch goes
# on, a temporary name ignored until renamed, hidden files and links out
# of the folder left alone, a busy collection waited for, searches while
# it runs, JSON lines, and a clean stop on SIGTERM.
. "$(dirname "$0")/lib.sh"
plan 33

C=$TMP/c
D=$TMP/drop
arca init "$C" >/dev/null
mkdir -p "$D"
printf 'aardvark was here before the watch began\n' >"$D/before.txt"
printf 'hiddenword in a dot file\n' >"$D/.hidden.txt"
printf 'outsideword kept outside the drop folder\n' >"$TMP/secret.txt"

T=${ARCA_SANITIZE:+90}
T=${T:-30}            # seconds a step may take, at most
# within SECONDS COMMAND...: COMMAND succeeds before SECONDS have passed.
within() {
    local end=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
# hits WORD: how many records a search for WORD finds.
hits() { arca -C "$C" search --json "$1" | jq -r .total; }
found() { [ "$(hits "$1")" = 1 ]; }
logged() { grep -Eq -- "$1" "$TMP/watch.log"; }

is "$(arca -C "$C" watch 2>&1 >/dev/null | head -1)" "arca: watch: watch needs the folder to watch" \
   "no folder: a usage error"
arca -C "$C" watch "$D" --settle soon 2>/dev/null
is "$?" 2 "a bad --settle: status 2"
arca -C "$C" watch "$TMP/nothing-here" 2>/dev/null
is "$?" 1 "a folder that is not there: status 1"

"$ARCA" -C "$C" watch "$D" --settle 1 --no-ocr >"$TMP/watch.out" 2>"$TMP/watch.log" &
pid=$!
# A test that stops early must not leave watch running.
trap 'kill "$pid" 2>/dev/null; rm -rf "$TMP"' EXIT
ok "it says what it watches" within "$T" logged "^arca: watching $D for $C"
ok "a file there before the start is imported" within "$T" found aardvark

cp "$DATA/sotu/1790_george_washington_n.txt" "$D/"
ok "a file copied in is found" within "$T" found '"fellow citizens"'

# Written in pieces: open throughout with a pause longer than --settle,
# then appended to with pauses shorter than it.
(
    exec 3>"$D/slow.txt"
    echo "slowbegin" >&3
    sleep 0.3
    echo "slowmiddle" >&3
    sleep 2.5
    echo "slowfinish" >&3
    exec 3>&-
    for i in 1 2 3; do
        sleep 0.3
        echo "slowappend$i" >>"$D/slow.txt"
    done
) &
writer=$!
ok "a file written slowly is found by its last words" within "$T" found slowappend3
wait "$writer"
is "$(hits slowbegin) $(hits slowfinish)" "1 1" "and by its first ones: it is complete"

mkdir -p "$D/new/inner"
printf 'subfolderword in a new folder\n' >"$D/new/inner/s.txt"
ok "a file in a new subfolder is found" within "$T" found subfolderword

: >"$D/empty.txt"
ok "an empty file is reported with the reason" within "$T" logged "^failed $D/empty\.txt: empty"
printf 'movedword came by mv\n' >"$TMP/moved.txt"
mv "$TMP/moved.txt" "$D/moved.txt"
ok "a file moved in is found, and watch goes on after a bad file" within "$T" found movedword

printf 'partword still downloading\n' >"$D/download.txt.part"
printf 'tildeword an editor backup\n' >"$D/notes.txt~"
ln -s "$TMP/secret.txt" "$D/link.txt"
ok "a link out of the folder is reported as skipped" \
   within "$T" logged "^skipped $D/link\.txt: symbolic link out of the drop folder"
sleep 2                       # twice --settle: time to be imported, wrongly
is "$(hits partword) $(hits tildeword)" "0 0" "NAME.part and NAME~ are left alone"
mv "$D/download.txt.part" "$D/download.txt"
ok "until renamed" within "$T" found partword
is "$(hits outsideword)" 0 "the link's target is not imported"

flock "$C/lock" sleep 3 &
locker=$!
sleep 0.5
printf 'busyword while another writer works\n' >"$D/busy.txt"
ok "a busy collection is said once" within "$T" logged "collection is busy"
ok "search works while watch runs" arca -C "$C" search union
ok "the file waits, and is imported once the writer is done" within "$T" found busyword
wait "$locker"
is "$(grep -c 'collection is busy' "$TMP/watch.log")" 1 "busy is said once only"

# A post's folder moved in after its sidecar: one record with attachments,
# and a file added to it later makes a new version of that record.
mkdir -p "$TMP/post/att"
printf 'postbodyword the text of the post\n' >"$TMP/post/index.txt"
printf 'postattword an attached note\n' >"$TMP/post/att/a.txt"
printf '{"title": "Dropped post"}\n' >"$D/post.meta.json"
mv "$TMP/post" "$D/post"
id_of() { arca -C "$C" search --json "$1" | jq -r '.hits[0].id // empty'; }
one_record() { [ -n "$(id_of postbodyword)" ] && [ "$(id_of postbodyword)" = "$(id_of postattword)" ]; }
ok "a post's folder moved in beside its sidecar is one record" within "$T" one_record
printf 'latepostword added afterwards\n' >"$D/post/late.txt"
ok "a file added to it later is found in that record" \
   within "$T" eval '[ "$(id_of latepostword)" = "$(id_of postbodyword)" ]'
is "$(arca -C "$C" show --json "$(id_of postbodyword)" | jq -r '[.title, .version, (.parts | length)] | join(" ")')" \
   "Dropped post 2 3" "as its new version"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM stops it with status 0"
like "$(tail -1 "$TMP/watch.log")" "^arca: watch: stopping \(terminate\)$" "saying so"
is "$(grep -c "^imported $D/slow\.txt " "$TMP/watch.log")" 1 "the slow file was imported once"
is "$(hits hiddenword)" 0 "a dot file is left alone"
is "$(grep -c '^failed' "$TMP/watch.log")" 1 "only the empty file failed"
ok "fsck passes" arca -C "$C" fsck

# --json: a line per file on stdout.  The walk at the start lists no
# file imported before.
"$ARCA" -C "$C" watch "$D" --settle 0.5 --json >"$TMP/json.out" 2>"$TMP/json.log" &
pid=$!
within "$T" grep -q watching "$TMP/json.log"
printf 'jsonword in a JSON line\n' >"$D/json.txt"
: >"$D/empty2.txt"
listed() { grep -q "/$1\"" "$TMP/json.out"; }
ok "--json: a line for each new file" within "$T" eval 'listed json.txt && listed empty2.txt'
is "$(jq -r 'select(.path | endswith("/json.txt")) | [.outcome, (.id | length > 0), .error] | join(" ")' "$TMP/json.out")" \
   "imported true " "an imported file with its id"
is "$(jq -r 'select(.path | endswith("/empty2.txt")) | [.outcome, .id == null, .error] | join(" ")' "$TMP/json.out")" \
   "failed true empty file (0 bytes)" "a failed one with the reason"
is "$(jq -r 'select(.outcome == "unchanged" or .outcome == "imported") | .path' "$TMP/json.out")" "$D/json.txt" \
   "files imported before are not listed again"
kill -INT "$pid"
wait "$pid"
is "$?" 0 "SIGINT stops it with status 0"
done_testing
