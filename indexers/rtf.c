/*
 * rtf.c: the indexer of RTF documents (text/rtf, application/rtf).  A
 * small reader of its own, after the RTF 1.9.1 specification: Debian has
 * no C library that reads RTF, and arca runs no programs.
 *
 * The reader keeps a stack of group states (destination, font, \uc skip
 * count).  Text bytes, literal or written as \'hh, are gathered into a
 * run and decoded with glibc's iconv in the code page of the current
 * font (\fcharset or \cpg in the font table) or of the document
 * (\ansicpg, \mac, \pc, \pca): a double-byte character of CP949, GBK or
 * Shift_JIS spans several \'hh, and its trail byte may be a plain
 * character.  \uN characters go out as they are, their ANSI fallback
 * skipped.  Destinations that are not text (tables, pictures, object
 * data, headers, footers, field instructions, \* groups this reader does
 * not know) are skipped; \info gives the metadata, and of an \upr group
 * only its Unicode (\ud) half is read.
 *
 * Bounds: nesting past the depth limit is skipped whole (out->truncated
 * is set); \bin data is skipped, never past the end of the input; fonts,
 * \info strings, control words and their parameters are capped; the text
 * stops at out->max.  Every byte of input is looked at once.
 */
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer-private.h"
#include "rtf-private.h"

#define RUN_MAX 4096            /* text bytes gathered before decoding */
#define WORD_MAX 32             /* letters of a control word (the spec's cap) */
#define PARAM_DIGITS 10         /* digits of a parameter that count */
#define UC_MAX 255              /* largest \uc skip count honoured */
#define DEPTH_CAP 65536         /* depth limit whatever the caller asks */

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* ---- Code pages ---- */

/* The code pages read (sorted), and glibc's name for each.  Only
 * ASCII-compatible ones: a run of 7-bit bytes is taken as it is.  Every
 * code page the reader uses is one of these, so a document opens at most
 * one descriptor for each. */
static const struct codepage {
    int cp;
    const char *codec;
} codepages[] = {
    {437, "CP437"},        {737, "CP737"},         {775, "CP775"},
    {819, "ISO-8859-1"},   {850, "CP850"},         {852, "CP852"},
    {855, "CP855"},        {857, "CP857"},         {860, "CP860"},
    {861, "CP861"},        {862, "CP862"},         {863, "CP863"},
    {864, "CP864"},        {865, "CP865"},         {866, "CP866"},
    {869, "CP869"},        {874, "CP874"},         {932, "CP932"},
    {936, "GBK"},          {949, "CP949"},         {950, "BIG5"},
    {1250, "CP1250"},      {1251, "CP1251"},       {1252, "CP1252"},
    {1253, "CP1253"},      {1254, "CP1254"},       {1255, "CP1255"},
    {1256, "CP1256"},      {1257, "CP1257"},       {1258, "CP1258"},
    {1361, "JOHAB"},       {10000, "MACINTOSH"},   {10001, "SHIFT_JIS"},
    {10002, "BIG5"},       {10003, "EUC-KR"},      {10007, "MAC-CYRILLIC"},
    {10008, "EUC-CN"},     {10029, "MAC-CENTRALEUROPE"},
    {20866, "KOI8-R"},     {20932, "EUC-JP"},      {21866, "KOI8-U"},
    {28591, "ISO-8859-1"}, {28592, "ISO-8859-2"},  {28593, "ISO-8859-3"},
    {28594, "ISO-8859-4"}, {28595, "ISO-8859-5"},  {28596, "ISO-8859-6"},
    {28597, "ISO-8859-7"}, {28598, "ISO-8859-8"},  {28599, "ISO-8859-9"},
    {28605, "ISO-8859-15"}, {51932, "EUC-JP"},     {51936, "EUC-CN"},
    {51949, "EUC-KR"},     {54936, "GB18030"},     {65001, "UTF-8"},
};

#define NCODEPAGES (sizeof codepages / sizeof codepages[0])

