-- The fields of the first hits, as `arca search --json` shows them:
-- one tab-separated line per hit.
-- Usage: arca run hits.lua QUERY LIMIT
local c = arca.open()
local function s(v) return v == nil and "null" or tostring(v) end
for h in c:search(arg[1], { limit = tonumber(arg[2]), sort = "date" }) do
  print(table.concat({ h.rank, s(h.id), s(h.title), s(h.date), s(h.author),
                       s(h.board), s(h.lang), s(h.type), s(h.source),
                       s(h.sha256), #h.attachments,
                       (h.snippet:gsub("[\t\n]", " ")) },
                     "\t"))
end
