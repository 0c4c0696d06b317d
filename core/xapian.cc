/*
 * xapian.cc: core/xdb.h over Xapian 1.4, arca's only C++.
 *
 * This is the only file that includes <xapian.h>.  No exception leaves it:
 * every entry point catches everything and maps it to an arca_status
 * (xdb_fail(), after notmuch's `try { throw; } catch` idiom); the message
 * goes on the arca_xdb handle.  It knows nothing of the catalog, the
 * archive or the document formats: callers hand it terms, text and values.
 *
 * Choices made here, each explained where it is implemented:
 * - A writer always works inside a flushed Xapian transaction, so that
 *   arca_xdb_cancel() can drop what was not committed and
 *   arca_xdb_close() without a commit publishes nothing.  FLUSH_DOCS is
 *   honoured by committing from here (Xapian does not flush on its own
 *   inside a transaction).
 * - Stemming is chosen word by word from the word's script, so that the
 *   query side (which cannot know a document's language) and the index
 *   side agree; CJK n-grams are never stemmed.
 * - Boolean values of board:, tag:, type: and lang: are lowercased at
 *   both ends, by the same function.
 * - A query that Xapian 1.4.22 fails to parse because of its CJK bug is
 *   parsed again with the CJK words in parentheses.
 * - Facets count records, not parts, when hits are collapsed by record.
 */

#include <xapian.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "xdb.h"

/* ---- Limits ---- */

#define XDB_MAX_TERM 245            /* Xapian refuses longer terms */
#define XDB_TITLE_KEY_PREFIX "XT"   /* a record's whole title, as a key */
#define XDB_MAX_QUERY 8192          /* bytes of query or filter text */
#define XDB_MAX_HITS 10000          /* hits per search (page for more) */
#define XDB_MAX_FACETS 16           /* facet slots per search */
#define XDB_MAX_TEXT (256u << 20)   /* bytes of text per arca_xdoc_text() */
#define XDB_MAX_WDF_INC 1000        /* weight of one occurrence */
#define XDB_MAX_SNIPPET (1u << 20)  /* bytes of snippet asked for */
#define XDB_MAX_WILDCARD 1000       /* terms a wildcard expands to */
#define XDB_FIELD_GAP 100           /* positions between two text fields */
#define XDB_RETRIES 6               /* reopen-and-retry rounds of a search:
                                       a busy writer commits several times
                                       a second, and a slow search on a
                                       loaded machine spans two commits */
#define XDB_DEFAULT_FLUSH 10000     /* Xapian's own default threshold */

/* ---- Term prefixes ---- */

/*
 * Omega's prefixes (see core/xdb.h).  NAME is the field as a query
 * writes it ("title:"), or NULL for prefixes that are not searched by
 * name.  FOLD marks boolean values compared without regard to case: they
 * are lowercased by bool_term() both when a document is built and when a
 * query is parsed, so board:news, board:News and a document whose board
 * is "NEWS" all meet on "XBnews".  Identifiers (Q, XR, XP) and sources
 * (U: paths and URLs) keep their case.
 */
enum field_kind {
    FIELD_NONE,     /* a prefix with no query field */
    FIELD_TEXT,     /* free text: title:word searches S-prefixed words */
    FIELD_EXACT,    /* free text, never stemmed: author:kim */
    FIELD_BOOL,     /* a filter term: board:News */
    FIELD_YEAR,     /* year:2023 (Y term) and year:A..B (date range) */
    FIELD_DATE      /* date:2023-12-01 (D, M or Y term) and date:A..B */
};

struct xfield {
    const char *name;
    const char *prefix;
    field_kind kind;
    bool fold;
};

static const xfield fields[] = {
    {"title",  "S",  FIELD_TEXT, false},
    {"author", "A",  FIELD_EXACT, false},
    {"board",  "XB", FIELD_BOOL, true},
    {"tag",    "K",  FIELD_BOOL, true},
    {"type",   "T",  FIELD_BOOL, true},
    {"lang",   "L",  FIELD_BOOL, true},
    {"source", "U",  FIELD_BOOL, false},
    {"year",   "Y",  FIELD_YEAR, false},
    {"date",   "D",  FIELD_DATE, false},
    {NULL,     "Q",  FIELD_NONE, false},
    {NULL,     "M",  FIELD_NONE, false},
    {NULL,     "XR", FIELD_NONE, false},
    {NULL,     "XP", FIELD_NONE, false},
    {NULL,     "XE", FIELD_NONE, true},
};

static const xfield *field_by_prefix(const char *prefix)
{
    for (const xfield &f : fields)
        if (strcmp(f.prefix, prefix) == 0)
            return &f;
    return NULL;
}

static const xfield *field_by_name(const std::string &name)
{
    for (const xfield &f : fields)
        if (f.name != NULL && name == f.name)
            return &f;
    return NULL;
}

/*
 * The term for boolean VALUE under PREFIX, the same for documents and
 * queries.  Omega's rule: after a prefix of two or more letters, a value
 * that starts with an uppercase letter or ':' is preceded by ':'
 * ("XB" + "News" gives "XB:News"), so the prefix cannot run into it.
 * Xapian's QueryParser applies that rule to add_boolean_prefix() values;
 * the query fields below go through this function instead, so both ends
 * agree even where values are folded.  Callers that build a term by hand
 * for arca_xdb_replace() or arca_xdb_delete_term() must follow it too.
 */
static std::string bool_term(const char *prefix, const std::string &value)
{
    const xfield *f = field_by_prefix(prefix);
    /* Declared keyword fields (XF...) fold like board: and tag:. */
    bool fold = (f != NULL && f->fold) || strncmp(prefix, "XF", 2) == 0;
    std::string v = fold ? Xapian::Unicode::tolower(value) : value;
    std::string t = prefix;
    if (t.size() > 1 && !v.empty() &&
        ((v[0] >= 'A' && v[0] <= 'Z') || v[0] == ':'))
        t += ':';
    t += v;
    return t;
}

/* ---- Errors ---- */

/* A failure found here rather than in Xapian, thrown to xdb_fail(). */
struct xdb_error : std::exception {
    arca_status status;
    std::string msg;
    xdb_error(arca_status st, std::string m) : status(st), msg(std::move(m)) {}
    const char *what() const noexcept override { return msg.c_str(); }
};

static std::string describe(const Xapian::Error &e)
{
    std::string s = e.get_type();
    s += ": ";
    s += e.get_msg();
    const char *err = e.get_error_string();
    if (err != NULL && *err != '\0') {
        s += " (";
        s += err;
        s += ")";
    }
    return s;
}

/*
 * Map the exception being handled to a status, and put "WHAT: reason" in
 * MSG.  Call only from a catch block.
 */
static arca_status map_exception(std::string &msg, const std::string &what)
    noexcept
{
    arca_status st = ARCA_EINTERNAL;
    try {
        std::string why;
        try {
            throw;
        } catch (const xdb_error &e) {
            st = e.status;
            why = e.msg;
        } catch (const Xapian::DatabaseLockError &e) {
            st = ARCA_ELOCKED;
            why = describe(e);
        } catch (const Xapian::DatabaseModifiedError &e) {
            st = ARCA_ERETRY;
            why = describe(e);
        } catch (const Xapian::DatabaseCorruptError &e) {
            st = ARCA_ECORRUPT;
            why = describe(e);
        } catch (const Xapian::DatabaseNotFoundError &e) {
            st = ARCA_ENOTFOUND;
            why = describe(e);
        } catch (const Xapian::QueryParserError &e) {
            st = ARCA_EQUERY;
            why = e.get_msg();
        } catch (const Xapian::Error &e) {
            st = ARCA_EINDEX;
            why = describe(e);
        } catch (const std::bad_alloc &) {
            st = ARCA_ENOMEM;
            why = "out of memory";
        } catch (const std::exception &e) {
            st = ARCA_EINTERNAL;
            why = std::string("unexpected exception: ") + e.what();
        } catch (...) {
            st = ARCA_EINTERNAL;
            why = "unexpected exception";
        }
        msg = what + ": " + why;
    } catch (...) {
        /* Building the message failed; a short literal needs no memory. */
        try {
            msg.assign("out of memory");
        } catch (...) {
        }
        if (st == ARCA_EINTERNAL)
            st = ARCA_ENOMEM;
    }
    return st;
}

/* The status of the exception being handled, for calls without a handle. */
static arca_status status_of_exception() noexcept
{
    std::string ignored;
    return map_exception(ignored, std::string());
}

/* ---- Scripts and stemmers ---- */

/* The ranges Xapian 1.4.22 n-grams (its CJK::codepoint_is_cjk()). */
static bool is_cjk(unsigned ch)
{
    return (ch >= 0x2E80 && ch <= 0x2EFF) || (ch >= 0x3000 && ch <= 0x9FFF) ||
           (ch >= 0xA700 && ch <= 0xA71F) || (ch >= 0xAC00 && ch <= 0xD7AF) ||
           (ch >= 0xF900 && ch <= 0xFAFF) || (ch >= 0xFE30 && ch <= 0xFE4F) ||
           (ch >= 0xFF00 && ch <= 0xFFEF) ||
           (ch >= 0x20000 && ch <= 0x2A6DF) ||
           (ch >= 0x2F800 && ch <= 0x2FA1F);
}

static bool is_cjk_wordchar(unsigned ch)
{
    return is_cjk(ch) && Xapian::Unicode::is_wordchar(ch);
}

enum script {
    SC_LATIN, SC_CYRILLIC, SC_ARABIC, SC_ARMENIAN, SC_DEVANAGARI, SC_TAMIL,
    SC_CJK, SC_OTHER, SC_COUNT
};

