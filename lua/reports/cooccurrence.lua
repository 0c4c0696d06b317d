--[[
cooccurrence.lua: how often two terms occur, alone and together, by year.

  arca report cooccurrence TERM_A TERM_B [--within QUERY]
                           [--format csv|json|md|html|svg]

For every year with a record matching either term, counts the records
matching TERM_A, those matching TERM_B and those matching both, and the
share of A's records that also match B (both / a, 0 when a is 0).  A term
may be any query ("slavery", "\"civil war\"", "title:tax"); --within
restricts every count to the records matching QUERY.  Counts are exact
over the whole match set (c:facets).  The table year,a,b,both,share is
printed in the chosen format (CSV by default); --format svg draws the
three counts as lines.  The output convention is per-year.lua's.
--]]
local arca = require "arca"
local report = require "arca.report"

local function emit(s) print((s:gsub("\n$", ""))) end

local opts, terms = report.options(arg, { within = "", format = "csv" })
if #terms ~= 2 then
  error("cooccurrence: give two terms (quote a phrase as one argument)", 0)
end
local a, b = terms[1], terms[2]
local c = assert(arca.open())

-- Each part is parenthesised so that OR inside a term stays inside it.
local function q(...)
  local parts = {}
  for i, s in ipairs({ ... }) do
    if s ~= "" then parts[#parts + 1] = "(" .. s .. ")" end
  end
  return table.concat(parts, " AND ")
end

local function per_year(query)
  local f = assert(c:facets(query, { "year" }))
  return f.year or {}
end

local ya = per_year(q(a, opts.within))
local yb = per_year(q(b, opts.within))
local yboth = per_year(q(a, b, opts.within))

local years = {}
for y in pairs(ya) do years[y] = true end
for y in pairs(yb) do years[y] = true end
local list = {}
for y in pairs(years) do list[#list + 1] = y end
table.sort(list, function(x, y)
  local nx, ny = tonumber(x), tonumber(y)
  if nx and ny and nx ~= ny then return nx < ny end
  return x < y
end)

local rows = {}
for i, y in ipairs(list) do
  local na, nb, nboth = ya[y] or 0, yb[y] or 0, yboth[y] or 0
  local share = na > 0 and math.floor(nboth / na * 1000 + 0.5) / 1000 or 0
  rows[i] = { year = tonumber(y) or y, a = na, b = nb, both = nboth, share = share }
end
local title = "Co-occurrence of " .. a .. " and " .. b ..
  (opts.within ~= "" and (" within " .. opts.within) or "")
local t = { title = title, columns = { "year", "a", "b", "both", "share" }, rows = rows }

if opts.format == "svg" then
  emit(report.line(t, { title = title, y = { "a", "b", "both" }, xlabel = "year",
                        ylabel = "records" }))
else
  emit(report.render(t, opts.format))
end
