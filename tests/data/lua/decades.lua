-- Speeches per decade that mention a term, the way a researcher would
-- count them: walk every hit and bucket it by the decade of its date.
-- Usage: arca run decades.lua TERM   -> "1790 3" lines, oldest first
local arca = require "arca"
local term = assert(arg[1], "usage: decades.lua TERM")
local c = arca.open()
local per = {}
for hit in c:search(term, { sort = "oldest" }) do
  local year = tonumber(hit.date:sub(1, 4))
  local decade = year - year % 10
  per[decade] = (per[decade] or 0) + 1
end
local decades = {}
for d in pairs(per) do decades[#decades + 1] = d end
table.sort(decades)
for _, d in ipairs(decades) do print(d, per[d]) end
c:close()
