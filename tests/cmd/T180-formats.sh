#!/bin/bash
# Each format's text is found by a word known to be in it, from the
# project's own samples; over the shared corpus, every file imports.
. "$(dirname "$0")/lib.sh"

# finds QUERY TYPE: the best hit for QUERY is a record of type TYPE.
finds() {
    got=$(arca -C "$C" search --json --limit 1 "$1" | jq -r '.hits[0].type')
    is "$got" "$2" "'$1' finds its $2"
}

C=$TMP/c
arca init "$C" >/dev/null
dirs=""
for d in pdf hwp office images; do [ -d "$DATA/$d" ] && dirs="$dirs $DATA/$d"; done
checks=23
have_corpus && checks=$((checks + 3))
plan $((1 + checks))
# shellcheck disable=SC2086
arca -C "$C" import --ocr --json $dirs >"$TMP/sum.json"
is "$(jq -r .failed <"$TMP/sum.json")" 0 "the samples import without failures"

finds '"second page" bye' application/pdf
finds 'chaptertoc 솔루션' application/pdf
finds '개똥이 칠득이 type:application/hwp+zip' application/hwp+zip
finds 'Target 문단 type:application/x-hwp' application/x-hwp
finds 'George Washington none' application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
finds '김프 윌버 type:application/vnd.openxmlformats-officedocument.wordprocessingml.document' \
      application/vnd.openxmlformats-officedocument.wordprocessingml.document
finds '김프 윌버 type:application/vnd.openxmlformats-officedocument.presentationml.presentation' \
      application/vnd.openxmlformats-officedocument.presentationml.presentation
finds 'Кисть Непрозрачность' application/vnd.oasis.opendocument.text
finds 'title:"State of the Union" 1906' application/vnd.oasis.opendocument.presentation
finds '"Context Help" type:image/png' image/png
finds '문맥 도움말 type:image/png' image/png
finds 'NIKON D2H' image/jpeg
finds '똠방각하' text/rtf
finds '"이미지 뒤집기" type:application/msword' application/msword
finds '"Align Visible Layers" type:application/msword' application/msword
finds 'type:application/vnd.ms-powerpoint 김프' application/vnd.ms-powerpoint
finds '"레이어 모드" "Layer Modes" type:application/vnd.ms-excel' application/vnd.ms-excel
like "$(jq -r '.warnings[] | select(.path | endswith("sotu-index-password.xls")) | .warning' <"$TMP/sum.json")" \
     'password|encrypt' "a password-protected XLS is archived with the reason"
like "$(arca -C "$C" search --json '"Align Visible Layers" type:text/rtf' | jq -r '.hits[0].title')" \
   '^6\.27\..*Align Visible Layers' "an RTF's title comes from its \\info group"
for q in '"rectangular selection"' '화살표 방향'; do
    is "$(arca -C "$C" search --json "$q type:application/pdf" | jq -r '.hits[0].source' | sed 's|.*/||')" scan.pdf \
       "OCR reads a scanned PDF page: '$q' finds it"
done
like "$(jq -r '.warnings[] | select(.path | endswith("encrypted.pdf")) | .warning' <"$TMP/sum.json")" \
     'needs a password' "an encrypted PDF is archived with the reason"
like "$(arca -C "$C" search --json 'type:application/pdf metadata.pdf' | jq -r '.hits[0].date')" '^2023-12-13$' \
     "a PDF's creation date dates its record"

if have_corpus; then
    K=$TMP/k
    arca init "$K" >/dev/null
    arca -C "$K" import --json "$CORPUS" >"$TMP/all.json"
    is "$(jq -r '[.files, .failed] | join(" ")' <"$TMP/all.json")" \
       "$(find "$CORPUS" -type f ! -name '*.meta.json' | wc -l) 1" \
       "every corpus file imports; only the empty one fails"
    is "$(jq -r '.errors[0].path' <"$TMP/all.json" | sed 's|.*/||')" empty.txt "that one is bad/empty.txt"
    ok "and fsck is clean" arca -C "$K" fsck
fi
done_testing
