/*
 * sandbox.c: Lua states for `arca run` and `arca report`, and the
 * sandbox (after redis's script_lua.c and Lua's lua.c).
 *
 * A plain state has Lua's whole standard library plus the `arca` module.
 * A sandboxed one is an allow-list: base (without dofile and loadfile;
 * load only reads text), string (without dump), table, math and utf8, a
 * require that only knows "arca" and "arca.report", and the read-only
 * part of arca (lua/arca.c asks arca_lua_sandboxed()).  Its allocator
 * counts and caps the memory; a count hook bounds the instructions and
 * the wall time, and once a limit is reached it fires at every
 * instruction, so a pcall cannot swallow the error: the script ends.
 * The memory limit is sticky the same way.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/arca.h"
#include "lua/lua-private.h"

#include "report_lua.h"         /* generated: ARCA_REPORT_LUA */

#define HOOK_EVERY 10000               /* instructions between checks */
#define MEMORY_RESERVE ((size_t)1 << 20)  /* to report the memory error */

typedef struct limits {
    size_t used;                /* bytes the state holds */
    size_t max;                 /* 0: no cap */
    size_t max_asked;           /* the cap given, for messages */
    uint64_t steps, max_steps;  /* max_steps 0: no cap */
    double timeout;             /* seconds; 0: none */
    struct timespec start;
    int killed;                 /* a limit was reached: why[] says which */
    char why[160];
} limits;

/* ---- Limits ---- */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limits *m = ud;
    size_t old = ptr != NULL ? osize : 0;

    if (nsize == 0) {
        free(ptr);
        m->used -= old;
        return NULL;
    }
    if (m->max != 0 && nsize > old &&
        (m->used > m->max || nsize - old > m->max - m->used)) {
        if (!m->killed) {
            m->killed = 1;
            snprintf(m->why, sizeof m->why,
                     "script: memory limit of %zu MiB reached",
                     m->max_asked >> 20);
            m->max += MEMORY_RESERVE;
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    m->used = m->used - old + nsize;
    return p;
}

static double elapsed(const limits *m)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - m->start.tv_sec) +
           (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    limits *m;
    (void)ar;
    lua_getallocf(L, (void **)&m);
    if (!m->killed) {
        m->steps += HOOK_EVERY;
        if (m->max_steps != 0 && m->steps > m->max_steps) {
            m->killed = 1;
            snprintf(m->why, sizeof m->why,
                     "script: instruction limit of %llu reached",
                     (unsigned long long)m->max_steps);
        } else if (m->timeout > 0 && elapsed(m) > m->timeout) {
            m->killed = 1;
            snprintf(m->why, sizeof m->why,
                     "script: time limit of %g seconds reached", m->timeout);
        }
    }
    if (m->killed) {
        /* Again at every instruction: a pcall cannot swallow it. */
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        luaL_where(L, 0);       /* level 0: the function running */
        lua_pushstring(L, m->why);
        lua_concat(L, 2);
        lua_error(L);
    }
}

/*
 * The hook only runs between Lua instructions; a single library call
 * (a pathological string.find) could outlast the time limit.  So the
 * command also arms an alarm WATCHDOG_GRACE seconds after the limit that
 * ends the process.  Only async-signal-safe calls here.
 */
#define WATCHDOG_GRACE 2

static const char *watchdog_msg;
static size_t watchdog_len;

static void on_watchdog(int sig)
{
    (void)sig;
    if (watchdog_msg != NULL && write(2, watchdog_msg, watchdog_len) < 0)
        _exit(1);
    _exit(1);
}

/* ---- The sandbox ---- */

/*
 * setmetatable without __gc: Lua runs finalizers with hooks off, so a
 * finalizer's endless loop could not be stopped.  Lua only looks for __gc
 * when the metatable is set, so adding it later has no effect.
 */
static int sandbox_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not "
                              "allowed in the sandbox");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]) with the mode forced to "t". */
