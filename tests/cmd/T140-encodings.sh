#!/bin/bash
# Every legacy-encoded file yields the same text as its UTF-8 twin.
. "$(dirname "$0")/lib.sh"

check_dir() {  # check_dir NAME DIR
    local C=$TMP/c-$1
    arca init "$C" >/dev/null
    arca -C "$C" import --verbose --quiet "$2" 2>"$TMP/$1.log" >/dev/null
    is "$?" 0 "$1: import runs through"
    grep -E '^imported ' "$TMP/$1.log" | sed 's/^imported \(.*\) -> \([^ ]*\) .*/\1\t\2/' >"$TMP/$1.ids"
    local bad=0
    while IFS=$'\t' read -r path id; do
        arca -C "$C" get "$id" | cmp -s - "$path" || bad=$((bad + 1))
    done <"$TMP/$1.ids"
    is "$bad:$(wc -l <"$TMP/$1.ids")" "0:$(find "$2" -type f | wc -l)" \
       "$1: every file archived and returned byte for byte"
    while IFS=$'\t' read -r path id; do
        base=$(basename "$path")
        case "$base" in *.utf-8.*) continue ;; esac
        page=${base%%.*}
        ext=${base##*.}
        enc=$(echo "$base" | cut -d. -f2)
        twin=$(dirname "$path")/$page.utf-8.$ext
        twin_id=$(awk -F'\t' -v p="$twin" '$1 == p { print $2 }' "$TMP/$1.ids")
        arca -C "$C" show --json --text "$id" | jq -r '.parts[0].text' >"$TMP/a"
        arca -C "$C" show --json --text "$twin_id" | jq -r '.parts[0].text' >"$TMP/b"
        ok "$1: $base ($enc) has the text of its UTF-8 twin" cmp "$TMP/a" "$TMP/b"
        got=$(arca -C "$C" show --json "$id" | jq -r '.parts[0].charset')
        want=$(echo "$enc" | tr a-z A-Z)
        like "$got" "^($want|CP949|EUC-KR|WINDOWS-1251|CP1251|GB18030|GBK|BIG5|SHIFT_JIS|CP932|EUC-JP|KOI8-R)$" \
             "$1: $base: its encoding is recorded ($got)"
    done <"$TMP/$1.ids"
}

count() { find "$1" -type f ! -name '*.utf-8.*' | wc -l; }
[ -d "$DATA/encodings" ] || skip_all "no encoding fixtures"
n=$((2 + 2 * $(count "$DATA/encodings")))
have_corpus && n=$((n + 2 + 2 * $(count "$CORPUS/encodings")))
plan $n
check_dir fixtures "$DATA/encodings"
have_corpus && check_dir corpus "$CORPUS/encodings"
done_testing
