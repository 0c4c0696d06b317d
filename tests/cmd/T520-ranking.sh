#!/bin/bash
# Ranking: a record whose whole title is the query comes first, above
# records that use its words more; words typed together rank records
# where they stand together above those where they are scattered; equal
# weights go newest first; author: matches names as written, unstemmed.
. "$(dirname "$0")/lib.sh"
plan 11

mkdir -p "$TMP/in"
page() {  # NAME TITLE DATE TEXT
    printf '<html><head><title>%s</title></head><body><p>%s</p></body></html>\n' "$2" "$4" >"$TMP/in/$1.html"
    printf '{"date": "%s", "board": "News", "author": "%s"}\n' "$3" "${5:-Lee}" >"$TMP/in/$1.html.meta.json"
}
page filters  "3. Filters" 2019-01-01 "An introduction to the menu of this chapter."
page blur     "3.1 Blur Filters" 2019-02-01 "Blur filters soften filters; filters of this kind, filters and more filters."
page noise    "3.2 Noise Filters" 2019-03-01 "Noise filters add filters of noise: filters, filters, filters."
page together "Report on animals" 2020-05-01 "We saw the quick brown fox jump over the fence."
page scattered "Notes on animals" 2020-06-01 "Quick work: the brown dog met a fox, a quick fox and a brown fox, quick and brown."
page near     "Walk one" 2017-01-01 "quick notes about a brown dog near a fox on the hill today in the morning light"
page far      "Walk two" 2017-01-01 "quick one two three four five six seven eight nine ten eleven brown fox"
page harvest1 "Harvest notice" 2001-09-09 "The harvest festival of the village."
page harvest2 "Harvest notice" 2021-09-09 "The harvest festival of the village."
page kim      "Letter" 2022-01-01 "A letter about the harvest." "Kim Minsu"
page lantern1 "Evening walk" 2018-01-01 "We walked by the river; one lantern was lit, and the water was calm and dark."
page lantern2 "Festival" 2018-01-01 "The festival of the village."
printf '{"date": "2018-01-01", "tags": ["lantern"]}\n' >"$TMP/in/lantern2.html.meta.json"

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$TMP/in"
first() { arca -C "$C" search --json "$1" | jq -r '.hits[0].source | split("/")[-1] | sub("\\.html$"; "")'; }
order() { arca -C "$C" search --json "$1" | jq -r '[.hits[].source | split("/")[-1] | sub("\\.html$"; "")] | join(" ")'; }

is "$(first filters)" filters "the record titled just so comes first, above those using the word more"
is "$(first 'FILTERS')" filters "whatever the case"
is "$(first 'blur filters')" blur "a longer title too"
is "$(first 'quick brown fox')" together "words typed together: where they stand together first"
is "$(order 'quick brown fox' | tr ' ' '\n' | grep -x -e near -e far | tr '\n' ' ')" "near far " \
   "words near each other above words far apart"
is "$(order '"the harvest festival of the village"')" "harvest2 harvest1" "equal weights: the newest first"
is "$(order 'board:news year:2001..2021 harvest festival')" "harvest2 harvest1" "with filters too"
is "$(order lantern)" "lantern2 lantern1" "a tag is a word of its record, weighing as its title's"
is "$(arca -C "$C" search --json 'author:kim' | jq -r .total)" 1 "author:kim finds Kim Minsu"
is "$(arca -C "$C" search --json 'author:kims' | jq -r .total)" 0 "author:kims does not: names are not stemmed"
is "$(arca -C "$C" search --json 'author:"Kim Minsu"' | jq -r .total)" 1 "a quoted author works"
done_testing