static int codepage_cmp(const void *key, const void *e)
{
    int cp = *(const int *)key, other = ((const struct codepage *)e)->cp;
    return (cp > other) - (cp < other);
}

/* The entry of code page CP, or NULL when it is not one we read. */
static const struct codepage *codepage(long cp)
{
    if (cp <= 0 || cp > INT_MAX)
        return NULL;
    int key = (int)cp;
    return bsearch(&key, codepages, NCODEPAGES, sizeof codepages[0],
                   codepage_cmp);
}

static const char *codec_name(long cp)
{
    const struct codepage *c = codepage(cp);
    return c ? c->codec : NULL;
}

/* The code page of a font's \fcharsetN (Windows charset numbers), or 0
 * when the charset means "the document's". */
static int charset_cp(long charset)
{
    static const short map[][2] = {
        {0, 1252},   {77, 10000}, {78, 10001}, {79, 10003}, {80, 10008},
        {81, 10002}, {128, 932},  {129, 949},  {130, 1361}, {134, 936},
        {136, 950},  {161, 1253}, {162, 1254}, {163, 1258}, {177, 1255},
        {178, 1256}, {186, 1257}, {204, 1251}, {222, 874},  {238, 1250},
        {254, 437},  {255, 850},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i][0] == charset)
            return map[i][1];
    return 0;
}

/* ---- Destinations and control words ---- */

enum dest {
    D_TEXT,        /* body text */
    D_SKIP,        /* not text: only groups and \bin matter */
    D_FONTTBL,     /* the font table */
    D_INFO,        /* \info: only its strings and dates count */
    D_STRING,      /* an \info string, in slot */
    D_DATE,        /* an \info date, in slot */
    D_UPR,         /* \upr: its ANSI half is ignored, its \ud half read */
};

/* The \info strings kept, and the names of those that become fields. */
enum { S_TITLE, S_SUBJECT, S_AUTHOR, S_KEYWORDS, S_COMMENT, S_OPERATOR,
       S_COMPANY, S_MANAGER, S_CATEGORY, S_COUNT };
static const char *const slot_field[S_COUNT] = {
    [S_COMMENT] = "comment", [S_OPERATOR] = "operator",
    [S_COMPANY] = "company", [S_MANAGER] = "manager",
    [S_CATEGORY] = "category",
};
enum { T_CREATED, T_REVISED, T_COUNT };

enum action {
    A_SKIP,        /* a destination that is not text */
    A_FONTTBL,
    A_INFO,
    A_STRING,      /* an \info string: arg is its slot */
    A_DATE,        /* an \info date: arg is its slot */
    A_UPR,
    A_UD,
    A_KEEP,        /* a destination whose text is text, also after \* */
    A_CHAR,        /* a character: arg is its code point */
    A_PAR,         /* a line break */
    A_TAB,
    A_U,
    A_UC,
    A_BIN,
    A_F,
    A_PLAIN,
    A_DOCCP,       /* \ansi \mac \pc \pca: arg is the code page */
    A_ANSICPG,
    A_DEFF,
    A_FCHARSET,
    A_CPG,
    A_YR,
    A_MO,
    A_DY,
};

