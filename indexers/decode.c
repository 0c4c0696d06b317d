/*
 * decode.c: any text to valid UTF-8.  Charset labels, byte-order marks,
 * UTF-8 validation, uchardet's guess, a guesser of our own for short
 * Korean, Japanese, Russian and Chinese texts, and glibc's iconv for the
 * conversion itself.  Knows nothing of file formats.
 *
 * The order of choice (arca_decode) is:
 *   1. a byte-order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE);
 *   2. the declared charset, when the bytes decode under it without error.
 *      One exception: bytes that are valid UTF-8 and hold non-ASCII
 *      characters are taken as UTF-8 whatever a legacy label says.  A
 *      wrong label is common (pages re-saved by editors, mail with a
 *      default charset), while legacy text that happens to be valid UTF-8
 *      is vanishingly rare past a few characters.  And a declared Latin-1
 *      or windows-1252, under which any bytes decode, yields to a CJK
 *      charset the guessers (step 6) find and that decodes without error;
 *   3. UTF-16 without a BOM, when NUL bytes sit at every other position;
 *   4. valid UTF-8 (7-bit text with ISO-2022 escapes asks uchardet first);
 *   5. mostly UTF-8: at least 95% of the non-ASCII sequences are valid
 *      UTF-8, so the rest are damage: UTF-8, each bad sequence U+FFFD;
 *   6. a guess: for short texts (few non-ASCII bytes, where uchardet is
 *      unreliable) our own guesser first; otherwise uchardet, with our
 *      guesser as a second opinion when uchardet has none or names a
 *      Western single-byte charset;
 *   7. windows-1252.
 * Legacy families decode with glibc's superset codec when the narrow one
 * fails: EUC-KR with CP949, Shift_JIS with CP932, GB2312/GBK with GB18030,
 * Big5 with CP950 and Big5-HKSCS.  Whatever is chosen, bytes that do not
 * decode become U+FFFD (one per byte for iconv, one per maximal bad
 * sequence for UTF-8) and decoding goes on after them.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uchardet/uchardet.h>

#include "indexer-private.h"

/* uchardet and our guesser look at no more than this many bytes. */
#define GUESS_BYTES ((size_t)512 << 10)
#define SHORT_BYTES ((size_t)64 << 10)
/* Texts with fewer non-ASCII bytes than this are "short". */
#define SHORT_HIGH 256

/* ---- Charsets and their labels ---- */

enum {
    CS_SINGLE = 1,   /* one byte per character: nearly any bytes decode */
    CS_CYR = 2,      /* a Cyrillic single-byte charset */
    CS_WIDE = 4,     /* UTF-16 or UTF-32: not ASCII-compatible */
    CS_CJK = 8,      /* a double-byte CJK charset */
    CS_WEAK = 16,    /* Latin-1, windows-1252: any bytes decode, so a
                        declaration of it says little about 8-bit text */
};

struct charset {
    const char *name;      /* canonical name, reported as "used" */
    const char *codec[3];  /* iconv names tried in order; NULL-terminated */
    unsigned flags;
};

enum cs_id {
    UTF_8, UTF_16LE, UTF_16BE, UTF_16, UTF_32LE, UTF_32BE, UTF_32,
    EUC_KR, CP949, ISO_2022_KR,
    SHIFT_JIS, CP932, EUC_JP, ISO_2022_JP,
    GB2312, GBK, GB18030, BIG5, BIG5_HKSCS, EUC_TW, ISO_2022_CN,
    KOI8_R, KOI8_U, KOI8_RU, WIN1251, ISO8859_5, IBM866, IBM855, MAC_CYR,
    WIN1250, WIN1252, WIN1253, WIN1254, WIN1255, WIN1256, WIN1257, WIN1258,
    WIN874, LATIN1, ISO8859_2, ISO8859_3, ISO8859_4, ISO8859_6, ISO8859_7,
    ISO8859_8, ISO8859_9, ISO8859_10, ISO8859_11, ISO8859_13, ISO8859_14,
    ISO8859_15, ISO8859_16, IBM852, MACINTOSH, MAC_CE, VISCII, US_ASCII,
    CS_COUNT
};

