-- Walk every hit of a query: the number of hits must be count(), no id
-- may come twice, and memory must stay flat (the iterator fetches pages;
-- it never holds the whole result set).
-- Usage: arca run iterate.lua QUERY  -> "hits N count N dups N maxkb N"
local c = arca.open()
local q = arg[1] or ""
local total = c:count(q)
local seen, n, dups = {}, 0, 0
for hit in c:search(q) do
  n = n + 1
  if seen[hit.id] then dups = dups + 1 end
  seen[hit.id] = true
end
seen = nil
-- Again, keeping nothing, to watch the memory the iteration itself needs.
collectgarbage()
local base, maxkb, m = collectgarbage("count"), 0, 0
for hit in c:search(q) do
  m = m + 1
  if m % 500 == 0 then
    collectgarbage()
    maxkb = math.max(maxkb, collectgarbage("count") - base)
  end
end
assert(m == n, "the second walk saw " .. m .. " hits, the first " .. n)
print(string.format("hits %d count %d dups %d maxkb %d", n, total, dups,
                    math.floor(maxkb)))
