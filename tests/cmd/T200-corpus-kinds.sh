#!/bin/bash
# Over the shared corpus: every kind of file its manifest names is found
# by a word known to be in it; a container's member or a mailbox's
# message says which part or message matched; the OCR samples are found
# by words of their printed text, Korean and English.
. "$(dirname "$0")/lib.sh"
have_corpus || skip_all "no shared corpus beside the checkout"

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$CORPUS" 2>/dev/null

# KIND FILE QUERY PART: among the first ten hits for QUERY (every part
# searched), one is FILE's record, matched in PART ("" for the file itself).
# A record's source is its path, or what its sidecar says it came from
# ("npm package ..., data/1790_george_washington_n.txt"): either ends
# with the file's name.
kinds=(
  "announcement|announcements/near-forum-2023/index.txt|\"NEAR International Forum 2023\" Gyeongju|"
  "jpeg-exif|announcements/near-forum-2023/1.JPG|C40Z|"
  "list|archives/MEMBERS.json|inner-attachments|"
  "zip|archives/bundle.zip|\"In meeting you again I feel much satisfaction\"|bundle/sotu/1790_george_washington_n.txt"
  "tar.gz|archives/export.tar.gz|\"Фильтры размывания\"|export/2024/html/ru/filters-blur.html"
  "text-legacy-encoding|encodings/ja/gimp-concepts-image-grid-and-guides.euc-jp.txt|グリッドとガイド|"
  "text-utf8-reference|encodings/ja/gimp-concepts-image-grid-and-guides.utf-8.txt|グリッドとガイド|"
  "html-legacy-encoding|encodings/ja/gimp-image-window-quick-mask-button.shift_jis.meta.html|クイックマスク|"
  "html-utf8-reference|encodings/ja/gimp-image-window-quick-mask-button.utf-8.html|クイックマスク|"
  "html|html/en/common-script-fu-errors.html|\"Do's and Don'ts\"|"
  "provenance|hwp/PROVENANCE.tsv|hahnlee|"
  "hwp-expected-text|hwp/expected-text/hahnlee-hwp-rs/crates/hwp/tests/integration/project/files/draw_text.hwp.txt|글상자1|"
  "hwp|hwp/hahnlee-hwp-rs/crates/hwp/tests/integration/project/files/draw_text.hwp|글상자1|"
  "hwpx|hwp/neolord0-hwpxlib/testFile/error/20230413/test.hwpx|\"강남구 공무직 관리 규정\"|"
  "email|mail/easy-ham-1/00002.9c4069e25e1ef370c078db7ee85ff9ac.eml|Alexander zzzzteana|"
  "mbox|mail/mbox/ham-sample.mbox/message-1.eml|Alexander zzzzteana|"
  "docx|office/en/gimp-using-script-fu-tutorial-extending-text-box.docx|\"Extending The Text Box Script\"|"
  "odt|office/en/gimp-using-script-fu-tutorial-extending-text-box.odt|\"Extending The Text Box Script\"|"
  "pptx|office/presentations/ko-gimp-first-steps.pptx|\"윌버와 함께하는 첫 단계\"|"
  "odp|office/presentations/sotu-1906_theodore_roosevelt_r.odp|\"Theodore Roosevelt\" Excerpt|"
  "csv|office/spreadsheets/gimp-help-titles.csv|apcs02.html Workflow|"
  "ods|office/spreadsheets/gimp-help-titles.ods|apcs02.html Workflow|"
  "xlsx|office/spreadsheets/gimp-help-titles.xlsx|apcs02.html Workflow|"
  "pdf|pdf/erlang-doc/eldap-1.2.10.pdf|eldap Ericsson|"
  "text-dated|sotu/1790_george_washington_n.txt|\"Fellow-Citizens of the Senate\" year:1790|"
  "metadata-sidecar|sotu/1790_george_washington_n.txt|title:\"State of the Union Address (1790)\"|"
)
nocr=$(ls "$CORPUS"/images/ocr/*.expected.txt | wc -l)
plan $(( ${#kinds[@]} + 2 * nocr + 1 ))

for row in "${kinds[@]}"; do
    IFS='|' read -r kind file query part <<<"$row"
    arca -C "$C" search --json --all-parts --limit 10 "$query" >"$TMP/h.json"
    got=$(jq -r --arg f "/$file" --arg b "/$(basename "$file")" --arg p "$part" \
          '[.hits[] | select((.source | endswith($f) or endswith($b)) and ((.part // "") == $p))] | length' <"$TMP/h.json")
    if [ "$got" -gt 0 ]; then
        is ok ok "$kind: '$query' finds $file${part:+ in $part}"
    else
        is "$(jq -c '[.hits[] | [.source, .part]]' <"$TMP/h.json")" "a hit of $file${part:+ in $part}" \
           "$kind: '$query' finds $file${part:+ in $part}"
    fi
done
ok "fsck is clean after the whole corpus" arca -C "$C" fsck

# OCR: each scan is found by words of its printed text, taken from the
# sample's expected text (every seventh English word, every fifth Korean
# one, of its first lines: two of each).
O=$TMP/o
arca init "$O" >/dev/null
arca -C "$O" import --ocr --quiet "$CORPUS/images/ocr" 2>/dev/null
for exp in "$CORPUS"/images/ocr/*.expected.txt; do
    img=$(ls "${exp%.expected.txt}".* | grep -v '\.expected\.txt$' | head -1)
    words=$(grep -o -E '[A-Za-z]{4,}' "$exp" | head -40 | awk 'NR % 7 == 1' | head -2 | paste -sd' ')
    if [ -n "$words" ]; then
        hits=$(arca -C "$O" search --json --limit 3 "$words" | jq -r '.hits[].source' | sed 's|.*/||')
        like "$hits" "^$(basename "$img")$" "OCR: '$words' finds $(basename "$img")"
    else
        skip "$(basename "$img") prints no English"
    fi
    kor=$(LC_ALL=C.UTF-8 grep -o -P '[\x{AC00}-\x{D7A3}]{2,}' "$exp" | head -30 | awk 'NR % 5 == 1' | head -2 | paste -sd' ')
    if [ -n "$kor" ]; then
        hits=$(arca -C "$O" search --json --limit 3 "$kor" | jq -r '.hits[].source' | sed 's|.*/||')
        like "$hits" "^$(basename "$img")$" "OCR: Korean '$kor' finds $(basename "$img")"
    else
        skip "$(basename "$img") prints no Korean"
    fi
done
done_testing