#define C1(a) {a, NULL, NULL}
#define C2(a, b) {a, b, NULL}
#define C3(a, b, c) {a, b, c}
static const struct charset charsets[CS_COUNT] = {
    [UTF_8] = {"UTF-8", C1("UTF-8"), 0},
    [UTF_16LE] = {"UTF-16LE", C1("UTF-16LE"), CS_WIDE},
    [UTF_16BE] = {"UTF-16BE", C1("UTF-16BE"), CS_WIDE},
    [UTF_16] = {"UTF-16", C1("UTF-16LE"), CS_WIDE},
    [UTF_32LE] = {"UTF-32LE", C1("UTF-32LE"), CS_WIDE},
    [UTF_32BE] = {"UTF-32BE", C1("UTF-32BE"), CS_WIDE},
    [UTF_32] = {"UTF-32", C1("UTF-32LE"), CS_WIDE},
    [EUC_KR] = {"EUC-KR", C2("EUC-KR", "CP949"), CS_CJK},
    [CP949] = {"CP949", C1("CP949"), CS_CJK},
    [ISO_2022_KR] = {"ISO-2022-KR", C1("ISO-2022-KR"), 0},
    [SHIFT_JIS] = {"SHIFT_JIS", C2("SHIFT_JIS", "CP932"), CS_CJK},
    [CP932] = {"CP932", C2("CP932", "SHIFT_JIS"), CS_CJK},
    [EUC_JP] = {"EUC-JP", C2("EUC-JP", "EUC-JP-MS"), CS_CJK},
    [ISO_2022_JP] = {"ISO-2022-JP", C3("ISO-2022-JP", "ISO-2022-JP-2",
                                       "ISO-2022-JP-3"), 0},
    [GB2312] = {"GB2312", C2("GBK", "GB18030"), CS_CJK},
    [GBK] = {"GBK", C2("GBK", "GB18030"), CS_CJK},
    [GB18030] = {"GB18030", C1("GB18030"), CS_CJK},
    [BIG5] = {"BIG5", C3("BIG5", "CP950", "BIG5-HKSCS"), CS_CJK},
    [BIG5_HKSCS] = {"BIG5-HKSCS", C1("BIG5-HKSCS"), CS_CJK},
    [EUC_TW] = {"EUC-TW", C1("EUC-TW"), CS_CJK},
    [ISO_2022_CN] = {"ISO-2022-CN", C2("ISO-2022-CN", "ISO-2022-CN-EXT"), 0},
    [KOI8_R] = {"KOI8-R", C1("KOI8-R"), CS_SINGLE | CS_CYR},
    [KOI8_U] = {"KOI8-U", C1("KOI8-U"), CS_SINGLE | CS_CYR},
    [KOI8_RU] = {"KOI8-RU", C1("KOI8-RU"), CS_SINGLE | CS_CYR},
    [WIN1251] = {"WINDOWS-1251", C1("WINDOWS-1251"), CS_SINGLE | CS_CYR},
    [ISO8859_5] = {"ISO-8859-5", C1("ISO-8859-5"), CS_SINGLE | CS_CYR},
    [IBM866] = {"IBM866", C1("IBM866"), CS_SINGLE | CS_CYR},
    [IBM855] = {"IBM855", C1("IBM855"), CS_SINGLE | CS_CYR},
    [MAC_CYR] = {"MAC-CYRILLIC", C1("MACCYRILLIC"), CS_SINGLE | CS_CYR},
    [WIN1250] = {"WINDOWS-1250", C1("WINDOWS-1250"), CS_SINGLE},
    [WIN1252] = {"WINDOWS-1252", C2("WINDOWS-1252", "ISO-8859-1"),
                 CS_SINGLE | CS_WEAK},
    [WIN1253] = {"WINDOWS-1253", C1("WINDOWS-1253"), CS_SINGLE},
    [WIN1254] = {"WINDOWS-1254", C1("WINDOWS-1254"), CS_SINGLE},
    [WIN1255] = {"WINDOWS-1255", C1("WINDOWS-1255"), CS_SINGLE},
    [WIN1256] = {"WINDOWS-1256", C1("WINDOWS-1256"), CS_SINGLE},
    [WIN1257] = {"WINDOWS-1257", C1("WINDOWS-1257"), CS_SINGLE},
    [WIN1258] = {"WINDOWS-1258", C1("WINDOWS-1258"), CS_SINGLE},
    [WIN874] = {"WINDOWS-874", C2("CP874", "TIS-620"), CS_SINGLE},
    [LATIN1] = {"ISO-8859-1", C2("WINDOWS-1252", "ISO-8859-1"),
                CS_SINGLE | CS_WEAK},
    [ISO8859_2] = {"ISO-8859-2", C1("ISO-8859-2"), CS_SINGLE},
    [ISO8859_3] = {"ISO-8859-3", C1("ISO-8859-3"), CS_SINGLE},
    [ISO8859_4] = {"ISO-8859-4", C1("ISO-8859-4"), CS_SINGLE},
    [ISO8859_6] = {"ISO-8859-6", C1("ISO-8859-6"), CS_SINGLE},
    [ISO8859_7] = {"ISO-8859-7", C1("ISO-8859-7"), CS_SINGLE},
    [ISO8859_8] = {"ISO-8859-8", C1("ISO-8859-8"), CS_SINGLE},
    [ISO8859_9] = {"ISO-8859-9", C2("WINDOWS-1254", "ISO-8859-9"), CS_SINGLE},
    [ISO8859_10] = {"ISO-8859-10", C1("ISO-8859-10"), CS_SINGLE},
    [ISO8859_11] = {"ISO-8859-11", C1("ISO-8859-11"), CS_SINGLE},
    [ISO8859_13] = {"ISO-8859-13", C1("ISO-8859-13"), CS_SINGLE},
    [ISO8859_14] = {"ISO-8859-14", C1("ISO-8859-14"), CS_SINGLE},
    [ISO8859_15] = {"ISO-8859-15", C1("ISO-8859-15"), CS_SINGLE},
    [ISO8859_16] = {"ISO-8859-16", C1("ISO-8859-16"), CS_SINGLE},
    [IBM852] = {"IBM852", C1("IBM852"), CS_SINGLE},
    [MACINTOSH] = {"MACINTOSH", C1("MACINTOSH"), CS_SINGLE},
    [MAC_CE] = {"MAC-CENTRALEUROPE", C1("MAC-CENTRALEUROPE"), CS_SINGLE},
    [VISCII] = {"VISCII", C1("VISCII"), CS_SINGLE},
    [US_ASCII] = {"US-ASCII", C1("ASCII"), 0},
};

/*
 * Labels, lower case with everything but letters and digits removed
 * ("Shift_JIS" and "shift-jis" are both "shiftjis").  From the WHATWG
 * Encoding Standard's label list, the IANA registry, and the names
 * uchardet returns.
 */
