/*
 * lua-private.h: arca's Lua 5.4 binding, shared by lua/arca.c (the `arca`
 * module), lua/sandbox.c (states, limits, running a script) and the `run`
 * and `report` commands of tools/arca.c.
 *
 * The module only uses core/arca.h.  sandbox.c builds a lua_State either
 * with Lua's whole standard library or as a sandbox: an allow-list of
 * base, string, table, math and utf8, the read-only part of `arca`, a
 * capped allocator and an instruction and wall-time budget.  Nothing here
 * knows of Xapian, the archive or the formats.
 */
#ifndef ARCA_LUA_PRIVATE_H
#define ARCA_LUA_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

/* Registry keys. */
#define ARCA_LUA_SANDBOX "arca.sandbox"  /* true in a sandboxed state */
#define ARCA_LUA_DIR "arca.dir"          /* the default collection */

/* The module's opener; exported so a stock lua5.4 can load arca.so. */
__attribute__((visibility("default"))) int luaopen_arca(lua_State *L);

/* Limits of a sandboxed state; 0 takes the default. */
#define ARCA_LUA_DEFAULT_MEMORY ((size_t)64 << 20)       /* bytes */
#define ARCA_LUA_DEFAULT_INSTRUCTIONS ((uint64_t)1000000000) /* VM steps */
#define ARCA_LUA_DEFAULT_TIMEOUT 30.0                    /* seconds */

typedef struct arca_lua_opts {
    int sandbox;               /* 1: the sandbox and its limits */
    const char *dir;           /* the collection arca.open() opens by
                                  default (and, sandboxed, the only one) */
    size_t max_memory;         /* sandbox only */
    uint64_t max_instructions; /* sandbox only */
    double timeout;            /* seconds, sandbox only */
} arca_lua_opts;

/*
 * Run the Lua file SCRIPT with ARGV as its `arg` table (argv[0] is the
 * script, as stock lua sets arg[0]) and as its `...`.  The `arca` module
 * is preloaded as `arca` and `require "arca"`; lua/report.lua, when it
 * was there at build time, as `require "arca.report"`.  A failure prints
 * "arca: SCRIPT:LINE: message" and a traceback on stderr.
 * Return value: the exit status (0, or 1 when the script failed).
 */
int arca_lua_run(const arca_lua_opts *o, const char *script, int argc,
                 char **argv);

/* Argument helpers shared by arca.c and sandbox.c. */

/* Parse a size ("64M", "1G", "4096", "512K") into bytes; -1 if bad. */
int arca_lua_parse_size(const char *s, size_t *out);

/*
 * Whether L is a sandboxed state (the registry's ARCA_LUA_SANDBOX);
 * the module refuses to write and opens only the default collection then.
 */
int arca_lua_sandboxed(lua_State *L);

#endif /* ARCA_LUA_PRIVATE_H */
