/*
 * arca.c: the `arca` Lua module (luaopen_arca), after liolib.c.
 *
 *   local c = arca.open([dir])          -- a collection, read-only
 *   for hit in c:search(q, {limit=, offset=, sort=, filter=, parts=,
 *                           snippet=}) do ... hit:text(), hit:snippet(n)
 *   c:count(q), c:facets(q, {"year", ...}), c:record(id), c:terms(prefix)
 *   c:add{...}, c:import(path, {...})   -- reopen as the writer; refused
 *                                          in the sandbox
 * A hit carries every field of the JSON hit shape, so hit.snippet is a
 * string; hit:snippet(n) calls that string, which the module makes
 * callable (str_call) for exactly this use: a snippet of N characters.
 *
 * It uses core/arca.h only.  Lua errors are raised only while no core
 * call is running and no C memory is held outside a Lua-owned object:
 * every temporary C resource lives in a userdata whose __gc frees it, so
 * an error (a memory limit, a bad argument) leaks nothing.  Iterating a
 * search fetches pages as the loop goes: SEARCH_PAGE hits, then pages
 * twice as big up to SEARCH_PAGE_MAX; only one page is held at a time.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>

#include "core/arca.h"
#include "lua/lua-private.h"

#define ARCA_COLLECTION "arca.Collection"
#define ARCA_SEARCH "arca.Search"
#define ARCA_HIT "arca.Hit"
#define ARCA_BOX "arca.Box"
#define ARCA_HITS "arca.hits"      /* registry: weak hit -> its search */

#define SEARCH_PAGE 100u           /* hits of the first page */
#define SEARCH_PAGE_MAX 1000u      /* pages double up to this */
#define MAX_OFFSET 1000000000u     /* as the command line allows */
#define MAX_SNIPPET 100000         /* characters of hit:snippet(n) */
#define MAX_TEXT ((size_t)256 << 20)   /* bytes of hit:text() */
#define MAX_TAGS 1000
#define MAX_FIELDS 1000
#define MAX_ATTACHMENTS 10000
#define MAX_PATHS 10000
#define MAX_JSON_DEPTH 64
#define DEFAULT_TERMS 100000       /* terms() without a limit */
#define MAX_TERMS 10000000
#define MAX_FAILURES 1000          /* failed files listed by import() */

typedef struct LCollection {
    arca_db *db;                   /* NULL once closed */
    int writable;
    char *dir;                     /* owned: to reopen as the writer */
} LCollection;

typedef struct LSearch {
    arca_results *page;            /* owned; the current page or NULL */
    size_t at;                     /* next hit of the page */
    unsigned asked;                /* hits the page was asked for */
    unsigned offset;               /* offset of the page */
    uint64_t remaining;            /* hits still wanted; UINT64_MAX: all */
    arca_sort sort;
    int collapse;
    unsigned snippet_len;
    int done;
    char *query, *filter;          /* owned */
    unsigned first_offset;         /* the walk's own offset */
    /* A hash of each hit given, so that a walk started again on a newer
     * revision gives none twice; the first NSORTED are sorted.  From
     * Lua's allocator. */
    uint64_t *given;
    size_t ngiven, capgiven, nsorted;
    unsigned restarts;
} LSearch;

/*
 * A walk started again this often in a row with no new hit gives up.
 * Each start waits a little longer first (WALK_WAIT_MS times the count,
 * at most a second): an import committing faster than a page is read
 * would otherwise overwrite every revision the walk starts on.
 */
#define WALK_RESTARTS 40
#define WALK_WAIT_MS 50

/* A C allocation owned by Lua: FREE_FN runs on it in __gc. */
typedef struct LBox {
    void *p;
    void (*free_fn)(void *);
} LBox;

#define tocoll(L) ((LCollection *)luaL_checkudata(L, 1, ARCA_COLLECTION))

/* ---- Helpers ---- */

static int box_gc(lua_State *L)
{
    LBox *b = luaL_checkudata(L, 1, ARCA_BOX);
    if (b->p != NULL && b->free_fn != NULL)
        b->free_fn(b->p);
    b->p = NULL;
    return 0;
}

/* Push an empty box; set b->p right after the allocation it guards. */
static LBox *newbox(lua_State *L, void (*free_fn)(void *))
{
    LBox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->p = NULL;
    b->free_fn = free_fn;
    luaL_setmetatable(L, ARCA_BOX);
    return b;
}

static void results_free(void *p)
{
    arca_results_destroy(p);
}

/* Scratch memory that the GC frees: for arrays handed to the core. */
static void *scratch(lua_State *L, size_t n, size_t size, const char *what)
{
    if (n != 0 && size > SIZE_MAX / n)
        luaL_error(L, "%s: too many items", what);
    return lua_newuserdatauv(L, n ? n * size : 1, 0);
}

static arca_db *checkdb(lua_State *L, LCollection *c)
{
    if (c->db == NULL)
        luaL_error(L, "attempt to use a closed collection");
    return c->db;
}