static script script_of(unsigned ch)
{
    if (ch < 0x250 || (ch >= 0x1E00 && ch <= 0x1EFF))
        return SC_LATIN;
    if ((ch >= 0x400 && ch <= 0x52F) || (ch >= 0x1C80 && ch <= 0x1C8F) ||
        (ch >= 0x2DE0 && ch <= 0x2DFF) || (ch >= 0xA640 && ch <= 0xA69F))
        return SC_CYRILLIC;
    if (ch >= 0x530 && ch <= 0x58F)
        return SC_ARMENIAN;
    if ((ch >= 0x600 && ch <= 0x6FF) || (ch >= 0x750 && ch <= 0x77F) ||
        (ch >= 0x8A0 && ch <= 0x8FF) || (ch >= 0xFB50 && ch <= 0xFDFF) ||
        (ch >= 0xFE70 && ch <= 0xFEFF))
        return SC_ARABIC;
    if (ch >= 0x900 && ch <= 0x97F)
        return SC_DEVANAGARI;
    if (ch >= 0xB80 && ch <= 0xBFF)
        return SC_TAMIL;
    if (is_cjk(ch))
        return SC_CJK;
    return SC_OTHER;
}

/*
 * The stemmer a query uses for a word of each script: the only Snowball
 * stemmer for that script, English for Latin.  NULL: none (the word is
 * its own stem).
 */
static const char *const script_stemmer[SC_COUNT] = {
    "english", "russian", "arabic", "armenian", "nepali", "tamil", NULL, NULL
};

/* ISO 639-1 codes of the languages Xapian 1.4.22 has a stemmer for. */
struct xlang {
    const char *iso;
    const char *snowball;
    script sc;
};

static const xlang langs[] = {
    {"ar", "arabic", SC_ARABIC},      {"ca", "catalan", SC_LATIN},
    {"da", "danish", SC_LATIN},       {"de", "german", SC_LATIN},
    {"en", "english", SC_LATIN},      {"es", "spanish", SC_LATIN},
    {"eu", "basque", SC_LATIN},       {"fi", "finnish", SC_LATIN},
    {"fr", "french", SC_LATIN},       {"ga", "irish", SC_LATIN},
    {"hu", "hungarian", SC_LATIN},    {"hy", "armenian", SC_ARMENIAN},
    {"id", "indonesian", SC_LATIN},   {"it", "italian", SC_LATIN},
    {"lt", "lithuanian", SC_LATIN},   {"nb", "norwegian", SC_LATIN},
    {"ne", "nepali", SC_DEVANAGARI},  {"nl", "dutch", SC_LATIN},
    {"nn", "norwegian", SC_LATIN},    {"no", "norwegian", SC_LATIN},
    {"pt", "portuguese", SC_LATIN},   {"ro", "romanian", SC_LATIN},
    {"ru", "russian", SC_CYRILLIC},   {"sv", "swedish", SC_LATIN},
    {"ta", "tamil", SC_TAMIL},        {"tr", "turkish", SC_LATIN},
};
#define N_LANGS (sizeof langs / sizeof langs[0])

/*
 * The language of a tag such as "en", "pt-BR" or "zh_CN", as an index
 * into langs[], or -1: no stemmer (ko, ja, zh, mn ...) or not known.
 */
static int lang_index(const char *tag)
{
    char iso[4];
    size_t n = 0;
    if (tag == NULL)
        return -1;
    while (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_' && n < 3) {
        char c = tag[n];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        iso[n++] = c;
    }
    iso[n] = '\0';
    if (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_')
        return -1;
    for (size_t i = 0; i < N_LANGS; i++)
        if (strcmp(langs[i].iso, iso) == 0)
            return (int)i;
    return -1;
}

/*
 * A stemmer that picks, word by word, from the word's first letter:
 * - a CJK word is never stemmed.  At index time the stem is empty, which
 *   makes TermGenerator add no Z copy (XAPIAN-NOTES: the copies of every
 *   n-gram cost time and space and serve nothing).  At query time the
 *   word itself is returned, as an empty stem would make the QueryParser
 *   search a bare "Z" term; the QueryParser does not stem n-grams anyway;
 * - a word in the script of the document's language gets that language's
 *   stemmer (a French document's French words);
 * - any other word gets its script's stemmer (script_stemmer[]), which is
 *   also what queries use.
 * So a Latin word in a Korean or Mongolian document still gets an English
 * Z term and is found by the stemmed query word, as a Russian word in an
 * English document gets a Russian one.
 */
class ScriptStem : public Xapian::StemImplementation {
  public:
    ScriptStem(int lang, bool indexing) : lang_(lang), indexing_(indexing) {}

    std::string operator()(const std::string &word) override
    {
        if (word.empty())
            return word;
        script sc = script_of(*Xapian::Utf8Iterator(word));
        if (sc == SC_CJK)
            return indexing_ ? std::string() : word;
        if (lang_ >= 0 && langs[lang_].sc == sc) {
            if (!lang_made_) {
                lang_stem_ = Xapian::Stem(langs[lang_].snowball);
                lang_made_ = true;
            }
            return lang_stem_(word);
        }
        if (script_stemmer[sc] == NULL)
            return word;
        if (!made_[sc]) {
            stems_[sc] = Xapian::Stem(script_stemmer[sc]);
            made_[sc] = true;
        }
        return stems_[sc](word);
    }

    std::string get_description() const override
    {
        return std::string("arca.ScriptStem(") +
               (lang_ >= 0 ? langs[lang_].snowball : "none") + ")";
    }

  private:
    int lang_;
    bool indexing_;
    bool lang_made_ = false;
    Xapian::Stem lang_stem_;
    bool made_[SC_COUNT] = {};
    Xapian::Stem stems_[SC_COUNT];
};

/*
 * Index-time stemmers, made once per thread and language: a Snowball
 * stemmer takes long to build and is not safe to share between threads.
 * arca_xdoc_text() sets the calling thread's one before every use.
 */
static thread_local Xapian::Stem tl_stems[N_LANGS + 1];

static const Xapian::Stem &index_stemmer(const char *lang)
{
    int li = lang_index(lang);
    size_t slot = li < 0 ? N_LANGS : (size_t)li;
    if (tl_stems[slot].is_none())
        tl_stems[slot] = Xapian::Stem(new ScriptStem(li, true));
    return tl_stems[slot];
}

/* ---- Korean words ---- */

/*
 * Korean is written in words (eojeol) separated by spaces, each a stem
 * with its particles attached: 도시가, 도시의, 도시에서.  The n-grams find
 * a word inside any longer one; the whole words, as XW terms beside them
 * (without positions), let a query's exact word rank above a bigram met
 * by chance, and each word's form without a final particle, as an XV
 * term (도시 of 도시가), lets 도시가 and 도시에서 meet, a little below the
 * word itself.
 */
#define KW_PREFIX "XW"
#define KW_STEM_PREFIX "XV"
#define KW_MAX_SYLLABLES 20     /* longer runs are not words */

/* Particles (josa), longest first, stripped only where at least two
 * syllables remain. */
static const char *const k_particles[] = {
    "으로부터", "에서부터", "이라고", "으로서", "으로써", "에게서",
    "에서", "에게", "한테", "께서", "으로", "부터", "까지", "보다",
    "처럼", "마다", "조차", "이나", "이며", "이다", "하고",
    "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과",
    "도", "만",
};

static bool is_hangul_syllable(unsigned c)
{
    return c >= 0xAC00 && c <= 0xD7A3;
}

/* WORD (Hangul syllables, 3 bytes each) without its final particle, or
 * "" when it has none that leaves two syllables. */
static std::string strip_particle(const std::string &word)
{
    for (const char *p : k_particles) {
        size_t n = strlen(p);
        if (word.size() >= n + 6 &&
            word.compare(word.size() - n, n, p) == 0)
            return word.substr(0, word.size() - n);
    }
    return std::string();
}

/* Each run of 2 to KW_MAX_SYLLABLES Hangul syllables in TEXT[0..LEN),
 * given to EACH with its particle-stripped form ("" when none). */
template <class F>
static void korean_words(const char *text, size_t len, F each)
{
    std::string word;
    size_t syllables = 0;
    auto flush = [&]() {
        if (syllables >= 2 && syllables <= KW_MAX_SYLLABLES)
            each(word, strip_particle(word));
        word.clear();
        syllables = 0;
    };
    for (Xapian::Utf8Iterator it(text, len); it != Xapian::Utf8Iterator();
         ++it) {
        unsigned c = *it;
        if (is_hangul_syllable(c)) {
            Xapian::Unicode::append_utf8(word, c);
            syllables++;
        } else {
            flush();
        }
    }
    flush();
}

/*
 * The Korean words a query types whole, as XW terms ORed: words of its
 * free text, not those after a field prefix or a minus.
 */
static Xapian::Query korean_word_query(const char *q)
{
    std::vector<Xapian::Query> terms;
    std::unordered_set<std::string> seen;
    const char *p = q;
    while (*p && terms.size() < 32) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        std::string tok(start, (size_t)(p - start));
        if (tok.empty() || tok[0] == '-' || tok.find(':') != std::string::npos)
            continue;
        korean_words(tok.data(), tok.size(),
                     [&](const std::string &w, const std::string &stem) {
            /* The word whole, and where others have it with a particle;
             * typed with one, its stem too. */
            for (const std::string &t :
                 {KW_PREFIX + w, KW_STEM_PREFIX + w,
                  stem.empty() ? std::string() : KW_PREFIX + stem,
                  stem.empty() ? std::string() : KW_STEM_PREFIX + stem}) {
                if (t.empty() || !seen.insert(t).second)
                    continue;
                /* A word met only with a particle weighs half. */
                if (t.compare(0, 2, KW_STEM_PREFIX) == 0)
                    terms.emplace_back(Xapian::Query::OP_SCALE_WEIGHT,
                                       Xapian::Query(t), 0.5);
                else
                    terms.emplace_back(t);
            }
        });
    }
    if (terms.empty())
        return Xapian::Query();
    return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

/* ---- Handles ---- */

struct arca_xdb {
    std::string path;
    bool writable = false;
    Xapian::Database rdb;           /* a reader's database */
    size_t nsub = 1;                /* its sub-databases (shards) */
    bool remote = false;            /* one of them is a remote one */
    Xapian::WritableDatabase wdb;   /* a writer's */
    bool in_txn = false;            /* wdb has a transaction open */
    unsigned flush_at = 0;          /* commit after this many changes */
    unsigned pending = 0;           /* changes since the last commit */
    std::string err;                /* message of the last failure */

    Xapian::Database &db()
    {
        return writable ? static_cast<Xapian::Database &>(wdb) : rdb;
    }
};

struct arca_xdoc {
    Xapian::Document doc;
    Xapian::TermGenerator tg;
    unsigned nfields = 0;           /* text fields indexed so far */
    bool words = true;              /* Korean whole words too */
};

struct facet_values {
    unsigned slot;
    std::vector<std::pair<std::string, uint64_t>> values;
};

struct arca_xmset {
    Xapian::Database db;
    Xapian::Enquire enq;
    Xapian::MSet mset;
    /* The match again without weights, for snippets (below). */
    Xapian::MSet snip;
    bool have_snip = false;
    Xapian::Stem stem;              /* the query's, for snippets */
    uint64_t total = 0;
    std::vector<std::string> data;
    std::vector<double> score;
    std::string suggestion;
    std::vector<facet_values> facets;
    std::vector<size_t> shard;      /* each hit's sub-database, when
                                       there are several */
    /* Oldest first over remote shards: the undated hits that end the
     * page, and the total of the whole query. */
    std::unique_ptr<Xapian::Enquire> extra_enq;
    Xapian::MSet extra;
    Xapian::doccount mset_total = 0;
    bool split = false;

    explicit arca_xmset(const Xapian::Database &d) : db(d), enq(d) {}
};

static arca_status xdb_fail(arca_xdb *x, const std::string &what) noexcept
{
    return map_exception(x->err, what);
}

static void need_writer(const arca_xdb *x, const char *what)
{
    if (!x->writable)
        throw xdb_error(ARCA_EINVAL, std::string(what) + ": index " + x->path +
                                         " is open read-only");
}

/* ---- Opening ---- */

/*
 * FLUSH_DOCS 0 means Xapian's default: XAPIAN_FLUSH_THRESHOLD from the
 * environment, else 10,000 documents.
 */
static unsigned flush_threshold(unsigned flush_docs)
{
    if (flush_docs > 0)
        return flush_docs;
    const char *env = getenv("XAPIAN_FLUSH_THRESHOLD");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(env, &end, 10);
        if (errno == 0 && *end == '\0' && v > 0 && v <= 1000000000ul)
            return (unsigned)v;
    }
    return XDB_DEFAULT_FLUSH;
}