static const struct label {
    const char *key;
    enum cs_id id;
} labels[] = {
    {"utf8", UTF_8}, {"unicode11utf8", UTF_8}, {"unicode20utf8", UTF_8},
    {"xunicode20utf8", UTF_8},
    {"utf16le", UTF_16LE}, {"utf16be", UTF_16BE}, {"unicodefffe", UTF_16BE},
    {"utf16", UTF_16}, {"ucs2", UTF_16}, {"unicode", UTF_16},
    {"csunicode", UTF_16}, {"iso10646ucs2", UTF_16}, {"unicodefeff", UTF_16},
    {"utf32le", UTF_32LE}, {"utf32be", UTF_32BE}, {"utf32", UTF_32},
    {"ucs4", UTF_32},
    {"euckr", EUC_KR}, {"cseuckr", EUC_KR},
    {"cp949", CP949}, {"uhc", CP949}, {"ksc56011987", CP949},
    {"ksc56011989", CP949}, {"ksc5601", CP949}, {"csksc56011987", CP949},
    {"windows949", CP949}, {"xwindows949", CP949}, {"mscp949", CP949},
    {"isoir149", CP949}, {"korean", CP949},
    {"iso2022kr", ISO_2022_KR}, {"csiso2022kr", ISO_2022_KR},
    {"shiftjis", SHIFT_JIS}, {"sjis", SHIFT_JIS}, {"xsjis", SHIFT_JIS},
    {"mskanji", SHIFT_JIS}, {"csshiftjis", SHIFT_JIS},
    {"windows31j", CP932}, {"cp932", CP932}, {"ms932", CP932},
    {"mscp932", CP932}, {"xmscp932", CP932},
    {"eucjp", EUC_JP}, {"xeucjp", EUC_JP}, {"cseucpkdfmtjapanese", EUC_JP},
    {"iso2022jp", ISO_2022_JP}, {"csiso2022jp", ISO_2022_JP},
    {"gb2312", GB2312}, {"csgb2312", GB2312}, {"euccn", GB2312},
    {"gb231280", GB2312}, {"chinese", GB2312}, {"isoir58", GB2312},
    {"csiso58gb231280", GB2312}, {"xgbk", GBK}, {"gbk", GBK},
    {"cp936", GBK}, {"ms936", GBK}, {"windows936", GBK},
    {"gb18030", GB18030},
    {"big5", BIG5}, {"csbig5", BIG5}, {"cnbig5", BIG5}, {"xxbig5", BIG5},
    {"cp950", BIG5}, {"big5hkscs", BIG5_HKSCS},
    {"euctw", EUC_TW}, {"iso2022cn", ISO_2022_CN},
    {"koi8r", KOI8_R}, {"koi8", KOI8_R}, {"cskoi8r", KOI8_R},
    {"koi8u", KOI8_U}, {"koi8ru", KOI8_RU},
    {"windows1251", WIN1251}, {"cp1251", WIN1251}, {"xcp1251", WIN1251},
    {"iso88595", ISO8859_5}, {"iso885951988", ISO8859_5},
    {"cyrillic", ISO8859_5}, {"csisolatincyrillic", ISO8859_5},
    {"isoir144", ISO8859_5},
    {"ibm866", IBM866}, {"cp866", IBM866}, {"866", IBM866},
    {"csibm866", IBM866}, {"ibm855", IBM855}, {"cp855", IBM855},
    {"maccyrillic", MAC_CYR}, {"xmaccyrillic", MAC_CYR},
    {"xmacukrainian", MAC_CYR},
    {"windows1250", WIN1250}, {"cp1250", WIN1250}, {"xcp1250", WIN1250},
    {"windows1252", WIN1252}, {"cp1252", WIN1252}, {"xcp1252", WIN1252},
    {"windows1253", WIN1253}, {"cp1253", WIN1253}, {"xcp1253", WIN1253},
    {"windows1254", WIN1254}, {"cp1254", WIN1254}, {"xcp1254", WIN1254},
    {"windows1255", WIN1255}, {"cp1255", WIN1255}, {"xcp1255", WIN1255},
    {"windows1256", WIN1256}, {"cp1256", WIN1256}, {"xcp1256", WIN1256},
    {"windows1257", WIN1257}, {"cp1257", WIN1257}, {"xcp1257", WIN1257},
    {"windows1258", WIN1258}, {"cp1258", WIN1258}, {"xcp1258", WIN1258},
    {"windows874", WIN874}, {"cp874", WIN874}, {"dos874", WIN874},
    {"tis620", WIN874}, {"iso885911", ISO8859_11},
    {"iso88591", LATIN1}, {"latin1", LATIN1}, {"l1", LATIN1},
    {"iso885911987", LATIN1}, {"isoir100", LATIN1}, {"cp819", LATIN1},
    {"ibm819", LATIN1}, {"csisolatin1", LATIN1},
    {"iso88592", ISO8859_2}, {"latin2", ISO8859_2}, {"l2", ISO8859_2},
    {"iso885921987", ISO8859_2}, {"csisolatin2", ISO8859_2},
    {"iso88593", ISO8859_3}, {"latin3", ISO8859_3},
    {"iso88594", ISO8859_4}, {"latin4", ISO8859_4},
    {"iso88596", ISO8859_6}, {"arabic", ISO8859_6},
    {"iso88597", ISO8859_7}, {"iso885971987", ISO8859_7},
    {"greek", ISO8859_7}, {"greek8", ISO8859_7},
    {"iso88598", ISO8859_8}, {"hebrew", ISO8859_8}, {"iso88598i", ISO8859_8},
    {"iso88599", ISO8859_9}, {"latin5", ISO8859_9},
    {"iso885991989", ISO8859_9},
    {"iso885910", ISO8859_10}, {"latin6", ISO8859_10},
    {"iso885913", ISO8859_13}, {"iso885914", ISO8859_14},
    {"iso885915", ISO8859_15}, {"latin9", ISO8859_15},
    {"iso885916", ISO8859_16},
    {"ibm852", IBM852}, {"cp852", IBM852},
    {"macintosh", MACINTOSH}, {"mac", MACINTOSH}, {"xmacroman", MACINTOSH},
    {"csmacintosh", MACINTOSH}, {"maccentraleurope", MAC_CE},
    {"viscii", VISCII},
    {"usascii", US_ASCII}, {"ascii", US_ASCII}, {"ansix341968", US_ASCII},
    {"iso646us", US_ASCII}, {"csascii", US_ASCII}, {"us", US_ASCII},
};

