/*
 * config.c: a collection's settings, from its config.lua.
 *
 * config.lua is a Lua chunk that returns a table.  It is run in a bare
 * state: only the base, string, table, math and utf8 libraries, without
 * the base functions that reach files or load code (dofile, loadfile,
 * load, require); text chunks only, never bytecode; memory capped by the
 * allocator and instructions by a count hook.  A collection's settings
 * are data, so these bounds cost nothing and keep a hostile or broken
 * file from doing more than fail with its file name and line.
 *
 * Read here: the table `import`, the defaults of `arca import`; `fields`,
 * extra fields searchable by name; `synonyms`, groups of forms a query
 * takes in together (see synonyms.c); and the import hooks on_extract
 * and on_record (see below):
 *   import = { ocr = true, ocr_langs = "kor+eng", jobs = 2,
 *              max_file_size = 268435456 }
 *   fields = { docno = "keyword", summary = "text" }
 *   synonyms = { {"Gyeongju", "경주", "慶州", "Кёнджу"} }
 *   gazetteer = false      -- leave the default gazetteer's places out
 *   analysis = { cjk_words = false }   -- Korean as n-grams only
 * An unknown key inside `import` is an error (a misspelt setting would
 * otherwise be ignored without a word); other top-level keys belong to
 * import hooks and are left to them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "arca-private.h"

#define CONFIG_MAX_BYTES ((size_t)1 << 20)
#define CONFIG_MAX_MEMORY ((size_t)16 << 20)
#define CONFIG_MAX_INSTRUCTIONS 10000000L  /* the file, and each hook call */
#define HOOKS_MAX_MEMORY ((size_t)64 << 20)
#define HOOK_EVERY 1000

struct budget {
    size_t used, max;
    long steps;
};

static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct budget *b = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > b->max - b->used)
        return NULL;                    /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p != NULL)
        b->used = b->used - old + nsize;
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct budget *b;
    lua_getallocf(L, (void **)&b);
    b->steps += HOOK_EVERY;
    if (b->steps > CONFIG_MAX_INSTRUCTIONS) {
        luaL_where(L, 0);       /* the line it was running: "config.lua:1:" */
        lua_pushfstring(L, "runs too long (more than %d million "
                        "instructions)",
                        (int)(CONFIG_MAX_INSTRUCTIONS / 1000000));
        lua_concat(L, 2);
        lua_error(L);
    }
}

/* The libraries a settings file may use, and none of their file doors. */
static void open_bare(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    static const char *const banned[] = {"dofile", "loadfile", "load",
                                         "require", "collectgarbage"};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < sizeof banned / sizeof *banned; i++) {
        lua_pushnil(L);
        lua_setglobal(L, banned[i]);
    }
}

/* The setting KEY of the `import` table at the top of L's stack. */
static int read_setting(lua_State *L, arca_config *c, const char *key,
                        char *err, size_t errlen)
{
    int t = lua_type(L, -1);
    if (strcmp(key, "ocr") == 0) {
        if (t != LUA_TBOOLEAN)
            goto wrong;
        c->ocr = lua_toboolean(L, -1) ? 1 : -1;
    } else if (strcmp(key, "ocr_langs") == 0) {
        if (t != LUA_TSTRING)
            goto wrong;
        free(c->ocr_langs);
        c->ocr_langs = arca_strdup(lua_tostring(L, -1));
    } else if (strcmp(key, "jobs") == 0 || strcmp(key, "max_file_size") == 0) {
        int ok = 0;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v <= 0 || (key[0] == 'j' && v > 256))
            goto wrong;
        if (key[0] == 'j')
            c->jobs = (int)v;
        else
            c->max_file = (uint64_t)v;
    } else {
        snprintf(err, errlen, "import.%s: no such setting (known: ocr, "
                 "ocr_langs, jobs, max_file_size)", key);
        return -1;
    }
    return 0;