/*
 * A writer keeps a flushed transaction open at all times.  Outside a
 * transaction Xapian has no way to drop changes (close() and the
 * destructor commit them), so this is what lets arca_xdb_cancel() undo a
 * failed batch.  Xapian does not flush by itself inside a transaction, so
 * note_change() commits every flush_at changes, which is what Xapian's
 * XAPIAN_FLUSH_THRESHOLD would do; memory stays bounded the same way.
 */
static void begin_txn(arca_xdb *x)
{
    if (!x->in_txn) {
        x->wdb.begin_transaction(true);
        x->in_txn = true;
        x->pending = 0;
    }
}

static void commit_txn(arca_xdb *x)
{
    begin_txn(x);
    /* Whatever happens, the transaction is over (Xapian's documentation
     * of commit_transaction); the next write opens another. */
    x->in_txn = false;
    x->wdb.commit_transaction();
    x->pending = 0;
    begin_txn(x);
}

static void note_change(arca_xdb *x)
{
    if (++x->pending >= x->flush_at)
        commit_txn(x);
}

arca_status arca_xdb_open(const char *path, int writable, unsigned flush_docs,
                          arca_xdb **out, char *errbuf, size_t errlen)
{
    arca_status rc = ARCA_OK;
    arca_xdb *x = NULL;
    std::string msg;

    if (out != NULL)
        *out = NULL;
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (path == NULL || out == NULL) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "index: no path given");
        return ARCA_EINVAL;
    }
    try {
        x = new arca_xdb;
        x->path = path;
        x->writable = writable != 0;
        if (x->writable) {
            x->wdb = Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN);
            x->flush_at = flush_threshold(flush_docs);
            begin_txn(x);
        } else {
            x->rdb = Xapian::Database(path);
        }
    } catch (...) {
        rc = map_exception(msg, std::string("index ") + path);
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "%s", msg.c_str());
    }
    if (rc) {
        arca_xdb_close(x);
        x = NULL;
    }
    *out = x;
    return rc;
}

/*
 * Changes not committed are dropped: closing aborts the open transaction.
 * Call arca_xdb_commit() first to keep them.
 */
void arca_xdb_close(arca_xdb *x)
{
    if (x == NULL)
        return;
    try {
        if (x->writable)
            x->wdb.close();
        else
            x->rdb.close();
    } catch (...) {
        /* Nothing to report to: the handle goes away. */
    }
    delete x;
}

const char *arca_xdb_errmsg(const arca_xdb *x)
{
    return x == NULL ? "" : x->err.c_str();
}

/* A writer always sees its own latest state: nothing to do. */
arca_status arca_xdb_reopen(arca_xdb *x)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        if (!x->writable)
            x->rdb.reopen();
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, "reopen " + x->path);
    }
}

/* ---- Shards ---- */

arca_status arca_xdb_new_reader(arca_xdb **out)
{
    if (out == NULL)
        return ARCA_EINVAL;
    *out = NULL;
    try {
        std::unique_ptr<arca_xdb> x(new arca_xdb);
        x->path = "(shards)";
        x->nsub = 0;
        *out = x.release();
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

/*
 * Xapian interleaves the document ids of the sub-databases: document k
 * of the sub-database i (of n) is (k - 1) * n + i + 1 in the whole.
 * Statistics (document counts, lengths, term frequencies) are summed
 * over them before any weight is computed, on the remote side too, so
 * scores are those of one index holding everything.
 */
arca_status arca_xdb_add_shard(arca_xdb *x, const char *path,
                               const char *host, unsigned port,
                               unsigned timeout_ms)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        if (x->writable)
            throw xdb_error(ARCA_EINVAL, "add shard: index " + x->path +
                                             " is open for writing");
        if (host != NULL) {
            if (port == 0 || port > 65535)
                throw xdb_error(ARCA_EINVAL, "add shard: bad port");
            x->rdb.add_database(
                Xapian::Remote::open(host, port, timeout_ms, timeout_ms));
            x->remote = true;
        } else if (path != NULL) {
            x->rdb.add_database(Xapian::Database(path));
        } else {
            throw xdb_error(ARCA_EINVAL, "add shard: no path or host");
        }
        x->nsub++;
        return ARCA_OK;
    } catch (const Xapian::NetworkError &e) {
        x->err = "cannot connect: " + e.get_msg();
        const char *why = e.get_error_string();
        if (why != NULL && *why != '\0')
            x->err += std::string(" (") + why + ")";
        return ARCA_EIO;
    } catch (...) {
        arca_status st = xdb_fail(x, host ? "remote index" : path);
        return st;
    }
}

/* 0 on failure, with the reason on the handle. */
uint64_t arca_xdb_doccount(arca_xdb *x)
{
    if (x == NULL)
        return 0;
    try {
        return x->db().get_doccount();
    } catch (...) {
        xdb_fail(x, "doccount " + x->path);
        return 0;
    }
}

/* ---- Building documents ---- */