static int label_id(const char *label)
{
    char key[48];
    size_t k = 0;
    if (label == NULL)
        return -1;
    for (const char *p = label; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (k + 1 >= sizeof key)
                return -1;
            key[k++] = c;
        }
    }
    key[k] = '\0';
    if (k == 0)
        return -1;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i].key, key) == 0)
            return (int)labels[i].id;
    return -1;
}

const char *arca_charset_canon(const char *label)
{
    int id = label_id(label);
    return id < 0 ? NULL : charsets[id].name;
}

const char *arca_charset_hint(const char *label)
{
    static const char *const generic[] = {"binary", "unknown-8bit",
                                          "iso-8859-1", "unknown"};
    if (label == NULL || *label == '\0')
        return NULL;
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (strcasecmp(label, generic[i]) == 0)
            return NULL;
    return label;
}

/* ---- Output buffer ---- */

struct obuf {
    char *p;
    size_t len, cap;
};

static int obuf_reserve(struct obuf *o, size_t more)
{
    if (o->cap - o->len > more)
        return 0;
    if (more > ((size_t)-1 >> 2) - o->len)
        return -1;
    size_t cap = o->cap ? o->cap : 64;
    while (cap - o->len <= more)
        cap *= 2;
    char *p = realloc(o->p, cap);
    if (p == NULL)
        return -1;
    o->p = p;
    o->cap = cap;
    return 0;
}

static int obuf_put(struct obuf *o, const void *s, size_t n)
{
    if (obuf_reserve(o, n))
        return -1;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    return 0;
}

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* ---- UTF-8 ---- */

/*
 * The length of the valid UTF-8 sequence at S[0..n), or 0 when it is not
 * one; *bad gets the length of its maximal invalid prefix (at least 1),
 * the bytes one U+FFFD replaces.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    *bad = 1;
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    if (c < 0xE0) {
        need = 1;
    } else if (c < 0xF0) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n)
            return 0;
        unsigned b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return 0;
        *bad = i + 1;
    }
    return need + 1;
}

int arca_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, bad;
    while (i < n) {
        /* Skip ASCII eight bytes at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        size_t k = utf8_seq(u + i, n - i, &bad);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

struct utf8_stats {
    size_t high;      /* bytes >= 0x80 */
    size_t valid;     /* valid multi-byte sequences */
    size_t invalid;   /* maximal invalid sequences */
};

static void utf8_count(const unsigned char *s, size_t n, struct utf8_stats *st)
{
    size_t i = 0, bad;
    memset(st, 0, sizeof *st);
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, n - i, &bad);
        if (k) {
            st->valid++;
            st->high += k;
            i += k;
        } else {
            st->invalid++;
            st->high += bad;
            i += bad;
        }
    }
}

/* UTF-8 with each maximal invalid sequence replaced by U+FFFD. */
static int utf8_lenient(const unsigned char *s, size_t n, struct obuf *o)
{
    size_t i = 0, bad, k;
    if (obuf_reserve(o, n))
        return -1;
    while (i < n) {
        size_t start = i;
        while (i < n) {
            if (s[i] < 0x80)
                k = 1;
            else if ((k = utf8_seq(s + i, n - i, &bad)) == 0)
                break;
            i += k;
        }
        if (obuf_put(o, s + start, i - start))
            return -1;
        if (i < n) {
            if (obuf_put(o, fffd, 3))
                return -1;
            i += bad;
        }
    }
    return 0;
}

/* ---- iconv ---- */

enum { STRICT, LENIENT, STRICT_NO_C1 };

/* Does S[0..n) hold a C1 control (U+0080..U+009F)? */
static int has_c1(const char *s, size_t n)
{
    for (const char *p = s; (p = memchr(p, 0xC2, (size_t)(s + n - p))) &&
                            p + 1 < s + n;
         p++)
        if ((unsigned char)p[1] < 0xA0)
            return 1;
    return 0;
}

/*
 * glibc loads a gconv module at iconv_open() and unloads it when its last
 * descriptor closes: a dlopen and a dlclose per call, which cost far more
 * than converting a page.  One descriptor per codec is opened once and
 * kept for the life of the process, so the modules stay loaded.
 */
#define PINNED_MAX 128

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[32];
    iconv_t cd;
} pinned[PINNED_MAX];
static size_t npinned;

static void pin_codec(const char *codec)
{
    if (strlen(codec) >= sizeof pinned[0].name)
        return;
    pthread_mutex_lock(&pin_lock);
    size_t i = 0;
    while (i < npinned && strcmp(pinned[i].name, codec) != 0)
        i++;
    if (i == npinned && npinned < PINNED_MAX) {
        iconv_t cd = iconv_open("UTF-8", codec);
        if (cd != (iconv_t)-1) {
            strcpy(pinned[npinned].name, codec);
            pinned[npinned++].cd = cd;
        }
    }
    pthread_mutex_unlock(&pin_lock);
}

