#!/bin/bash
# Nothing reported archived is lost when a call fails.  The fault library
# (tests/fault/fault.c, preloaded) makes the Nth allocation, or the Nth
# disk-changing system call of arca, libxapian or libsqlite3, fail; an
# import and a reindex are run once for each N in turn.  Each run must end
# with success or a clear error (never a crash), `arca fsck` must find
# nothing wrong but an index behind its catalog, every record the run
# logged as imported must be there with its original, and a plain re-run
# must finish the work.  The short form tries about 20 N per phase, spread
# over all of them; ARCA_STRESS=1 (`make stress`) tries every N.
. "$(dirname "$0")/lib.sh"

[ "${ARCA_SANITIZE:-}" = 1 ] &&
    skip_all "the fault library brings its own malloc, which the sanitizers' would fight"
FAULT_LIB=${ARCA_FAULT_LIB:-$(dirname "$ARCA")/tests/fault/libfault.so}
[ -f "$FAULT_LIB" ] || skip_all "no fault library at $FAULT_LIB"
export OMP_THREAD_LIMIT=1
STEPS=${ARCA_FAULT_STEPS:-20}
[ "${ARCA_STRESS:-}" = 1 ] && STEPS=0   # every N

plan 14

S1=$DATA/sotu
S2=("$DATA/announcement" "$DATA/html/en" "$DATA/archives/bundle.zip")

# The collection every run starts from: S1 imported.
BASE=$TMP/base
arca init "$BASE" >/dev/null
arca -C "$BASE" import --quiet "$S1"
# And the collection a run must end as: S1 and S2 imported.
FULL=$TMP/full
cp -a "$BASE" "$FULL"
arca -C "$FULL" import --quiet "${S2[@]}"
Q1='union'
Q2='Gyeongju OR bundle OR layer'
n1_full=$(arca -C "$FULL" search --json --limit 0 "$Q1" | json .total)
n2_full=$(arca -C "$FULL" search --json --limit 0 "$Q2" | json .total)

# fault KIND AT [ENV...] -- ARGS: arca ARGS with the fault library.
fault() {
    local kind=$1 at=$2; shift 2
    env LD_PRELOAD="$FAULT_LIB" ARCA_FAULT="$kind" ARCA_FAULT_AT="$at" \
        ARCA_FAULT_REPORT="$TMP/report" "$@"
}

# The calls of KIND that arca ARGS... makes, on a fresh copy of BASE
# (or of FROM).
count_calls() {  # KIND FROM ARGS...
    local kind=$1 from=$2; shift 2
    rm -rf "$TMP/w" && cp -a "$from" "$TMP/w"
    fault "$kind" 0 "$ARCA" -C "$TMP/w" "$@" >/dev/null 2>&1
    cut -d' ' -f1 "$TMP/report"
}

# Each N from 1 to TOTAL in turn, or about STEPS of them spread evenly.
points() {  # TOTAL
    local total=$1 step=1
    [ "$STEPS" -gt 0 ] && [ "$total" -gt "$STEPS" ] && step=$(( (total + STEPS - 1) / STEPS ))
    seq 1 "$step" "$total"
}

bad=()      # what went wrong, one line per run
runs=0
fired=0
failed_clearly=0