arca_status arca_xdoc_new(arca_xdoc **out)
{
    if (out == NULL)
        return ARCA_EINVAL;
    *out = NULL;
    try {
        std::unique_ptr<arca_xdoc> d(new arca_xdoc);
        d->tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        d->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
        d->tg.set_document(d->doc);
        *out = d.release();
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

void arca_xdoc_free(arca_xdoc *d)
{
    delete d;
}

/*
 * An empty value adds nothing.  A term over Xapian's 245-byte limit is
 * refused with ARCA_ELIMIT rather than failing later at replace time.
 */
arca_status arca_xdoc_term(arca_xdoc *d, const char *prefix, const char *value)
{
    if (d == NULL || prefix == NULL || value == NULL)
        return ARCA_EINVAL;
    if (value[0] == '\0')
        return ARCA_OK;
    try {
        std::string t = bool_term(prefix, value);
        if (t.size() > XDB_MAX_TERM)
            return ARCA_ELIMIT;
        d->doc.add_boolean_term(t);
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

/*
 * Each call after the first starts XDB_FIELD_GAP positions further on, so
 * a phrase cannot match across two fields.  WDF_INC 0 counts as 1.
 */
arca_status arca_xdoc_text(arca_xdoc *d, const char *prefix, const char *text,
                           size_t len, unsigned wdf_inc,
                           const char *stem_lang)
{
    if (d == NULL || (text == NULL && len > 0) || wdf_inc > XDB_MAX_WDF_INC)
        return ARCA_EINVAL;
    if (len > XDB_MAX_TEXT)
        return ARCA_ELIMIT;
    try {
        d->tg.set_stemmer(index_stemmer(stem_lang));
        if (d->nfields++ > 0)
            d->tg.increase_termpos(XDB_FIELD_GAP);
        if (len > 0)
            d->tg.index_text(Xapian::Utf8Iterator(text, len),
                             wdf_inc ? wdf_inc : 1, prefix ? prefix : "");
        if (len > 0 && d->words && (prefix == NULL || prefix[0] == '\0'))
            korean_words(text, len,
                         [&](const std::string &w, const std::string &stem) {
                d->doc.add_term(KW_PREFIX + w, wdf_inc ? wdf_inc : 1);
                if (!stem.empty())
                    d->doc.add_term(KW_STEM_PREFIX + stem,
                                    wdf_inc ? wdf_inc : 1);
            });
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

arca_status arca_xdoc_weighted_term(arca_xdoc *d, const char *prefix,
                                    const char *value, unsigned wdf)
{
    if (d == NULL || prefix == NULL || value == NULL)
        return ARCA_EINVAL;
    if (value[0] == '\0')
        return ARCA_OK;
    try {
        std::string t = std::string(prefix) + value;
        if (t.size() > XDB_MAX_TERM)
            return ARCA_ELIMIT;
        d->doc.add_term(t, wdf ? wdf : 1);
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

void arca_xdoc_words(arca_xdoc *d, int on)
{
    if (d != NULL)
        d->words = on != 0;
}

arca_status arca_xdoc_value(arca_xdoc *d, unsigned slot, const char *value,
                            size_t len)
{
    if (d == NULL || (value == NULL && len > 0) ||
        slot == Xapian::BAD_VALUENO)
        return ARCA_EINVAL;
    try {
        d->doc.add_value(slot, std::string(value ? value : "", len));
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

arca_status arca_xdoc_value_number(arca_xdoc *d, unsigned slot, double v)
{
    if (d == NULL || slot == Xapian::BAD_VALUENO)
        return ARCA_EINVAL;
    try {
        d->doc.add_value(slot, Xapian::sortable_serialise(v));
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

arca_status arca_xdoc_data(arca_xdoc *d, const char *data, size_t len)
{
    if (d == NULL || (data == NULL && len > 0))
        return ARCA_EINVAL;
    try {
        d->doc.set_data(std::string(data ? data : "", len));
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

/* ---- Writing ---- */

static void check_term(const char *what, const char *term)
{
    if (term == NULL || term[0] == '\0')
        throw xdb_error(ARCA_EINVAL, std::string(what) + ": empty term");
    size_t n = strlen(term);
    if (n > XDB_MAX_TERM)
        throw xdb_error(ARCA_ELIMIT, std::string(what) + ": term of " +
                                         std::to_string(n) +
                                         " bytes (Xapian's limit is 245)");
}

/*
 * A word the spelling suggestion may offer: 3 to 30 letters of the Latin
 * or Cyrillic alphabets, so no numbers, CJK n-grams, prefixed terms
 * (their prefixes are capitals) or stems ("Z...").
 */
static bool spelling_word(const std::string &t)
{
    unsigned n = 0;
    for (Xapian::Utf8Iterator it(t); it != Xapian::Utf8Iterator(); ++it) {
        unsigned c = *it;
        bool latin = (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0x24F &&
                                                c != 0xF7);
        bool cyrillic = c >= 0x400 && c <= 0x52F;
        if (!latin && !cyrillic)
            return false;
        if (++n > 30)
            return false;
    }
    return n >= 3;
}

/* The spelling table learns DOC's words, once per document. */
static void add_spellings(arca_xdb *x, const Xapian::Document &doc)
{
    for (Xapian::TermIterator t = doc.termlist_begin();
         t != doc.termlist_end(); ++t) {
        const std::string &w = *t;
        if (!w.empty() && (unsigned char)w[0] >= 'a' && spelling_word(w))
            x->wdb.add_spelling(w, 1);
    }
}

/*
 * D gets UNIQUE_TERM too if it lacks it, or a later replace could not
 * find the document.  Adding a boolean term it already has changes
 * nothing, so D stays as the caller built it in every other respect.
 */
arca_status arca_xdb_replace(arca_xdb *x, const char *unique_term,
                             const arca_xdoc *d)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "replace");
        check_term("replace", unique_term);
        if (d == NULL)
            throw xdb_error(ARCA_EINVAL, "replace: no document");
        begin_txn(x);
        Xapian::Document doc = d->doc;
        doc.add_boolean_term(unique_term);
        x->wdb.replace_document(unique_term, doc);
        add_spellings(x, doc);
        note_change(x);
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, std::string("replace ") +
                               (unique_term ? unique_term : "(null)"));
    }
}

arca_status arca_xdb_add(arca_xdb *x, const char *unique_term,
                         const arca_xdoc *d)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "add");
        check_term("add", unique_term);
        if (d == NULL)
            throw xdb_error(ARCA_EINVAL, "add: no document");
        begin_txn(x);
        Xapian::Document doc = d->doc;
        doc.add_boolean_term(unique_term);
        x->wdb.add_document(doc);
        add_spellings(x, doc);
        note_change(x);
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, std::string("add ") +
                               (unique_term ? unique_term : "(null)"));
    }
}

arca_status arca_xdb_delete_term(arca_xdb *x, const char *term)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "delete");
        check_term("delete", term);
        begin_txn(x);
        x->wdb.delete_document(term);
        note_change(x);
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, std::string("delete ") + (term ? term : "(null)"));
    }
}

arca_status arca_xdb_commit(arca_xdb *x)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "commit");
        commit_txn(x);
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, "commit " + x->path);
    }
}

/*
 * Drops documents and metadata changed since the last commit, including
 * an automatic one after flush_at changes: what was flushed stays.
 */
arca_status arca_xdb_cancel(arca_xdb *x)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "cancel");
        if (x->in_txn) {
            /* The transaction ends even if this throws. */
            x->in_txn = false;
            x->wdb.cancel_transaction();
        }
        begin_txn(x);
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, "cancel " + x->path);
    }
}

static void check_meta_key(const char *what, const char *key)
{
    if (key == NULL || key[0] == '\0')
        throw xdb_error(ARCA_EINVAL, std::string(what) + ": empty key");
    if (strlen(key) > XDB_MAX_TERM)
        throw xdb_error(ARCA_ELIMIT, std::string(what) + ": key over 245 bytes");
}

/* A NULL or empty VALUE removes KEY. */
arca_status arca_xdb_set_meta(arca_xdb *x, const char *key, const char *value)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        need_writer(x, "set metadata");
        check_meta_key("set metadata", key);
        begin_txn(x);
        x->wdb.set_metadata(key, value ? value : "");
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, std::string("set metadata ") + (key ? key : ""));
    }
}

arca_status arca_xdb_get_meta(arca_xdb *x, const char *key, char **value)
{
    if (value != NULL)
        *value = NULL;
    if (x == NULL || value == NULL)
        return ARCA_EINVAL;
    try {
        check_meta_key("get metadata", key);
        std::string v = x->db().get_metadata(key);
        char *s = (char *)malloc(v.size() + 1);
        if (s == NULL)
            throw std::bad_alloc();
        memcpy(s, v.data(), v.size());
        s[v.size()] = '\0';
        *value = s;
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, std::string("get metadata ") + (key ? key : ""));
    }
}

/* ---- Query fields ---- */

/*
 * A field value that does not parse (year:abc).  The processors below
 * note it here and return MatchNothing; parse_text() then throws.  They
 * must not throw themselves: an exception thrown out of a FieldProcessor
 * leaks memory inside Xapian 1.4.22's parser (LeakSanitizer shows it).
 */
struct field_errors {
    std::string first;

    Xapian::Query note(const std::string &field, const std::string &value,
                       const char *expected)
    {
        if (first.empty())
            first = field + ":" + value + ": expected " + expected;
        return Xapian::Query::MatchNothing;
    }
};

/* board:News and the like: one term, through bool_term(). */
class BoolField : public Xapian::FieldProcessor {
  public:
    explicit BoolField(const char *prefix) : prefix_(prefix) {}
    Xapian::Query operator()(const std::string &value) override
    {
        return Xapian::Query(bool_term(prefix_, value));
    }

  private:
    const char *prefix_;
};

/*
 * A field whose words match as written, never stemmed: author:kim finds
 * Kim, not Kims.  Its value is parsed by a parser of its own, with no
 * stemmer, its words ANDed (a quoted value is a phrase).
 */
class ExactField : public Xapian::FieldProcessor {
  public:
    ExactField(const char *prefix, const Xapian::Database &db)
        : prefix_(prefix)
    {
        qp_.set_database(db);
        qp_.set_default_op(Xapian::Query::OP_AND);
        qp_.set_stemming_strategy(Xapian::QueryParser::STEM_NONE);
    }
    Xapian::Query operator()(const std::string &value) override
    {
        return qp_.parse_query(value,
                               Xapian::QueryParser::FLAG_PHRASE |
                                   Xapian::QueryParser::FLAG_CJK_NGRAM,
                               prefix_);
    }

  private:
    std::string prefix_;
    Xapian::QueryParser qp_;
};

/* Digits only, 1 to 4 of them, zero-padded to 4: "850" gives "0850". */
static bool parse_year(const std::string &s, std::string &year)
{
    if (s.empty() || s.size() > 4)
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    year.assign(4 - s.size(), '0');
    year += s;
    return true;
}

static bool two_digits(const std::string &s, size_t at, int lo, int hi,
                       std::string &out)
{
    if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' ||
        s[at + 1] > '9')
        return false;
    int v = (s[at] - '0') * 10 + (s[at + 1] - '0');
    if (v < lo || v > hi)
        return false;
    out.append(s, at, 2);
    return true;
}