static void setfield_str(lua_State *L, const char *key, const char *v)
{
    if (v == NULL)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

/*
 * An optional field of table IDX: a string (or a number, as a string) or
 * NULL.  The value stays pushed: a converted number lives only on the
 * stack, so the caller's stack keeps it alive until the call returns.
 */
static const char *opt_strfield(lua_State *L, int idx, const char *key,
                                const char *what)
{
    int t = lua_getfield(L, idx, key);
    const char *s = NULL;
    if (t == LUA_TSTRING || t == LUA_TNUMBER)
        s = lua_tostring(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "%s: '%s' must be a string, not a %s", what, key,
                   lua_typename(L, t));
    return s;
}

static lua_Integer opt_intfield(lua_State *L, int idx, const char *key,
                                lua_Integer dflt, lua_Integer lo,
                                lua_Integer hi, const char *what)
{
    int t = lua_getfield(L, idx, key);
    lua_Integer v = dflt;
    if (t != LUA_TNIL) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint)
            luaL_error(L, "%s: '%s' must be a whole number", what, key);
        if (v < lo || v > hi)
            luaL_error(L, "%s: '%s' must be between %I and %I", what, key,
                       (LUA_INTEGER)lo, (LUA_INTEGER)hi);
    }
    lua_pop(L, 1);
    return v;
}

static int opt_boolfield(lua_State *L, int idx, const char *key, int dflt)
{
    int t = lua_getfield(L, idx, key);
    int v = t == LUA_TNIL ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static int fail(lua_State *L, const char *what, arca_db *db)
{
    return luaL_error(L, "%s: %s", what, arca_db_errmsg(db));
}

/* ---- arca.open ---- */

static const char *default_dir(lua_State *L)
{
    const char *d = NULL;
    if (lua_getfield(L, LUA_REGISTRYINDEX, ARCA_LUA_DIR) == LUA_TSTRING)
        d = lua_tostring(L, -1);
    lua_pop(L, 1);              /* the registry keeps the string */
    if (d == NULL || d[0] == '\0')
        d = getenv("ARCA_DIR");
    if (d == NULL || d[0] == '\0')
        d = ".";
    return d;
}

static int same_dir(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    int same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

static int l_open(lua_State *L)
{
    const char *dflt = default_dir(L);
    const char *dir = luaL_optstring(L, 1, dflt);
    char err[1024];

    if (arca_lua_sandboxed(L) && strcmp(dir, dflt) != 0 &&
        !same_dir(dir, dflt))
        return luaL_error(L, "arca.open: %s: the sandbox opens only the "
                          "collection %s", dir, dflt);
    LCollection *c = lua_newuserdatauv(L, sizeof *c, 0);
    c->db = NULL;               /* closed until the open succeeds */
    c->writable = 0;
    c->dir = NULL;
    luaL_setmetatable(L, ARCA_COLLECTION);
    if ((c->dir = strdup(dir)) == NULL)
        return luaL_error(L, "arca.open: out of memory");
    if (arca_db_open(dir, ARCA_RDONLY, &c->db, err, sizeof err) != ARCA_OK)
        return luaL_error(L, "arca.open: %s", err);
    return 1;
}

/* Reopen C as the writer (for add and import). */
static arca_db *writer(lua_State *L, LCollection *c, const char *what)
{
    char err[1024];
    arca_db *w = NULL;

    checkdb(L, c);
    if (arca_lua_sandboxed(L))
        luaL_error(L, "%s: not allowed in the sandbox (the collection is "
                   "read-only there)", what);
    if (c->writable)
        return c->db;
    if (arca_db_open(c->dir, ARCA_WRITE, &w, err, sizeof err) != ARCA_OK)
        luaL_error(L, "%s: %s", what, err);
    arca_db_close(c->db);
    c->db = w;
    c->writable = 1;
    return w;
}

static int c_close(lua_State *L)
{
    LCollection *c = tocoll(L);
    arca_db_close(c->db);
    c->db = NULL;
    free(c->dir);
    c->dir = NULL;
    return 0;
}

static int c_tostring(lua_State *L)
{
    LCollection *c = tocoll(L);
    if (c->db == NULL)
        lua_pushstring(L, "arca collection (closed)");
    else
        lua_pushfstring(L, "arca collection (%s)", c->dir);
    return 1;
}

/* ---- Searching ---- */

/* Fill SO from the options table at IDX (or none). */
static void search_opts(lua_State *L, int idx, arca_search_opts *so,
                        const char *what)
{
    memset(so, 0, sizeof *so);
    so->limit = 1;
    so->collapse = 1;
    so->sort = ARCA_SORT_RELEVANCE;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    so->filter = opt_strfield(L, idx, "filter", what);
    /* The filter string stays on the stack, alive, until the call ends. */
    so->collapse = !opt_boolfield(L, idx, "parts", 0);
    const char *sort = opt_strfield(L, idx, "sort", what);
    if (sort == NULL || strcmp(sort, "relevance") == 0)
        so->sort = ARCA_SORT_RELEVANCE;
    else if (strcmp(sort, "date") == 0)
        so->sort = ARCA_SORT_DATE;
    else if (strcmp(sort, "oldest") == 0)
        so->sort = ARCA_SORT_DATE_ASC;
    else
        luaL_error(L, "%s: sort must be \"relevance\", \"date\" or "
                   "\"oldest\", not \"%s\"", what, sort);
    lua_pop(L, 1);
}

static void push_hit(lua_State *L, const arca_hit *h)
{
    lua_createtable(L, 0, 16);
    lua_pushinteger(L, (lua_Integer)h->rank);
    lua_setfield(L, -2, "rank");
    lua_pushnumber(L, h->score);
    lua_setfield(L, -2, "score");
    setfield_str(L, "id", h->id);
    setfield_str(L, "title", h->title);
    setfield_str(L, "date", h->date);
    setfield_str(L, "author", h->author);
    setfield_str(L, "board", h->board);
    setfield_str(L, "lang", h->lang);
    setfield_str(L, "type", h->type);
    setfield_str(L, "source", h->source);
    setfield_str(L, "part", h->part);
    setfield_str(L, "snippet", h->snippet ? h->snippet : "");
    setfield_str(L, "sha256", h->sha256);
    setfield_str(L, "text_sha256", h->text_sha256);
    lua_createtable(L, (int)(h->nattachments < INT_MAX ? h->nattachments : 0),
                    0);
    for (size_t k = 0; k < h->nattachments; k++) {
        const arca_attachment *a = &h->attachments[k];
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, (lua_Integer)a->part);
        lua_setfield(L, -2, "part");
        setfield_str(L, "name", a->name);
        setfield_str(L, "type", a->type);
        lua_pushinteger(L, (lua_Integer)a->size);
        lua_setfield(L, -2, "size");
        setfield_str(L, "sha256", a->sha256);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "attachments");
    luaL_setmetatable(L, ARCA_HIT);
}

static LSearch *tosearch(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, ARCA_SEARCH);
}