/*
 * Convert IN with iconv CODEC into O.  STRICT fails with ARCA_EFORMAT on
 * the first byte that does not decode (O is then left as it was);
 * STRICT_NO_C1 also fails when C1 controls come out, which is how glibc's
 * EUC codecs pass bytes 0x80-0x9F they do not know; LENIENT writes U+FFFD
 * for a bad byte and goes on with the next, so the loop always advances.
 */
static arca_status conv(const char *codec, const unsigned char *in,
                        size_t len, int mode, struct obuf *o)
{
    size_t start = o->len;
    arca_status rc = ARCA_OK;
    pin_codec(codec);
    iconv_t cd = iconv_open("UTF-8", codec);
    if (cd == (iconv_t)-1)
        return ARCA_EUNSUPPORTED;

    char *ip = (char *)in;
    size_t il = len, want = len + len / 2 + 16;
    while (il > 0) {
        if (obuf_reserve(o, want)) {
            rc = ARCA_ENOMEM;
            goto out;
        }
        char *op = o->p + o->len;
        size_t ol = o->cap - o->len - 1;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int err = errno;
        o->len = (size_t)(op - o->p);
        if (r != (size_t)-1)
            continue;
        if (err == E2BIG) {
            want = o->cap - o->len + il * 2 + 64;
            continue;
        }
        if (mode != LENIENT) {
            rc = ARCA_EFORMAT;
            goto out;
        }
        if (obuf_put(o, fffd, 3)) {
            rc = ARCA_ENOMEM;
            goto out;
        }
        if (err == EINVAL)      /* a sequence cut by the end of the input */
            break;
        ip++;
        il--;
    }
    /* The closing shift sequence of stateful codecs (ISO-2022). */
    for (want = 16;; want *= 2) {
        if (obuf_reserve(o, want)) {
            rc = ARCA_ENOMEM;
            goto out;
        }
        char *op = o->p + o->len;
        size_t ol = o->cap - o->len - 1;
        size_t r = iconv(cd, NULL, NULL, &op, &ol);
        o->len = (size_t)(op - o->p);
        if (r != (size_t)-1 || errno != E2BIG || want > 4096)
            break;
    }
    if (mode == STRICT_NO_C1 && has_c1(o->p + start, o->len - start))
        rc = ARCA_EFORMAT;
out:
    if (rc != ARCA_OK)
        o->len = start;
    iconv_close(cd);
    return rc;
}

/*
 * Decode with charset CS: in STRICT mode each codec in turn until one
 * takes every byte; in LENIENT mode the last (widest) codec.  *name gets
 * the name to report.
 */
static arca_status decode_cs(const struct charset *cs, const unsigned char *s,
                             size_t n, int mode, struct obuf *o,
                             const char **name)
{
    arca_status rc = ARCA_EUNSUPPORTED;
    size_t ncodec = 0;
    while (ncodec < 3 && cs->codec[ncodec])
        ncodec++;
    if (cs == &charsets[UTF_8]) {
        *name = cs->name;
        if (mode == STRICT) {
            if (!arca_utf8_valid((const char *)s, n))
                return ARCA_EFORMAT;
            return obuf_put(o, s, n) ? ARCA_ENOMEM : ARCA_OK;
        }
        return utf8_lenient(s, n, o) ? ARCA_ENOMEM : ARCA_OK;
    }
    if (mode == STRICT && !(cs->flags & CS_SINGLE))
        mode = STRICT_NO_C1;
    for (size_t i = mode == LENIENT ? ncodec - 1 : 0; i < ncodec; i++) {
        rc = conv(cs->codec[i], s, n, mode, o);
        if (rc == ARCA_OK) {
            *name = (i == 0 || ncodec == 1) ? cs->name : cs->codec[i];
            return rc;
        }
        if (rc == ARCA_ENOMEM)
            return rc;
    }
    return rc;
}

/* ---- Byte-order marks and UTF-16 without one ---- */

static int bom(const unsigned char *s, size_t n, size_t *skip)
{
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return *skip = 3, UTF_8;
    if (n >= 4 && s[0] == 0xFF && s[1] == 0xFE && s[2] == 0 && s[3] == 0)
        return *skip = 4, UTF_32LE;
    if (n >= 4 && s[0] == 0 && s[1] == 0 && s[2] == 0xFE && s[3] == 0xFF)
        return *skip = 4, UTF_32BE;
    if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE)
        return *skip = 2, UTF_16LE;
    if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF)
        return *skip = 2, UTF_16BE;
    return -1;
}

/*
 * UTF-16LE or UTF-16BE by where the NUL bytes are (text without a BOM is
 * mostly ASCII or Latin), or -1 when the pattern is not there.
 */
static int utf16_sniff(const unsigned char *s, size_t n, int declared)
{
    size_t z[2] = {0, 0};
    size_t m = n < 4096 ? n : 4096;
    m &= ~(size_t)1;
    if (m < 4)
        return declared ? UTF_16LE : -1;
    for (size_t i = 0; i < m; i++)
        if (s[i] == 0)
            z[i & 1]++;
    size_t pairs = m / 2;
    if (z[1] * 10 >= pairs * 3 && z[0] * 50 <= pairs)
        return UTF_16LE;
    if (z[0] * 10 >= pairs * 3 && z[1] * 50 <= pairs)
        return UTF_16BE;
    if (declared)
        return z[0] > z[1] ? UTF_16BE : UTF_16LE;
    return -1;
}