/*
 * YYYY, YYYY-MM, YYYY-MM-DD or YYYYMMDD into "YYYY", "YYYYMM" or
 * "YYYYMMDD".
 */
static bool parse_date(const std::string &s, std::string &ymd)
{
    ymd.clear();
    if (s.size() == 4)
        return parse_year(s, ymd);
    if (s.size() == 8 && s.find('-') == std::string::npos)
        return parse_year(s.substr(0, 4), ymd) &&
               two_digits(s, 4, 1, 12, ymd) && two_digits(s, 6, 1, 31, ymd);
    if ((s.size() == 7 || s.size() == 10) && s[4] == '-' &&
        parse_year(s.substr(0, 4), ymd) && two_digits(s, 5, 1, 12, ymd)) {
        if (s.size() == 7)
            return true;
        return s[7] == '-' && two_digits(s, 8, 1, 31, ymd);
    }
    return false;
}

/* year:2023: the Y term.  Ranges go to DateRange before this is asked. */
class YearField : public Xapian::FieldProcessor {
  public:
    explicit YearField(field_errors *errs) : errs_(errs) {}
    Xapian::Query operator()(const std::string &value) override
    {
        std::string y;
        if (!parse_year(value, y))
            return errs_->note("year", value, "a year such as 2023 or a "
                                              "range such as 2020..2023");
        return Xapian::Query(bool_term("Y", y));
    }

  private:
    field_errors *errs_;
};

/* date:2023, date:2023-12 or date:2023-12-01: the Y, M or D term. */
class DateField : public Xapian::FieldProcessor {
  public:
    explicit DateField(field_errors *errs) : errs_(errs) {}
    Xapian::Query operator()(const std::string &value) override
    {
        std::string ymd;
        if (!parse_date(value, ymd))
            return errs_->note("date", value, "YYYY, YYYY-MM or YYYY-MM-DD");
        const char *prefix = ymd.size() == 4 ? "Y" : ymd.size() == 6 ? "M"
                                                                     : "D";
        return Xapian::Query(bool_term(prefix, ymd));
    }

  private:
    field_errors *errs_;
};

/*
 * year:A..B and date:A..B on ARCA_SLOT_DATE, which holds YYYYMMDD (or
 * YYYY0000 for a year alone) and compares as a string.  The start is
 * padded low and the end high: year:1850..1869 is "18500000" to
 * "18699999", date:2023-12..2024 is "20231200" to "20249999".  Either end
 * may be empty.
 */
class DateRange : public Xapian::RangeProcessor {
  public:
    DateRange(const char *field, bool years, field_errors *errs)
        : Xapian::RangeProcessor(ARCA_SLOT_DATE, std::string(field) + ":"),
          field_(field), years_(years), errs_(errs)
    {
    }

    Xapian::Query operator()(const std::string &begin,
                             const std::string &end) override
    {
        std::string lo, hi;
        if (begin.empty() && end.empty())
            return errs_->note(field_, "..", "a start or an end");
        if ((!begin.empty() && !bound(begin, '0', lo)) ||
            (!end.empty() && !bound(end, '9', hi)))
            return errs_->note(field_, begin + ".." + end, expected());
        if (begin.empty())
            return Xapian::Query(Xapian::Query::OP_VALUE_LE, ARCA_SLOT_DATE,
                                 hi);
        if (end.empty())
            return Xapian::Query(Xapian::Query::OP_VALUE_GE, ARCA_SLOT_DATE,
                                 lo);
        return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, ARCA_SLOT_DATE,
                             lo, hi);
    }

  private:
    const char *field_;
    bool years_;
    field_errors *errs_;

    const char *expected() const
    {
        return years_ ? "years such as 1850..1869"
                      : "dates such as 2023-12-01..2023-12-31";
    }

    bool bound(const std::string &s, char pad, std::string &out) const
    {
        bool ok = years_ ? parse_year(s, out) : parse_date(s, out);
        if (ok)
            out.resize(8, pad);
        return ok;
    }
};

/* ---- Parsing queries ---- */

static const unsigned query_flags =
    Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM |
    Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_PURE_NOT |
    Xapian::QueryParser::FLAG_SPELLING_CORRECTION;

static void setup_parser(Xapian::QueryParser &qp, const Xapian::Database &db,
                         const Xapian::Stem &stem, field_errors *errs,
                         const arca_xquery *q)
{
    for (size_t i = 0; i < q->nfields; i++) {
        const arca_field_decl &f = q->fields[i];
        if (f.keyword)
            qp.add_boolean_prefix(f.name,
                                  (new BoolField(f.prefix))->release());
        else
            qp.add_prefix(f.name, f.prefix);
    }
    qp.set_database(db);
    qp.set_default_op(Xapian::Query::OP_AND);
    qp.set_stemmer(stem);
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_max_expansion(XDB_MAX_WILDCARD,
                         Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                         Xapian::QueryParser::FLAG_WILDCARD |
                             Xapian::QueryParser::FLAG_PARTIAL);
    for (const xfield &f : fields) {
        if (f.name == NULL)
            continue;
        /* Exclusive (the default grouping): board:a board:b is a OR b;
         * different fields AND together. */
        switch (f.kind) {
        case FIELD_TEXT:
            qp.add_prefix(f.name, f.prefix);
            break;
        case FIELD_EXACT:
            qp.add_prefix(f.name, (new ExactField(f.prefix, db))->release());
            break;
        case FIELD_BOOL:
            qp.add_boolean_prefix(f.name, (new BoolField(f.prefix))->release());
            break;
        case FIELD_YEAR:
            qp.add_boolean_prefix(f.name, (new YearField(errs))->release());
            qp.add_rangeprocessor(
                (new DateRange(f.name, true, errs))->release());
            break;
        case FIELD_DATE:
            qp.add_boolean_prefix(f.name, (new DateField(errs))->release());
            qp.add_rangeprocessor(
                (new DateRange(f.name, false, errs))->release());
            break;
        case FIELD_NONE:
            break;
        }
    }
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n\f\v", *s))
            return false;
    return true;
}