static int search_gc(lua_State *L)
{
    LSearch *s = tosearch(L, 1);
    arca_results_destroy(s->page);
    s->page = NULL;
    free(s->query);
    free(s->filter);
    if (s->given) {
        /* Lua's allocator, so that a sandbox's memory bound counts it. */
        void *ud;
        lua_Alloc af = lua_getallocf(L, &ud);
        af(ud, s->given, s->capgiven * sizeof *s->given, 0);
    }
    s->query = s->filter = NULL;
    s->given = NULL;
    s->done = 1;
    return 0;
}

/* FNV-1a of the hit's record and part. */
static uint64_t hit_hash(const arca_hit *h)
{
    uint64_t x = 14695981039346656037ull;
    for (const char *p = h->id ? h->id : ""; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ull;
    x = (x ^ 0xff) * 1099511628211ull;
    for (const char *p = h->part ? h->part : ""; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ull;
    return x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Whether a walk started again gave H before. */
static int given_before(const LSearch *s, uint64_t h)
{
    return s->nsorted > 0 &&
           bsearch(&h, s->given, s->nsorted, sizeof h, cmp_u64) != NULL;
}

/*
 * The iterator: the next hit, fetching the next page when needed.  Every
 * page comes from the revision the walk's first page saw: a newer one
 * ranks hits anew, and its pages would repeat some and skip others.
 * When an import's commits overwrite that revision, the walk starts
 * again on the newest one and leaves out the hits it gave already.
 */
static int search_next(lua_State *L)
{
    LSearch *s = tosearch(L, lua_upvalueindex(1));

    for (;;) {
        if (s->done || s->remaining == 0)
            return 0;
        if (s->page == NULL || s->at >= arca_results_count(s->page)) {
            size_t had = s->page ? arca_results_count(s->page) : 0;
            int later = s->page != NULL;
            unsigned want = SEARCH_PAGE;
            if (s->page != NULL) {
                if (had < s->asked) {      /* the last page was short */
                    s->done = 1;
                    return 0;
                }
                if (s->offset > MAX_OFFSET - SEARCH_PAGE_MAX)
                    return luaL_error(L, "search: more than %d hits; "
                                      "narrow the query", (int)MAX_OFFSET);
                s->offset += (unsigned)had;
                /* A long walk takes bigger pages: fewer passes over the
                 * matches, memory still bounded. */
                want = s->asked < SEARCH_PAGE_MAX / 2 ? s->asked * 2
                                                      : SEARCH_PAGE_MAX;
            }
            if (s->remaining < want)
                want = (unsigned)s->remaining;
            lua_getiuservalue(L, lua_upvalueindex(1), 1);
            LCollection *c = luaL_checkudata(L, -1, ARCA_COLLECTION);
            arca_db *db = checkdb(L, c);
            lua_pop(L, 1);
            arca_results_destroy(s->page);
            s->page = NULL;
            s->at = 0;
            s->asked = want;
            arca_search_opts so = {s->offset, want, s->sort, s->collapse,
                                   s->snippet_len, NULL, 0, s->filter, 1,
                                   later};
            arca_status st = arca_db_search(db, s->query, &so, &s->page);
            if (st == ARCA_ERETRY && later) {
                if (++s->restarts > WALK_RESTARTS)
                    return luaL_error(L, "search: the collection changed "
                                      "%d times during the walk with no "
                                      "new hit between; run it again",
                                      WALK_RESTARTS);
                long ms = (long)s->restarts * WALK_WAIT_MS;
                struct timespec ts = {ms >= 1000 ? 1 : 0,
                                      (ms >= 1000 ? 0 : ms) * 1000000L};
                nanosleep(&ts, NULL);
                qsort(s->given, s->ngiven, sizeof *s->given, cmp_u64);
                s->nsorted = s->ngiven;
                s->offset = s->first_offset;
                s->asked = 0;          /* the next page is a first one */
                continue;
            }
            if (st != ARCA_OK)
                return fail(L, "search", db);
            if (arca_results_count(s->page) == 0) {
                s->done = 1;
                return 0;
            }
        }
        const arca_hit *h = arca_results_hit(s->page, s->at++);
        uint64_t hash = hit_hash(h);
        if (given_before(s, hash))
            continue;
        if (s->ngiven == s->capgiven) {
            size_t cap = s->capgiven ? s->capgiven * 2 : 256;
            void *ud;
            lua_Alloc af = lua_getallocf(L, &ud);
            uint64_t *g = af(ud, s->given, s->capgiven * sizeof *g,
                             cap * sizeof *g);
            if (g == NULL)
                return luaL_error(L, "search: not enough memory");
            s->given = g;
            s->capgiven = cap;
        }
        s->given[s->ngiven++] = hash;
        s->restarts = 0;               /* it goes on */
        if (s->remaining != UINT64_MAX)
            s->remaining--;
        push_hit(L, h);
        /* Remember the hit's search, for hit:text() and hit:snippet(). */
        lua_getfield(L, LUA_REGISTRYINDEX, ARCA_HITS);
        lua_pushvalue(L, -2);
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_rawset(L, -3);
        lua_pop(L, 1);
        return 1;
    }
}

/*
 * c:search(query, opts) returns the iterator, two nils and the search as
 * the to-be-closed value of a generic for: a loop left early frees its
 * page at once.
 */
static int c_search(lua_State *L)
{
    lua_settop(L, 3);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    const char *q = luaL_optstring(L, 2, "");
    arca_search_opts so;

    checkdb(L, c);
    search_opts(L, 3, &so, "search");
    lua_Integer limit = -1, offset = 0, snip = 0;
    if (lua_istable(L, 3)) {
        limit = opt_intfield(L, 3, "limit", -1, 0, LUA_MAXINTEGER, "search");
        offset = opt_intfield(L, 3, "offset", 0, 0, MAX_OFFSET, "search");
        snip = opt_intfield(L, 3, "snippet", 0, 0, MAX_SNIPPET, "search");
    }
    LSearch *s = lua_newuserdatauv(L, sizeof *s, 1);
    memset(s, 0, sizeof *s);
    s->done = 1;                /* inert until filled in */
    luaL_setmetatable(L, ARCA_SEARCH);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);  /* the search pins its collection */
    s->query = strdup(q);
    s->filter = so.filter ? strdup(so.filter) : NULL;
    if (s->query == NULL || (so.filter && s->filter == NULL))
        return luaL_error(L, "search: out of memory");
    s->offset = s->first_offset = (unsigned)offset;
    s->remaining = limit < 0 ? UINT64_MAX : (uint64_t)limit;
    s->sort = so.sort;
    s->collapse = so.collapse;
    s->snippet_len = (unsigned)snip;
    s->done = 0;
    int su = lua_gettop(L);
    lua_pushvalue(L, su);
    lua_pushcclosure(L, search_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, su);
    return 4;
}

/* Run one search of QUERY with SO, leaving its results boxed on the stack. */
static arca_results *boxed_search(lua_State *L, arca_db *db, const char *q,
                                  arca_search_opts *so, const char *what)
{
    LBox *b = newbox(L, results_free);
    arca_results *r = NULL;
    if (arca_db_search(db, q, so, &r) != ARCA_OK)
        fail(L, what, db);
    b->p = r;
    return r;
}

static int c_count(lua_State *L)
{
    lua_settop(L, 3);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    const char *q = luaL_optstring(L, 2, "");
    arca_db *db = checkdb(L, c);
    arca_search_opts so;

    search_opts(L, 3, &so, "count");
    arca_results *r = boxed_search(L, db, q, &so, "count");
    lua_pushinteger(L, (lua_Integer)arca_results_total(r));
    return 1;
}

static int c_facets(lua_State *L)
{
    lua_settop(L, 4);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    const char *q = luaL_optstring(L, 2, "");
    arca_db *db = checkdb(L, c);
    arca_search_opts so;

    luaL_checktype(L, 3, LUA_TTABLE);
    search_opts(L, 4, &so, "facets");
    lua_Integer n = luaL_len(L, 3);
    luaL_argcheck(L, n >= 1 && n <= 16, 3, "one to sixteen facet names");
    const char **names = scratch(L, (size_t)n, sizeof *names, "facets");
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 3, i) != LUA_TSTRING)
            return luaL_error(L, "facets: facet %I is not a name",
                              (LUA_INTEGER)i);
        names[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);          /* the table keeps it */
    }
    so.facets = names;
    so.nfacets = (size_t)n;
    arca_results *r = boxed_search(L, db, q, &so, "facets");
    lua_createtable(L, 0, (int)n);
    for (lua_Integer i = 0; i < n; i++) {
        size_t nv;
        const arca_facet_value *v = arca_results_facet(r, names[i], &nv);
        lua_createtable(L, 0, nv < INT_MAX ? (int)nv : 0);
        for (size_t k = 0; k < nv; k++) {
            lua_pushinteger(L, (lua_Integer)v[k].count);
            lua_setfield(L, -2, v[k].value);
        }
        lua_setfield(L, -2, names[i]);
    }
    return 1;
}