static int utf32_sniff(const unsigned char *s, size_t n)
{
    /* Little-endian code points below U+10000 end in two NULs. */
    size_t le = 0, be = 0;
    for (size_t i = 0; i + 4 <= n && i < 4096; i += 4) {
        le += s[i + 3] == 0 && s[i + 2] == 0;
        be += s[i] == 0 && s[i + 1] == 0;
    }
    return be > le ? UTF_32BE : UTF_32LE;
}

/* ---- Our own guesser, for short texts ---- */

struct script_counts {
    size_t chars;     /* non-ASCII characters */
    size_t hangul;    /* Hangul syllables */
    size_t common;    /* of which among the most frequent */
    size_t kana;      /* hiragana and katakana (not half-width) */
    size_t han;       /* CJK unified ideographs */
    size_t halfkana;  /* half-width katakana */
};

/*
 * Frequent Hangul syllables: general Korean frequency lists merged with
 * the most frequent syllables of the Korean pages of the GIMP manual.
 * Korean text decoded right is mostly made of these; text in another
 * encoding decoded as CP949 lands on rare syllables.
 */
static const char common_hangul[] =
    "이다는의에고하을가지서한기로도사리어자아수대나정해인들시보게것일요니적"
    "주전만과그부상국를은으성면있신연거장제무라여마우동경방합위개용원관화공"
    "구비내소문생미회분학중세실치모결통와했또물선당행계까며던없말식러운터체"
    "저음본유심점단작야민명발때진날금안영반산업외조된될더받알처불출차력입교"
    "표후건월년최속득란색택편능변각레드트스크프데예새법양현간였겠죠네걸왔갔"
    "할함번살좋많같두오너왜떻습김박강윤임울광군청포럼역협류참석총추획림집메"
    "뉴램필채파절붓키창설특열록목바징되버축형른움널됩않션투따확값";

static unsigned utf8_cp(const unsigned char *s, size_t *k)
{
    if (s[0] < 0x80)
        return *k = 1, s[0];
    if (s[0] < 0xE0)
        return *k = 2, ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    if (s[0] < 0xF0)
        return *k = 3, ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) |
                           (s[2] & 0x3Fu);
    return *k = 4, ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
                       ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

static void count_scripts(const char *u, size_t n, struct script_counts *c)
{
    unsigned char frequent[(0xD7A4 - 0xAC00 + 7) / 8];
    const unsigned char *s = (const unsigned char *)u;
    size_t i = 0, k;

    memset(frequent, 0, sizeof frequent);
    for (const unsigned char *p = (const unsigned char *)common_hangul; *p;
         p += k) {
        unsigned cp = utf8_cp(p, &k) - 0xAC00;
        frequent[cp / 8] |= (unsigned char)(1u << (cp % 8));
    }
    memset(c, 0, sizeof *c);
    while (i < n) {
        unsigned cp = utf8_cp(s + i, &k);
        i += k;
        if (cp < 0x80)
            continue;
        c->chars++;
        if (cp >= 0xAC00 && cp <= 0xD7A3) {
            c->hangul++;
            unsigned off = cp - 0xAC00;
            c->common += (frequent[off / 8] >> (off % 8)) & 1;
        } else if (cp >= 0x3040 && cp <= 0x30FF) {
            c->kana++;
        } else if (cp >= 0x4E00 && cp <= 0x9FFF) {
            c->han++;
        } else if (cp >= 0xFF61 && cp <= 0xFF9F) {
            c->halfkana++;
        }
    }
}

/*
 * Strict decoding of a prefix: like STRICT, but a sequence cut by the end
 * of the prefix is not an error.
 */
static int decodes(int id, const unsigned char *s, size_t n, int cut,
                   struct obuf *o)
{
    const char *name;
    o->len = 0;
    if (decode_cs(&charsets[id], s, n, STRICT, o, &name) == ARCA_OK)
        return 1;
    for (int back = 1; cut && back <= 3 && (size_t)back < n; back++) {
        o->len = 0;
        if (decode_cs(&charsets[id], s, n - (size_t)back, STRICT, o,
                      &name) == ARCA_OK)
            return 1;
    }
    return 0;
}

/*
 * Russian letter frequencies (per mille, а..я in alphabet order, ё with
 * е), for telling KOI8-R from windows-1251: the right one gives common
 * letters and lower case after the first letter of a word.
 */
static const unsigned char ru_freq[32] = {
    80, 16, 45, 17, 30, 85, 9, 16, 74, 12, 35, 44, 32, 67, 110, 28,
    47, 55, 63, 26, 3, 10, 5, 14, 7, 4, 1, 19, 17, 3, 6, 20};

/* Score the bytes as Cyrillic in charset ID (higher is likelier). */
static long cyr_score(int id, const unsigned char *s, size_t n)
{
    long score = 0;
    int prev_lower = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned b = s[i];
        int letter = -1, upper = 0;
        if (b < 0xC0) {
            prev_lower = 0;
            continue;
        }
        if (id == WIN1251) {
            upper = b < 0xE0;
            letter = (int)(b & 0x1F);
        } else {
            /* KOI8-R orders letters as their Latin look-alikes. */
            static const unsigned char koi[32] = {
                30, 0, 1, 22, 4, 5, 20, 3, 21, 8, 9, 10, 11, 12, 13, 14,
                15, 31, 16, 17, 18, 19, 6, 2, 28, 27, 7, 24, 29, 25, 23, 26};
            upper = b >= 0xE0;
            letter = koi[b & 0x1F];
        }
        score += ru_freq[letter];
        if (upper && prev_lower)
            score -= 200;
        prev_lower = !upper;
    }
    return score;
}

