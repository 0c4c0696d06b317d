--[[
report.lua: arca's report library, in pure Lua 5.4.

It turns tables of results into text: CSV (RFC 4180), JSON, Markdown and
HTML, and draws bar, line and timeline charts as standalone SVG.  Every
function returns a string; writing it is the caller's business, so the
library uses only the base, string, table, math and utf8 libraries and runs
unchanged inside arca's sandbox.  It knows nothing of the arca module: a
report gets its numbers from arca and hands them here.

Installed, it is `require "arca.report"` (arca preloads it under that name);
in the source tree it is `require "report"` with LUA_PATH=lua/?.lua.

A table is

    { title = "Records per year",          -- optional
      columns = { "year", "count" },       -- names, in order
      rows = { { 1990, 3 },                -- positional rows ...
               { year = 1991, count = 5 }, -- ... or rows keyed by column name
             } }

Cells are strings, numbers, booleans or nil (an empty cell; JSON null).
See lua/README.md for the whole API.
--]]

local report = { version = "1.0" }

local char, concat = string.char, table.concat
local format, rep = string.format, string.rep
local mtype, floor, huge = math.type, math.floor, math.huge

-- Bounds against hostile or mistaken input.
local MAX_ROWS = 1000000      -- rows in one table
local MAX_COLUMNS = 1000      -- columns in one table
local MAX_DEPTH = 100         -- JSON nesting
local MAX_POINTS = 10000      -- points in one chart
local MAX_SERIES = 20         -- lines in one line chart
local MAX_YEAR_SPAN = 5000    -- years on one timeline
local MAX_LABEL = 40          -- characters of an axis label before "…"