static const struct word {
    const char *name;
    unsigned char action;
    int arg;
} words[] = {  /* sorted by name, for bsearch */
    {"aftnsep", A_SKIP, 0},       {"aftnsepc", A_SKIP, 0},
    {"ansi", A_DOCCP, 1252},      {"ansicpg", A_ANSICPG, 0},
    {"author", A_STRING, S_AUTHOR}, {"bin", A_BIN, 0},
    {"buptim", A_SKIP, 0},        {"bullet", A_CHAR, 0x2022},
    {"category", A_STRING, S_CATEGORY}, {"cell", A_TAB, 0},
    {"colortbl", A_SKIP, 0},      {"company", A_STRING, S_COMPANY},
    {"cpg", A_CPG, 0},            {"creatim", A_DATE, T_CREATED},
    {"datastore", A_SKIP, 0},     {"deff", A_DEFF, 0},
    {"doccomm", A_STRING, S_COMMENT}, {"dy", A_DY, 0},
    {"emdash", A_CHAR, 0x2014},   {"emspace", A_CHAR, 0x2003},
    {"endash", A_CHAR, 0x2013},   {"enspace", A_CHAR, 0x2002},
    {"f", A_F, 0},                {"fcharset", A_FCHARSET, 0},
    {"filetbl", A_SKIP, 0},       {"fldinst", A_SKIP, 0},
    {"fldrslt", A_KEEP, 0},       {"fonttbl", A_FONTTBL, 0},
    {"footer", A_SKIP, 0},        {"footerf", A_SKIP, 0},
    {"footerl", A_SKIP, 0},       {"footerr", A_SKIP, 0},
    {"ftncn", A_SKIP, 0},         {"ftnsep", A_SKIP, 0},
    {"ftnsepc", A_SKIP, 0},       {"header", A_SKIP, 0},
    {"headerf", A_SKIP, 0},       {"headerl", A_SKIP, 0},
    {"headerr", A_SKIP, 0},       {"info", A_INFO, 0},
    {"keywords", A_STRING, S_KEYWORDS}, {"ldblquote", A_CHAR, 0x201C},
    {"line", A_PAR, 0},           {"listoverridetable", A_SKIP, 0},
    {"listtable", A_SKIP, 0},     {"lquote", A_CHAR, 0x2018},
    {"mac", A_DOCCP, 10000},      {"manager", A_STRING, S_MANAGER},
    {"mo", A_MO, 0},              {"nestcell", A_TAB, 0},
    {"nestrow", A_PAR, 0},        {"objclass", A_SKIP, 0},
    {"objdata", A_SKIP, 0},       {"objname", A_SKIP, 0},
    {"operator", A_STRING, S_OPERATOR}, {"page", A_PAR, 0},
    {"par", A_PAR, 0},            {"pc", A_DOCCP, 437},
    {"pca", A_DOCCP, 850},        {"pict", A_SKIP, 0},
    {"plain", A_PLAIN, 0},        {"printim", A_SKIP, 0},
    {"qmspace", A_CHAR, 0x2005},  {"rdblquote", A_CHAR, 0x201D},
    {"revtbl", A_SKIP, 0},        {"revtim", A_DATE, T_REVISED},
    {"row", A_PAR, 0},            {"rquote", A_CHAR, 0x2019},
    {"rsidtbl", A_SKIP, 0},       {"sect", A_PAR, 0},
    {"shpinst", A_KEEP, 0},       {"shptxt", A_KEEP, 0},
    {"sp", A_SKIP, 0},            {"stylesheet", A_SKIP, 0},
    {"subject", A_STRING, S_SUBJECT}, {"tab", A_TAB, 0},
    {"tc", A_SKIP, 0},            {"themedata", A_SKIP, 0},
    {"title", A_STRING, S_TITLE}, {"txe", A_SKIP, 0},
    {"u", A_U, 0},                {"uc", A_UC, 0},
    {"ud", A_UD, 0},              {"upr", A_UPR, 0},
    {"xe", A_SKIP, 0},            {"xmlnstbl", A_SKIP, 0},
    {"yr", A_YR, 0},              {"zwj", A_CHAR, 0x200D},
    {"zwnj", A_CHAR, 0x200C},
};

static int word_cmp(const void *key, const void *e)
{
    return strcmp(key, ((const struct word *)e)->name);
}

static int is_destination(enum action a)
{
    return a <= A_KEEP;
}

/* ---- Reader state ---- */

struct group {
    unsigned char dest, slot;       /* enum dest, and its slot */
    unsigned char upr_dest, upr_slot;  /* where an \ud half goes */
    unsigned char star;             /* after \*: the next word decides */
    unsigned char uc;               /* fallback characters after \uN */
    int font;                       /* \fN, or -1: the default font */
};

struct font {
    int num;
    int charset_cp;                 /* from \fcharset, 0: the document's */
    int cpg;                        /* from \cpg, 0: none */
};

