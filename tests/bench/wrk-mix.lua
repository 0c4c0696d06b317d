-- tests/bench/wrk-mix.lua: the wrk script of the HTTP benchmark
-- (tests/bench/serve.sh).  Each connection asks for URL's path, then "?"
-- and the next line of the query mix, going round it:
--
--   wrk -t2 -c32 -d30s --latency -s tests/bench/wrk-mix.lua \
--       http://127.0.0.1:PORT/api/search -- [QUERIES_FILE [THREADS]]
--
-- QUERIES_FILE defaults to queries.txt beside this script (lines starting
-- with # and blank lines skipped); THREADS (default 2) is wrk's -t, so
-- that thread k starts k/THREADS of the way round, as queries.c does.
--
-- wrk runs one Lua state per thread plus the main one, which runs setup
-- and done.  Errors are wrk's own counts, which done receives summed over
-- the threads: a status of 400 or more (wrk's "Non-2xx or 3xx responses"),
-- and connect, read, write and timeout errors.  Leaving `response` out
-- keeps wrk from copying every answer into Lua.  done prints one line:
--   wrk-mix: requests N seconds S rps R p50_ms X p99_ms Y errors E
--     (connect C read R write W status T timeout O) bytes B

local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
end

local function script_dir()
   local src = debug.getinfo(1, "S").source
   return src:match("^@(.*/)") or "./"
end

local requests = {}
local next_one = 1

function init(args)
   local path = args[1] or (script_dir() .. "queries.txt")
   local threads = tonumber(args[2] or "2")
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      line = line:gsub("\r$", "")
      if line ~= "" and line:sub(1, 1) ~= "#" then
         requests[#requests + 1] =
            wrk.format("GET", wrk.path .. "?" .. line)
      end
   end
   f:close()
   assert(#requests > 0, path .. ": no queries")
   -- wrk's Lua is LuaJIT (5.1): no // operator.
   next_one = 1 + math.floor((id or 0) * #requests / threads) % #requests
end

function request()
   local r = requests[next_one]
   next_one = next_one % #requests + 1
   return r
end

function done(summary, latency, _)
   local e = summary.errors
   local n = e.connect + e.read + e.write + e.status + e.timeout
   local s = summary.duration / 1e6
   io.write(string.format("wrk-mix: requests %d seconds %.3f rps %.1f " ..
                          "p50_ms %.2f p99_ms %.2f errors %d (connect %d " ..
                          "read %d write %d status %d timeout %d) bytes %d\n",
                          summary.requests, s, summary.requests / s,
                          latency:percentile(50) / 1000,
                          latency:percentile(99) / 1000, n, e.connect,
                          e.read, e.write, e.status, e.timeout,
                          summary.bytes))
end