/* ---- Hits ---- */

/* The search that produced hit IDX, and its collection's db. */
static LSearch *hit_search(lua_State *L, int idx, arca_db **db,
                           const char *what)
{
    int ok = lua_istable(L, idx) && lua_getmetatable(L, idx);
    if (ok) {
        luaL_getmetatable(L, ARCA_HIT);
        ok = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!ok)
        luaL_error(L, "%s: calling it on something that is not a hit (use "
                   "hit:%s)", what, strchr(what, ':') + 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ARCA_HITS);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    LSearch *s = luaL_testudata(L, -1, ARCA_SEARCH);
    if (s == NULL)
        luaL_error(L, "%s: not a hit of a search", what);
    lua_getiuservalue(L, -1, 1);
    LCollection *c = luaL_checkudata(L, -1, ARCA_COLLECTION);
    *db = checkdb(L, c);
    lua_pop(L, 3);              /* the hit's entry keeps them alive */
    return s;
}

typedef struct membuf {
    char *p;
    size_t len, cap;
} membuf;

static void membuf_free(void *p)
{
    membuf *m = p;
    free(m->p);
    free(m);
}

static int membuf_sink(void *ctx, const void *data, size_t len)
{
    membuf *m = ctx;
    if (len > MAX_TEXT - m->len)
        return -1;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + len)
            cap *= 2;
        char *p = realloc(m->p, cap);
        if (p == NULL)
            return -1;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return 0;
}

