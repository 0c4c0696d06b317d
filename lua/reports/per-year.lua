--[[
per-year.lua: records per year.

  arca report per-year [QUERY] [--format csv|json|md|html|svg] [--title T]

Counts the records matching QUERY (every record when it is left out) in
each year, exactly over the whole match set (c:facets), and prints the
table year,count in the chosen format (CSV by default); --format svg draws
it as a timeline histogram instead.

Convention shared by the example reports: a report is a script run like
`arca run` runs one (arg holds its arguments); it opens the collection arca
was started on with arca.open(), builds a report table, and prints one
document.  The document already ends in a newline, so it is printed
without its last one: the output is byte for byte what the library made
(CSV keeps its CRLF line ends).
--]]
local arca = require "arca"
local report = require "arca.report"

local function emit(s) print((s:gsub("\n$", ""))) end

local opts, words = report.options(arg, { format = "csv", title = "" })
local query = table.concat(words, " ")
local c = assert(arca.open())
local facets = assert(c:facets(query, { "year" }))
local title = opts.title ~= "" and opts.title
  or (query == "" and "Records per year" or ("Records per year matching " .. query))
local t = report.counts(facets.year or {}, { key = "year", count = "count", title = title })

if opts.format == "svg" then
  emit(report.timeline(t, { title = title, xlabel = "year", ylabel = "records" }))
else
  emit(report.render(t, opts.format))
end