struct rtf {
    arca_extract *out;
    const unsigned char *p, *end;
    arca_status rc;                 /* first failure; stops the reader */
    int stop;                       /* the text is full: stop reading */
    struct group *stack;            /* stack[depth] is the current group */
    size_t depth, cap, max_depth;
    size_t overflow;                /* groups open past max_depth */
    int deep;                       /* some were skipped */
    int doc_cp, deff;
    struct font fonts[ARCA_RTF_MAX_FONTS];  /* sorted by num */
    size_t nfonts;
    long cur_font;                  /* entry the font table is filling */
    iconv_t codecs[NCODEPAGES];     /* one per code page, opened on use:
                                       (iconv_t)-1 when it did not open */
    unsigned char opened[NCODEPAGES];
    unsigned char run[RUN_MAX];     /* text bytes not yet decoded */
    size_t nrun;
    long skip;                      /* \uN fallback characters to skip */
    unsigned high;                  /* a high surrogate awaiting its pair */
    char info[S_COUNT][ARCA_RTF_MAX_INFO];
    size_t info_len[S_COUNT];
    long date[T_COUNT][3];          /* \yr \mo \dy */
};

static struct group *top(struct rtf *r)
{
    return &r->stack[r->depth];
}

static void fail(struct rtf *r, arca_status rc)
{
    if (r->rc == ARCA_OK)
        r->rc = rc;
    r->stop = 1;
}

/* ---- Output ---- */