static int hit_text(lua_State *L)
{
    arca_db *db;
    hit_search(L, 1, &db, "hit:text");
    lua_getfield(L, 1, "id");
    lua_getfield(L, 1, "text_sha256");
    const char *hex = lua_tostring(L, -1);
    if (hex == NULL)
        return luaL_error(L, "hit:text: %s has no extracted text",
                          luaL_optstring(L, -2, "the hit"));
    LBox *b = newbox(L, membuf_free);
    membuf *m = calloc(1, sizeof *m);
    if (m == NULL)
        return luaL_error(L, "hit:text: out of memory");
    b->p = m;
    if (arca_db_get(db, hex, membuf_sink, m) != ARCA_OK) {
        if (m->len >= MAX_TEXT)
            return luaL_error(L, "hit:text: the text is larger than %d MiB",
                              (int)(MAX_TEXT >> 20));
        return fail(L, "hit:text", db);
    }
    lua_pushlstring(L, m->p ? m->p : "", m->len);
    return 1;
}

/*
 * hit:snippet(n): the same search again at the hit's rank, with a
 * snippet of N characters (Xapian needs the query's match set to mark
 * the words).
 */
static int hit_snippet(lua_State *L)
{
    arca_db *db;
    LSearch *s = hit_search(L, 1, &db, "hit:snippet");
    lua_Integer n = luaL_optinteger(L, 2, 200);
    luaL_argcheck(L, n >= 1 && n <= MAX_SNIPPET, 2,
                  "a snippet length from 1 to 100000");
    lua_getfield(L, 1, "rank");
    lua_Integer rank = lua_tointeger(L, -1);
    lua_getfield(L, 1, "id");
    const char *id = lua_tostring(L, -1);
    lua_getfield(L, 1, "part");
    const char *part = lua_tostring(L, -1);
    if (rank < 1 || rank > MAX_OFFSET || id == NULL)
        return luaL_error(L, "hit:snippet: the hit has no rank or id");
    if (s->query == NULL)
        return luaL_error(L, "hit:snippet: the search is closed");
    arca_search_opts so = {(unsigned)rank - 1, 1, s->sort, s->collapse,
                           (unsigned)n, NULL, 0, s->filter, 1, 0};
    arca_results *r = boxed_search(L, db, s->query, &so, "hit:snippet");
    const arca_hit *h = arca_results_hit(r, 0);
    if (h == NULL || h->id == NULL || strcmp(h->id, id) != 0 ||
        (h->part == NULL) != (part == NULL) ||
        (part && strcmp(h->part, part) != 0))
        return luaL_error(L, "hit:snippet: %s: the collection changed since "
                          "the search", id);
    lua_pushstring(L, h->snippet ? h->snippet : "");
    return 1;
}

/*
 * The __call of the string metatable: hit:snippet(n) is
 * hit.snippet(hit, n), a call of the hit's own snippet string.  Any other
 * call of a string is the error Lua would have raised.
 */
static int str_call(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE && lua_getmetatable(L, 2)) {
        luaL_getmetatable(L, ARCA_HIT);
        int is_hit = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (is_hit && lua_getfield(L, 2, "snippet") == LUA_TSTRING &&
            lua_rawequal(L, -1, 1)) {
            lua_settop(L, 3);
            lua_remove(L, 1);
            return hit_snippet(L);
        }
    }
    return luaL_error(L, "attempt to call a string value");
}