wrong:
    snprintf(err, errlen, "import.%s: %s is not %s", key, luaL_typename(L, -1),
             strcmp(key, "ocr") == 0         ? "a boolean"
             : strcmp(key, "ocr_langs") == 0 ? "a string (\"kor+eng\")"
             : strcmp(key, "jobs") == 0      ? "a whole number from 1 to 256"
                                             : "a positive whole number of bytes");
    return -1;
}

/* Names a declared field may not take: the built-in ones. */
static const char *const builtin_fields[] = {
    "title", "author", "board", "tag", "type", "lang", "source", "year",
    "date", "id", "part", NULL,
};

/* One declaration NAME = KIND of the `fields` table on top of L. */
static int read_field(lua_State *L, arca_config *c, const char *name,
                      char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof c->fields[0].name ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz_") != n || name[0] == '_') {
        snprintf(err, errlen, "fields.%.40s: a field's name is lower-case "
                 "letters and _ (at most 31)", name);
        return -1;
    }
    for (size_t i = 0; builtin_fields[i]; i++)
        if (strcmp(name, builtin_fields[i]) == 0) {
            snprintf(err, errlen, "fields.%s: %s: is built in", name, name);
            return -1;
        }
    const char *kind = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                      : "";
    if (strcmp(kind, "text") != 0 && strcmp(kind, "keyword") != 0) {
        snprintf(err, errlen, "fields.%s: \"text\" or \"keyword\", not %s",
                 name, lua_type(L, -1) == LUA_TSTRING ? kind
                                                      : luaL_typename(L, -1));
        return -1;
    }
    if (c->nfields >= ARCA_MAX_FIELDS) {
        snprintf(err, errlen, "fields: at most %d", ARCA_MAX_FIELDS);
        return -1;
    }
    arca_field_decl *f = &c->fields[c->nfields++];
    snprintf(f->name, sizeof f->name, "%s", name);
    size_t k = (size_t)snprintf(f->prefix, sizeof f->prefix, "XF");
    for (size_t i = 0; i < n && k + 1 < sizeof f->prefix; i++)
        f->prefix[k++] = name[i] == '_' ? '_' : (char)(name[i] - 'a' + 'A');
    f->prefix[k] = '\0';
    f->keyword = kind[0] == 'k';
    /* FNV-1a of the name: the slot stays when other declarations change
     * (Lua's table order does not even stay from one run to the next). */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    f->slot = ARCA_SLOT_FIELD0 + (h & 0xFFFF);
    for (size_t i = 0; i + 1 < c->nfields; i++)
        if (f->keyword && c->fields[i].keyword && c->fields[i].slot == f->slot) {
            snprintf(err, errlen, "fields.%s and fields.%s share a value "
                     "slot: rename one", c->fields[i].name, name);
            return -1;
        }
    return 0;
}

static arca_status read_fields(lua_State *L, arca_config *c, char *err,
                               size_t errlen)
{
    lua_getfield(L, -1, "fields");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return ARCA_OK;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "fields: %s is not a table (name = \"text\" "
                 "or \"keyword\")", luaL_typename(L, -1));
        return ARCA_EINVAL;
    }
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "fields: its keys must be names");
            return ARCA_EINVAL;
        }
        if (read_field(L, c, lua_tostring(L, -2), err, errlen) != 0)
            return ARCA_EINVAL;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ARCA_OK;
}

/*
 * synonyms = { {"Gyeongju", "경주", "慶州"}, {"ROK", "South Korea"}, ... }:
 * each group a list of strings.
 */
