-- Facets against counts: every value of every facet of a query must be
-- what c:count gives for the query filtered on that value.
-- Usage: arca run facets.lua QUERY   -> one "FACET VALUE COUNT" line per
-- value, then "mismatches N".
local c = arca.open()
local q = arg[1]
local names = { "year", "lang", "type" }
local prefix = { year = "year:", lang = "lang:", type = "type:" }
local f = c:facets(q, names)
local bad, lines = 0, {}
for _, name in ipairs(names) do
  for value, n in pairs(f[name]) do
    local by_filter = c:count(q, { filter = prefix[name] .. '"' .. value .. '"' })
    local by_query = c:count(q .. " " .. prefix[name] .. value)
    if by_filter ~= n or by_query ~= n then
      bad = bad + 1
      print("MISMATCH", name, value, n, by_filter, by_query)
    end
    lines[#lines + 1] = string.format("%s %s %d", name, value, n)
  end
end
table.sort(lines)
for _, l in ipairs(lines) do print(l) end
print("mismatches " .. bad)