/* Make strings callable for hit:snippet(n), unless something else has. */
static void callable_strings(lua_State *L)
{
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        if (lua_getfield(L, -1, "__call") == LUA_TNIL) {
            lua_pushcfunction(L, str_call);
            lua_setfield(L, -3, "__call");
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

/* ---- Records ---- */

static void push_json(lua_State *L, json_t *v, int depth)
{
    if (depth > MAX_JSON_DEPTH)
        luaL_error(L, "record: nested deeper than %d", MAX_JSON_DEPTH);
    luaL_checkstack(L, 4, "record: nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *x;
        lua_createtable(L, 0, (int)(json_object_size(v) & 0xffff));
        json_object_foreach(v, key, x) {
            if (json_is_null(x))
                continue;
            push_json(L, x, depth + 1);
            lua_setfield(L, -2, key);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        lua_createtable(L, (int)(json_array_size(v) & 0xffff), 0);
        json_array_foreach(v, i, x) {
            if (json_is_null(x))
                continue;
            push_json(L, x, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    case JSON_NULL:
        lua_pushnil(L);
        break;
    }
}

static void json_free(void *p)
{
    json_decref(p);
}

static int c_record(lua_State *L)
{
    lua_settop(L, 3);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    const char *id = luaL_checkstring(L, 2);
    arca_db *db = checkdb(L, c);
    int with_text = 0;
    char *js = NULL;

    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        with_text = opt_boolfield(L, 3, "text", 0);
    }
    LBox *jb = newbox(L, json_free);
    if (arca_db_record_json(db, id, with_text, &js) != ARCA_OK)
        return fail(L, "record", db);
    json_error_t je;
    jb->p = json_loads(js, 0, &je);
    free(js);
    if (jb->p == NULL)
        return luaL_error(L, "record: %s: unreadable JSON: %s", id, je.text);
    push_json(L, jb->p, 0);
    return 1;
}

/* ---- Terms ---- */

typedef struct termlist {
    char **terms;
    uint64_t *freqs;
    size_t n, cap, max;
    int more;                  /* stopped at MAX with terms left */
    int nomem;
} termlist;

static void termlist_free(void *p)
{
    termlist *t = p;
    for (size_t i = 0; i < t->n; i++)
        free(t->terms[i]);
    free(t->terms);
    free(t->freqs);
    free(t);
}

static int on_term(void *ctx, const char *term, uint64_t freq)
{
    termlist *t = ctx;
    if (t->n == t->max) {
        t->more = 1;
        return 1;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char **tt = realloc(t->terms, cap * sizeof *tt);
        if (tt == NULL)
            goto nomem;
        t->terms = tt;
        uint64_t *ff = realloc(t->freqs, cap * sizeof *ff);
        if (ff == NULL)
            goto nomem;
        t->freqs = ff;
        t->cap = cap;
    }
    if ((t->terms[t->n] = strdup(term)) == NULL)
        goto nomem;
    t->freqs[t->n++] = freq;
    return 0;
nomem:
    t->nomem = 1;
    return 1;
}

/*
 * c:terms(prefix, {limit = N}) -> {term = frequency}.  Without a limit,
 * more than DEFAULT_TERMS terms is an error rather than a silently cut
 * list; with one, the first N terms (in byte order) are returned.
 */
static int c_terms(lua_State *L)
{
    lua_settop(L, 3);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    const char *prefix = luaL_optstring(L, 2, "");
    arca_db *db = checkdb(L, c);
    lua_Integer max = -1;

    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        max = opt_intfield(L, 3, "limit", -1, 1, MAX_TERMS, "terms");
    }
    LBox *b = newbox(L, termlist_free);
    termlist *t = calloc(1, sizeof *t);
    if (t == NULL)
        return luaL_error(L, "terms: out of memory");
    b->p = t;
    t->max = max < 0 ? DEFAULT_TERMS : (size_t)max;
    if (arca_db_terms(db, prefix, on_term, t) != ARCA_OK)
        return fail(L, "terms", db);
    if (t->nomem)
        return luaL_error(L, "terms: out of memory");
    if (t->more && max < 0)
        return luaL_error(L, "terms: more than %d terms start with '%s'; "
                          "give a longer prefix or {limit = N}",
                          DEFAULT_TERMS, prefix);
    lua_createtable(L, 0, t->n < INT_MAX ? (int)t->n : 0);
    for (size_t i = 0; i < t->n; i++) {
        lua_pushinteger(L, (lua_Integer)t->freqs[i]);
        lua_setfield(L, -2, t->terms[i]);
    }
    return 1;
}

/* ---- Writing ---- */

/* A list of strings at field KEY of table IDX, kept on the stack. */
static const char **string_list(lua_State *L, int idx, const char *key,
                                size_t max, size_t *n, const char *what)
{
    *n = 0;
    if (lua_getfield(L, idx, key) == LUA_TNIL)
        return NULL;
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: '%s' must be a list", what, key);
    int t = lua_gettop(L);
    lua_Integer len = luaL_len(L, t);
    if (len < 0 || (uint64_t)len > max)
        luaL_error(L, "%s: '%s' has more than %d items", what, key, (int)max);
    const char **v = scratch(L, (size_t)len, sizeof *v, what);
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_rawgeti(L, t, i) != LUA_TSTRING)
            luaL_error(L, "%s: item %I of '%s' must be a string", what,
                       (LUA_INTEGER)i, key);
        v[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);          /* the list keeps it */
    }
    *n = (size_t)len;
    return v;
}

static int c_add(lua_State *L)
{
    lua_settop(L, 2);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    arca_record_in r;
    char id[256];

    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checkstack(L, 40, "add");
    arca_db *db = writer(L, c, "add");
    memset(&r, 0, sizeof r);
    r.id = opt_strfield(L, 2, "id", "add");
    r.title = opt_strfield(L, 2, "title", "add");
    r.date = opt_strfield(L, 2, "date", "add");
    r.author = opt_strfield(L, 2, "author", "add");
    r.board = opt_strfield(L, 2, "board", "add");
    r.lang = opt_strfield(L, 2, "lang", "add");
    r.source = opt_strfield(L, 2, "source", "add");
    r.body_path = opt_strfield(L, 2, "body_file", "add");
    size_t blen = 0;
    if (lua_getfield(L, 2, "body") == LUA_TSTRING) {
        r.body = lua_tolstring(L, -1, &blen);
        r.body_len = blen;
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "add: 'body' must be a string");
    }
    if (r.body && r.body_path)
        return luaL_error(L, "add: give 'body' or 'body_file', not both");
    r.tags = string_list(L, 2, "tags", MAX_TAGS, &r.ntags, "add");

    /* fields = {name = value}: the record's extra fields. */
    if (lua_getfield(L, 2, "fields") != LUA_TNIL) {
        int ft = lua_gettop(L);
        luaL_checktype(L, ft, LUA_TTABLE);
        const char **ex = scratch(L, 2 * MAX_FIELDS, sizeof *ex, "add");
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, ft) != 0) {
            luaL_checkstack(L, 4, "add: too many fields");
            if (lua_type(L, -2) != LUA_TSTRING ||
                (lua_type(L, -1) != LUA_TSTRING &&
                 lua_type(L, -1) != LUA_TNUMBER))
                return luaL_error(L, "add: 'fields' maps names to strings");
            if (n == MAX_FIELDS)
                return luaL_error(L, "add: more than %d fields", MAX_FIELDS);
            ex[2 * n] = lua_tostring(L, -2);
            /* A number converted in place stays in the table's slot. */
            lua_pushvalue(L, -1);
            ex[2 * n + 1] = lua_tostring(L, -1);
            lua_insert(L, ft);  /* keep the converted copy below */
            ft++;
            lua_pop(L, 1);
            n++;
        }
        r.extra = ex;
        r.nextra = n;
    }

    /* attachments = {"path", {path=, name=}, {name=, data=}, ...} */
    if (lua_getfield(L, 2, "attachments") != LUA_TNIL) {
        int at = lua_gettop(L);
        luaL_checktype(L, at, LUA_TTABLE);
        lua_Integer n = luaL_len(L, at);
        if (n < 0 || n > MAX_ATTACHMENTS)
            return luaL_error(L, "add: more than %d attachments",
                              MAX_ATTACHMENTS);
        arca_attachment_in *a = scratch(L, (size_t)n, sizeof *a, "add");
        memset(a, 0, (size_t)(n ? n : 1) * sizeof *a);
        for (lua_Integer i = 1; i <= n; i++) {
            luaL_checkstack(L, 8, "add: too many attachments");
            int t = lua_rawgeti(L, at, i);
            arca_attachment_in *ai = &a[i - 1];
            if (t == LUA_TSTRING) {
                ai->path = lua_tostring(L, -1);
            } else if (t == LUA_TTABLE) {
                int e = lua_gettop(L);
                ai->path = opt_strfield(L, e, "path", "add");
                ai->name = opt_strfield(L, e, "name", "add");
                size_t dl = 0;
                if (lua_getfield(L, e, "data") == LUA_TSTRING)
                    ai->data = lua_tolstring(L, -1, &dl);
                ai->len = dl;
                if ((ai->path == NULL) == (ai->data == NULL) ||
                    (ai->data && ai->name == NULL))
                    return luaL_error(L, "add: attachment %I needs a path, "
                                      "or a name and data", (LUA_INTEGER)i);
            } else {
                return luaL_error(L, "add: attachment %I must be a path or "
                                  "a table", (LUA_INTEGER)i);
            }
            /* Its values stay on the stack until the call ends. */
        }
        r.attachments = a;
        r.nattachments = (size_t)n;
    }
    if (arca_db_add(db, &r, id, sizeof id) != ARCA_OK)
        return fail(L, "add", db);
    lua_pushstring(L, id);
    return 1;
}