/*
 * Cyrillic single-byte text: nearly all non-ASCII bytes are letters
 * (0xC0-0xFF in both KOI8-R and windows-1251, plus Ё/ё), and they make
 * words of their own instead of sitting inside Latin words.
 */
static int guess_cyrillic(const unsigned char *s, size_t n)
{
    size_t high = 0, letters = 0, glued = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned b = s[i];
        if (b < 0x80)
            continue;
        high++;
        if (b >= 0xC0 || b == 0xA8 || b == 0xB8 || b == 0xA3 || b == 0xB3)
            letters++;
        int before = i > 0 && s[i - 1] < 0x80 &&
                     ((s[i - 1] | 0x20) >= 'a' && (s[i - 1] | 0x20) <= 'z');
        int after = i + 1 < n && s[i + 1] < 0x80 &&
                    ((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z');
        glued += before || after;
    }
    if (high < 3 || letters * 10 < high * 9 || glued * 10 > high)
        return -1;
    long koi = cyr_score(KOI8_R, s, n), win = cyr_score(WIN1251, s, n);
    long best = koi > win ? koi : win;
    /* Russian text averages about 45 per mille per letter. */
    if (best < (long)letters * 30)
        return -1;
    return koi > win ? KOI8_R : WIN1251;
}

/*
 * Share of common characters among double-byte ones, in per mille: GB2312
 * punctuation and level-1 hanzi (lead 0xA1-0xA3, 0xB0-0xD7), or Big5
 * punctuation and level-1 hanzi (lead 0xA1-0xC6).  A trail byte that is an
 * ASCII letter counts against: it is how Latin-1 words ("\xC4rger") look.
 */
static size_t cjk_level1(const unsigned char *s, size_t n, int big5)
{
    size_t pairs = 0, common = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < 0x81)
            continue;
        unsigned lead = s[i], trail = s[i + 1];
        int letter = (trail | 0x20) >= 'a' && (trail | 0x20) <= 'z';
        pairs++;
        if (big5 ? (lead >= 0xA1 && lead <= 0xC6 && !letter)
                 : (lead >= 0xA1 && lead <= 0xD7 && trail >= 0xA1 &&
                    !(lead >= 0xA4 && lead <= 0xAF)))
            common++;
        i++;
    }
    return pairs >= 2 ? common * 1000 / pairs : 0;
}

/*
 * Our guess for a text of few non-ASCII bytes, or -1: Japanese when kana
 * dominate, Korean when frequent Hangul syllables do, Russian when the
 * single-byte letters read as Russian, Chinese when level-1 hanzi do.
 */
static int guess_short(const unsigned char *s, size_t n)
{
    struct obuf o = {0};
    struct script_counts c;
    int cut = n > SHORT_BYTES, found = -1;
    if (cut)
        n = SHORT_BYTES;

    size_t best_kana = 0;
    static const int japanese[] = {EUC_JP, SHIFT_JIS};
    for (size_t i = 0; i < 2; i++) {
        if (!decodes(japanese[i], s, n, cut, &o))
            continue;
        count_scripts(o.p, o.len, &c);
        if (c.kana * 5 >= c.chars && c.kana > best_kana &&
            c.halfkana * 4 < c.chars) {
            best_kana = c.kana;
            found = japanese[i];
        }
    }
    if (found >= 0)
        goto out;
    if (decodes(EUC_KR, s, n, cut, &o)) {
        count_scripts(o.p, o.len, &c);
        if (c.hangul * 10 >= c.chars * 7 && c.common * 2 >= c.hangul) {
            found = EUC_KR;
            goto out;
        }
    }
    found = guess_cyrillic(s, n);
    if (found >= 0)
        goto out;
    static const int chinese[] = {GB18030, BIG5};
    for (size_t i = 0; i < 2; i++) {
        if (!decodes(chinese[i], s, n, cut, &o))
            continue;
        count_scripts(o.p, o.len, &c);
        if (c.han * 10 >= c.chars * 6 && cjk_level1(s, n, i == 1) >= 700) {
            found = chinese[i];
            goto out;
        }
    }
out:
    free(o.p);
    return found;
}

/* uchardet's guess as a charset id; *other gets a name we do not list. */
static int guess_uchardet(const unsigned char *s, size_t n, char other[64])
{
    int id = -1;
    other[0] = '\0';
    uchardet_t ud = uchardet_new();
    if (ud == NULL)
        return -1;
    if (uchardet_handle_data(ud, (const char *)s,
                             n < GUESS_BYTES ? n : GUESS_BYTES) == 0) {
        uchardet_data_end(ud);
        const char *g = uchardet_get_charset(ud);
        if (g != NULL && *g) {
            /* uchardet's UHC is CP949; report EUC-KR when it suffices. */
            id = strcmp(g, "UHC") == 0 ? EUC_KR : label_id(g);
            if (id < 0 && strlen(g) < 64)
                strcpy(other, g);
        }
    }
    uchardet_delete(ud);
    return id;
}

/* ---- The whole choice ---- */