static arca_status read_synonyms(lua_State *L, arca_config *c, char *err,
                                 size_t errlen)
{
    arca_status rc = ARCA_OK;
    const char *forms[ARCA_SYN_MAX_GROUP];
    char why[200];

    lua_getfield(L, -1, "synonyms");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return ARCA_OK;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "synonyms: %s is not a list of groups such as "
                 "{\"Gyeongju\", \"경주\"}", luaL_typename(L, -1));
        return ARCA_EINVAL;
    }
    lua_Integer ngroups = luaL_len(L, -1);
    for (lua_Integer g = 1; rc == ARCA_OK && g <= ngroups; g++) {
        if (lua_geti(L, -1, g) != LUA_TTABLE) {
            snprintf(err, errlen, "synonyms[%lld]: %s is not a list of "
                     "words", (long long)g, luaL_typename(L, -1));
            return ARCA_EINVAL;
        }
        lua_Integer n = luaL_len(L, -1);
        luaL_checkstack(L, ARCA_SYN_MAX_GROUP + 2, "synonyms");
        if (n < 2 || n > ARCA_SYN_MAX_GROUP) {
            snprintf(err, errlen, "synonyms[%lld]: a group has 2 to %d "
                     "forms, not %lld", (long long)g, ARCA_SYN_MAX_GROUP,
                     (long long)n);
            return ARCA_EINVAL;
        }
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_geti(L, -1 - (int)(i - 1), i) != LUA_TSTRING) {
                snprintf(err, errlen, "synonyms[%lld][%lld]: %s is not a "
                         "string", (long long)g, (long long)i,
                         luaL_typename(L, -1));
                return ARCA_EINVAL;
            }
            forms[i - 1] = lua_tostring(L, -1);
        }
        rc = arca_synonyms_add(&c->synonyms, forms, (size_t)n, why,
                               sizeof why);
        if (rc)
            snprintf(err, errlen, "synonyms[%lld]: %s", (long long)g, why);
        lua_pop(L, (int)n + 1);
    }
    lua_pop(L, 1);
    return rc;
}

/* gazetteer = false leaves the default gazetteer out. */
static arca_status read_gazetteer(lua_State *L, arca_config *c, char *err,
                                  size_t errlen)
{
    int t = lua_getfield(L, -1, "gazetteer");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
        snprintf(err, errlen, "gazetteer: true or false, not %s",
                 lua_typename(L, t));
        return ARCA_EINVAL;
    }
    c->no_gazetteer = t == LUA_TBOOLEAN && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ARCA_OK;
}

/*
 * analysis = { cjk_words = false }: Korean words are indexed as n-grams
 * only, without their whole words (the baseline `make eval` compares
 * with).  A change applies to records imported or reindexed after it.
 */
static arca_status read_analysis(lua_State *L, arca_config *c, char *err,
                                 size_t errlen)
{
    int t = lua_getfield(L, -1, "analysis");
    arca_status rc = ARCA_OK;
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return ARCA_OK;
    }
    if (t != LUA_TTABLE) {
        snprintf(err, errlen, "analysis: a table, not %s",
                 lua_typename(L, t));
        lua_pop(L, 1);
        return ARCA_EINVAL;
    }
    lua_pushnil(L);
    while (rc == ARCA_OK && lua_next(L, -2) != 0) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                      : "(not a name)";
        if (strcmp(k, "cjk_words") != 0) {
            snprintf(err, errlen, "analysis.%s: no such setting (known: "
                     "cjk_words)", k);
            rc = ARCA_EINVAL;
        } else if (!lua_isboolean(L, -1)) {
            snprintf(err, errlen, "analysis.cjk_words: true or false, not "
                     "%s", luaL_typename(L, -1));
            rc = ARCA_EINVAL;
        } else {
            c->no_cjk_words = !lua_toboolean(L, -1);
        }
        lua_pop(L, 1);
    }
    if (rc)
        lua_pop(L, 1);                  /* the key lua_next left */
    lua_pop(L, 1);
    return rc;
}

static arca_status read_import(lua_State *L, arca_config *c, char *err,
                               size_t errlen)
{
    lua_getfield(L, -1, "import");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return ARCA_OK;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "import: %s is not a table",
                 luaL_typename(L, -1));
        return ARCA_EINVAL;
    }
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "import: its keys must be names");
            return ARCA_EINVAL;
        }
        if (read_setting(L, c, lua_tostring(L, -2), err, errlen) != 0)
            return ARCA_EINVAL;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ARCA_OK;
}