typedef struct import_log {
    char **paths, **errors;     /* MAX_FAILURES each */
    size_t n;
    uint64_t more;              /* failures not listed */
} import_log;

static void import_log_free(void *p)
{
    import_log *g = p;
    for (size_t i = 0; i < g->n; i++) {
        free(g->paths[i]);
        free(g->errors[i]);
    }
    free(g->paths);
    free(g->errors);
    free(g);
}

static void on_import(void *ctx, const arca_import_event *ev)
{
    import_log *g = ctx;
    if (ev->outcome != ARCA_FAILED)
        return;
    if (g->n == MAX_FAILURES) {
        g->more++;
        return;
    }
    g->paths[g->n] = strdup(ev->path ? ev->path : "");
    g->errors[g->n] = strdup(ev->error ? ev->error : "failed");
    g->n++;
}

static void setfield_u64(lua_State *L, const char *key, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

/*
 * c:import(path | {paths}, {ocr = bool, ocr_langs = "kor+eng", jobs = N})
 * -> {files=, records=, ..., failures = {{path=, error=}, ...}}
 */
static int c_import(lua_State *L)
{
    lua_settop(L, 3);   /* temporaries go above the arguments */
    LCollection *c = tocoll(L);
    arca_import_opts io;
    arca_import_summary sum;
    const char **paths;
    size_t np;

    arca_db *db = writer(L, c, "import");
    if (lua_type(L, 2) == LUA_TSTRING) {
        paths = scratch(L, 1, sizeof *paths, "import");
        paths[0] = lua_tostring(L, 2);
        np = 1;
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_newtable(L);
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "paths");
        paths = string_list(L, lua_gettop(L), "paths", MAX_PATHS, &np,
                            "import");
        if (np == 0)
            return luaL_error(L, "import: no paths given");
    }
    memset(&io, 0, sizeof io);
    memset(&sum, 0, sizeof sum);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        if (lua_getfield(L, 3, "ocr") != LUA_TNIL)
            io.ocr = lua_toboolean(L, -1) ? 1 : -1;
        io.ocr_langs = opt_strfield(L, 3, "ocr_langs", "import");
        io.jobs = (int)opt_intfield(L, 3, "jobs", 0, 0, 1024, "import");
    }
    LBox *b = newbox(L, import_log_free);
    import_log *g = calloc(1, sizeof *g);
    if (g == NULL)
        return luaL_error(L, "import: out of memory");
    b->p = g;
    g->paths = calloc(MAX_FAILURES, sizeof *g->paths);
    g->errors = calloc(MAX_FAILURES, sizeof *g->errors);
    if (g->paths == NULL || g->errors == NULL)
        return luaL_error(L, "import: out of memory");
    io.on_file = on_import;
    io.ctx = g;
    if (arca_db_import(db, paths, np, &io, &sum) != ARCA_OK)
        return fail(L, "import", db);
    lua_createtable(L, 0, 9);
    setfield_u64(L, "files", sum.files);
    setfield_u64(L, "records", sum.records);
    setfield_u64(L, "parts", sum.parts);
    setfield_u64(L, "skipped", sum.skipped);
    setfield_u64(L, "unchanged", sum.unchanged);
    setfield_u64(L, "failed", sum.failed);
    setfield_u64(L, "bytes", sum.bytes);
    lua_pushnumber(L, sum.seconds);
    lua_setfield(L, -2, "seconds");
    lua_createtable(L, (int)g->n, 0);
    for (size_t i = 0; i < g->n; i++) {
        lua_createtable(L, 0, 2);
        setfield_str(L, "path", g->paths[i] ? g->paths[i] : "?");
        setfield_str(L, "error", g->errors[i] ? g->errors[i] : "?");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "failures");
    return 1;
}

