# tests/eval/queries.jq: derives the known-item queries from the records
# that tests/eval/texts.lua wrote (run with jq -s, one array of records).
# Each record's language is the name of the corpus folder holding it
# (en, ja, ko, ru, zh_CN).  Writes one object:
#   {"queries": [{"set", "lang", "qid", "query", "expected", "title"}...],
#    "stats": {LANG: {"pages", "title_dup", "title_empty", "title_shared",
#                     "phrase_none", "kopart_none"}}}
# where "expected" is the source of the record that should come first.
#
# Query sets (all deterministic):
#   title:   the page's <title> with entities decoded, white space collapsed
#            and a leading section number ("3.1.2. ") removed; titles that
#            are empty or not unique within their language are dropped
#            (title_dup, title_empty).  title_shared counts the kept titles
#            that are also the title of a page in another language (pages
#            left untranslated): those queries have more than one right-
#            looking answer.
#   phrase:  a run of words from the middle of the page's text, occurring in
#            no other page of its language (an untranslated page shares its
#            text with the English one: that is counted in title_shared's
#            spirit, not avoided).  Latin,
#            Cyrillic and Korean: a quoted phrase of 4 words from one line.
#            Chinese and Japanese: 7 consecutive Han/kana characters,
#            unquoted; a page with no such run falls back to the 4-word
#            phrase.  The candidate windows are tried from the middle of
#            the text outwards; a page with none unique in the first 60 gets
#            no phrase query (phrase_none).
#   ko-part: Korean only.  The title with one word shortened: the first
#            all-Hangul word of 3 syllables or more whose stem (the word
#            without its last syllable, typically a particle or ending:
#            필터를 -> 필터) never stands alone as a word in the page's
#            text, i.e. the stem occurs in the page only inside longer
#            words.  Titles with no such word get no query (kopart_none).

def decode_entities:
  def hexnum: ascii_downcase | explode
    | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
  gsub("&#(?<n>[0-9]+);"; [.n | tonumber] | implode)
  | gsub("&#[xX](?<h>[0-9a-fA-F]+);"; [.h | hexnum] | implode)
  | gsub("&lt;"; "<") | gsub("&gt;"; ">") | gsub("&quot;"; "\"")
  | gsub("&apos;"; "'") | gsub("&nbsp;"; " ") | gsub("&amp;"; "&");

def clean_title:
  (. // "") | decode_entities
  | [match("\\S+"; "g").string] | join(" ")
  | sub("^[0-9]+(\\.[0-9]+)*\\.? +"; "");

def lang_of: .path | split("/") | .[-2];

# The text with white space collapsed to single spaces, lower-cased (ASCII),
# for the substring tests of distinctiveness.
def flat: [match("\\S+"; "g").string] | join(" ") | ascii_downcase;

def word_re: "[\\p{L}\\p{N}]+";
def cjk_re: "[\\p{Han}\\p{Hiragana}\\p{Katakana}ー]+";

# Candidate phrases of a text, nearest the middle first: objects
# {q (the query), s (the string to test for distinctiveness), d (distance)}.
def word_windows:
  (split("\n") | map([match("\\S+"; "g").string])) as $lines
  | ([$lines[] | length] | add // 0) as $total
  | (reduce $lines[] as $l ({off: 0, out: []};
       .out += [{off: .off, ws: $l}] | .off += ($l | length)) | .out)
  | [ .[] | .off as $off | .ws as $ws
      | range(0; ($ws | length) - 3) as $i
      | $ws[$i:$i + 4]
      | select(all(.[]; test("^" + word_re + "$")))
      | {q: ("\"" + join(" ") + "\""), s: (join(" ") | ascii_downcase),
         d: (($off + $i + 2) - ($total / 2) | fabs)} ]
  | sort_by(.d);

def cjk_windows:
  length as $total
  | [ match(cjk_re; "g") | select(.length >= 7) | .offset as $o | .string
      | explode as $cs
      | range(0; ($cs | length) - 6) as $i
      | ($cs[$i:$i + 7] | implode)
      | {q: ., s: ., d: (($o + $i + 3) - ($total / 2) | fabs)} ]
  | sort_by(.d);

. as $records
| ($records | map(. + {lang: lang_of, title: (.title_html | clean_title),
                       flat: (.text | flat)})) as $recs
| ($recs | group_by(.lang) | map({key: .[0].lang, value: (map(.flat) | join("\n"))})
   | from_entries) as $flat_lang
| ($recs | group_by(.lang) | map({key: .[0].lang, value: .}) | from_entries) as $by_lang
# Title counts, per language and over the corpus.
| ($by_lang | map_values(reduce .[] as $r ({}; .[$r.title] += 1))) as $tcount
| ($recs | reduce .[] as $r ({}; .[$r.title] += {($r.lang): true})) as $tlangs
| [ $recs[] | select(.title != "" and $tcount[.lang][.title] == 1) ] as $titled
| [ $titled[]
    | {set: "title", lang, query: .title, expected: .source, title} ] as $title_q
| [ $recs[] | . as $r
      | (if ($r.lang == "ja" or $r.lang == "zh_CN")
         then ($r.text | cjk_windows) else [] end) as $cjk
      | (if ($cjk | length) > 0 then $cjk else ($r.text | word_windows) end)
      | first(.[0:60][]
              | select(. as $c | ($flat_lang[$r.lang] | indices($c.s) | length)
                                 == ($r.flat | indices($c.s) | length)))
      | {set: "phrase", lang: $r.lang, query: .q, expected: $r.source,
         title: $r.title} ] as $phrase_q
| [ $titled[] | select(.lang == "ko") | . as $r
      | ([$r.text | match(word_re; "g").string] | map({(.): true}) | add // {})
          as $words
      | ($r.title | split(" ")) as $tw
      | [ range(0; $tw | length) as $i
          | $tw[$i] as $w
          | select($w | test("^\\p{Hangul}{3,}$"))
          | ($w | explode | .[0:-1] | implode) as $stem
          | select($words[$stem] | not)
          | $tw | .[$i] = $stem | join(" ") ] | first(.[])
      | {set: "ko-part", lang: "ko", query: ., expected: $r.source,
         title: $r.title} ] as $kopart_q
| {
    queries: ($title_q + $phrase_q + $kopart_q
              | to_entries | map(.value + {qid: .key})),
    stats: ($by_lang | to_entries | map(.key as $l | .value as $rs | {
      key: $l,
      value: {
        pages: ($rs | length),
        title_empty: ([$rs[] | select(.title == "")] | length),
        title_dup: ([$rs[] | select(.title != "" and $tcount[$l][.title] > 1)]
                    | length),
        title_shared: ([$titled[] | select(.lang == $l)
                        | select($tlangs[.title] | length > 1)] | length),
        phrase_none: (($rs | length)
                      - ([$phrase_q[] | select(.lang == $l)] | length)),
        kopart_none: (if $l == "ko"
                      then ([$titled[] | select(.lang == "ko")] | length)
                           - ($kopart_q | length)
                      else null end)
      }}) | from_entries)
  }
