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
 * Read here: the table `import`, the defaults of `arca import`:
 *   import = { ocr = true, ocr_langs = "kor+eng", jobs = 2,
 *              max_file_size = 268435456 }
 * An unknown key inside `import` is an error (a misspelt setting would
 * otherwise be ignored without a word); other top-level keys belong to
 * import hooks and are left to them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "arca-private.h"

#define CONFIG_MAX_BYTES ((size_t)1 << 20)
#define CONFIG_MAX_MEMORY ((size_t)16 << 20)
#define CONFIG_MAX_INSTRUCTIONS 10000000L
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

arca_status arca_config_load(const char *path, arca_config *out, char *err,
                             size_t errlen)
{
    arca_status rc = ARCA_OK;
    char *data = NULL, msg[400] = "";
    size_t len = 0;
    struct budget b = {0, CONFIG_MAX_MEMORY, 0};
    lua_State *L = NULL;

    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return ARCA_OK;                 /* no settings: the defaults */
    rc = arca_read_file(path, CONFIG_MAX_BYTES, &data, &len, err, errlen);
    if (rc)
        return rc;
    L = lua_newstate(bounded_alloc, &b);
    if (L == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = ARCA_ENOMEM;
        goto out;
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
                 CONFIG_MAX_MEMORY >> 20);
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
    } else {
        rc = read_import(L, out, msg, sizeof msg);
    }
    if (rc) {
        /* Lua's messages name the chunk already: "config.lua:3: ...". */
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
        const char *name = path + dirlen;
        if (strncmp(msg, name, strlen(name)) == 0)
            snprintf(err, errlen, "%.*s%s", (int)dirlen, path, msg);
        else
            snprintf(err, errlen, "%s: %s", path, msg);
        arca_config_free(out);
    }
out:
    if (L != NULL)
        lua_close(L);
    free(data);
    return rc;
}

void arca_config_free(arca_config *c)
{
    free(c->ocr_langs);
    memset(c, 0, sizeof *c);
}
