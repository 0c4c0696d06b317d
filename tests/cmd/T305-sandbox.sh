#!/bin/bash
# The sandbox of `arca run --sandbox`, from the script's side: what is
# missing, what is read-only, and each limit ending the script with its
# own clear message, exit status 1, the process unharmed.
. "$(dirname "$0")/lib.sh"
plan 28

S=$DATA/lua/sandbox
C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import "$DATA/sotu" >/dev/null 2>&1

# sb SCRIPT [OPTIONS...]: run it sandboxed; $out, $err and $st are set.
sb() {
    local script=$1; shift
    timeout 60 "$ARCA" -C "$C" run --sandbox "$@" "$S/$script" \
        >"$TMP/out" 2>"$TMP/err"
    st=$?
    out=$(cat "$TMP/out")
    err=$(head -c 2000 "$TMP/err" | tr '\n' ' ')
}

rm -f /tmp/arca-sandbox-escaped
sb os-execute.lua
is "$st" 1 "os.execute: exit status 1"
like "$err" "os-execute\.lua:2: attempt to index a nil value \(global 'os'\)" "os.execute: os is not there"
ok "and nothing ran" test ! -e /tmp/arca-sandbox-escaped
sb io-open.lua
like "$st $err" "^1 .*io-open\.lua:2: attempt to index a nil value \(global 'io'\)" "io.open: io is not there"
sb require-os.lua
like "$st $err" "^1 .*require-os\.lua:2: module 'os' is not available in the sandbox" "require of another module fails"

sb absent.lua
is "$(sed -n 1p "$TMP/out")" "$(printf 'absent\tnil\tnil\tnil\tnil\tnil\tnil\tnil\tnil')" \
   "no dofile, loadfile, string.dump, debug, package, io, os, coroutine"
is "$(sed -n 2p "$TMP/out")" "$(printf 'present\tfunction\ttable\tfunction\tfunction\tfunction\tfunction\tfunction')" \
   "arca, arca.report, string, math, table, utf8 and load are there"
like "$(sed -n 3p "$TMP/out")" "^bytecode	nil	attempt to load a binary chunk" "load refuses a bytecode string"
is "$(sed -n 4p "$TMP/out")" "$(printf 'text\tnil\tnil\t2')" "load reads text, into the sandbox's environment"
is "$(sed -n 5p "$TMP/out")" "$(printf 'env\ttrue')" "a loaded chunk sees the sandbox's globals"

if command -v luac5.4 >/dev/null; then
    printf 'print("ran")\n' | luac5.4 -o "$TMP/bc.luac" -
    "$ARCA" -C "$C" run --sandbox "$TMP/bc.luac" >"$TMP/out" 2>"$TMP/err"
    is "$? $(cat "$TMP/out") $(cat "$TMP/err")" \
       "1  arca: $TMP/bc.luac: attempt to load a binary chunk (mode is 't')" \
       "a bytecode script file is refused"
else
    skip "no luac5.4 to make a bytecode file"
fi

sb memory-bomb.lua
is "$st" 1 "string.rep memory bomb: exit status 1"
like "$err" "memory-bomb\.lua: script: memory limit of 64 MiB reached" "with the memory limit's message"
sb memory-bomb.lua --max-memory 8M
like "$err" "memory limit of 8 MiB reached" "--max-memory sets the limit"
sb memory-pcall.lua
like "$st $err" "^1 .*memory-pcall\.lua:[0-9]+: script: memory limit of 64 MiB reached" \
   "a table growing inside pcall: the limit still ends the script"
is "$out" "" "nothing after the pcall runs"

sb loop.lua --max-instructions 5000000
like "$st $err" "^1 .*loop\.lua:3: script: instruction limit of 5000000 reached.*stack traceback" \
   "an endless loop: the instruction limit, with file:line and a traceback"
sb loop-pcall.lua --max-instructions 5000000
like "$st $err" "^1 .*loop-pcall\.lua:3: script: instruction limit of 5000000 reached" \
   "an endless loop inside pcall: pcall cannot swallow the limit"
is "$out" "" "and nothing after it runs"

start=$(date +%s)
sb loop.lua --timeout 1 --max-instructions 100000000000
secs=$(($(date +%s) - start))
like "$st $err" "^1 .*loop\.lua:3: script: time limit of 1 seconds reached" "wall time: the --timeout limit"
ok "and it stopped in time ($secs s)" test "$secs" -le 4
start=$(date +%s)
sb pattern.lua --timeout 1
secs=$(($(date +%s) - start))
like "$st $err" "^1 .*pattern\.lua: script: time limit of 1 seconds reached \(in a library call\)" \
   "one long library call: the watchdog ends it ($secs s)"

sb recursion.lua
like "$st $err" "^1 .*recursion\.lua:2: stack overflow" "a deep recursion: stack overflow, exit status 1"
sb gc.lua
like "$st $err" "^1 .*gc\.lua:2: setmetatable: __gc metamethods are not allowed in the sandbox" \
   "__gc (finalizers run without hooks) is refused"

sb write.lua
is "$(sed -n 1p "$TMP/out")" "$(printf 'count\t7')" "searching works in the sandbox"
like "$(sed -n 2,4p "$TMP/out" | tr '\n' ' ')" \
   "^add	false	add: not allowed in the sandbox.*import	false	import: not allowed in the sandbox.*open	false	arca\.open: /: the sandbox opens only the collection" \
   "add, import and opening another collection are refused"

sb read.lua
is "$out" "$(printf '7\t7\t7\ttrue\ttrue\ttrue')" "search, count, facets, record, terms and text work sandboxed"

# Without --sandbox, a script has the whole library; limits need --sandbox.
printf 'io.write(os.getenv("HOME") and "full" or "none", "\\n")\n' >"$TMP/full.lua"
arca -C "$C" run --max-memory 8M "$TMP/full.lua" 2>/dev/null
is "$? $(arca -C "$C" run "$TMP/full.lua")" "2 full" \
   "io and os outside the sandbox; a limit without --sandbox is a usage error"
done_testing