-- {{{ Values and tables

-- The shortest of %.14g and %.17g that reads back as the same float.
local function fmt_number(x)
  if mtype(x) == "integer" then return format("%d", x) end
  if x ~= x or x == huge or x == -huge then return nil end
  local s = format("%.14g", x)
  if tonumber(s) ~= x then s = format("%.17g", x) end
  return s
end
report.number = fmt_number

-- The text of one cell; nil stays nil.  WHO, row R and column COL name the
-- cell in an error.
local function cell_text(v, who, r, col)
  local t = type(v)
  if t == "string" then return v end
  local s
  if t == "number" then
    s = fmt_number(v)
    if s ~= nil then return s end
    s = tostring(v) .. " is not a finite number"
  elseif t == "boolean" then return v and "true" or "false"
  elseif v == nil then return nil
  else s = "a cell cannot be a " .. t
  end
  error(who .. (r and format(": row %d, column %q: ", r, col) or ": ") .. s, 0)
end

-- Checks table T and returns its columns and its rows as arrays of values
-- (nil for an empty cell) plus the row count.
local function table_parts(t, who)
  if type(t) ~= "table" then error(who .. ": expected a table, got " .. type(t), 0) end
  local cols, rows = t.columns, t.rows
  if type(cols) ~= "table" or #cols == 0 then
    error(who .. ": the table needs columns = {names...}", 0)
  end
  if #cols > MAX_COLUMNS then error(who .. ": more than " .. MAX_COLUMNS .. " columns", 0) end
  if rows == nil then rows = {} end
  if type(rows) ~= "table" then error(who .. ": rows must be a list", 0) end
  local nrows = #rows
  if nrows > MAX_ROWS then error(who .. ": more than " .. MAX_ROWS .. " rows", 0) end
  local names = {}
  for i = 1, #cols do
    if type(cols[i]) ~= "string" then
      error(who .. ": column " .. i .. " has no name (a string)", 0)
    end
    names[i] = cols[i]
  end
  local out = {}
  for r = 1, nrows do
    local row = rows[r]
    if type(row) ~= "table" then error(who .. ": row " .. r .. " is not a table", 0) end
    -- Positional unless none of 1..#columns is set.
    local keyed = true
    for c = 1, #names do
      if row[c] ~= nil then keyed = false; break end
    end
    local vals = {}
    for c = 1, #names do
      local v
      if keyed then v = row[names[c]] else v = row[c] end
      if v ~= nil then
        local tv = type(v)
        if tv ~= "string" and tv ~= "number" and tv ~= "boolean" then
          error(format("%s: row %d, column %q: a cell cannot be a %s", who, r, names[c], tv), 0)
        end
      end
      vals[c] = v
    end
    out[r] = vals
  end
  return names, out, nrows
end

-- A column is numeric when it holds numbers and nothing but numbers or nils.
local function numeric_columns(ncols, rows, nrows)
  local num = {}
  for c = 1, ncols do
    local seen, ok = false, true
    for r = 1, nrows do
      local v = rows[r][c]
      if v ~= nil then
        if type(v) == "number" then seen = true else ok = false; break end
      end
    end
    num[c] = ok and (seen or nrows == 0)
  end
  return num
end

-- Sorts keys numerically when all of them are numbers or numeric strings,
-- otherwise by their text (byte order).
local function sort_keys(keys)
  local allnum = true
  for i = 1, #keys do
    if tonumber(keys[i]) == nil then allnum = false; break end
  end
  if allnum then
    table.sort(keys, function(a, b)
      local x, y = tonumber(a), tonumber(b)
      if x ~= y then return x < y end
      return tostring(a) < tostring(b)
    end)
  else
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  end
  return keys
end

--[[
report.counts(map, {key = "year", count = "count", sort = "key"|"count",
limit = N, title = T}) turns a value -> count map (one facet of c:facets)
into a table.  sort = "key" (default) orders by value, numerically when the
values are numbers; sort = "count" puts the largest counts first, ties by
value.  limit keeps the first N rows.
--]]
function report.counts(map, opts)
  opts = opts or {}
  if type(map) ~= "table" then error("report.counts: expected a table of counts, got " .. type(map), 0) end
  local keys = {}
  for k, v in pairs(map) do
    if type(v) ~= "number" then
      error("report.counts: the count of " .. tostring(k) .. " is not a number", 0)
    end
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" then error("report.counts: a key cannot be a " .. tk, 0) end
    keys[#keys + 1] = k
    if #keys > MAX_ROWS then error("report.counts: more than " .. MAX_ROWS .. " values", 0) end
  end
  local by = opts.sort or "key"
  if by == "key" then
    sort_keys(keys)
  elseif by == "count" then
    table.sort(keys, function(a, b)
      if map[a] ~= map[b] then return map[a] > map[b] end
      return tostring(a) < tostring(b)
    end)
  else
    error("report.counts: sort must be \"key\" or \"count\", not " .. tostring(by), 0)
  end
  local limit = opts.limit
  if limit ~= nil and (mtype(limit) ~= "integer" or limit < 0) then
    error("report.counts: limit must be a whole number >= 0", 0)
  end
  local rows = {}
  for i = 1, math.min(#keys, limit or #keys) do rows[i] = { keys[i], map[keys[i]] } end
  return { title = opts.title, columns = { opts.key or "value", opts.count or "count" }, rows = rows }
end

-- }}}
-- {{{ CSV (RFC 4180)

local function csv_field(s)
  if s == nil then return "" end
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--[[
report.csv(t, {header = true}) is the table as RFC 4180 CSV: a header
record of the column names, then one record per row; fields holding a
comma, a double quote, CR or LF are quoted with their quotes doubled; every
record ends in CRLF.  Bytes pass through unchanged.
--]]
function report.csv(t, opts)
  opts = opts or {}
  local names, rows, nrows = table_parts(t, "report.csv")
  local out = {}
  if opts.header ~= false then
    local f = {}
    for c = 1, #names do f[c] = csv_field(names[c]) end
    out[#out + 1] = concat(f, ",") .. "\r\n"
  end
  for r = 1, nrows do
    local f = {}
    for c = 1, #names do
      f[c] = csv_field(cell_text(rows[r][c], "report.csv", r, names[c]))
    end
    out[#out + 1] = concat(f, ",") .. "\r\n"
  end
  return concat(out)
end

-- }}}
-- {{{ JSON

-- Markers: report.null is JSON null inside arrays and objects;
-- report.array(t) and report.object(t) settle what an empty table is.
report.null = setmetatable({}, { __name = "report.null", __tostring = function() return "null" end })
local ARRAY_MT = { __jsontype = "array" }
local OBJECT_MT = { __jsontype = "object" }
function report.array(t) return setmetatable(t or {}, ARRAY_MT) end
function report.object(t) return setmetatable(t or {}, OBJECT_MT) end

local json_escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\127'] = '\\u007f',
}
for i = 0, 31 do
  local c = char(i)
  if json_escapes[c] == nil then json_escapes[c] = format("\\u%04x", i) end
end

-- S as a JSON string; PATH (or row R, column COL of a table) names it in
-- an error.
local function json_string(s, path, r, col)
  local n, bad = utf8.len(s)
  if n == nil then
    if r then path = format("$.rows[%d].%s", r, col) end
    error(format("report.json: the string at %s is not valid UTF-8 (byte %d)", path, bad), 0)
  end
  -- U+2028 and U+2029 are valid JSON but end lines in JavaScript.
  return '"' .. s:gsub('[%c"\\]', json_escapes):gsub("\226\128\168", "\\u2028")
                 :gsub("\226\128\169", "\\u2029") .. '"'
end

local function json_key(k, path)
  if type(k) == "string" then return k end
  if mtype(k) == "integer" then return format("%d", k) end
  error(format("report.json: a key of %s is a %s; keys must be strings or integers", path,
               mtype(k) or type(k)), 0)
end

-- Is T an array?  Returns the length to write, or nil for an object.
local function json_array_len(t, path)
  local mt = getmetatable(t)
  local kind = mt and mt.__jsontype
  local n, max = 0, 0
  for k in pairs(t) do
    if mtype(k) == "integer" and k > 0 then
      n = n + 1
      if k > max then max = k end
    else
      if kind == "array" then
        error(format("report.json: %s is marked an array but has the key %s", path, tostring(k)), 0)
      end
      return nil
    end
  end
  if kind == "object" then return nil end
  if n == 0 then return 0 end
  -- Holes become null, but a few far keys must not become a huge array.
  if max > 2 * n + 8 then
    error(format("report.json: %s is a sparse array (%d values up to index %d)", path, n, max), 0)
  end
  return max
end

local encode_value

local function newline(opts, depth)
  if not opts.indent then return "" end
  return "\n" .. rep(" ", opts.indent * depth)
end

local function encode_table(t, out, opts, depth, path, seen)
  if seen[t] then error("report.json: " .. path .. " contains itself", 0) end
  if depth >= MAX_DEPTH then error("report.json: " .. path .. " is nested more than " .. MAX_DEPTH .. " deep", 0) end
  seen[t] = true
  local n = json_array_len(t, path)
  if n ~= nil then
    if n == 0 then out[#out + 1] = "[]" else
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = newline(opts, depth + 1)
        encode_value(t[i], out, opts, depth + 1, path .. "[" .. i .. "]", seen)
      end
      out[#out + 1] = newline(opts, depth) .. "]"
    end
  else
    local keys, names = {}, {}
    for k in pairs(t) do
      local s = json_key(k, path)
      if names[s] ~= nil then error(format("report.json: %s has the key %q twice (as a string and a number)", path, s), 0) end
      names[s] = k
      keys[#keys + 1] = s
    end
    table.sort(keys)
    if #keys == 0 then out[#out + 1] = "{}" else
      out[#out + 1] = "{"
      for i, s in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = newline(opts, depth + 1)
        out[#out + 1] = json_string(s, path)
        out[#out + 1] = opts.indent and ": " or ":"
        encode_value(t[names[s]], out, opts, depth + 1, path .. "." .. s, seen)
      end
      out[#out + 1] = newline(opts, depth) .. "}"
    end
  end
  seen[t] = nil
end

encode_value = function(v, out, opts, depth, path, seen)
  local t = type(v)
  if v == nil or v == report.null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif t == "number" then
    local s = fmt_number(v)
    if s == nil then error("report.json: " .. path .. " is " .. tostring(v) .. ", which JSON cannot hold", 0) end
    out[#out + 1] = s
  elseif t == "string" then out[#out + 1] = json_string(v, path)
  elseif t == "table" then encode_table(v, out, opts, depth, path, seen)
  else error("report.json: " .. path .. " is a " .. t .. ", which JSON cannot hold", 0)
  end
end

--[[
report.json(value, {indent = N}) encodes any Lua value as JSON.  Tables
whose keys are 1..n are arrays (holes are null); other tables are objects
with their keys sorted, so the output is stable.  An empty table is [],
unless made with report.object().  Strings must be valid UTF-8 and pass
through unescaped; nil and report.null are null; NaN and infinities, cycles,
functions and non-string keys other than integers raise an error.
--]]
function report.json(v, opts)
  opts = opts or {}
  if opts.indent ~= nil and (mtype(opts.indent) ~= "integer" or opts.indent < 0 or opts.indent > 16) then
    error("report.json: indent must be a whole number from 0 to 16", 0)
  end
  local out = {}
  encode_value(v, out, opts, 0, "$", {})
  out[#out + 1] = "\n"
  return concat(out)
end

--[[
report.tojson(t, {indent = N}) writes a table as
{"title": ..., "columns": [...], "rows": [{col: value, ...}, ...]}, each
row's keys in column order.
--]]
function report.tojson(t, opts)
  opts = opts or {}
  local names, rows, nrows = table_parts(t, "report.tojson")
  local out, ind = {}, opts.indent
  local function nl(d) return ind and ("\n" .. rep(" ", ind * d)) or "" end
  local colon = ind and ": " or ":"
  out[#out + 1] = "{"
  if t.title ~= nil then
    out[#out + 1] = nl(1) .. '"title"' .. colon .. json_string(tostring(t.title), "$.title") .. ","
  end
  local cj = {}
  for c = 1, #names do cj[c] = json_string(names[c], "$.columns") end
  out[#out + 1] = nl(1) .. '"columns"' .. colon .. "[" .. concat(cj, ind and ", " or ",") .. "],"
  out[#out + 1] = nl(1) .. '"rows"' .. colon .. "["
  for r = 1, nrows do
    local f = {}
    for c = 1, #names do
      local v = rows[r][c]
      local s
      if v == nil then s = "null"
      elseif type(v) == "string" then s = json_string(v, nil, r, names[c])
      else
        s = cell_text(v, "report.tojson", r, names[c])
      end
      f[c] = cj[c] .. colon .. s
    end
    out[#out + 1] = (r > 1 and "," or "") .. nl(2) .. "{" .. concat(f, ind and ", " or ",") .. "}"
  end
  out[#out + 1] = (nrows > 0 and nl(1) or "") .. "]" .. nl(0) .. "}\n"
  return concat(out)
end

-- }}}
-- {{{ Text for markup: valid UTF-8, no control characters

-- Replaces invalid UTF-8 and characters XML 1.0 forbids (C0 controls other
-- than tab, LF and CR; U+FFFE and U+FFFF) with U+FFFD, so that HTML, SVG
-- and Markdown output is always well formed.
local function clean_text(s)
  if utf8.len(s) and not s:find("[%z\1-\8\11\12\14-\31]") and not s:find("\239\191[\190\191]") then
    return s
  end
  local out, i, n = {}, 1, #s
  while i <= n do
    local ok, cp = pcall(utf8.codepoint, s, i)
    local len = 1
    if ok then
      len = #utf8.char(cp)
      if (cp < 32 and cp ~= 9 and cp ~= 10 and cp ~= 13) or cp == 0xFFFE or cp == 0xFFFF then
        out[#out + 1] = "\239\191\189"
      else
        out[#out + 1] = s:sub(i, i + len - 1)
      end
    else
      out[#out + 1] = "\239\191\189"
    end
    i = i + len
  end
  return concat(out)
end

local xml_escapes = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

--[[
report.escape_html(s) escapes & < > " ' and cleans the text as above; the
result is safe both as element text and inside a quoted attribute, in HTML
and in XML (SVG).
--]]
function report.escape_html(s)
  return (clean_text(tostring(s)):gsub("[&<>\"']", xml_escapes))
end
local esc = report.escape_html

-- }}}
-- {{{ Markdown

local md_escapes = {
  ["\\"] = "\\\\", ["|"] = "\\|", ["`"] = "\\`", ["*"] = "\\*", ["_"] = "\\_",
  ["["] = "\\[", ["]"] = "\\]", ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;",
}

local function md_cell(s)
  if s == nil then return "" end
  s = clean_text(s):gsub("\r\n", " "):gsub("[\r\n\t]", " ")
  return (s:gsub("[\\|`*_%[%]<>&]", md_escapes))
end

--[[
report.markdown(t) is a GitHub-style pipe table, preceded by "## title"
when the table has one.  Pipes, backslashes and Markdown's emphasis, code
and link characters are backslash-escaped; < > & become entities, so no
cell can inject HTML; line breaks become spaces.  Numeric columns are
right-aligned.
--]]
function report.markdown(t)
  local names, rows, nrows = table_parts(t, "report.markdown")
  local num = numeric_columns(#names, rows, nrows)
  local out = {}
  if t.title ~= nil then out[#out + 1] = "## " .. md_cell(tostring(t.title)) .. "\n\n" end
  local h, rule = {}, {}
  for c = 1, #names do
    h[c] = md_cell(names[c])
    rule[c] = num[c] and "---:" or "---"
  end
  out[#out + 1] = "| " .. concat(h, " | ") .. " |\n"
  out[#out + 1] = "| " .. concat(rule, " | ") .. " |\n"
  for r = 1, nrows do
    local f = {}
    for c = 1, #names do
      f[c] = md_cell(cell_text(rows[r][c], "report.markdown", r, names[c]))
    end
    out[#out + 1] = "| " .. concat(f, " | ") .. " |\n"
  end
  return concat(out)
end

-- }}}
-- {{{ HTML

--[[
report.html(t) is a <table> element: the title as its <caption>, the
column names in <thead>, one <tr> per row in <tbody>; numeric cells have
class="num".  Every name and value is escaped with report.escape_html.
--]]
function report.html(t)
  local names, rows, nrows = table_parts(t, "report.html")
  local num = numeric_columns(#names, rows, nrows)
  local out = { "<table>\n" }
  if t.title ~= nil then out[#out + 1] = "<caption>" .. esc(t.title) .. "</caption>\n" end
  local h = {}
  for c = 1, #names do h[c] = "<th>" .. esc(names[c]) .. "</th>" end
  out[#out + 1] = "<thead><tr>" .. concat(h) .. "</tr></thead>\n<tbody>\n"
  for r = 1, nrows do
    local f = {}
    for c = 1, #names do
      local s = cell_text(rows[r][c], "report.html", r, names[c])
      f[c] = (num[c] and '<td class="num">' or "<td>") .. (s and esc(s) or "") .. "</td>"
    end
    out[#out + 1] = "<tr>" .. concat(f) .. "</tr>\n"
  end
  out[#out + 1] = "</tbody>\n</table>\n"
  return concat(out)
end

--[[
report.html_page(body, title) wraps BODY (a table, or markup already made
safe such as report.html() or an SVG chart) in a standalone HTML5 document
with an inline style sheet: no scripts, nothing fetched from elsewhere.
--]]
function report.html_page(body, title)
  if type(body) == "table" then
    title = title or body.title
    body = report.html(body)
  elseif type(body) ~= "string" then
    error("report.html_page: the body must be a table or a string, not " .. type(body), 0)
  end
  body = body:gsub("^<%?xml[^>]*%?>\n?", "")
  local h = title and ("<h1>" .. esc(title) .. "</h1>\n") or ""
  return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n" ..
    "<title>" .. esc(title or "arca report") .. "</title>\n" ..
    "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}" ..
    "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left}" ..
    "td.num{text-align:right}caption{font-weight:bold;margin:.5em}</style>\n" ..
    "</head>\n<body>\n" .. h .. body .. "</body>\n</html>\n"
end

-- }}}
-- {{{ Charts

-- Coordinates with at most two decimals and no trailing zeros.
local function fc(x)
  local s = format("%.2f", x):gsub("0+$", ""):gsub("%.$", "")
  if s == "-0" then s = "0" end
  return s
end

local function check_size(opts, who)
  local w, h = opts.width or 640, opts.height or 400
  for name, v in pairs({ width = w, height = h }) do
    if type(v) ~= "number" or v ~= v or v < 200 or v > 10000 then
      error(format("%s: %s must be a number from 200 to 10000", who, name), 0)
    end
  end
  return w, h
end

local function check_value(v, who, label)
  if type(v) == "string" then v = tonumber(v) end
  if type(v) ~= "number" or v ~= v or v == huge or v == -huge then
    error(format("%s: the value of %s is not a finite number", who, tostring(label)), 0)
  end
  return v
end

-- A rough width in pixels of S at font size SIZE: wide for CJK and Hangul.
local function text_width(s, size)
  local w = 0
  for _, cp in utf8.codes(s) do
    local wide = (cp >= 0x1100 and cp <= 0x115F) or (cp >= 0x2E80 and cp <= 0xA4CF) or
                 (cp >= 0xAC00 and cp <= 0xD7A3) or (cp >= 0xF900 and cp <= 0xFAFF) or
                 (cp >= 0xFF00 and cp <= 0xFF60)
    w = w + (wide and 1.0 or 0.6)
  end
  return w * size
end

-- S cleaned, and cut with "…" to MAX_LABEL characters and to MAXPX pixels
-- at font size 12.
local function shorten(s, maxpx)
  s = clean_text(s)
  local n = utf8.len(s)
  local keep = math.min(n, MAX_LABEL)
  if maxpx then
    while keep > 1 and text_width(s:sub(1, (utf8.offset(s, keep + 1) or #s + 1) - 1), 12) > maxpx do
      keep = keep - 1
    end
  end
  if keep < n then s = s:sub(1, utf8.offset(s, keep) - 1) .. "…" end
  return s
end

-- Tick marks for [lo, hi]: a step of 1, 2 or 5 times a power of ten giving
-- about N intervals (at least 1 when WHOLE: counts), with the range widened
-- to whole steps.
local function nice_ticks(lo, hi, n, whole)
  if hi <= lo then hi = lo + 1 end
  local raw = (hi - lo) / n
  local p = 10 ^ floor(math.log(raw, 10))
  local step = p
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    step = m * p
    if step >= raw then break end
  end
  if whole and step < 1 then step = 1 end
  local a, b = floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
  local ticks = {}
  local i = 0
  while true do
    local v = a + i * step
    if v > b + step * 1e-9 then break end
    ticks[#ticks + 1] = math.abs(v) < step * 1e-9 and 0 or v
    i = i + 1
  end
  return a, b, ticks, step
end

local function tick_label(v, step)
  if step >= 1 and v == floor(v) and math.abs(v) < 2^53 then return format("%d", floor(v)) end
  local dec = math.max(0, -floor(math.log(step, 10) + 1e-9))
  return format("%." .. dec .. "f", v)
end

local PALETTE = { "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951",
                  "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0" }

-- Reads chart data: a report table (columns opts.x and opts.y, by default
-- the first two), a map label -> value (such as one facet), or a list of
-- {label, value} pairs.  Returns labels and values.
local function points(data, opts, who)
  if type(data) ~= "table" then error(who .. ": expected data as a table, got " .. type(data), 0) end
  local labels, values = {}, {}
  if data.columns ~= nil then
    local names, rows, nrows = table_parts(data, who)
    local function col(name, default)
      if name == nil then return default end
      for c = 1, #names do if names[c] == name then return c end end
      error(format("%s: the table has no column %q", who, tostring(name)), 0)
    end
    local xc, yc = col(opts.x, 1), col(type(opts.y) == "string" and opts.y or nil, 2)
    if yc > #names then error(who .. ": the table needs a column of values", 0) end
    for r = 1, nrows do
      labels[r] = cell_text(rows[r][xc], who) or ""
      values[r] = check_value(rows[r][yc], who, labels[r])
    end
  elseif data[1] ~= nil then
    for i, p in ipairs(data) do
      if type(p) ~= "table" then error(format("%s: point %d is not a {label, value} pair", who, i), 0) end
      labels[i] = cell_text(p[1], who) or ""
      values[i] = check_value(p[2], who, labels[i])
    end
  else
    local keys = {}
    for k in pairs(data) do keys[#keys + 1] = k end
    sort_keys(keys)
    for i, k in ipairs(keys) do
      labels[i] = cell_text(k, who)
      values[i] = check_value(data[k], who, k)
    end
  end
  if #labels > MAX_POINTS then error(format("%s: more than %d points", who, MAX_POINTS), 0) end
  return labels, values
end

-- The frame shared by all charts: the document, title, grid and y tick
-- labels, with margins fitted to the tick labels and to the x labels XL:
-- { labels = {...}, layout = function(pw) -> spacing, show }, where the
-- plot is PW pixels wide, SPACING is the room of each shown label and SHOW
-- marks the labels to show ({[i] = true}; nil: every k-th that fits).
-- Returns the output list and the plot: its box, Y(value) and how the x
-- labels are laid out.
local function frame(opts, w, h, ymin, ymax, whole, who, xl)
  local title = opts.title and clean_text(tostring(opts.title)) or nil
  local lo, hi, ticks, step = nice_ticks(math.min(0, ymin), math.max(0, ymax), 5, whole)
  local tlabels, twidest = {}, 0
  for i, v in ipairs(ticks) do
    tlabels[i] = tick_label(v, step)
    twidest = math.max(twidest, text_width(tlabels[i], 12))
  end
  local left, right = math.max(40, twidest + 14) + (opts.ylabel and 24 or 0), 24
  local pw = w - left - right
  -- The x labels: every k-th so that they do not overlap, turned 45
  -- degrees when they are wider than their room.
  local slot, show = xl.layout(pw)
  local widest = 0
  for i = 1, #xl.labels do
    if show == nil or show[i] then widest = math.max(widest, text_width(shorten(xl.labels[i]), 12)) end
  end
  -- Short labels (years) are thinned out; long ones turned.
  local turn = widest > slot * 0.9 and widest > 48
  local need = turn and 20 or widest + 8
  local every = math.max(1, math.ceil(need / math.max(slot, 1e-9)))
  local e, mi = 1, 1                     -- rounded up to 1, 2, 5, 10, 20 ...
  while e < every do e, mi = floor(e * ({ 2, 2.5, 2 })[mi] + 0.5), mi % 3 + 1 end
  every = e
  local bottom = turn and math.min(widest * 0.71 + 24, h * 0.35) or 36
  local maxpx = turn and (bottom - 24) / 0.71 + 1 or nil
  if turn then
    -- Room on the left for the first label, which reaches down-left.
    local need_left = math.min(widest, maxpx) * 0.71 - slot / 2 + 4
    if need_left > left then
      slot = slot * (pw - (need_left - left)) / pw
      pw, left = pw - (need_left - left), need_left
    end
  end
  bottom = bottom + (opts.xlabel and 24 or 0)
  local top = title and 44 or 20
  local ph = h - top - bottom
  if pw < 50 or ph < 50 then error(who .. ": the chart is too small for its margins", 0) end
  local function Y(v) return top + ph - (v - lo) / (hi - lo) * ph end
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    format('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" ' ..
           'role="img" font-family="sans-serif" font-size="12">\n', fc(w), fc(h), fc(w), fc(h)),
    "<title>" .. esc(title or "chart") .. "</title>\n",
    '<rect width="100%" height="100%" fill="#ffffff"/>\n',
  }
  if title then
    out[#out + 1] = format('<text x="%s" y="28" text-anchor="middle" font-size="16" font-weight="bold">%s</text>\n',
                           fc(w / 2), esc(title))
  end
  out[#out + 1] = '<g class="grid" stroke="#e0e0e0">\n'
  for _, v in ipairs(ticks) do
    out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s"/>\n', fc(left), fc(Y(v)), fc(left + pw), fc(Y(v)))
  end
  out[#out + 1] = '</g>\n<g class="y-axis" text-anchor="end">\n'
  for i, v in ipairs(ticks) do
    out[#out + 1] = format('<text x="%s" y="%s" dy="0.32em">%s</text>\n', fc(left - 6), fc(Y(v)), tlabels[i])
  end
  out[#out + 1] = "</g>\n"
  if opts.ylabel then
    out[#out + 1] = format('<text transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>\n',
                           fc(top + ph / 2), esc(opts.ylabel))
  end
  if opts.xlabel then
    out[#out + 1] = format('<text x="%s" y="%s" text-anchor="middle">%s</text>\n',
                           fc(left + pw / 2), fc(h - 10), esc(opts.xlabel))
  end
  return out, { left = left, top = top, pw = pw, ph = ph, Y = Y, h = h,
                turn = turn, every = every, maxpx = maxpx, show = show }
end

local function axes(out, p)
  out[#out + 1] = format('<g class="axes" stroke="#333333"><line x1="%s" y1="%s" x2="%s" y2="%s"/>' ..
                         '<line x1="%s" y1="%s" x2="%s" y2="%s"/></g>\n',
                         fc(p.left), fc(p.top), fc(p.left), fc(p.top + p.ph),
                         fc(p.left), fc(p.Y(0)), fc(p.left + p.pw), fc(p.Y(0)))
end

-- The x labels at the centres XS, as the frame laid them out.
local function x_labels(out, p, xs, labels)
  local show = p.show
  local y = p.top + p.ph + 16
  out[#out + 1] = '<g class="x-axis">\n'
  for i = 1, #labels do
    if (show and show[i]) or (not show and (i - 1) % p.every == 0) then
      local text = esc(shorten(labels[i], p.maxpx))
      if p.turn then
        out[#out + 1] = format('<text transform="translate(%s %s) rotate(-45)" text-anchor="end">%s</text>\n',
                               fc(xs[i]), fc(y - 4), text)
      else
        out[#out + 1] = format('<text x="%s" y="%s" text-anchor="middle">%s</text>\n', fc(xs[i]), fc(y), text)
      end
    end
  end
  out[#out + 1] = "</g>\n"
end

-- The least and greatest of VALUES and 0, and whether all are whole.
local function range(values)
  local lo, hi, whole = 0, 0, true
  for i = 1, #values do
    local v = values[i]
    if v < lo then lo = v end
    if v > hi then hi = v end
    if v ~= floor(v) then whole = false end
  end
  return lo, hi, whole
end

--[[
report.bar(data, opts) is a bar chart as a standalone SVG document.  DATA
is a report table (opts.x and opts.y name its label and value columns; the
first two by default), a map label -> value (one facet: its keys sorted),
or a list of {label, value} pairs.  opts: title, xlabel, ylabel, width and
height (pixels, 200 to 10000; 640 x 400 by default), color.
--]]
function report.bar(data, opts)
  opts = opts or {}
  local who = "report.bar"
  local w, h = check_size(opts, who)
  local labels, values = points(data, opts, who)
  local lo, hi, whole = range(values)
  local n = #values
  local out, p = frame(opts, w, h, lo, hi, whole, who,
                       { labels = labels, layout = function(pw) return pw / math.max(n, 1) end })
  local slot = n > 0 and p.pw / n or p.pw
  local bw = math.max(slot * 0.8, 0.5)
  local xs = {}
  out[#out + 1] = format('<g class="bars" fill="%s">\n', esc(opts.color or PALETTE[1]))
  for i = 1, n do
    local x = p.left + (i - 1) * slot + (slot - bw) / 2
    xs[i] = x + bw / 2
    local y0, y1 = p.Y(0), p.Y(values[i])
    out[#out + 1] = format('<rect x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>\n',
                           fc(x), fc(math.min(y0, y1)), fc(bw), fc(math.abs(y1 - y0)),
                           esc(labels[i]), fmt_number(values[i]))
  end
  out[#out + 1] = "</g>\n"
  axes(out, p)
  x_labels(out, p, xs, labels)
  out[#out + 1] = "</svg>\n"
  return concat(out)
end

--[[
report.line(data, opts) is a line chart with one or more series, as a
standalone SVG document.  DATA is a report table: opts.x names the column
of x labels (the first by default) and opts.y one column or a list of
columns to draw (by default every other column of numbers); a legend names
them.  A
map or a list of {label, value} pairs draws one line.  Points are evenly
spaced in row order.  opts as for report.bar, plus colors (a list).
--]]
function report.line(data, opts)
  opts = opts or {}
  local who = "report.line"
  local w, h = check_size(opts, who)
  local labels, series, names = nil, {}, {}
  if type(data) == "table" and data.columns ~= nil then
    local cols, rows, nrows = table_parts(data, who)
    local ys = opts.y
    if ys == nil then
      local num = numeric_columns(#cols, rows, nrows)
      ys = {}
      for c = 1, #cols do
        if num[c] and cols[c] ~= (opts.x or cols[1]) then ys[#ys + 1] = cols[c] end
      end
    elseif type(ys) == "string" then ys = { ys } end
    if #ys == 0 then error(who .. ": the table needs a column of values", 0) end
    if #ys > MAX_SERIES then error(format("%s: more than %d series", who, MAX_SERIES), 0) end
    for i, name in ipairs(ys) do
      local l, v = points(data, { x = opts.x or cols[1], y = name }, who)
      labels, series[i], names[i] = l, v, name
    end
  else
    local l, v = points(data, opts, who)
    labels, series[1] = l, v
  end
  local lo, hi, whole = 0, 0, true
  for _, v in ipairs(series) do
    local a, b, wh = range(v)
    lo, hi, whole = math.min(lo, a), math.max(hi, b), whole and wh
  end
  local n = #labels
  local out, p = frame(opts, w, h, lo, hi, whole, who,
                       { labels = labels, layout = function(pw) return n > 1 and (pw - 40) / (n - 1) or pw end })
  local xs = {}
  for i = 1, n do
    -- Inset from the axes so that the end labels fit.
    xs[i] = n == 1 and p.left + p.pw / 2 or p.left + 20 + (i - 1) * (p.pw - 40) / (n - 1)
  end
  axes(out, p)
  local colors = opts.colors
  if type(colors) ~= "table" or #colors == 0 then colors = PALETTE end
  for s, v in ipairs(series) do
    local color = esc(colors[(s - 1) % #colors + 1])
    local pts = {}
    for i = 1, n do pts[i] = fc(xs[i]) .. "," .. fc(p.Y(v[i])) end
    out[#out + 1] = format('<g class="series" stroke="%s" fill="%s">\n', color, color)
    if n > 1 then
      out[#out + 1] = format('<polyline fill="none" stroke-width="2" points="%s"/>\n', concat(pts, " "))
    end
    if n <= 200 then
      for i = 1, n do
        out[#out + 1] = format('<circle cx="%s" cy="%s" r="3"><title>%s%s: %s</title></circle>\n',
                               fc(xs[i]), fc(p.Y(v[i])), names[s] and (esc(names[s]) .. ", ") or "",
                               esc(labels[i]), fmt_number(v[i]))
      end
    end
    out[#out + 1] = "</g>\n"
  end
  if #names > 0 then
    out[#out + 1] = '<g class="legend">\n'
    local x = p.left + 8
    for s, name in ipairs(names) do
      local color = esc(colors[(s - 1) % #colors + 1])
      local y = p.top + 6 + (s - 1) * 16
      out[#out + 1] = format('<rect x="%s" y="%s" width="12" height="12" fill="%s"/>' ..
                             '<text x="%s" y="%s" dy="0.85em">%s</text>\n',
                             fc(x), fc(y), color, fc(x + 16), fc(y), esc(shorten(name)))
    end
    out[#out + 1] = "</g>\n"
  end
  x_labels(out, p, xs, labels)
  out[#out + 1] = "</svg>\n"
  return concat(out)
end

-- The year of a key: an integer, or a string starting with one ("1990",
-- "1990-05-01").
local function year_of(k, who)
  if mtype(k) == "integer" then return k end
  if type(k) == "number" and k == floor(k) then return floor(k) end
  if type(k) == "string" then
    local y = k:match("^%s*(%-?%d+)")
    if y and #y <= 7 then return tonumber(y) end
  end
  error(format("%s: %q is not a year", who, tostring(k)), 0)
end

--[[
report.timeline(counts, opts) is a histogram of counts per year as a
standalone SVG document: one bar for every year from the first to the last,
years without records drawn as gaps (zero), the axis marked at round
years.  COUNTS is a map year -> count (c:facets(q, {"year"}).year, keys may
be dates: their years are summed), a list of {year, count} pairs or a
report table.  opts as for report.bar.
--]]
function report.timeline(counts, opts)
  opts = opts or {}
  local who = "report.timeline"
  local w, h = check_size(opts, who)
  local labels, values = points(counts, opts, who)
  local by, first, last = {}, nil, nil
  for i = 1, #labels do
    local y = year_of(labels[i], who)
    by[y] = (by[y] or 0) + values[i]
    if first == nil or y < first then first = y end
    if last == nil or y > last then last = y end
  end
  if first == nil then first, last = 0, 0 end
  if last - first >= MAX_YEAR_SPAN then
    error(format("%s: the years span %d to %d, more than %d years", who, first, last, MAX_YEAR_SPAN), 0)
  end
  local years, vals = {}, {}
  for y = first, last do
    years[#years + 1] = format("%d", y)
    vals[#vals + 1] = by[y] or 0
  end
  if #labels == 0 then years, vals = {}, {} end
  local lo, hi, whole = range(vals)
  local n = #vals
  -- Labels at round years: every 1, 2, 5, 10, 20, 50 ... years, the
  -- smallest step that leaves room for each.
  local function layout(pw)
    local slot = pw / math.max(n, 1)
    local step, mult, mi = 1, { 2, 2.5, 2 }, 1
    local room = text_width("0000", 12) + 10
    while step * slot < room and step < 1e6 do
      step = floor(step * mult[mi] + 0.5)
      mi = mi % 3 + 1
    end
    local show = {}
    for i = 1, n do show[i] = (first + i - 1) % step == 0 end
    return step * slot, show
  end
  local out, p = frame(opts, w, h, lo, hi, whole, who, { labels = years, layout = layout })
  local slot = n > 0 and p.pw / n or p.pw
  local xs = {}
  out[#out + 1] = format('<g class="bars" fill="%s">\n', esc(opts.color or PALETTE[1]))
  for i = 1, n do
    local x = p.left + (i - 1) * slot
    xs[i] = x + slot / 2
    local y0, y1 = p.Y(0), p.Y(vals[i])
    if vals[i] ~= 0 then
      out[#out + 1] = format('<rect x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>\n',
                             fc(x + math.min(1, slot * 0.1)), fc(math.min(y0, y1)),
                             fc(math.max(slot - 2 * math.min(1, slot * 0.1), 0.1)), fc(math.abs(y1 - y0)),
                             years[i], fmt_number(vals[i]))
    end
  end
  out[#out + 1] = "</g>\n"
  axes(out, p)
  x_labels(out, p, xs, years)
  out[#out + 1] = "</svg>\n"
  return concat(out)
end

-- }}}
-- {{{ Dispatch and arguments

local renderers = {
  csv = report.csv, json = report.tojson, md = report.markdown,
  markdown = report.markdown, html = report.html,
}

--[[
report.render(t, fmt) writes table T as "csv", "json", "md" (or
"markdown") or "html" (a standalone page).
--]]
function report.render(t, fmt)
  if fmt == "html" then return report.html_page(t) end
  local f = renderers[fmt]
  if f == nil then
    error(format("report.render: unknown format %q (csv, json, md, html)", tostring(fmt)), 0)
  end
  return f(t)
end

--[[
report.options(arg, defaults) reads a script's arguments: "--name value",
"--name=value" and, for names whose default is a boolean, "--name" alone;
"--" ends the options.  Names must appear in DEFAULTS; a value given for a
numeric default must be a number.  Returns the options (defaults filled
in) and the list of the other arguments.
--]]
function report.options(args, defaults)
  args, defaults = args or {}, defaults or {}
  local opts, rest = {}, {}
  for k, v in pairs(defaults) do opts[k] = v end
  local function known()
    local ks = {}
    for k in pairs(defaults) do ks[#ks + 1] = "--" .. k end
    table.sort(ks)
    return #ks > 0 and concat(ks, ", ") or "none"
  end
  local function set(name, value)
    local d = defaults[name]
    if d == nil then error(format("unknown option --%s (options: %s)", name, known()), 0) end
    if type(d) == "number" then
      local v = tonumber(value)
      if v == nil then error(format("option --%s takes a number, not %q", name, tostring(value)), 0) end
      value = v
    elseif type(d) == "boolean" and type(value) == "string" then
      if value == "true" or value == "yes" or value == "1" then value = true
      elseif value == "false" or value == "no" or value == "0" then value = false
      else error(format("option --%s takes true or false, not %q", name, value), 0) end
    end
    opts[name] = value
  end
  local i, n = 1, #args
  while i <= n do
    local a = tostring(args[i])
    if a == "--" then
      for j = i + 1, n do rest[#rest + 1] = args[j] end
      break
    end
    local name, value = a:match("^%-%-([%w_%-]+)=(.*)$")
    if name then set(name, value)
    else
      name = a:match("^%-%-([%w_%-]+)$")
      if name then
        if type(defaults[name]) == "boolean" then set(name, true)
        else
          if i == n then error(format("option --%s needs a value", name), 0) end
          i = i + 1
          set(name, args[i])
        end
      else
        rest[#rest + 1] = args[i]
      end
    end
    i = i + 1
  end
  return opts, rest
end

-- }}}

return report
