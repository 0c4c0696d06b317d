--[[
timeline.lua: a timeline chart of a query.

  arca report timeline QUERY [--title T] [--width 800] [--height 400]
                       [--format svg|html|csv]

Draws the number of records matching QUERY in every year, from the first
to the last (years without any are gaps), as a standalone SVG histogram;
--format html wraps the chart and its table in one HTML page, csv prints
the counts alone.  Counts are exact over the whole match set (c:facets).
The output convention is per-year.lua's.
--]]
local arca = require "arca"
local report = require "arca.report"

local function emit(s) print((s:gsub("\n$", ""))) end

local opts, words = report.options(arg, { title = "", width = 800, height = 400, format = "svg" })
local query = table.concat(words, " ")
if query == "" then error("timeline: give a query", 0) end
local c = assert(arca.open())
local facets = assert(c:facets(query, { "year" }))
local total = assert(c:count(query))
local title = opts.title ~= "" and opts.title or (query .. ": " .. total .. " records")
local t = report.counts(facets.year or {}, { key = "year", count = "records", title = title })
local chart_opts = { title = title, width = opts.width, height = opts.height,
                     xlabel = "year", ylabel = "records" }

if opts.format == "svg" then
  emit(report.timeline(t, chart_opts))
elseif opts.format == "html" then
  emit(report.html_page(report.timeline(t, chart_opts) .. report.html(t), title))
elseif opts.format == "csv" then
  emit(report.csv(t))
else
  error("timeline: --format takes svg, html or csv, not " .. tostring(opts.format), 0)
end
