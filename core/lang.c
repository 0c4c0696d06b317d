/*
 * lang.c: the language of a text, for its record's `lang` field and its
 * stemmer.
 *
 * The script decides where it can (arca_guess_lang, util.c): Hangul is
 * Korean, kana Japanese, Han alone Chinese, Cyrillic with Ө or Ү
 * Mongolian, other Cyrillic Russian.  Latin text whose commonest words are
 * English ones is English.  Other Latin text, and Cyrillic with letters
 * Russian does not use (і ї є ґ ў), goes to libexttextcat, LibreOffice's
 * n-gram classifier with profiles of some 160 languages; its answer is
 * taken when it is one language of the text's script, and only from 20
 * words on: fewer are no evidence.  A classifier is
 * made per thread on first use (a few tens of milliseconds) and freed
 * when the thread ends.  Without libexttextcat's data, or when it cannot
 * tell, the script's answer stands.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <textcat.h>

#include "arca-private.h"

#ifndef ARCA_TEXTCAT_DIR
#define ARCA_TEXTCAT_DIR "/usr/share/libexttextcat/"
#endif
#define SAMPLE_BYTES 1024       /* what the classifier reads */
#define MIN_WORDS 20            /* fewer, and the script's answer stands */

static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;
static int tc_key_ok;
static _Thread_local int tc_failed;   /* this thread could not make one */

static void tc_free(void *h)
{
    textcat_Done(h);
}

static void tc_key_init(void)
{
    tc_key_ok = pthread_key_create(&tc_key, tc_free) == 0;
}

static void *classifier(void)
{
    pthread_once(&tc_once, tc_key_init);
    if (!tc_key_ok || tc_failed)
        return NULL;
    void *h = pthread_getspecific(tc_key);
    if (h == NULL) {
        h = special_textcat_Init(ARCA_TEXTCAT_DIR "fpdb.conf",
                                 ARCA_TEXTCAT_DIR);
        if (h == NULL || pthread_setspecific(tc_key, h) != 0) {
            if (h)
                textcat_Done(h);
            tc_failed = 1;
            return NULL;
        }
    }
    return h;
}

/* Where a character starts at or after AT in S[0..N). */
static size_t char_start(const char *s, size_t n, size_t at)
{
    while (at < n && ((unsigned char)s[at] & 0xC0) == 0x80)
        at++;
    return at;
}

/* 1 if the sample reads as English: its commonest words are frequent. */
static int reads_english(const char *s, size_t n)
{
    static const char *const common[] = {
        "the", "and", "of", "to", "in", "is", "that", "for", "with",
        "this", "are", "you", "be", "it", "on", "as", "or", "by",
    };
    size_t words = 0, hits = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && !((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))
            i++;
        size_t b = i;
        while (i < n && (s[i] | 32) >= 'a' && (s[i] | 32) <= 'z')
            i++;
        size_t len = i - b;
        if (len == 0)
            break;
        words++;
        for (size_t k = 0; k < sizeof common / sizeof *common; k++)
            if (strlen(common[k]) == len &&
                strncasecmp(s + b, common[k], len) == 0) {
                hits++;
                break;
            }
    }
    return words >= 8 && hits * 100 >= words * 12;
}

/* 1 if S holds a Cyrillic letter Russian does not use. */
static int non_russian_cyrillic(const char *s, size_t n)
{
    static const char *const letters[] = {"і", "ї", "є", "ґ", "ў", "І",
                                          "Ї", "Є", "Ґ", "Ў"};
    for (size_t k = 0; k < sizeof letters / sizeof *letters; k++)
        if (memmem(s, n, letters[k], strlen(letters[k])) != NULL)
            return 1;
    return 0;
}

static int latin_lang(const char *l);
static int cyrillic_lang(const char *l);

/*
 * The first of the languages libexttextcat names for S ("[rue--utf8]
 * [uk--utf8]": "rue", then "uk") that OK takes, into OUT; 0 when it
 * cannot tell or names none of them.
 */
static int classify(const char *s, size_t n, int (*ok)(const char *),
                    char out[8])
{
    void *h = classifier();
    if (h == NULL)
        return 0;
    const char *r = textcat_Classify(h, s, n);
    if (r == NULL)
        return 0;
    for (const char *p = strchr(r, '['); p; p = strchr(p + 1, '[')) {
        size_t k = 0;
        for (const char *c = p + 1; *c && *c != '-' && *c != ']' && k < 7;
             c++)
            out[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        out[k] = '\0';
        if (k >= 2 && k <= 3 && ok(out))
            return 1;
    }
    return 0;                   /* SHORT, UNKNOWN, or none of them */
}

/* Languages of each script the classifier may name for it. */
static int latin_lang(const char *l)
{
    static const char *const cyrillic_or_other[] = {
        "ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tt", "ba",
        "rue", "ko", "ja", "zh", "ar", "fa", "he", "el", "hy", "ka", "hi",
        "th",
    };
    for (size_t k = 0; k < sizeof cyrillic_or_other / sizeof *cyrillic_or_other;
         k++)
        if (strcmp(l, cyrillic_or_other[k]) == 0)
            return 0;
    return 1;
}

static int cyrillic_lang(const char *l)
{
    static const char *const cyr[] = {"ru", "uk", "be", "bg", "mk", "sr",
                                      "kk", "ky", "mn", "tt", "ba"};
    for (size_t k = 0; k < sizeof cyr / sizeof *cyr; k++)
        if (strcmp(l, cyr[k]) == 0)
            return 1;
    return 0;
}

const char *arca_detect_lang(const char *text, size_t len)
{
    static _Thread_local char found[8];
    const char *script = arca_guess_lang(text, len);
    if (script == NULL ||
        (strcmp(script, "en") != 0 && strcmp(script, "ru") != 0))
        return script;
    /* A sample from a quarter in, past titles and menus. */
    size_t from = char_start(text, len, len > 4 * SAMPLE_BYTES ? len / 4 : 0);
    size_t n = len - from < SAMPLE_BYTES ? len - from : SAMPLE_BYTES;
    while (n > 0 && from + n < len &&
           ((unsigned char)text[from + n] & 0xC0) == 0x80)
        n--;                    /* end on a whole character */
    const char *s = text + from;
    /* A few words are no evidence: "Council minutes." stays English. */
    size_t words = 0;
    for (size_t i = 0; i < n; i++)
        words += (s[i] == ' ' || s[i] == '\n') &&
                 (i + 1 < n && s[i + 1] != ' ' && s[i + 1] != '\n');
    if (words < MIN_WORDS)
        return script;
    if (strcmp(script, "en") == 0) {
        if (reads_english(s, n))
            return "en";
        if (classify(s, n, latin_lang, found))
            return found;
        return script;
    }
    if (non_russian_cyrillic(s, n) && classify(s, n, cyrillic_lang, found))
        return found;
    return script;
}