/* Send UTF-8 S[0..n) to the current destination. */
static void sink(struct rtf *r, const char *s, size_t n)
{
    struct group *g = top(r);
    if (g->dest == D_TEXT) {
        if (arca_extract_append(r->out, s, n) != ARCA_OK)
            fail(r, ARCA_ENOMEM);
        else if (r->out->truncated)
            r->stop = 1;
    } else if (g->dest == D_STRING) {
        size_t *len = &r->info_len[g->slot];
        size_t room = ARCA_RTF_MAX_INFO - 1 - *len;
        if (n > room) {
            n = room;
            while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(r->info[g->slot] + *len, s, n);
        *len += n;
    }
}

/* Text other than a \uN character: a lone high surrogate before it is
 * replaced first. */
static void emit(struct rtf *r, const char *s, size_t n)
{
    if (r->high) {
        r->high = 0;
        sink(r, fffd, 3);
    }
    sink(r, s, n);
}

/* A line break in text, a space in an \info string. */
static void emit_break(struct rtf *r, const char *text)
{
    emit(r, top(r)->dest == D_STRING ? " " : text, 1);
}

/* Code point C (UTF-16 halves are paired here); controls other than tab
 * and line feed are dropped. */
static void emit_cp(struct rtf *r, unsigned c)
{
    char u[4];
    size_t n;
    if (top(r)->dest != D_TEXT && top(r)->dest != D_STRING)
        return;
    if (c >= 0xD800 && c <= 0xDBFF) {
        if (r->high)
            sink(r, fffd, 3);
        r->high = c;
        return;
    }
    if (c >= 0xDC00 && c <= 0xDFFF) {
        if (!r->high) {
            sink(r, fffd, 3);
            return;
        }
        c = 0x10000 + ((r->high - 0xD800) << 10) + (c - 0xDC00);
        r->high = 0;
    } else if (r->high) {
        r->high = 0;
        sink(r, fffd, 3);
    }
    if (c == '\r')
        c = '\n';
    if ((c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7F && c < 0xA0))
        return;
    if (c == '\t' || c == '\n') {
        emit_break(r, c == '\t' ? "\t" : "\n");
        return;
    }
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    sink(r, u, n);
}

/* ---- Fonts and code pages ---- */

/* The index of font NUM in r->fonts, or where it would go (negative:
 * -(index + 1)). */
static long font_find(const struct rtf *r, long num)
{
    size_t lo = 0, hi = r->nfonts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->fonts[mid].num == num)
            return (long)mid;
        if (r->fonts[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

/* A font table entry \fNUM: found or added (-1 when the table is full). */
static long font_entry(struct rtf *r, long num)
{
    long at = font_find(r, num);
    if (at >= 0)
        return at;
    if (r->nfonts == ARCA_RTF_MAX_FONTS)
        return -1;
    size_t i = (size_t)(-at - 1);
    memmove(&r->fonts[i + 1], &r->fonts[i],
            (r->nfonts - i) * sizeof r->fonts[0]);
    r->fonts[i] = (struct font){(int)num, 0, 0};
    r->nfonts++;
    return (long)i;
}

/* The code page the current group's text bytes are in. */
static int current_cp(struct rtf *r)
{
    int num = top(r)->font >= 0 ? top(r)->font : r->deff;
    long at = font_find(r, num);
    if (at >= 0) {
        /* The specification's Far East section: when a font has both,
         * \fcharset wins and \cpg is ignored. */
        const struct font *f = &r->fonts[at];
        if (f->charset_cp)
            return f->charset_cp;
        if (f->cpg)
            return f->cpg;
    }
    return r->doc_cp;
}

/* The descriptor that decodes code page CP, opened on first use; CP
 * is one of codepages[] (else CP1252 is used). */
static iconv_t codec_for(struct rtf *r, int cp)
{
    const struct codepage *c = codepage(cp);
    if (c == NULL)
        c = codepage(1252);
    size_t i = (size_t)(c - codepages);
    if (!r->opened[i]) {
        r->codecs[i] = iconv_open("UTF-8", c->codec);
        r->opened[i] = 1;
    }
    return r->codecs[i];
}

/*
 * Decode the gathered text bytes into the current destination.  Unless
 * FINAL, bytes that begin a character cut by the end of the run stay for
 * the next call; bytes that do not decode become U+FFFD each.
 */
static void flush(struct rtf *r, int final)
{
    size_t n = r->nrun, i;
    r->nrun = 0;
    if (n == 0 || (top(r)->dest != D_TEXT && top(r)->dest != D_STRING))
        return;
    for (i = 0; i < n && r->run[i] < 0x80; i++)
        ;
    if (i == n) {
        emit(r, (const char *)r->run, n);
        return;
    }
    iconv_t cd = codec_for(r, current_cp(r));
    if (cd == (iconv_t)-1) {
        for (i = 0; i < n; i++) {
            if (r->run[i] < 0x80)
                emit(r, (const char *)r->run + i, 1);
            else
                emit(r, fffd, 3);
        }
        return;
    }
    iconv(cd, NULL, NULL, NULL, NULL);
    char *ip = (char *)r->run;
    size_t il = n;
    while (il > 0 && !r->stop) {
        char buf[1024], *op = buf;
        size_t ol = sizeof buf;
        size_t k = iconv(cd, &ip, &il, &op, &ol);
        int err = errno;
        if (op > buf)
            emit(r, buf, (size_t)(op - buf));
        if (k != (size_t)-1 || (err == E2BIG && op > buf))
            continue;
        if (err == EINVAL && !final)
            break;
        emit(r, fffd, 3);
        ip++;
        il--;
    }
    if (il > 0 && !r->stop) {
        memmove(r->run, ip, il);
        r->nrun = il;
    }
}

/* One text byte (literal or \'hh) of the current group. */
static void text_byte(struct rtf *r, unsigned char c)
{
    struct group *g = top(r);
    if (r->skip > 0) {
        r->skip--;
        return;
    }
    if (g->star) {
        g->star = 0;
        g->dest = D_SKIP;
    }
    if (r->overflow || (g->dest != D_TEXT && g->dest != D_STRING))
        return;
    if (c < 0x20 || c == 0x7F) {
        flush(r, 1);
        if (c == '\t')
            emit_break(r, "\t");
        else if (c == '\n' || c == '\r')
            emit_break(r, "\n");
        return;
    }
    if (r->nrun == RUN_MAX)
        flush(r, 0);
    if (r->nrun == RUN_MAX)
        flush(r, 1);
    r->run[r->nrun++] = c;
}

/* ---- Groups ---- */

static void open_group(struct rtf *r)
{
    flush(r, 1);
    r->skip = 0;
    if (top(r)->star) {
        top(r)->star = 0;
        top(r)->dest = D_SKIP;
    }
    if (r->overflow || r->depth >= r->max_depth) {
        r->overflow++;
        r->deep = 1;
        return;
    }
    if (r->depth + 1 >= r->cap) {
        size_t cap = r->cap * 2;
        struct group *s = realloc(r->stack, cap * sizeof *s);
        if (s == NULL) {
            fail(r, ARCA_ENOMEM);
            return;
        }
        r->stack = s;
        r->cap = cap;
    }
    r->stack[r->depth + 1] = r->stack[r->depth];
    r->depth++;
    top(r)->star = 0;
}

static void close_group(struct rtf *r)
{
    flush(r, 1);
    r->skip = 0;
    if (r->overflow) {
        r->overflow--;
        return;
    }
    if (top(r)->dest == D_FONTTBL)
        r->cur_font = -1;
    if (r->depth <= 1) {
        /* The document's own group closed: nothing after it counts. */
        r->depth = 0;
        r->stop = 1;
        return;
    }
    r->depth--;
}

/* ---- Control words and symbols ---- */

static void skip_bin(struct rtf *r, long n)
{
    size_t left = (size_t)(r->end - r->p);
    if (n <= 0)
        return;
    r->p += (size_t)n < left ? (size_t)n : left;
}

static void date_part(struct rtf *r, int part, long v)
{
    struct group *g = top(r);
    if (g->dest == D_DATE)
        r->date[g->slot][part] = v;
}

static void do_word(struct rtf *r, const char *name, int has_param,
                    long param)
{
    const struct word *w =
        name ? bsearch(name, words, sizeof words / sizeof words[0],
                       sizeof words[0], word_cmp)
             : NULL;
    struct group *g = top(r);

    if (w != NULL && w->action == A_BIN)
        skip_bin(r, has_param ? param : 0);
    if (r->skip > 0) {
        r->skip--;
        return;
    }
    flush(r, 1);
    if (r->overflow || g->dest == D_SKIP)
        return;
    if (g->star) {
        g->star = 0;
        if (w == NULL || !is_destination(w->action)) {
            g->dest = D_SKIP;
            return;
        }
    }
    if (w == NULL)
        return;
    int in_upr = g->dest == D_UPR, in_fonts = g->dest == D_FONTTBL;
    switch ((enum action)w->action) {
    case A_SKIP:
        g->dest = D_SKIP;
        break;
    case A_FONTTBL:
        g->dest = D_FONTTBL;
        r->cur_font = -1;
        break;
    case A_INFO:
        if (!in_upr && !in_fonts)
            g->dest = D_INFO;
        break;
    case A_STRING:
        if (!in_upr && !in_fonts) {
            g->dest = D_STRING;
            g->slot = (unsigned char)w->arg;
        }
        break;
    case A_DATE:
        if (!in_upr && !in_fonts) {
            g->dest = D_DATE;
            g->slot = (unsigned char)w->arg;
            for (int k = 0; k < 3; k++)
                r->date[w->arg][k] = 0;
        }
        break;
    case A_UPR:
        if (!in_upr) {
            g->upr_dest = g->dest;
            g->upr_slot = g->slot;
            g->dest = D_UPR;
        }
        break;
    case A_UD:
        if (in_upr) {
            g->dest = g->upr_dest;
            g->slot = g->upr_slot;
        }
        break;
    case A_KEEP:
        break;
    case A_CHAR:
        emit_cp(r, (unsigned)w->arg);
        break;
    case A_PAR:
        emit_break(r, "\n");
        break;
    case A_TAB:
        emit_break(r, "\t");
        break;
    case A_U:
        if (!has_param)
            break;
        if (param < 0)
            param += 65536;
        emit_cp(r, param >= 0 && param <= 0xFFFF ? (unsigned)param : 0xFFFD);
        r->skip = g->uc;
        break;
    case A_UC:
        if (has_param)
            g->uc = (unsigned char)(param < 0 ? 0 : param > UC_MAX ? UC_MAX
                                                                 : param);
        break;
    case A_BIN:
        break;
    case A_F:
        if (!has_param || param < INT_MIN || param > INT_MAX)
            break;
        if (in_fonts)
            r->cur_font = font_entry(r, param);
        else
            g->font = (int)param;
        break;
    case A_PLAIN:
        g->font = -1;
        break;
    case A_DOCCP:
        r->doc_cp = w->arg;
        break;
    case A_ANSICPG:
        if (has_param && codec_name(param))
            r->doc_cp = (int)param;
        break;
    case A_DEFF:
        if (has_param && param >= INT_MIN && param <= INT_MAX)
            r->deff = (int)param;
        break;
    case A_FCHARSET:
        if (in_fonts && r->cur_font >= 0 && has_param)
            r->fonts[r->cur_font].charset_cp = charset_cp(param);
        break;
    case A_CPG:
        if (in_fonts && r->cur_font >= 0 && has_param && codec_name(param))
            r->fonts[r->cur_font].cpg = (int)param;
        break;
    case A_YR:
        date_part(r, 0, param);
        break;
    case A_MO:
        date_part(r, 1, param);
        break;
    case A_DY:
        date_part(r, 2, param);
        break;
    }
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

static void do_symbol(struct rtf *r, unsigned char c)
{
    if (c == '\'') {
        int hi = r->end - r->p >= 2 ? hex_value(r->p[0]) : -1;
        int lo = hi >= 0 ? hex_value(r->p[1]) : -1;
        if (lo >= 0) {
            r->p += 2;
            text_byte(r, (unsigned char)(hi << 4 | lo));
        } else if (r->skip > 0) {
            r->skip--;
        }
        return;
    }
    if (c == '\\' || c == '{' || c == '}') {
        text_byte(r, c);
        return;
    }
    if (r->skip > 0) {
        r->skip--;
        return;
    }
    flush(r, 1);
    struct group *g = top(r);
    if (r->overflow || g->dest == D_SKIP)
        return;
    if (c == '*') {
        g->star = 1;
        return;
    }
    if (g->star) {
        g->star = 0;
        g->dest = D_SKIP;
        return;
    }
    switch (c) {
    case '~':
        emit_cp(r, 0xA0);
        break;
    case '_':
        emit_cp(r, 0x2011);
        break;
    case '\n':
    case '\r':
        emit_break(r, "\n");
        break;
    case '\t':
        emit_break(r, "\t");
        break;
    default:            /* \- \| \: and unknown symbols: nothing */
        break;
    }
}

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* After a backslash. */
static void control(struct rtf *r)
{
    char name[WORD_MAX + 1];
    size_t n = 0;
    long param = 0;
    int has_param = 0, neg = 0, digits = 0;

    if (r->p >= r->end)
        return;
    if (!is_letter(*r->p)) {
        do_symbol(r, *r->p++);
        return;
    }
    while (r->p < r->end && is_letter(*r->p)) {
        if (n < WORD_MAX)
            name[n] = (char)*r->p;
        n++;
        r->p++;
    }
    if (n <= WORD_MAX)
        name[n] = '\0';
    if (r->p + 1 < r->end && r->p[0] == '-' && r->p[1] >= '0' &&
        r->p[1] <= '9') {
        neg = 1;
        r->p++;
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        if (digits++ < PARAM_DIGITS)
            param = param * 10 + (*r->p - '0');
        has_param = 1;
        r->p++;
    }
    if (neg)
        param = -param;
    if (r->p < r->end && *r->p == ' ')
        r->p++;
    do_word(r, n <= WORD_MAX ? name : NULL, has_param, param);
}

static void read_document(struct rtf *r)
{
    while (r->p < r->end && !r->stop) {
        unsigned char c = *r->p++;
        switch (c) {
        case '{':
            open_group(r);
            break;
        case '}':
            close_group(r);
            break;
        case '\\':
            control(r);
            break;
        case '\r':
        case '\n':
            break;
        default:
            text_byte(r, c);
            break;
        }
    }
    if (!r->stop) {
        flush(r, 1);
        if (r->high) {
            r->high = 0;
            sink(r, fffd, 3);
        }
    }
}

/* ---- Metadata ---- */

static char **slot_ptr(arca_extract *x, int slot)
{
    switch (slot) {
    case S_TITLE: return &x->title;
    case S_SUBJECT: return &x->description;
    case S_AUTHOR: return &x->author;
    case S_KEYWORDS: return &x->keywords;
    default: return NULL;
    }
}

static arca_status put_metadata(struct rtf *r)
{
    arca_extract *x = r->out;
    arca_status rc = ARCA_OK;

    for (int s = 0; s < S_COUNT && rc == ARCA_OK; s++) {
        if (r->info_len[s] == 0)
            continue;
        r->info[s][r->info_len[s]] = '\0';
        char **slot = slot_ptr(x, s);
        rc = slot ? arca_extract_set(x, slot, r->info[s])
                  : arca_extract_field(x, slot_field[s], r->info[s]);
    }
    for (int t = 0; t < T_COUNT && rc == ARCA_OK; t++) {
        char buf[64], date[11];
        const long *d = r->date[t];
        if (d[0] < 1 || d[0] > 9999 || d[1] < 1 || d[1] > 12 || d[2] < 1 ||
            d[2] > 31)
            continue;
        snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", d[0], d[1], d[2]);
        if (!arca_date_parse(buf, date))
            continue;
        rc = t == T_CREATED ? arca_extract_set(x, &x->date, date)
                            : arca_extract_field(x, "modified", date);
    }
    const char *codec = codec_name(r->doc_cp);
    if (rc == ARCA_OK && codec != NULL) {
        const char *canon = arca_charset_canon(codec);
        rc = arca_extract_set(x, &x->charset, canon ? canon : codec);
    }
    return rc;
}

/* ---- Entry point ---- */

arca_status arca_ix_rtf(const arca_blob *in, arca_extract *out,
                        const arca_limits *lim)
{
    const char *what = in->name ? in->name : "rtf";
    struct rtf *r = NULL;
    arca_status rc = ARCA_OK;

    if (in->len < 5 || memcmp(in->data, "{\\rtf", 5) != 0) {
        rc = arca_extract_fail(out, ARCA_EFORMAT,
                               "%s: not an RTF document (it does not start "
                               "with \"{\\rtf\")", what);
        goto out;
    }
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        rc = arca_extract_fail(out, ARCA_ENOMEM,
                               "%s: out of memory for the RTF reader", what);
        goto out;
    }
    r->out = out;
    r->p = in->data;
    r->end = in->data + in->len;
    r->max_depth = lim && lim->max_depth ? lim->max_depth
                                         : ARCA_DEFAULT_MAX_DEPTH;
    if (r->max_depth > DEPTH_CAP)
        r->max_depth = DEPTH_CAP;
    r->doc_cp = 1252;
    r->cur_font = -1;
    r->cap = 16;
    r->stack = calloc(r->cap, sizeof *r->stack);
    if (r->stack == NULL) {
        rc = arca_extract_fail(out, ARCA_ENOMEM,
                               "%s: out of memory for the RTF reader", what);
        goto out;
    }
    r->stack[0] = (struct group){.dest = D_TEXT, .uc = 1, .font = -1};

    read_document(r);
    if (r->rc != ARCA_OK) {
        rc = arca_extract_fail(out, r->rc, "%s: %s after %zu bytes of text",
                               what, arca_status_str(r->rc), out->len);
        goto out;
    }
    rc = put_metadata(r);
    if (rc != ARCA_OK) {
        rc = arca_extract_fail(out, rc, "%s: %s keeping the metadata", what,
                               arca_status_str(rc));
        goto out;
    }
    if (r->deep)
        out->truncated = 1;
out:
    if (r != NULL) {
        for (size_t i = 0; i < NCODEPAGES; i++)
            if (r->opened[i] && r->codecs[i] != (iconv_t)-1)
                iconv_close(r->codecs[i]);
        free(r->stack);
    }
    free(r);
    return rc;
}
