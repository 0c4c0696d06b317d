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
#            looking answer, the same title over the same text, so they
#            form a set of their own, title-shared, measured but not held
#            to the targets.
#   phrase:  a run of words from the middle of the page's text, occurring in
#            no other page of its language (an untranslated page shares its
#            text with the English one; that is not avoided).  Latin,
#            Cyrillic and Korean: a quoted phrase of 4 words from one line,
#            for Korean and Russian preferably one with a word in Hangul or
#            Cyrillic (pages are often partly untranslated).
#            Chinese and Japanese: 7 consecutive Han/kana characters,
#            unquoted; a page with no such run falls back to the 4-word
#            phrase.  The candidate windows, within 600 characters of the
#            middle of the text, are tried nearest first; a page with none
#            unique among the first 60 gets no phrase query (phrase_none).
#            A phrase that also occurs in a page of another language (the
#            untranslated text of the English page) goes to phrase-shared,
#            measured apart as title-shared is.
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

# The text with white space (spaces, tabs, line ends) collapsed to single
# spaces and lower-cased (ASCII), for the substring tests of
# distinctiveness.  String splits only: jq's regular expressions are slow
# on whole pages.
def flat:
  def squeeze: if index("  ") then split("  ") | join(" ") | squeeze else . end;
  ascii_downcase | split("\t") | join(" ") | split("\r") | join(" ")
  | split("\n") | join(" ") | squeeze;

def word_re: "[\\p{L}\\p{N}]+";
def cjk_re: "[\\p{Han}\\p{Hiragana}\\p{Katakana}ー]+";

# Candidate phrases of a text, nearest the middle first: objects
# {q (the query), s (the string to test for distinctiveness), d (distance
# of the window's middle from the text's middle, in characters)}.  Word
# windows come from runs of 4 or more words of letters and digits joined by
# single spaces on one line (one regular expression per page: jq's are slow
# to compile).
def word_windows($native):
  (length / 2) as $mid
  | [ match("(?<![^ \n])" + word_re + "(?: " + word_re + "){3,}(?![^ \n])"; "g")
      | .offset as $o
      | (.string | split(" ")) as $ws
      | ($ws | map(length + 1)) as $lens
      | range(0; ($ws | length) - 3) as $i
      | ($o + ($lens[0:$i] | add // 0) + ($lens[$i:$i + 4] | add) / 2 - $mid
         | fabs) as $d
      | select($d < 600)
      | $ws[$i:$i + 4]
      | {q: ("\"" + join(" ") + "\""), s: (join(" ") | ascii_downcase), d: $d,
         foreign: ($native != null and (join(" ") | test($native) | not))} ]
  | sort_by([.foreign, .d]);

def cjk_windows:
  length as $total
  | [ match(cjk_re; "g") | select(.length >= 7) | .offset as $o | .string
      | explode as $cs
      | range(0; ($cs | length) - 6) as $i
      | (($o + $i + 3) - ($total / 2) | fabs) as $d
      | select($d < 600)
      | ($cs[$i:$i + 7] | implode)
      | {q: ., s: ., d: $d} ]
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
    | {set: (if ($tlangs[.title] | length) > 1 then "title-shared" else "title" end),
       lang, query: .title, expected: .source, title} ] as $title_q
| [ $recs[] | . as $r
      | (if ($r.lang == "ja" or $r.lang == "zh_CN")
         then ($r.text | cjk_windows) else [] end) as $cjk
      | (if ($cjk | length) > 0 then $cjk
         else ($r.text | word_windows({ko: "\\p{Hangul}", ru: "\\p{Cyrillic}"}[$r.lang]))
         end)
      | first(.[0:60][]
              | select(. as $c | ($flat_lang[$r.lang] | indices($c.s) | length)
                                 == ($r.flat | indices($c.s) | length)))
      | . as $c
      | {set: (if [$flat_lang | to_entries[] | select(.key != $r.lang)
                   | .value | contains($c.s)] | any
               then "phrase-shared" else "phrase" end),
         lang: $r.lang, query: .q, expected: $r.source,
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