static bool has_cjk(const std::string &s)
{
    for (Xapian::Utf8Iterator it(s); it != Xapian::Utf8Iterator(); ++it)
        if (is_cjk_wordchar(*it))
            return true;
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* Does a token start at byte AT of Q, so that "(" may go before it? */
static bool token_starts(const std::string &q, size_t at)
{
    if (at == 0 || is_space(q[at - 1]) || q[at - 1] == '(')
        return true;
    if (q[at - 1] == '+' || q[at - 1] == '-')
        return at == 1 || is_space(q[at - 2]) || q[at - 2] == '(';
    if (q[at - 1] == ':') {
        /* title:경주 becomes title:(경주), which applies the field to the
         * group; boolean values (board:공지) are left alone. */
        size_t b = at - 1;
        while (b > 0 && ((q[b - 1] >= 'a' && q[b - 1] <= 'z') ||
                         (q[b - 1] >= 'A' && q[b - 1] <= 'Z')))
            b--;
        const xfield *f = field_by_name(q.substr(b, at - 1 - b));
        return f != NULL && f->kind == FIELD_TEXT && token_starts(q, b);
    }
    return false;
}

/*
 * Xapian before 1.4.25 fails to parse non-CJK text, a space, CJK text and
 * more non-CJK text ("Gyeongju 경주 forum": "parse error").  The same
 * query with each CJK word in parentheses ("Gyeongju (경주) forum")
 * parses to the same terms, positions and operators, so that is the
 * second try.  Quoted phrases are left as they are: they parse.
 */
static std::string wrap_cjk_words(const std::string &q)
{
    std::string out;
    bool quoted = false;
    size_t i = 0;

    out.reserve(q.size() + 32);
    while (i < q.size()) {
        char c = q[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && (unsigned char)c >= 0xE0 && token_starts(q, i) &&
                   is_cjk_wordchar(*Xapian::Utf8Iterator(q.data() + i,
                                                         q.size() - i))) {
            size_t e = i;
            while (e < q.size() && !is_space(q[e]) && q[e] != '(' &&
                   q[e] != ')' && q[e] != '"')
                e++;
            out += '(';
            out.append(q, i, e - i);
            out += ')';
            i = e;
            continue;
        }
        out += c;
        i++;
    }
    return out;
}

/*
 * Xapian 1.4.22 gives a field with a FieldProcessor nothing for a quoted
 * value (author:"Kim Minsu" would find nothing): such a value becomes a
 * group, author:(Kim Minsu), its words each matched exactly.
 */
static std::string unquote_exact_fields(const std::string &q)
{
    std::string out;
    bool quoted = false;
    for (size_t i = 0; i < q.size(); i++) {
        char c = q[i];
        if (!quoted) {
            for (const xfield &f : fields) {
                if (f.name == NULL || f.kind != FIELD_EXACT)
                    continue;
                size_t n = strlen(f.name);
                if ((i == 0 || !isalnum((unsigned char)q[i - 1])) &&
                    q.compare(i, n, f.name) == 0 && i + n + 1 < q.size() &&
                    q[i + n] == ':' && q[i + n + 1] == '"') {
                    size_t end = q.find('"', i + n + 2);
                    if (end == std::string::npos)
                        break;
                    out.append(q, i, n + 1);
                    out += '(';
                    out.append(q, i + n + 2, end - (i + n + 2));
                    out += ')';
                    i = end;
                    c = 0;
                    break;
                }
            }
            if (c == 0)
                continue;
        }
        if (c == '"')
            quoted = !quoted;
        out += c;
    }
    return out;
}

/*
 * Xapian 1.4.22 dereferences a null pointer on a group of a field with a
 * FieldProcessor holding a word then a loved phrase, with AND the default:
 * author:(a +b-c), author:(a +"b c") (found by fuzzing; author:"a +b-c"
 * becomes such a group above).  With AND the default a '+' adds nothing,
 * so from the first group of a FIELD_EXACT field on, the '+'s go: to the
 * end of Q, since where Xapian ends the group (quotes, nesting) need not
 * be looked for then.
 */
static std::string drop_love_after_exact_group(const std::string &q)
{
    size_t from = std::string::npos;
    for (const xfield &f : fields) {
        if (f.name == NULL || f.kind != FIELD_EXACT)
            continue;
        const std::string open = std::string(f.name) + ":(";
        for (size_t at = q.find(open); at != std::string::npos;
             at = q.find(open, at + 1))
            if (at == 0 || !isalnum((unsigned char)q[at - 1])) {
                from = std::min(from, at);
                break;
            }
    }
    if (from == std::string::npos)
        return q;
    std::string out(q, 0, from);
    for (size_t i = from; i < q.size(); i++)
        if (q[i] != '+')
            out += q[i];
    return out;
}

static Xapian::Query parse_once(Xapian::QueryParser &qp, const std::string &q,
                                field_errors *errs)
{
    errs->first.clear();
    Xapian::Query r = qp.parse_query(
        drop_love_after_exact_group(unquote_exact_fields(q)), query_flags);
    if (!errs->first.empty())
        throw Xapian::QueryParserError(errs->first);
    return r;
}

/*
 * Parse Q, retrying as above.  Xapian 1.4.22 itself leaks 96 bytes on
 * some queries that fail with a syntax error, such as "AND x 경주 y" or
 * "AND NEAR/2" (found by fuzzing under LeakSanitizer); nothing here can
 * free them.  Queries that parse do not leak.
 */
/*
 * An ellipsis ("Filters...", "Grid…") is punctuation to people, but ".."
 * is the range operator to Xapian: three or more dots, and U+2026, become
 * a space.  A two-dot range (year:2020..2023) is left alone.
 */
static std::string strip_ellipses(const std::string &q)
{
    std::string out;
    out.reserve(q.size());
    for (size_t i = 0; i < q.size();) {
        size_t n = 0;
        while (i + n < q.size() && q[i + n] == '.')
            n++;
        if (n >= 3) {
            out += ' ';
            i += n;
        } else if (n > 0) {
            out.append(q, i, n);
            i += n;
        } else if (q.compare(i, 3, "\xe2\x80\xa6") == 0) {
            out += ' ';
            i += 3;
        } else {
            out += q[i++];
        }
    }
    return out;
}

static Xapian::Query parse_text(Xapian::QueryParser &qp,
                                const std::string &raw, field_errors *errs)
{
    const std::string q = strip_ellipses(raw);
    try {
        return parse_once(qp, q, errs);
    } catch (const Xapian::QueryParserError &) {
        if (!has_cjk(q))
            throw;
        std::string again = wrap_cjk_words(q);
        if (again != q) {
            try {
                return parse_once(qp, again, errs);
            } catch (const Xapian::QueryParserError &) {
                /* Report the error in the user's own query, below. */
            }
        }
        throw;
    }
}

/*
 * RAW as a phrase, when it is two or more plain words (no quotes, fields,
 * operators, wildcards or signs): where they stand together and in order
 * a record weighs more than where they are scattered.  An empty query
 * otherwise.
 */
static Xapian::Query parse_phrase(Xapian::QueryParser &qp, const char *raw,
                                  field_errors *errs)
{
    std::string q = strip_ellipses(raw);
    if (q.find_first_of("\"():*+-[]{}") != std::string::npos)
        return Xapian::Query();
    static const char *const ops[] = {"AND", "OR", "NOT", "XOR", "NEAR",
                                      "ADJ"};
    for (const char *op : ops) {
        size_t at = q.find(op);
        if (at != std::string::npos && (at == 0 || q[at - 1] == ' '))
            return Xapian::Query();
    }
    Xapian::Query p = parse_once(qp, "\"" + q + "\"", errs);
    if (p.get_type() != Xapian::Query::OP_PHRASE)
        return Xapian::Query();
    return p;
}

/* Q with free text read as title: words, for the title bonus. */
static Xapian::Query parse_title(Xapian::QueryParser &qp, const char *raw,
                                 field_errors *errs)
{
    std::string q = drop_love_after_exact_group(strip_ellipses(raw));
    errs->first.clear();
    Xapian::Query r = qp.parse_query(q, query_flags & ~Xapian::QueryParser::
                                                         FLAG_SPELLING_CORRECTION,
                                     "S");
    if (!errs->first.empty())
        return Xapian::Query();
    return r;
}

static void check_query_text(const char *what, const char *s)
{
    size_t n = strlen(s);
    if (n > XDB_MAX_QUERY)
        throw xdb_error(ARCA_ELIMIT, std::string(what) + " of " +
                                         std::to_string(n) + " bytes (at most " +
                                         std::to_string(XDB_MAX_QUERY) + ")");
}

/* At most 60 bytes of S for a message, cut on a character boundary. */
static std::string quote_for_message(const char *s)
{
    std::string q(s);
    if (q.size() > 60) {
        size_t n = 60;
        while (n > 0 && ((unsigned char)q[n] & 0xC0) == 0x80)
            n--;
        q.resize(n);
        q += "...";
    }
    return "\"" + q + "\"";
}

/* ---- Facets ---- */

/*
 * Counts the values of the facet slots over every document that matches.
 * With PER_RECORD (hits collapsed by record), a value is counted once per
 * record, however many of its parts match: Xapian calls a match spy
 * for every matching document before collapsing, so a plain
 * ValueCountMatchSpy would count parts.  Documents without a record id
 * count one each.  Memory grows with the number of (record, value) pairs,
 * which is bounded by the matches.
 *
 * It also counts the records that match, for the total: Xapian's own
 * count of collapsed matches is exact only for the part of the match set
 * it returned.  Records are told apart by a 64-bit hash of their id.
 */
class FacetSpy : public Xapian::MatchSpy {
  public:
    FacetSpy(const unsigned *slots, size_t n, bool per_record)
        : slots_(slots, slots + n), per_record_(per_record), counts_(n),
          seen_(n)
    {
    }

    void operator()(const Xapian::Document &doc, double) override
    {
        std::string rec;
        if (per_record_) {
            rec = doc.get_value(ARCA_SLOT_RECORD);
            if (rec.empty())
                loose_++;
            else
                records_.insert(std::hash<std::string>{}(rec));
        }
        for (size_t i = 0; i < slots_.size(); i++) {
            std::string v = doc.get_value(slots_[i]);
            if (v.empty())
                continue;
            if (!rec.empty()) {
                std::string key = rec;
                key += '\0';
                key += v;
                if (!seen_[i].insert(std::move(key)).second)
                    continue;
            }
            counts_[i][v]++;
        }
    }

    /* Records that matched (documents without a record count one each). */
    uint64_t records() const
    {
        return records_.size() + loose_;
    }

    /* Most frequent first, then by value. */
    void results(std::vector<facet_values> &out) const
    {
        for (size_t i = 0; i < slots_.size(); i++) {
            facet_values f;
            f.slot = slots_[i];
            f.values.assign(counts_[i].begin(), counts_[i].end());
            std::sort(f.values.begin(), f.values.end(),
                      [](const std::pair<std::string, uint64_t> &a,
                         const std::pair<std::string, uint64_t> &b) {
                          return a.second != b.second ? a.second > b.second
                                                      : a.first < b.first;
                      });
            out.push_back(std::move(f));
        }
    }

  private:
    std::vector<unsigned> slots_;
    bool per_record_;
    std::vector<std::unordered_map<std::string, uint64_t>> counts_;
    std::vector<std::unordered_set<std::string>> seen_;
    std::unordered_set<size_t> records_;
    uint64_t loose_ = 0;
};

/* ---- Searching ---- */

static void check_search(const arca_xquery *q)
{
    if (q->limit > XDB_MAX_HITS)
        throw xdb_error(ARCA_ELIMIT, "search: limit of " +
                                         std::to_string(q->limit) +
                                         " hits (at most " +
                                         std::to_string(XDB_MAX_HITS) +
                                         "; page with offset)");
    if (q->nfacets > XDB_MAX_FACETS)
        throw xdb_error(ARCA_ELIMIT, "search: " + std::to_string(q->nfacets) +
                                         " facets (at most " +
                                         std::to_string(XDB_MAX_FACETS) + ")");
    if (q->nfacets > 0 && q->facet_slots == NULL)
        throw xdb_error(ARCA_EINVAL, "search: facet slots missing");
    for (size_t i = 0; i < q->nfacets; i++)
        if (q->facet_slots[i] == Xapian::BAD_VALUENO)
            throw xdb_error(ARCA_EINVAL, "search: bad facet slot");
    if (q->sort < 0 || q->sort > 2)
        throw xdb_error(ARCA_EINVAL, "search: unknown sort " +
                                         std::to_string(q->sort));
    if (q->query != NULL)
        check_query_text("search: query", q->query);
    if (q->filter != NULL)
        check_query_text("search: filter", q->filter);
}

/* One try of a search on X's current revision, into M. */
/*
 * The languages of the collection's records (its L terms) whose stemmer
 * is not already their script's default for queries (English for Latin,
 * Russian for Cyrillic), the MAX_QUERY_LANGS most frequent: a German
 * record's words are found in their German forms, even among English
 * ones.
 */
#define MAX_QUERY_LANGS 4
static std::vector<int> query_langs(const Xapian::Database &db)
{
    std::vector<int> out;
    /* The most frequent first, when there are more than can be read. */
    std::vector<std::pair<Xapian::doccount, int>> found;
    for (Xapian::TermIterator t = db.allterms_begin("L");
         t != db.allterms_end("L"); ++t) {
        int li = lang_index((*t).c_str() + 1);
        if (li < 0)
            continue;
        const char *def = script_stemmer[langs[li].sc];
        if (def != NULL && strcmp(def, langs[li].snowball) == 0)
            continue;
        found.emplace_back(t.get_termfreq(), li);
    }
    std::sort(found.begin(), found.end(),
              [](const std::pair<Xapian::doccount, int> &a,
                 const std::pair<Xapian::doccount, int> &b) {
                  return a.first > b.first;
              });
    for (const auto &f : found)
        if (out.size() < MAX_QUERY_LANGS &&
            std::find(out.begin(), out.end(), f.second) == out.end())
            out.push_back(f.second);
    return out;
}

/* ---- Searching remote shards ---- */

/*
 * FacetSpy's counts without a match spy of arca's own, which
 * xapian-tcpsrv could not run: one pass over every match per facet slot
 * (a cheap boolean weight, no document read), with the slot's value as
 * the collapse key (nothing collapsed: each item just carries it) and
 * the record id as the sort key, both of which the remote protocol
 * returns with each item.  A record counts a value once, as FacetSpy
 * counts it; the records seen give the total.  Costs one item per
 * matching part and pass on the wire.
 */
static void count_by_passes(Xapian::Database &db, const Xapian::Query &query,
                            const arca_xquery *q, arca_xmset &m)
{
    Xapian::doccount all = db.get_doccount();
    std::unordered_set<std::string> records;
    uint64_t loose = 0;
    bool counted = false;

    if (all == 0)
        return;
    for (size_t i = 0; i < q->nfacets; i++) {
        Xapian::Enquire e(db);
        e.set_query(query);
        e.set_weighting_scheme(Xapian::BoolWeight());
        e.set_collapse_key(q->facet_slots[i], all);
        if (q->collapse)
            e.set_sort_by_value(ARCA_SLOT_RECORD, false);
        Xapian::MSet ms = e.get_mset(0, all, all);
        std::unordered_map<std::string, uint64_t> counts;
        std::unordered_set<std::string> seen;
        for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
            std::string v = it.get_collapse_key();
            std::string rec = q->collapse ? it.get_sort_key() : std::string();
            if (q->collapse && !counted) {
                if (rec.empty())
                    loose++;
                else
                    records.insert(rec);
            }
            if (v.empty())
                continue;
            if (!rec.empty() && !seen.insert(rec + '\0' + v).second)
                continue;
            counts[v]++;
        }
        counted = q->collapse != 0;
        facet_values f;
        f.slot = q->facet_slots[i];
        f.values.assign(counts.begin(), counts.end());
        std::sort(f.values.begin(), f.values.end(),
                  [](const std::pair<std::string, uint64_t> &a,
                     const std::pair<std::string, uint64_t> &b) {
                      return a.second != b.second ? a.second > b.second
                                                  : a.first < b.first;
                  });
        m.facets.push_back(std::move(f));
    }
    if (!q->collapse || q->estimate)
        return;
    if (!counted) {
        Xapian::Enquire e(db);
        e.set_query(query);
        e.set_weighting_scheme(Xapian::BoolWeight());
        e.set_collapse_key(ARCA_SLOT_RECORD);
        m.total = e.get_mset(0, all, all).size();
        return;
    }
    m.total = records.size() + loose;
}