# After a run on $TMP/w that ended with RC (its error in $TMP/err, its
# log in $TMP/log): the checks above.  LABEL names the run.
check_run() {  # LABEL RC
    local label=$1 rc=$2
    runs=$((runs + 1))
    [ "$(cut -d' ' -f2 "$TMP/report" 2>/dev/null)" -gt 0 ] 2>/dev/null &&
        fired=$((fired + 1))
    if grep -Eq 'Sanitizer|Segmentation|terminate called|Aborted|core dumped|double free|corrupted' "$TMP/err" ||
       { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
        bad+=("$label: crashed (status $rc): $(head -c 300 "$TMP/err")")
        return
    fi
    if [ "$rc" != 0 ]; then
        if ! grep -q '^arca: ' "$TMP/err"; then
            bad+=("$label: status $rc without a message")
            return
        fi
        failed_clearly=$((failed_clearly + 1))
    fi
    # fsck: nothing wrong but, at most, an index behind the catalog.
    arca -C "$TMP/w" fsck --json >"$TMP/fsck.json" 2>/dev/null
    local probs
    probs=$(jq -r '.problems[]? | select(startswith("index: reflects") | not)' \
            <"$TMP/fsck.json" 2>/dev/null)
    if [ -n "$probs" ] || ! jq -e . "$TMP/fsck.json" >/dev/null 2>&1; then
        bad+=("$label: fsck: ${probs:-no answer}")
        return
    fi
    # Every record logged as imported is there, its original readable.
    local id
    for id in $(jq -r 'select(.outcome == "imported") | .id' "$TMP/log" 2>/dev/null); do
        if ! arca -C "$TMP/w" get "$id" -o "$TMP/orig" 2>"$TMP/geterr"; then
            bad+=("$label: record $id logged as imported: $(cat "$TMP/geterr")")
            return
        fi
    done
}

# After check_run: a plain re-run finishes, and then all is there.
check_rerun() {  # LABEL ARGS...
    local label=$1; shift
    if ! arca -C "$TMP/w" "$@" >/dev/null 2>"$TMP/err"; then
        bad+=("$label: the re-run failed: $(head -c 300 "$TMP/err")")
        return
    fi
    if ! arca -C "$TMP/w" fsck >/dev/null 2>"$TMP/err"; then
        bad+=("$label: fsck after the re-run: $(arca -C "$TMP/w" fsck 2>&1 | head -3)")
        return
    fi
    local n1 n2
    n1=$(arca -C "$TMP/w" search --json --limit 0 "$Q1" | json .total)
    n2=$(arca -C "$TMP/w" search --json --limit 0 "$Q2" | json .total)
    if [ "$n1" != "$n1_full" ] || [ "$n2" != "$n2_full" ]; then
        bad+=("$label: after the re-run, '$Q1' finds $n1 (not $n1_full), '$Q2' $n2 (not $n2_full)")
    fi
}

# ---- Import ----
phase() {  # NAME KIND [ENV...]
    local name=$1 kind=$2; shift 2
    local total n rc
    total=$(count_calls "$kind" "$BASE" import --quiet "${S2[@]}")
    echo "# $name: $total calls counted"
    [ "${total:-0}" -gt 0 ] || { bad+=("$name: no calls counted"); return; }
    for n in $(points "$total"); do
        rm -rf "$TMP/w" "$TMP/log" && cp -a "$BASE" "$TMP/w"
        fault "$kind" "$n" "$@" "$ARCA" -C "$TMP/w" import --quiet --log "$TMP/log" \
            "${S2[@]}" >/dev/null 2>"$TMP/err"
        rc=$?
        check_run "$name at $n" "$rc"
        check_rerun "$name at $n" import --quiet "${S2[@]}"
    done
}

nbad=${#bad[@]}
phase "import, I/O errors" io
is "$(printf '%s\n' "${bad[@]:$nbad}")" "" "an import survives an I/O error at each call"
nbad=${#bad[@]}
phase "import, a full disk from call N on" io ARCA_FAULT_ERRNO=ENOSPC ARCA_FAULT_PERSIST=1
is "$(printf '%s\n' "${bad[@]:$nbad}")" "" "an import survives a disk that fills at each call"
nbad=${#bad[@]}
phase "import, out of memory" alloc
is "$(printf '%s\n' "${bad[@]:$nbad}")" "" "an import survives an allocation failing at each call"

# ---- Reindex ----
arca -C "$FULL" search --json --limit 100 'the OR union OR 경주' |
    jq -c '[.total, [.hits[].id]]' >"$TMP/expect"
rphase() {  # NAME KIND [ENV...]
    local name=$1 kind=$2; shift 2
    local total n rc
    total=$(count_calls "$kind" "$FULL" reindex)
    echo "# $name: $total calls counted"
    [ "${total:-0}" -gt 0 ] || { bad+=("$name: no calls counted"); return; }
    for n in $(points "$total"); do
        rm -rf "$TMP/w" && cp -a "$FULL" "$TMP/w" && : >"$TMP/log"
        fault "$kind" "$n" "$@" "$ARCA" -C "$TMP/w" reindex >/dev/null 2>"$TMP/err"
        rc=$?
        check_run "$name at $n" "$rc"
        check_rerun "$name at $n" reindex
        arca -C "$TMP/w" search --json --limit 100 'the OR union OR 경주' |
            jq -c '[.total, [.hits[].id]]' >"$TMP/got"
        cmp -s "$TMP/got" "$TMP/expect" ||
            bad+=("$name at $n: results after the re-run differ")
    done
}
nbad=${#bad[@]}
rphase "reindex, I/O errors" io
is "$(printf '%s\n' "${bad[@]:$nbad}")" "" "a reindex survives an I/O error at each call"
nbad=${#bad[@]}
rphase "reindex, out of memory" alloc
is "$(printf '%s\n' "${bad[@]:$nbad}")" "" "a reindex survives an allocation failing at each call"

echo "# $runs runs, $fired with a fault injected, $failed_clearly ended with a clear error"
ok "faults were injected" test "$fired" -gt 10
ok "and some made the run fail" test "$failed_clearly" -gt 5

# ---- A disk that really fills: a small tmpfs ----
# 2.4 MB holds S1's collection (1.7 MB) but not S2 and the PDFs beside it.
M=$TMP/small
mkdir -p "$M"
if mount -t tmpfs -o size=2400k tmpfs "$M" 2>/dev/null; then
    trap 'umount "$M" 2>/dev/null; rm -rf "$TMP"' EXIT
    arca init "$M/c" >/dev/null
    arca -C "$M/c" import --quiet "$S1"
    n1=$(arca -C "$M/c" search --json --limit 0 "$Q1" | json .total)
    arca -C "$M/c" import --quiet --log "$TMP/log" "${S2[@]}" "$DATA/pdf" \
        "$DATA/office" >/dev/null 2>"$TMP/err"
    rc=$?
    is "$rc" 1 "importing more than the disk holds fails"
    like "$(cat "$TMP/err")" "No space left on device|disk is full" "saying the disk is full"
    ok "fsck finds nothing wrong but, at most, the index behind" bash -c \
        "'$ARCA' -C '$M/c' fsck --json | jq -e '[.problems[] | select(startswith(\"index: reflects\") | not)] == []'"
    is "$(arca -C "$M/c" search --json --limit 0 "$Q1" | json .total)" "$n1" \
        "what was archived before is all there"
    lost=
    for id in $(jq -r 'select(.outcome == "imported") | .id' "$TMP/log"); do
        arca -C "$M/c" get "$id" -o "$TMP/orig" 2>/dev/null || lost="$lost $id"
    done
    is "$lost" "" "every file logged as imported is there"
    mount -o remount,size=64m "$M"
    ok "with room again, the import finishes" arca -C "$M/c" import --quiet \
        "${S2[@]}" "$DATA/pdf" "$DATA/office"
    ok "and fsck is clean" arca -C "$M/c" fsck
    umount "$M"
else
    for i in 1 2 3 4 5 6 7; do skip "cannot mount a tmpfs here (not root?)"; done
fi

if [ ${#bad[@]} -gt 0 ]; then
    printf '# %s\n' "${bad[@]}" | head -40
fi
done_testing
