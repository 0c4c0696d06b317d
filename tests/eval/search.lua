-- tests/eval/search.lua: runs the queries of QUERIES.tsv (lines
-- "QID<TAB>EXPECTED-SOURCE<TAB>QUERY") against the collection, top 10 hits
-- each, and writes one line per query to OUT.tsv:
--   QID<TAB>RANK<TAB>FIRST-SOURCE<TAB>FIRST-TITLE<TAB>ERROR
-- where RANK is the 1-based rank of the hit whose source is EXPECTED-SOURCE
-- (0 when it is not among the 10), FIRST-* describe the top hit (empty when
-- nothing matched) and ERROR is the query's error, if it had one.  In
-- process, a query costs what the search does, not a process start.
--
--   arca -C DIR run tests/eval/search.lua QUERIES.tsv OUT.tsv
local arca = require "arca"

local in_path, out_path = arg[1], arg[2]
assert(in_path and out_path, "usage: search.lua QUERIES.tsv OUT.tsv")

local function field(s) return (tostring(s or ""):gsub("[\t\r\n]", " ")) end

local c = assert(arca.open())
local out = assert(io.open(out_path, "w"))
for line in io.lines(in_path) do
  local qid, expected, q = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  if qid then
    local rank, first, err = 0, nil, ""
    local ok, e = pcall(function()
      for hit in c:search(q, {limit = 10, snippet = 1}) do
        first = first or hit
        if rank == 0 and hit.source == expected then rank = hit.rank end
      end
    end)
    if not ok then err = field(e) end
    out:write(qid, "\t", rank, "\t", field(first and first.source),
              "\t", field(first and first.title), "\t", err, "\n")
  end
end
out:close()
c:close()