/* MSG (a Lua message, or arca's) as an error naming PATH once. */
static void name_error(const char *path, const char *msg, char *err,
                       size_t errlen)
{
    /* Lua's messages name the chunk already: "config.lua:3: ...". */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *name = path + dirlen;
    if (strncmp(msg, name, strlen(name)) == 0)
        snprintf(err, errlen, "%.*s%s", (int)dirlen, path, msg);
    else
        snprintf(err, errlen, "%s: %s", path, msg);
}

/*
 * Run config.lua (PATH) in a new bare state *LP whose allocator counts
 * into B: on success the table it returns is on top of the stack.
 * ARCA_ENOTFOUND when there is no such file (*LP is NULL then).
 */
static arca_status run_config(const char *path, struct budget *b,
                              lua_State **lp, char *err, size_t errlen)
{
    arca_status rc = ARCA_OK;
    char *data = NULL, msg[400] = "";
    size_t len = 0;
    struct stat st;
    lua_State *L = NULL;

    *lp = NULL;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return ARCA_ENOTFOUND;
    rc = arca_read_file(path, CONFIG_MAX_BYTES, &data, &len, err, errlen);
    if (rc)
        return rc;
    L = lua_newstate(bounded_alloc, b);
    if (L == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(data);
        return ARCA_ENOMEM;
    }
    open_bare(L);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    /* "@config.lua" names the chunk in messages: "config.lua:3: ...". */
    const char *base = strrchr(path, '/');
    lua_pushfstring(L, "@%s", base ? base + 1 : path);
    int r = luaL_loadbufferx(L, data, len, lua_tostring(L, -1), "t");
    if (r == LUA_OK)
        r = lua_pcall(L, 0, 1, 0);
    if (r == LUA_ERRMEM) {
        snprintf(msg, sizeof msg, "uses more than %zu MiB of memory",
                 b->max >> 20);
        rc = ARCA_ELIMIT;
    } else if (r != LUA_OK) {
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1)
                                            ? lua_tostring(L, -1)
                                            : "error without a message");
        rc = ARCA_EINVAL;
    } else if (!lua_istable(L, -1)) {
        snprintf(msg, sizeof msg, "returns %s, not a table of settings",
                 luaL_typename(L, -1));
        rc = ARCA_EINVAL;
    }
    free(data);
    if (rc) {
        name_error(path, msg, err, errlen);
        lua_close(L);
        return rc;
    }
    b->steps = 0;
    *lp = L;
    return ARCA_OK;
}

arca_status arca_config_load(const char *path, arca_config *out, char *err,
                             size_t errlen)
{
    char msg[400] = "";
    struct budget b = {0, CONFIG_MAX_MEMORY, 0};
    lua_State *L = NULL;

    memset(out, 0, sizeof *out);
    arca_status rc = run_config(path, &b, &L, err, errlen);
    if (rc && rc != ARCA_ENOTFOUND)
        return rc;
    rc = ARCA_OK;                       /* no config.lua: the defaults */
    if (L != NULL) {
        rc = read_import(L, out, msg, sizeof msg);
        if (rc == ARCA_OK)
            rc = read_fields(L, out, msg, sizeof msg);
        if (rc == ARCA_OK)
            rc = read_gazetteer(L, out, msg, sizeof msg);
        if (rc == ARCA_OK)
            rc = read_analysis(L, out, msg, sizeof msg);
        if (rc == ARCA_OK)
            rc = read_synonyms(L, out, msg, sizeof msg);
        if (rc)
            name_error(path, msg, err, errlen);
        lua_close(L);
    }
    if (rc == ARCA_OK && !out->no_gazetteer)
        rc = arca_gazetteer_add(&out->synonyms, err, errlen);
    if (rc) {
        arca_config_free(out);
        return rc;
    }
    arca_synonyms_sort(out->synonyms);
    return ARCA_OK;
}

void arca_config_free(arca_config *c)
{
    free(c->ocr_langs);
    arca_synonyms_free(c->synonyms);
    memset(c, 0, sizeof *c);
}

/* ---- Import hooks ---- */

