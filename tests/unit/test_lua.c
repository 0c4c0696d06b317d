/*
 * test_lua.c: the Lua binding (lua/arca.c, lua/sandbox.c) from C.
 *
 * Sizes for --max-memory parse or are refused; the module works in a
 * bare lua_State over a collection made here (search pages, counts, a
 * closed collection refusing use) and leaks nothing when the state
 * closes; arca_lua_run returns 0 for a script that ends and 1 for each
 * limit of the sandbox.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/arca.h"
#include "lua/lua-private.h"
#include "unit.h"

static void test_parse_size(void **state)
{
    (void)state;
    size_t n;
    assert_int_equal(arca_lua_parse_size("64M", &n), 0);
    assert_true(n == (size_t)64 << 20);
    assert_int_equal(arca_lua_parse_size("1G", &n), 0);
    assert_true(n == (size_t)1 << 30);
    assert_int_equal(arca_lua_parse_size("512KB", &n), 0);
    assert_true(n == 512 * 1024);
    assert_int_equal(arca_lua_parse_size("4096", &n), 0);
    assert_true(n == 4096);
    static const char *const bad[] = {"", "-1", "12X", "1T", "M",
                                      "99999999999G", "4096B", "1MM"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(arca_lua_parse_size(bad[i], &n), -1);
}

/* A collection in a fresh temporary directory with N records. */
static char *make_collection(int n)
{
    char tmpl[] = "/tmp/arca-test-lua.XXXXXX";
    char err[1024], id[256], title[64], body[128];
    arca_db *db = NULL;

    assert_non_null(mkdtemp(tmpl));
    char *dir = malloc(strlen(tmpl) + 3);
    assert_non_null(dir);
    sprintf(dir, "%s/c", tmpl);
    assert_int_equal(arca_db_init(dir, err, sizeof err), ARCA_OK);
    assert_int_equal(arca_db_open(dir, ARCA_WRITE, &db, err, sizeof err),
                     ARCA_OK);
    for (int i = 0; i < n; i++) {
        arca_record_in r = {0};
        snprintf(title, sizeof title, "Ledger %d", i);
        snprintf(body, sizeof body, "ledger entry %d of the lighthouse", i);
        r.title = title;
        r.date = i % 2 ? "1901" : "1902";
        r.body = body;
        r.body_len = strlen(body);
        assert_int_equal(arca_db_add(db, &r, id, sizeof id), ARCA_OK);
    }
    arca_db_close(db);
    return dir;
}

static void remove_collection(char *dir)
{
    *strrchr(dir, '/') = '\0';
    rm_tree(dir);
    free(dir);
}

static const char module_script[] =
    "local arca = require 'arca'\n"
    "local c = arca.open(...)\n"
    "assert(c:count('lighthouse') == 250, 'count')\n"
    "local n, seen = 0, {}\n"
    "for h in c:search('lighthouse', {sort = 'oldest'}) do\n"
    "  assert(not seen[h.id]); seen[h.id] = true; n = n + 1\n"
    "end\n"
    "assert(n == 250, 'iterated ' .. n)\n"
    "local f = c:facets('lighthouse', {'year'})\n"
    "assert(f.year['1901'] == 125 and f.year['1902'] == 125, 'facets')\n"
    "local m = 0\n"
    "for h in c:search('lighthouse', {limit = 7, offset = 3}) do\n"
    "  m = m + 1; assert(h.rank == m + 3)\n"
    "end\n"
    "assert(m == 7, 'limit')\n"
    "local it = c:search('lighthouse')\n"
    "it()\n"
    "c:close()\n"
    "local ok, err = pcall(c.count, c, 'x')\n"
    "assert(not ok and err:find('closed collection'), err)\n"
    "ok, err = pcall(it)\n"
    "assert(ok == true, err)\n"   /* the page in hand still iterates */
    "return true\n";

static void test_module(void **state)
{
    (void)state;
    char *dir = make_collection(250);
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    luaL_requiref(L, "arca", luaopen_arca, 1);
    lua_pop(L, 1);
    int st = luaL_loadbuffer(L, module_script, sizeof module_script - 1,
                             "=module");
    assert_int_equal(st, LUA_OK);
    lua_pushstring(L, dir);
    st = lua_pcall(L, 1, 1, 0);
    if (st != LUA_OK)
        fail_msg("%s", lua_tostring(L, -1));
    assert_true(lua_toboolean(L, -1));
    lua_close(L);               /* __gc closes what the script left */
    remove_collection(dir);
}

static int run_text(const arca_lua_opts *o, const char *text)
{
    char path[] = "/tmp/arca-test-lua-XXXXXX.lua";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char *argv[] = {path, NULL};
    int rc = arca_lua_run(o, path, 1, argv);
    unlink(path);
    return rc;
}

static void test_run_limits(void **state)
{
    (void)state;
    char *dir = make_collection(3);
    arca_lua_opts o = {1, dir, (size_t)4 << 20, 2000000, 5.0};

    assert_int_equal(run_text(&o, "assert(arca.open():count('') == 3)"), 0);
    assert_int_equal(run_text(&o, "while true do end"), 1);
    assert_int_equal(run_text(&o, "pcall(function() while true do end end)"
                                  " return"), 1);
    assert_int_equal(run_text(&o, "local s = string.rep('x', 1 << 24)"), 1);
    assert_int_equal(run_text(&o, "io.write('x')"), 1);
    assert_int_equal(run_text(&o, "arca.open():add{title = 't'}"), 1);
    assert_int_equal(run_text(&o, "local x = = 1"), 1);
    o.sandbox = 0;
    assert_int_equal(run_text(&o, "local s = string.rep('x', 1 << 24)"
                                  " assert(io and os)"), 0);
    remove_collection(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_module),
        cmocka_unit_test(test_run_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