/* ---- The module ---- */

int arca_lua_sandboxed(lua_State *L)
{
    int t = lua_getfield(L, LUA_REGISTRYINDEX, ARCA_LUA_SANDBOX);
    int on = t != LUA_TNIL && lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on;
}

static const luaL_Reg coll_meth[] = {
    {"search", c_search}, {"count", c_count},   {"facets", c_facets},
    {"record", c_record}, {"terms", c_terms},   {"add", c_add},
    {"import", c_import}, {"close", c_close},   {NULL, NULL}};

static const luaL_Reg coll_meta[] = {
    {"__index", NULL}, {"__gc", c_close}, {"__close", c_close},
    {"__tostring", c_tostring}, {NULL, NULL}};

static const luaL_Reg hit_meta[] = {{NULL, NULL}};

static const luaL_Reg hit_meth[] = {
    {"text", hit_text}, {NULL, NULL}};

static const luaL_Reg search_meta[] = {
    {"__gc", search_gc}, {"__close", search_gc}, {NULL, NULL}};

static const luaL_Reg box_meta[] = {
    {"__gc", box_gc}, {"__close", box_gc}, {NULL, NULL}};

static const luaL_Reg arcalib[] = {{"open", l_open}, {NULL, NULL}};

/* A metatable NAME with META, and METH as its __index. */
static void createmeta(lua_State *L, const char *name, const luaL_Reg *meta,
                       const luaL_Reg *meth)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    if (meth != NULL) {
        lua_newtable(L);
        luaL_setfuncs(L, meth, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pushstring(L, name);    /* getmetatable() shows only the name */
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

int luaopen_arca(lua_State *L)
{
    luaL_checkversion(L);
    createmeta(L, ARCA_COLLECTION, coll_meta, coll_meth);
    createmeta(L, ARCA_HIT, hit_meta, hit_meth);
    createmeta(L, ARCA_SEARCH, search_meta, NULL);
    createmeta(L, ARCA_BOX, box_meta, NULL);
    callable_strings(L);
    /* Hits map weakly to their search (and so their collection). */
    if (lua_getfield(L, LUA_REGISTRYINDEX, ARCA_HITS) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushstring(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, ARCA_HITS);
    } else {
        lua_pop(L, 1);
    }
    luaL_newlib(L, arcalib);
    lua_pushstring(L, ARCA_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