/*
 * on_extract(mime, doc) and on_record(rec), functions of the table
 * config.lua returns, run by each extraction thread in a Lua state of
 * its own (the same bare libraries), each call within its own budget of
 * instructions; on_folder(folder) likewise, by the import's walk.  What a hook leaves in the table it was given is taken
 * back: title, author, date, board, lang, tags (an array, or a string
 * of comma-separated tags) and fields (name -> string or number).
 */
struct arca_hooks {
    lua_State *L;
    struct budget b;
    int on_extract, on_record, on_folder;  /* registry references, or
                                              LUA_NOREF */
};

void arca_hooks_close(arca_hooks *h)
{
    if (h == NULL)
        return;
    if (h->L != NULL)
        lua_close(h->L);
    free(h);
}

arca_status arca_hooks_open(const char *path, arca_hooks **out, char *err,
                            size_t errlen)
{
    static const char *const names[] = {"on_extract", "on_record",
                                        "on_folder"};
    arca_status rc = ARCA_OK;
    arca_hooks *h = calloc(1, sizeof *h);

    *out = NULL;
    if (h == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return ARCA_ENOMEM;
    }
    int *refs[] = {&h->on_extract, &h->on_record, &h->on_folder};
    h->b.max = HOOKS_MAX_MEMORY;
    h->on_extract = h->on_record = h->on_folder = LUA_NOREF;
    rc = run_config(path, &h->b, &h->L, err, errlen);
    for (int i = 0; rc == ARCA_OK && i < 3; i++) {
        lua_getfield(h->L, -1, names[i]);
        if (lua_isnil(h->L, -1)) {
            lua_pop(h->L, 1);
        } else if (!lua_isfunction(h->L, -1)) {
            snprintf(err, errlen, "%s: %s is %s, not a function", path,
                     names[i], luaL_typename(h->L, -1));
            rc = ARCA_EINVAL;
        } else {
            *refs[i] = luaL_ref(h->L, LUA_REGISTRYINDEX);
        }
    }
    if (rc == ARCA_OK && (h->on_extract != LUA_NOREF ||
                          h->on_record != LUA_NOREF ||
                          h->on_folder != LUA_NOREF)) {
        lua_settop(h->L, 0);
        *out = h;
        return ARCA_OK;
    }
    arca_hooks_close(h);
    return rc == ARCA_ENOTFOUND ? ARCA_OK : rc;
}

int arca_hooks_have_folder(const arca_hooks *h)
{
    return h != NULL && h->on_folder != LUA_NOREF;
}

