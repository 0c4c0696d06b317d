--[[
top-authors.lua: the most frequent authors (or boards, languages, types).

  arca report top-authors [QUERY] [--field author|board|lang|type]
                          [--limit 10] [--format csv|json|md|html|svg]

Counts the records matching QUERY (every record when it is left out) by
the value of --field, exactly over the whole match set (c:facets), and
prints the --limit most frequent, largest first, ties in alphabetical
order: a table FIELD,count in the chosen format (CSV by default), or with
--format svg a bar chart.  The output convention is per-year.lua's.
--]]
local arca = require "arca"
local report = require "arca.report"

local function emit(s) print((s:gsub("\n$", ""))) end

local fields = { author = true, board = true, lang = true, type = true }
local opts, words = report.options(arg, { field = "author", limit = 10, format = "csv" })
if not fields[opts.field] then
  error("top-authors: --field takes author, board, lang or type, not " .. tostring(opts.field), 0)
end
if math.type(opts.limit) ~= "integer" or opts.limit < 1 then
  error("top-authors: --limit takes a whole number of at least 1", 0)
end
local query = table.concat(words, " ")
local c = assert(arca.open())
local facets = assert(c:facets(query, { opts.field }))
local title = "Top " .. opts.field .. "s" .. (query ~= "" and (" for " .. query) or "")
local t = report.counts(facets[opts.field] or {}, {
  key = opts.field, count = "records", sort = "count", limit = opts.limit, title = title })

if opts.format == "svg" then
  emit(report.bar(t, { title = title, ylabel = "records" }))
else
  emit(report.render(t, opts.format))
end
