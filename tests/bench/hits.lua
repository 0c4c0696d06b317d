-- tests/bench/hits.lua: the Lua side of the Lua iteration benchmark
-- (tests/bench/lua-hits.sh); tests/bench/hits.c is the same loop in C.
--
--   arca -C DIR run tests/bench/hits.lua QUERY
--
-- Walks every hit of QUERY with a bare c:search(q), reading the title and
-- the date of each, and prints "hits N checksum X seconds S" as hits.c
-- does.  S is os.clock() around the loop: CPU time, since the os library
-- has no wall clock finer than a second.  The loop is single-threaded and
-- reads a collection in the page cache, so CPU time and wall time agree
-- closely; lua-hits.sh also times both whole processes by the wall clock.
local arca = require "arca"

local q = arg[1]
if q == nil or arg[2] ~= nil then
  io.stderr:write("usage: arca -C DIR run tests/bench/hits.lua QUERY\n")
  os.exit(2)
end
local c = assert(arca.open())

local n, sum = 0, 0
local t0 = os.clock()
for hit in c:search(q) do
  n = n + 1
  sum = sum + #(hit.title or "") + #(hit.date or "")
end
local t1 = os.clock()

print(string.format("hits %d checksum %d seconds %.3f", n, sum, t1 - t0))
c:close()