/* Decode by our guess or uchardet's, STRICT when it can. */
static arca_status decode_guess(const unsigned char *s, size_t n,
                                const struct utf8_stats *st, struct obuf *o,
                                const char **name, char other[64])
{
    int id = -1, g;
    arca_status rc;

    if (st->high < SHORT_HIGH) {
        id = guess_short(s, n);
        if (id >= 0) {
            rc = decode_cs(&charsets[id], s, n, STRICT, o, name);
            if (rc == ARCA_EFORMAT)
                rc = decode_cs(&charsets[id], s, n, LENIENT, o, name);
            return rc;
        }
    }
    g = guess_uchardet(s, n, other);
    if (g == UTF_8)
        return decode_cs(&charsets[UTF_8], s, n, LENIENT, o, name);
    if (g < 0 || ((charsets[g].flags & CS_SINGLE) &&
                  !(charsets[g].flags & CS_CYR))) {
        id = st->high < SHORT_HIGH ? -1 : guess_short(s, n);
        if (id >= 0) {
            rc = decode_cs(&charsets[id], s, n, STRICT, o, name);
            if (rc != ARCA_EFORMAT)
                return rc;
        }
    }
    if (g >= 0) {
        rc = decode_cs(&charsets[g], s, n, STRICT, o, name);
        if (rc == ARCA_EFORMAT)
            rc = decode_cs(&charsets[g], s, n, LENIENT, o, name);
        return rc;
    }
    if (other[0]) {
        /* A name uchardet knows and our table does not: ask iconv. */
        struct charset cs = {other, C1(other), CS_SINGLE};
        rc = decode_cs(&cs, s, n, LENIENT, o, name);
        if (rc != ARCA_EUNSUPPORTED)
            return rc;
    }
    return decode_cs(&charsets[WIN1252], s, n, LENIENT, o, name);
}

/* Decode under the declared charset ID, or fail with ARCA_EFORMAT. */
static arca_status decode_declared(int id, const unsigned char *s, size_t n,
                                   const struct utf8_stats *st,
                                   struct obuf *o, const char **name)
{
    const struct charset *cs = &charsets[id];
    if (id == UTF_16)
        cs = &charsets[utf16_sniff(s, n, 1)];
    else if (id == UTF_32)
        cs = &charsets[utf32_sniff(s, n)];
    else if (!(cs->flags & CS_WIDE) && id != UTF_8 && st->high &&
             st->invalid == 0)
        cs = &charsets[UTF_8];
    if ((cs->flags & CS_WEAK) && st->high) {
        /* Latin-1 declared over CJK bytes: old pages and mail do that. */
        char other[64];
        int g = st->high < SHORT_HIGH ? guess_short(s, n)
                                      : guess_uchardet(s, n, other);
        if (g >= 0 && (charsets[g].flags & CS_CJK) &&
            decode_cs(&charsets[g], s, n, STRICT, o, name) == ARCA_OK)
            return ARCA_OK;
        o->len = 0;
    }
    return decode_cs(cs, s, n, STRICT, o, name);
}

arca_status arca_decode(const void *data, size_t len, const char *declared,
                        char **out, size_t *outlen, char used[64])
{
    const unsigned char *s = data;
    struct obuf o = {0};
    struct utf8_stats st;
    const char *name = "UTF-8";
    char other[64];
    size_t skip = 0;
    arca_status rc;
    int id;

    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (used)
        used[0] = '\0';
    if (s == NULL && len > 0)
        return ARCA_EINVAL;
    if (len > ((size_t)-1 >> 3))
        return ARCA_ELIMIT;
    if (s == NULL)
        s = (const unsigned char *)"";

    /* 1. A byte-order mark. */
    id = bom(s, len, &skip);
    if (id >= 0) {
        rc = decode_cs(&charsets[id], s + skip, len - skip, LENIENT, &o,
                       &name);
        goto out;
    }
    utf8_count(s, len, &st);

    /* 2. The declared charset. */
    id = label_id(declared);
    if (id >= 0) {
        rc = decode_declared(id, s, len, &st, &o, &name);
        if (rc != ARCA_EFORMAT && rc != ARCA_EUNSUPPORTED)
            goto out;
        o.len = 0;
    }

    /* 3. UTF-16 without a BOM. */
    id = utf16_sniff(s, len, 0);
    if (id >= 0) {
        rc = decode_cs(&charsets[id], s, len, STRICT, &o, &name);
        if (rc != ARCA_EFORMAT)
            goto out;
        o.len = 0;
    }

    /* 4. Valid UTF-8, unless 7-bit with the escapes of ISO-2022. */
    if (st.invalid == 0) {
        if (st.high == 0 && memchr(s, 0x1B, len) != NULL) {
            id = guess_uchardet(s, len, other);
            if (id == ISO_2022_JP || id == ISO_2022_KR || id == ISO_2022_CN) {
                rc = decode_cs(&charsets[id], s, len, STRICT, &o, &name);
                if (rc != ARCA_EFORMAT)
                    goto out;
                o.len = 0;
            }
        }
        rc = obuf_put(&o, s, len) ? ARCA_ENOMEM : ARCA_OK;
        name = "UTF-8";
        goto out;
    }

    /* 5. Mostly UTF-8: at least 95% of non-ASCII sequences valid. */
    if (st.valid > 0 && st.invalid * 19 <= st.valid) {
        rc = decode_cs(&charsets[UTF_8], s, len, LENIENT, &o, &name);
        goto out;
    }

    /* 6 and 7. A guess, else windows-1252. */
    rc = decode_guess(s, len, &st, &o, &name, other);

out:
    if (rc == ARCA_OK && obuf_reserve(&o, 1))
        rc = ARCA_ENOMEM;
    if (rc != ARCA_OK) {
        free(o.p);
        return rc;
    }
    o.p[o.len] = '\0';
    *out = o.p;
    if (outlen)
        *outlen = o.len;
    if (used) {
        strncpy(used, name, 63);
        used[63] = '\0';
    }
    return ARCA_OK;
}