static void set_str_field(lua_State *L, const char *k, const char *v)
{
    if (v == NULL)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* A JSON value of tags or fields as Lua values (strings and numbers). */
static void push_json(lua_State *L, json_t *v)
{
    if (json_is_array(v)) {
        lua_createtable(L, (int)json_array_size(v), 0);
        for (size_t i = 0; i < json_array_size(v); i++) {
            push_json(L, json_array_get(v, i));
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        lua_newtable(L);
        json_object_foreach(v, k, e) {
            push_json(L, e);
            lua_setfield(L, -2, k);
        }
    } else if (json_is_integer(v)) {
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
    } else if (json_is_real(v)) {
        lua_pushnumber(L, json_real_value(v));
    } else if (json_is_string(v)) {
        lua_pushstring(L, json_string_value(v));
    } else if (json_is_boolean(v)) {
        lua_pushboolean(L, json_is_true(v));
    } else {
        lua_pushnil(L);
    }
}

/* A string field K of the table on top, into *SLOT (NULL when absent). */
static int take_str(lua_State *L, const char *k, char **slot, char *err,
                    size_t errlen)
{
    lua_getfield(L, -1, k);
    int t = lua_type(L, -1);
    if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TNUMBER) {
        snprintf(err, errlen, "%s is %s, not a string", k,
                 luaL_typename(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    char *v = t == LUA_TNIL ? NULL : arca_strdup(lua_tostring(L, -1));
    free(*slot);
    *slot = v;
    lua_pop(L, 1);
    return 0;
}

/* doc.tags: an array of strings, or one string "a, b". */
static int take_tags(lua_State *L, json_t **tags, char *err, size_t errlen)
{
    json_t *a = json_array();
    lua_getfield(L, -1, "tags");
    if (lua_type(L, -1) == LUA_TSTRING) {
        char *s = arca_strdup(lua_tostring(L, -1)), *save = NULL;
        for (char *t = strtok_r(s, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n > 0 && t[n - 1] == ' ')
                t[--n] = '\0';
            if (*t)
                json_array_append_new(a, json_string(t));
        }
        free(s);
    } else if (lua_istable(L, -1)) {
        for (lua_Integer i = 1;; i++) {
            int t = lua_rawgeti(L, -1, i);
            if (t == LUA_TNIL) {
                lua_pop(L, 1);
                break;
            }
            if (t != LUA_TSTRING && t != LUA_TNUMBER) {
                snprintf(err, errlen, "tags[%lld] is %s, not a string",
                         (long long)i, luaL_typename(L, -1));
                lua_pop(L, 2);
                json_decref(a);
                return -1;
            }
            json_array_append_new(a, json_string(lua_tostring(L, -1)));
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "tags is %s, not a list", luaL_typename(L, -1));
        lua_pop(L, 1);
        json_decref(a);
        return -1;
    }
    lua_pop(L, 1);
    json_decref(*tags);
    *tags = a;
    return 0;
}

/* doc.fields: names to strings or numbers. */
static int take_fields(lua_State *L, json_t **fields, char *err,
                       size_t errlen)
{
    json_t *o = json_object();
    lua_getfield(L, -1, "fields");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            int kt = lua_type(L, -2), vt = lua_type(L, -1);
            if (kt != LUA_TSTRING ||
                (vt != LUA_TSTRING && vt != LUA_TNUMBER &&
                 vt != LUA_TBOOLEAN)) {
                snprintf(err, errlen, "fields: %s %s: only names to "
                         "strings, numbers or booleans are kept",
                         kt == LUA_TSTRING ? lua_tostring(L, -2) : "a key",
                         luaL_typename(L, -1));
                lua_pop(L, 3);
                json_decref(o);
                return -1;
            }
            json_t *v = vt == LUA_TBOOLEAN ? json_boolean(lua_toboolean(L, -1))
                        : lua_isinteger(L, -1)
                            ? json_integer((json_int_t)lua_tointeger(L, -1))
                        : vt == LUA_TNUMBER ? json_real(lua_tonumber(L, -1))
                                            : json_string(lua_tostring(L, -1));
            json_object_set_new(o, lua_tostring(L, -2), v);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "fields is %s, not a table",
                 luaL_typename(L, -1));
        lua_pop(L, 1);
        json_decref(o);
        return -1;
    }
    lua_pop(L, 1);
    json_decref(*fields);
    *fields = o;
    return 0;
}

/* The fields of the table on top of H's stack back into D (a hook's
 * error names NAME); the stack is emptied. */
static arca_status take_doc(arca_hooks *h, const char *name,
                            arca_hook_doc *d, char *err, size_t errlen)
{
    lua_State *L = h->L;
    char msg[400] = "";
    if (take_str(L, "title", &d->title, msg, sizeof msg) ||
        take_str(L, "author", &d->author, msg, sizeof msg) ||
        take_str(L, "date", &d->date, msg, sizeof msg) ||
        take_str(L, "board", &d->board, msg, sizeof msg) ||
        take_str(L, "lang", &d->lang, msg, sizeof msg) ||
        take_tags(L, &d->tags, msg, sizeof msg) ||
        take_fields(L, &d->fields, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", name, msg);
        lua_settop(L, 0);
        return ARCA_EINVAL;
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return ARCA_OK;
}

/* Call hook REF with D as its table (after ARG1, when given). */
static arca_status call_hook(arca_hooks *h, int ref, const char *name,
                             const char *arg1, arca_hook_doc *d, char *err,
                             size_t errlen)
{
    lua_State *L = h->L;
    lua_settop(L, 0);
    h->b.steps = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    if (arg1)
        lua_pushstring(L, arg1);
    lua_newtable(L);
    set_str_field(L, "name", d->name);
    set_str_field(L, "path", d->path);
    set_str_field(L, "mime", d->mime);
    set_str_field(L, "type", d->mime);
    set_str_field(L, "id", d->id);
    set_str_field(L, "title", d->title);
    set_str_field(L, "author", d->author);
    set_str_field(L, "date", d->date);
    set_str_field(L, "board", d->board);
    set_str_field(L, "lang", d->lang);
    if (d->text) {
        lua_pushlstring(L, d->text, d->len);
        lua_setfield(L, -2, "text");
    }
    if (d->raw) {
        lua_pushlstring(L, d->raw, d->rawlen);
        lua_setfield(L, -2, "raw");
    }
    if (d->tags == NULL)
        d->tags = json_array();
    push_json(L, d->tags);
    lua_setfield(L, -2, "tags");
    push_json(L, d->fields);
    lua_setfield(L, -2, "fields");
    lua_pushvalue(L, -1);               /* kept below the call */
    lua_insert(L, 1);
    int r = lua_pcall(L, arg1 ? 2 : 1, 1, 0);
    if (r != LUA_OK) {
        snprintf(err, errlen, "%s: %s", name,
                 r == LUA_ERRMEM ? "out of its memory (64 MiB)"
                 : lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_settop(L, 0);
        return ARCA_EINVAL;
    }
    /* A table returned replaces the one given. */
    if (lua_istable(L, -1))
        lua_replace(L, 1);
    lua_settop(L, 1);
    return take_doc(h, name, d, err, errlen);
}

arca_status arca_hooks_extract(arca_hooks *h, arca_hook_doc *d, char *err,
                               size_t errlen)
{
    if (h == NULL || h->on_extract == LUA_NOREF)
        return ARCA_OK;
    return call_hook(h, h->on_extract, "on_extract", d->mime, d, err,
                     errlen);
}

arca_status arca_hooks_record(arca_hooks *h, arca_hook_doc *d, char *err,
                              size_t errlen)
{
    if (h == NULL || h->on_record == LUA_NOREF)
        return ARCA_OK;
    return call_hook(h, h->on_record, "on_record", NULL, d, err, errlen);
}

arca_status arca_hooks_folder(arca_hooks *h, const char *path,
                              const char *const *files, size_t n,
                              int *is_record, char **body, arca_hook_doc *d,
                              char *err, size_t errlen)
{
    *is_record = 0;
    *body = NULL;
    if (h == NULL || h->on_folder == LUA_NOREF)
        return ARCA_OK;
    lua_State *L = h->L;
    lua_settop(L, 0);
    h->b.steps = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->on_folder);
    lua_newtable(L);
    set_str_field(L, "path", path);
    const char *base = strrchr(path, '/');
    set_str_field(L, "name", base ? base + 1 : path);
    lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, files[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "files");
    int r = lua_pcall(L, 1, 1, 0);
    if (r != LUA_OK) {
        snprintf(err, errlen, "on_folder: %s",
                 r == LUA_ERRMEM ? "out of its memory (64 MiB)"
                 : lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_settop(L, 0);
        return ARCA_EINVAL;
    }
    int t = lua_type(L, -1);
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
        lua_settop(L, 0);
        return ARCA_OK;
    }
    if (t == LUA_TBOOLEAN) {
        lua_settop(L, 0);
        *is_record = 1;
        return ARCA_OK;
    }
    if (t != LUA_TTABLE) {
        snprintf(err, errlen, "on_folder returned %s: give nil or false "
                 "(import its files one by one), true, or a table of the "
                 "record's fields", luaL_typename(L, -1));
        lua_settop(L, 0);
        return ARCA_EINVAL;
    }
    char msg[400] = "";
    if (take_str(L, "body", body, msg, sizeof msg)) {
        snprintf(err, errlen, "on_folder: %s", msg);
        lua_settop(L, 0);
        return ARCA_EINVAL;
    }
    arca_status rc = take_doc(h, "on_folder", d, err, errlen);
    if (rc) {
        free(*body);
        *body = NULL;
        return rc;
    }
    *is_record = 1;
    return ARCA_OK;
}