/*
 * Oldest first with undated documents last, as the local search's
 * MultiValueKeyMaker sorts, which xapian-tcpsrv cannot run: the dated
 * matches (a date value, which starts with a digit) sorted by value,
 * then the undated ones, the page cut across the two.  The MSet kept is
 * the one the page starts in; hits of the other are appended to
 * M.extra.
 */
static void sort_oldest_remote(Xapian::Database &db,
                               const Xapian::Query &query,
                               const arca_xquery *q, Xapian::doccount all,
                               arca_xmset &m)
{
    Xapian::Query dated(Xapian::Query::OP_FILTER, query,
                        Xapian::Query(Xapian::Query::OP_VALUE_GE,
                                      ARCA_SLOT_DATE, std::string("0")));
    Xapian::Query undated(Xapian::Query::OP_AND_NOT, query,
                          Xapian::Query(Xapian::Query::OP_VALUE_GE,
                                        ARCA_SLOT_DATE, std::string("0")));
    Xapian::doccount n_dated = 0;
    {
        /* How many dated hits there are, collapsed as the page is. */
        Xapian::Enquire e(db);
        e.set_query(dated);
        e.set_weighting_scheme(Xapian::BoolWeight());
        if (q->collapse)
            e.set_collapse_key(ARCA_SLOT_RECORD);
        n_dated = db.get_doccount() ? e.get_mset(0, db.get_doccount()).size()
                                    : 0;
    }
    m.split = true;
    m.enq.set_query(dated);
    m.mset = m.enq.get_mset(q->offset, q->limit, all);
    /* The total of the whole query, not of its dated part. */
    Xapian::Enquire t(db);
    t.set_query(query);
    t.set_weighting_scheme(Xapian::BoolWeight());
    if (q->collapse)
        t.set_collapse_key(ARCA_SLOT_RECORD);
    m.mset_total = t.get_mset(0, 0, all).get_matches_estimated();
    size_t got = m.mset.size();
    if (got >= q->limit)
        return;
    unsigned first = q->offset > n_dated ? q->offset - n_dated : 0;
    m.extra_enq.reset(new Xapian::Enquire(db));
    Xapian::Enquire &e = *m.extra_enq;
    e.set_query(undated);
    if (q->collapse)
        e.set_collapse_key(ARCA_SLOT_RECORD);
    m.extra = e.get_mset(first, q->limit - (unsigned)got, all);
}

static void run_search(arca_xdb *x, const arca_xquery *q, arca_xmset &m,
                       std::string &what)
{
    Xapian::Database &db = x->db();
    field_errors errs;              /* outlives qp, whose processors use it */
    Xapian::QueryParser qp;
    Xapian::Query query = Xapian::Query::MatchAll;

    m.stem = Xapian::Stem(new ScriptStem(-1, false));
    setup_parser(qp, db, m.stem, &errs, q);
    /* The filter first: the spelling suggestion is the last parse's. */
    Xapian::Query filter;
    bool filtered = q->filter != NULL && !is_blank(q->filter);
    if (filtered) {
        what = "filter " + quote_for_message(q->filter);
        filter = parse_text(qp, q->filter, &errs);
    }
    if (q->query != NULL && !is_blank(q->query)) {
        what = "query " + quote_for_message(q->query);
        query = parse_text(qp, q->query, &errs);
        m.suggestion = qp.get_corrected_query_string();
        /* Read again with the stemmer of each other language the
         * collection holds, every word stemmed: a record matching in any
         * of them matches. */
        const std::string main_reading = query.get_description();
        std::vector<std::string> readings;
        for (int li : query_langs(db)) {
            qp.set_stemmer(Xapian::Stem(new ScriptStem(li, false)));
            /* Capitals too: German writes every noun with one. */
            qp.set_stemming_strategy(Xapian::QueryParser::STEM_ALL_Z);
            try {
                /* A reading that changes nothing (no word of that
                 * script, or the same stems) is left out: it would only
                 * double every weight. */
                Xapian::Query other = parse_text(qp, q->query, &errs);
                std::string d = other.get_description();
                if (!other.empty() && d != main_reading &&
                    std::find(readings.begin(), readings.end(), d) ==
                        readings.end()) {
                    readings.push_back(d);
                    query = Xapian::Query(Xapian::Query::OP_OR, query,
                                          other);
                }
            } catch (const Xapian::QueryParserError &) {
                /* It parsed once; the reading of another language adds
                 * nothing then. */
            }
        }
        qp.set_stemmer(m.stem);
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        if (q->typed != NULL) {
            m.suggestion.clear();
            try {
                parse_text(qp, q->typed, &errs);
                m.suggestion = qp.get_corrected_query_string();
            } catch (const Xapian::QueryParserError &) {
                /* No suggestion for words that do not parse alone. */
            }
        }
        /* Words that are in a record's title weigh more: the same query
         * read as a title query adds its weight where it matches. */
        try {
            Xapian::Query t = parse_title(qp, q->query, &errs);
            if (!t.empty())
                query = Xapian::Query(Xapian::Query::OP_AND_MAYBE, query, t);
        } catch (const Xapian::QueryParserError &) {
            /* The query parsed as text; no title bonus then. */
        }
        /* Words that stand together as typed weigh more, and words
         * near each other more than words far apart. */
        try {
            Xapian::Query p = parse_phrase(qp, q->query, &errs);
            if (!p.empty()) {
                std::vector<Xapian::Query> words;
                bool leaves = true;
                for (size_t i = 0; i < p.get_num_subqueries(); i++) {
                    words.push_back(p.get_subquery(i));
                    leaves = leaves && words.back().get_type() ==
                                           Xapian::Query::LEAF_TERM;
                }
                Xapian::Query bonus = p;
                if (leaves && words.size() > 1)
                    bonus = Xapian::Query(
                        Xapian::Query::OP_OR, p,
                        Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                                      Xapian::Query(Xapian::Query::OP_NEAR,
                                                    words.begin(),
                                                    words.end(),
                                                    2 * words.size() + 4),
                                      0.5));
                query = Xapian::Query(Xapian::Query::OP_AND_MAYBE, query,
                                      bonus);
            }
        } catch (const Xapian::QueryParserError &) {
            /* No phrase bonus then. */
        }
        /* Korean words typed whole weigh more where a record has them
         * whole, or with a particle. */
        Xapian::Query kw = korean_word_query(q->query);
        if (!kw.empty())
            query = Xapian::Query(Xapian::Query::OP_AND_MAYBE, query, kw);
        /* A record whose whole title is the query comes first: the
         * known item a user types by its title. */
        if (q->title_key != NULL && q->title_key[0] != '\0')
            query = Xapian::Query(
                Xapian::Query::OP_AND_MAYBE, query,
                Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                              Xapian::Query(XDB_TITLE_KEY_PREFIX +
                                            std::string(q->title_key)),
                              4.0));
    }
    what = "search " + x->path;
    /* A query or filter with no terms at all ("*", "\"\"") matches
     * nothing, like Xapian's empty query. */
    if (filtered)
        query = filter.empty() ? Xapian::Query()
                               : Xapian::Query(Xapian::Query::OP_FILTER, query,
                                               filter);
    m.enq.set_query(query);

    if (q->sort == 0) {
        /* Equal weights (a filter alone, the same words as often): the
         * newest first. */
        m.enq.set_sort_by_relevance_then_value(ARCA_SLOT_DATE, true);
    } else if (q->sort == 1) {
        m.enq.set_sort_by_value_then_relevance(ARCA_SLOT_DATE, true);
    } else if (q->sort == 2 && x->remote) {
        /* xapian-tcpsrv knows no KeyMaker: see sort_oldest_remote(). */
        m.enq.set_sort_by_value_then_relevance(ARCA_SLOT_DATE, false);
    } else if (q->sort == 2) {
        /* Undated documents (empty value) last, not first. */
        Xapian::MultiValueKeyMaker *km = new Xapian::MultiValueKeyMaker;
        km->add_value(ARCA_SLOT_DATE, false, std::string(1, '\xff'));
        m.enq.set_sort_by_key_then_relevance(km->release(), false);
    }
    if (q->collapse)
        m.enq.set_collapse_key(ARCA_SLOT_RECORD);

    FacetSpy *spy = NULL;
    /* xapian-tcpsrv runs only Xapian's own match spies: with a remote
     * shard, count_by_passes() below does FacetSpy's work. */
    if (!x->remote && (q->nfacets > 0 || (q->collapse && !q->estimate))) {
        spy = new FacetSpy(q->facet_slots, q->nfacets, q->collapse != 0);
        m.enq.add_matchspy(spy->release());
    }
    /* Checking every document makes the total exact and the facets
     * complete; a page of a walk (estimate, no facets) needs neither. */
    Xapian::doccount all =
        q->estimate && q->nfacets == 0 ? 0 : db.get_doccount();
    if (q->sort == 2 && x->remote)
        sort_oldest_remote(db, query, q, all, m);
    else
        m.mset = m.enq.get_mset(q->offset, q->limit, all);
    m.total = m.split ? m.mset_total : m.mset.get_matches_estimated();
    if (spy != NULL) {
        if (q->collapse && !q->estimate)
            m.total = spy->records();
        spy->results(m.facets);
        m.enq.clear_matchspies();
    } else if (x->remote && (q->nfacets > 0 || (q->collapse && !q->estimate))) {
        count_by_passes(db, query, q, m);
    }
    /* No MSet::fetch() prefetch: in Xapian 1.4.22 it reads past the end
     * of an MSet that starts at an offset, and crashes. */
    m.data.reserve(m.mset.size() + m.extra.size());
    m.score.reserve(m.mset.size() + m.extra.size());
    for (const Xapian::MSet *ms : {&m.mset, &m.extra})
        for (Xapian::MSetIterator it = ms->begin(); it != ms->end(); ++it) {
            m.data.push_back(it.get_document().get_data());
            m.score.push_back(it.get_weight());
            m.shard.push_back(x->nsub > 1 ? (*it - 1) % x->nsub : 0);
        }
}

