#!/bin/bash
# The language of each record: by its script, and by libexttextcat for
# Latin text that is not English and Cyrillic text that is not Russian;
# the lang field and lang: filter carry it, its stemmer indexes it, and a
# query is stemmed for every language the collection holds (a German noun
# typed in another case, capitalised as German writes it, still matches),
# even when it is one record among others.
. "$(dirname "$0")/lib.sh"
plan 12

mkdir -p "$TMP/in"
cd "$TMP/in" || exit 1
echo "Die Häuser der Stadt wurden im neunzehnten Jahrhundert gebaut und sind heute ein wichtiger Teil der Geschichte. Die Bewohner erzählen gern von den alten Zeiten." >de.txt
echo "Der Marktplatz liegt in der Mitte der Altstadt, und jeden Samstag kommen die Bauern aus den Dörfern, um ihr Gemüse zu verkaufen." >de2.txt
echo "Im Winter ist der Fluss oft gefroren, und die Kinder laufen auf dem Eis, während die Eltern am Ufer warten und Tee trinken." >de3.txt
echo "Les maisons de la ville ont été construites au dix-neuvième siècle et elles sont aujourd'hui une partie importante de l'histoire. Les habitants racontent volontiers les anciens temps." >fr.txt
echo "Las casas de la ciudad fueron construidas en el siglo diecinueve y hoy son una parte importante de la historia. Los habitantes cuentan con gusto los viejos tiempos." >es.txt
echo "The houses of the city were built in the nineteenth century and they are an important part of the history of the region today." >en.txt
echo "Будинки міста були збудовані в дев'ятнадцятому столітті, і сьогодні вони є важливою частиною історії. Мешканці охоче розповідають про старі часи і свята." >uk.txt
echo "Дома города были построены в девятнадцатом веке, и сегодня они являются важной частью истории. Жители охотно рассказывают о старых временах." >ru.txt
echo "Улаанбаатар хотын байшингууд арван есдүгээр зуунд баригдсан бөгөөд өнөөдөр түүхийн чухал хэсэг болжээ. Оршин суугчид хуучин цагийн тухай ярих дуртай." >mn.txt
echo "경주는 신라의 수도였으며 오늘날에도 많은 유적이 남아 있습니다." >ko.txt
mkdir -p post
echo "Photographs of the market, taken by the visitors of the town." >post/index.txt
echo "Die Fotografien zeigen den Wochenmarkt mit seinen Ständen voller Kürbisse, Äpfel und Kartoffeln, und die Händler, die schon früh am Morgen aus den Dörfern in die Stadt gekommen sind." >post/anhang.txt
echo '{"title": "Market photographs"}' >post.meta.json
cd - >/dev/null || exit 1

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$TMP/in"
lang_of() { arca -C "$C" search --json "source:$TMP/in/$1.txt" | jq -r '.hits[0].lang'; }
is "$(lang_of de) $(lang_of fr) $(lang_of es)" "de fr es" "German, French and Spanish text is told apart"
is "$(lang_of en)" "en" "English is English"
is "$(lang_of uk) $(lang_of ru) $(lang_of mn)" "uk ru mn" "Ukrainian, Russian and Mongolian Cyrillic"
is "$(lang_of ko)" "ko" "Korean by its script"
is "$(arca -C "$C" search --json 'lang:de' | jq -r '[.hits[].source | split("/")[-1]] | sort | join(" ")')" "de.txt de2.txt de3.txt post" \
   "lang: filters by it, a record with a German attachment included"
total() { arca -C "$C" search --json "$1" | jq -r .total; }
is "$(total Hauses)" 1 "a German noun in another form, capitalised, finds Häuser (German stemming)"
is "$(total Geschichten)" 1 "Geschichten finds Geschichte"
is "$(total houses)" 1 "English stemming is still there"
is "$(total 'Hauses -Stadt')" 0 "a NOT holds in every language's reading"

is "$(arca -C "$C" search --json 'Kürbisse' | jq -r '.hits[0] | [.part, .lang] | join(" ")')" "anhang.txt de" \
   "an attachment in another language than its record's has its own"

E=$TMP/e
arca init "$E" >/dev/null
arca -C "$E" import --quiet "$TMP/in/en.txt" "$TMP/in/ko.txt"
is "$(arca -C "$E" search --json 'Houses' | jq -r .total)" 1 \
   "a collection without other Latin languages reads queries as before"
arca -C "$E" import --quiet "$TMP/in/de.txt"
is "$(arca -C "$E" search --json 'Hauses' | jq -r '.hits[0].lang')" de \
   "one German record among English ones is found by a German form too"
done_testing