static int sandbox_load(lua_State *L)
{
    int n = lua_gettop(L);
    if (n > 4)
        n = 4;
    if (n < 3)
        n = 3;
    lua_settop(L, n);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static int load_report(lua_State *L)
{
    static const unsigned char src[] = ARCA_REPORT_LUA;
    if (ARCA_REPORT_LUA_LEN == 0)
        return luaL_error(L, "module 'arca.report' was not built in");
    if (luaL_loadbufferx(L, (const char *)src, ARCA_REPORT_LUA_LEN,
                         "@lua/report.lua", "t") !=
        LUA_OK)
        return lua_error(L);
    lua_pushstring(L, "arca.report");
    lua_call(L, 1, 1);
    return 1;
}

/* require(name) for the modules the sandbox has: arca and arca.report. */
static int sandbox_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (strcmp(name, "arca.report") != 0 || ARCA_REPORT_LUA_LEN == 0)
        return luaL_error(L, "module '%s' is not available in the sandbox "
                          "(only arca and arca.report are)", name);
    lua_pushcfunction(L, load_report);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

static const char *const base_allowed[] = {
    "assert", "collectgarbage", "error", "getmetatable", "ipairs", "next",
    "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset",
    "select", "tonumber", "tostring", "type", "xpcall",
    "_VERSION", NULL};

static const luaL_Reg sandbox_libs[] = {
    {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
    {LUA_MATHLIBNAME, luaopen_math},  {LUA_UTF8LIBNAME, luaopen_utf8},
    {NULL, NULL}};

/*
 * Open the allowed libraries, then make a fresh globals table holding
 * only the allowed names and put it in the registry in place of _G.
 */
static int open_sandbox(lua_State *L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);   /* the full base */
    int base = lua_gettop(L);
    lua_newtable(L);                                /* the new globals */
    int g = lua_gettop(L);
    for (size_t i = 0; base_allowed[i] != NULL; i++) {
        lua_getfield(L, base, base_allowed[i]);
        lua_setfield(L, g, base_allowed[i]);
    }
    lua_getfield(L, base, "load");
    lua_pushcclosure(L, sandbox_load, 1);
    lua_setfield(L, g, "load");
    lua_getfield(L, base, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setfield(L, g, "setmetatable");
    lua_pushcfunction(L, sandbox_require);
    lua_setfield(L, g, "require");
    lua_pushvalue(L, g);
    lua_setfield(L, g, LUA_GNAME);
    for (const luaL_Reg *lib = sandbox_libs; lib->func != NULL; lib++) {
        luaL_requiref(L, lib->name, lib->func, 0);
        lua_setfield(L, g, lib->name);
    }
    /* string.dump makes bytecode; strings share this table as __index. */
    lua_getfield(L, g, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    luaL_requiref(L, "arca", luaopen_arca, 0);
    lua_setfield(L, g, "arca");
    lua_pushvalue(L, g);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, ARCA_LUA_SANDBOX);
    lua_settop(L, 0);
    return 0;
}

static int open_full(lua_State *L)
{
    luaL_openlibs(L);
    luaL_requiref(L, "arca", luaopen_arca, 1);
    lua_pop(L, 1);
    if (ARCA_REPORT_LUA_LEN > 0) {
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
        lua_pushcfunction(L, load_report);
        lua_setfield(L, -2, "arca.report");
        lua_pop(L, 1);
    }
    return 0;
}

/* ---- Running a script ---- */

/* As lua.c's msghandler: the message and a traceback. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* What the script and its setup need, run protected: script, argc, argv. */
typedef struct run_args {
    const arca_lua_opts *o;
    const char *script;
    int argc;
    char **argv;
} run_args;

static int setup_and_load(lua_State *L)
{
    run_args *a = lua_touserdata(L, 1);
    lua_pushcfunction(L, a->o->sandbox ? open_sandbox : open_full);
    lua_call(L, 0, 0);
    if (a->o->dir != NULL) {
        lua_pushstring(L, a->o->dir);
        lua_setfield(L, LUA_REGISTRYINDEX, ARCA_LUA_DIR);
    }
    lua_createtable(L, a->argc, 1);
    for (int i = 0; i < a->argc; i++) {
        lua_pushstring(L, a->argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_setglobal(L, "arg");
    /* A file that does not load (syntax, missing, bytecode in the
     * sandbox) gives nil and the message: there is no traceback to show. */
    if (luaL_loadfilex(L, a->script, a->o->sandbox ? "t" : NULL) != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    for (int i = 1; i < a->argc; i++)
        lua_pushstring(L, a->argv[i]);
    return a->argc;             /* the chunk and its arguments */
}

int arca_lua_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (errno || end == s || s[0] == '-')
        return -1;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case '\0': break;
    default: return -1;
    }
    if ((*end == 'B' || *end == 'b') && shift)
        end++;
    if (*end != '\0' || v > (1ULL << 40) >> shift)
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

int arca_lua_run(const arca_lua_opts *o, const char *script, int argc,
                 char **argv)
{
    int rc = 1;
    char wmsg[512];
    limits *m = calloc(1, sizeof *m);
    lua_State *L = NULL;

    if (m == NULL) {
        fprintf(stderr, "arca: %s: out of memory\n", script);
        goto out;
    }
    if (o->sandbox) {
        m->max = m->max_asked =
            o->max_memory ? o->max_memory : ARCA_LUA_DEFAULT_MEMORY;
        m->max_steps = o->max_instructions ? o->max_instructions
                                           : ARCA_LUA_DEFAULT_INSTRUCTIONS;
        m->timeout = o->timeout > 0 ? o->timeout : ARCA_LUA_DEFAULT_TIMEOUT;
    }
    clock_gettime(CLOCK_MONOTONIC, &m->start);
    L = lua_newstate(limited_alloc, m);
    if (L == NULL) {
        fprintf(stderr, "arca: %s: cannot create a Lua state\n", script);
        goto out;
    }
    if (o->sandbox) {
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
        snprintf(wmsg, sizeof wmsg, "arca: %s: script: time limit of %g "
                 "seconds reached (in a library call)\n", script,
                 m->timeout);
        watchdog_msg = wmsg;
        watchdog_len = strlen(wmsg);
        signal(SIGALRM, on_watchdog);
        alarm((unsigned)ceil(m->timeout) + WATCHDOG_GRACE);
    }
    lua_pushcfunction(L, msghandler);
    lua_pushcfunction(L, setup_and_load);
    run_args a = {o, script, argc, argv};
    lua_pushlightuserdata(L, &a);
    int st = lua_pcall(L, 1, LUA_MULTRET, 1);
    if (st == LUA_OK && lua_isnil(L, 2)) {
        const char *msg = lua_tostring(L, 3);
        if (msg == NULL)
            msg = "cannot load";
        if (strstr(msg, script) != NULL)
            fprintf(stderr, "arca: %s\n", msg);
        else
            fprintf(stderr, "arca: %s: %s\n", script, msg);
        goto out;
    }
    if (st == LUA_OK) {
        int nargs = lua_gettop(L) - 2;   /* above msghandler and chunk */
        st = lua_pcall(L, nargs, 0, 1);
    }
    if (st == LUA_OK) {
        rc = 0;
    } else if (st == LUA_ERRMEM && m->killed) {
        /* The memory limit: Lua says only "not enough memory", and calls
         * no message handler, so there is no traceback to show. */
        fprintf(stderr, "arca: %s: %s\n", script, m->why);
    } else {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "arca: %s\n", msg ? msg : "(no error message)");
    }
    fflush(stdout);
out:
    if (L != NULL)
        lua_close(L);
    if (o->sandbox) {
        alarm(0);
        signal(SIGALRM, SIG_DFL);
        watchdog_msg = NULL;
    }
    free(m);
    return rc;
}
