-- The read-only part of arca inside the sandbox.
local c = arca.open()
local n = 0
for h in c:search("union", { sort = "oldest" }) do n = n + 1 end
local f = c:facets("union", { "year" })
local years = 0
for _ in pairs(f.year) do years = years + 1 end
local first = c:search("union", { sort = "oldest", limit = 1 })()
local r = c:record(first.id)
local t = c:terms("Y")
local terms = 0
for _ in pairs(t) do terms = terms + 1 end
print(n, c:count("union"), years, r.id == first.id, terms > 0, #first:text() > 0)