/*
 * A reader whose revision was overwritten by a writer's commits
 * (DatabaseModifiedError) is reopened and the search run again, up to
 * XDB_RETRIES times; after that the caller gets ARCA_ERETRY.
 */
arca_status arca_xdb_search(arca_xdb *x, const arca_xquery *q,
                            arca_xmset **out)
{
    std::string what = "search";

    if (out != NULL)
        *out = NULL;
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        if (q == NULL || out == NULL)
            throw xdb_error(ARCA_EINVAL, "search: no query or no result");
        what = "search " + x->path;
        check_search(q);
        for (int round = 0;; round++) {
            try {
                /* A round after the first reads the newest revision; a
                 * commit during the reopen itself costs one more round,
                 * not the search. */
                if (round > 0)
                    x->rdb.reopen();
                std::unique_ptr<arca_xmset> m(new arca_xmset(x->db()));
                run_search(x, q, *m, what);
                *out = m.release();
                return ARCA_OK;
            } catch (const Xapian::DatabaseModifiedError &) {
                /* A walk's next page must come from its revision. */
                if (x->writable || q->same_revision || round >= XDB_RETRIES)
                    throw;
            }
        }
    } catch (...) {
        return xdb_fail(x, what);
    }
}

uint64_t arca_xmset_total(const arca_xmset *m)
{
    return m == NULL ? 0 : m->total;
}

size_t arca_xmset_size(const arca_xmset *m)
{
    return m == NULL ? 0 : m->data.size();
}

arca_status arca_xmset_get(arca_xmset *m, size_t i, double *score,
                           const char **data, size_t *len)
{
    if (m == NULL || i >= m->data.size())
        return ARCA_EINVAL;
    if (score != NULL)
        *score = m->score[i];
    if (data != NULL)
        *data = m->data[i].c_str();
    if (len != NULL)
        *len = m->data[i].size();
    return ARCA_OK;
}

size_t arca_xmset_shard(const arca_xmset *m, size_t i)
{
    return m == NULL || i >= m->shard.size() ? 0 : m->shard[i];
}

/*
 * MAXLEN counts the bytes of TEXT shown, as Xapian does: the <b></b>
 * marks, the "…" where text was left out and the escapes (&lt; for <)
 * come on top.  Xapian escapes the text itself.
 */
arca_status arca_xmset_snippet(arca_xmset *m, const char *text, size_t len,
                               size_t maxlen, char **out)
{
    if (out != NULL)
        *out = NULL;
    if (m == NULL || out == NULL || (text == NULL && len > 0) || maxlen == 0)
        return ARCA_EINVAL;
    if (maxlen > XDB_MAX_SNIPPET || len > XDB_MAX_TEXT)
        return ARCA_ELIMIT;
    try {
        /*
         * Snippets weigh the query's terms by the match's statistics, and
         * Xapian 1.4 adds up a term's weight bound over the databases a
         * search spans: over shards the same text gave other passages
         * than over one collection holding everything.  Matched again
         * with BoolWeight, every term weighs the same wherever it is, and
         * the passage is the one with the most matches: the same over
         * shards as over one collection.  No background model: it asks
         * the database for the frequency of every word of the text, a
         * round trip each to a remote shard (2 s for ten hits).
         */
        if (!m->have_snip) {
            Xapian::Enquire e(m->db);
            e.set_query(m->enq.get_query());
            e.set_weighting_scheme(Xapian::BoolWeight());
            m->snip = e.get_mset(0, 0);
            m->have_snip = true;
        }
        std::string s = m->snip.snippet(
            std::string(text ? text : "", len), maxlen, m->stem,
            Xapian::MSet::SNIPPET_EXHAUSTIVE |
                Xapian::MSet::SNIPPET_CJK_NGRAM,
            "<b>", "</b>", "\xE2\x80\xA6");
        char *r = (char *)malloc(s.size() + 1);
        if (r == NULL)
            return ARCA_ENOMEM;
        memcpy(r, s.c_str(), s.size() + 1);
        *out = r;
        return ARCA_OK;
    } catch (...) {
        return status_of_exception();
    }
}

/* ARCA_EINVAL for a slot the search was not asked to facet on. */
arca_status arca_xmset_facet(arca_xmset *m, unsigned slot,
                             void (*cb)(void *ctx, const char *value,
                                        uint64_t count),
                             void *ctx)
{
    if (m == NULL || cb == NULL)
        return ARCA_EINVAL;
    for (const facet_values &f : m->facets) {
        if (f.slot != slot)
            continue;
        for (const auto &v : f.values)
            cb(ctx, v.first.c_str(), v.second);
        return ARCA_OK;
    }
    return ARCA_EINVAL;
}

const char *arca_xmset_suggestion(const arca_xmset *m)
{
    if (m == NULL || m->suggestion.empty())
        return NULL;
    return m->suggestion.c_str();
}

void arca_xmset_free(arca_xmset *m)
{
    delete m;
}

/* ---- Terms ---- */

arca_status arca_xdb_terms(arca_xdb *x, const char *prefix,
                           int (*cb)(void *ctx, const char *term,
                                     uint64_t freq),
                           void *ctx)
{
    if (x == NULL)
        return ARCA_EINVAL;
    try {
        if (prefix == NULL || cb == NULL)
            throw xdb_error(ARCA_EINVAL, "terms: no prefix or no callback");
        if (strlen(prefix) > XDB_MAX_TERM)
            throw xdb_error(ARCA_ELIMIT, "terms: prefix longer than " +
                                             std::to_string(XDB_MAX_TERM) +
                                             " bytes");
        Xapian::Database &db = x->db();
        for (Xapian::TermIterator it = db.allterms_begin(prefix);
             it != db.allterms_end(prefix); ++it) {
            std::string t = *it;
            if (cb(ctx, t.c_str(), it.get_termfreq()) != 0)
                break;
        }
        return ARCA_OK;
    } catch (...) {
        return xdb_fail(x, "terms " + x->path);
    }
}
