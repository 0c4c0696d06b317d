--[[
test_report.lua: tests of lua/report.lua, arca's report library, and of the
example reports in lua/reports/, on a stock lua5.4.

  LUA_PATH='lua/?.lua;;' lua5.4 tests/lua/test_report.lua [SRCDIR]

The library is loaded as `require "report"` (installed, or inside arca, it
is "arca.report").  SRCDIR, the checkout, defaults to the current
directory.  Prints one line per test and exits 1 when any failed.

The example reports are run against FakeArca below, a stand-in for the C
module that implements the documented calls (arca.open, c:search, c:count,
c:facets) over a handful of records with a deliberately simple query
language: words that must all appear, "(x) AND (y)", and year:A..B.  It
checks the reports' logic; tests/cmd/T310-report-lib.sh runs them on the
real module when the arca binary has `run`.
--]]

local SRC = arg[1] or "."
local report = require "report"

local passed, failed = 0, 0
local function test(name, fn)
  local ok, err = pcall(fn)
  if ok then
    passed = passed + 1
    print("ok - " .. name)
  else
    failed = failed + 1
    print("not ok - " .. name .. "\n#   " .. tostring(err):gsub("\n", "\n#   "))
  end
end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s:\n  got:  %q\n  want: %q", what or "values differ", tostring(got),
                        tostring(want)), 2)
  end
end

local function raises(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error((what or "call") .. " did not fail", 2) end
  if not tostring(err):find(pattern) then
    error(string.format("%s failed with %q, not matching %q", what or "call", tostring(err), pattern), 2)
  end
end

local function count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

-- {{{ Independent parsers, written from the specifications

-- RFC 4180: records end in CRLF (a lone LF is accepted too); a field is
-- either plain or quoted, and inside quotes "" is a quote.
local function parse_csv(s)
  local records, fields, i, n = {}, {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    local field
    if c == '"' then
      local buf = {}
      i = i + 1
      while true do
        if i > n then error("csv: unterminated quoted field") end
        local q = s:find('"', i, true)
        if q == nil then error("csv: unterminated quoted field") end
        buf[#buf + 1] = s:sub(i, q - 1)
        if s:sub(q + 1, q + 1) == '"' then buf[#buf + 1] = '"'; i = q + 2
        else i = q + 1; break end
      end
      field = table.concat(buf)
    else
      local e = s:find('[,\r\n]', i) or n + 1
      field = s:sub(i, e - 1)
      if field:find('"') then error("csv: a quote inside an unquoted field: " .. field) end
      i = e
    end
    fields[#fields + 1] = field
    local d = s:sub(i, i)
    if d == "," then i = i + 1
    elseif d == "\r" and s:sub(i + 1, i + 1) == "\n" then
      records[#records + 1] = fields; fields = {}; i = i + 2
    elseif d == "\n" or d == "" then
      records[#records + 1] = fields; fields = {}; i = i + 1
    else error("csv: junk after a quoted field at byte " .. i) end
  end
  return records
end

-- RFC 8259 JSON, strictly: no trailing commas, no leading zeros, no bare
-- control characters in strings.  Objects decode to tables, null to NULL.
local NULL = setmetatable({}, { __tostring = function() return "NULL" end })
local function parse_json(s)
  local i = 1
  local function ws() i = s:find("[^ \t\r\n]", i) or #s + 1 end
  local function fail(msg) error(string.format("json: %s at byte %d", msg, i)) end
  local value
  local function str()
    i = i + 1
    local buf = {}
    while true do
      local c = s:sub(i, i)
      if c == "" then fail("unterminated string") end
      if c == '"' then i = i + 1; return table.concat(buf) end
      if c:byte() < 32 then fail("control character in a string") end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if simple[e] then buf[#buf + 1] = simple[e]; i = i + 2
        elseif e == "u" then
          local h = s:sub(i + 2, i + 5)
          if not h:match("^%x%x%x%x$") then fail("bad \\u escape") end
          local cp = tonumber(h, 16)
          i = i + 6
          if cp >= 0xD800 and cp <= 0xDBFF and s:sub(i, i + 1) == "\\u" then
            local lo = tonumber(s:sub(i + 2, i + 5), 16)
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          end
          buf[#buf + 1] = utf8.char(cp)
        else fail("bad escape") end
      else
        buf[#buf + 1] = c; i = i + 1
      end
    end
  end
  value = function()
    ws()
    local c = s:sub(i, i)
    if c == "{" then
      local t = {}
      i = i + 1; ws()
      if s:sub(i, i) == "}" then i = i + 1; return t end
      while true do
        ws()
        if s:sub(i, i) ~= '"' then fail("expected a key") end
        local k = str()
        ws()
        if s:sub(i, i) ~= ":" then fail("expected :") end
        i = i + 1
        t[k] = value()
        ws()
        local d = s:sub(i, i)
        i = i + 1
        if d == "}" then return t end
        if d ~= "," then fail("expected , or }") end
      end
    elseif c == "[" then
      local t, n = {}, 0
      i = i + 1; ws()
      if s:sub(i, i) == "]" then i = i + 1; return t end
      while true do
        n = n + 1
        t[n] = value()
        ws()
        local d = s:sub(i, i)
        i = i + 1
        if d == "]" then return t end
        if d ~= "," then fail("expected , or ]") end
      end
    elseif c == '"' then return str()
    elseif s:sub(i, i + 3) == "true" then i = i + 4; return true
    elseif s:sub(i, i + 4) == "false" then i = i + 5; return false
    elseif s:sub(i, i + 3) == "null" then i = i + 4; return NULL
    else
      local num = s:match("^-?0[.eE]?[%d.eE+-]*", i) or s:match("^-?[1-9][%d]*%.?[%d]*[eE]?[+-]?%d*", i)
      if not num or not num:match("^%-?%d+%.?%d*[eE]?[+-]?%d*$") or num:match("^%-?0%d") or num:match("%.$")
         or num:match("%.[eE]") then
        fail("bad value")
      end
      i = i + #num
      return math.tointeger(tonumber(num)) or tonumber(num)
    end
  end
  local v = value()
  ws()
  if i <= #s then fail("trailing text") end
  return v
end

-- }}}
-- {{{ The tables the tests use

local nasty = {
  "plain", "a,b", 'say "hi"', "two\nlines", "cr\ronly", "crlf\r\nend", " spaced ",
  "", "=1+2", "한국어 русский 中文", '"', ",", "\t tab", "back\\slash", "x|y", "<b>&amp;</b>",
}

local function nasty_table()
  local rows = {}
  for i, s in ipairs(nasty) do rows[i] = { i, s, i * 1.5 } end
  return { title = 'Nasty "values", <script>alert(1)</script>', columns = { "n", "text", "x,y" }, rows = rows }
end

-- }}}

test("CSV: header, CRLF record ends, quoting only where RFC 4180 needs it", function()
  local s = report.csv({ columns = { "year", "count" }, rows = { { 1990, 3 }, { 1991, 12 } } })
  eq(s, "year,count\r\n1990,3\r\n1991,12\r\n", "simple CSV")
  s = report.csv({ columns = { "a", "b" }, rows = { { 'x,"y"', "p\nq" }, { "plain", " sp " } } })
  eq(s, 'a,b\r\n"x,""y""","p\nq"\r\nplain, sp \r\n', "quoted CSV")
end)

test("CSV: every nasty value round-trips through an RFC 4180 parser", function()
  local t = nasty_table()
  local recs = parse_csv(report.csv(t))
  eq(#recs, #nasty + 1, "records")
  eq(table.concat(recs[1], "|"), "n|text|x,y", "header")
  for i, s in ipairs(nasty) do
    eq(#recs[i + 1], 3, "fields in record " .. i)
    eq(recs[i + 1][1], tostring(i), "n of record " .. i)
    eq(recs[i + 1][2], s, "text of record " .. i)
    eq(tonumber(recs[i + 1][3]), i * 1.5, "x,y of record " .. i)
  end
end)

test("CSV: keyed rows, empty cells, booleans, header = false", function()
  local s = report.csv({ columns = { "a", "b", "c" }, rows = { { a = 1, c = true }, { nil, "x", false } } },
                       { header = false })
  eq(s, "1,,true\r\n,x,false\r\n", "CSV body")
end)

test("numbers: integers exact, floats shortest round trip, no NaN", function()
  eq(report.number(3), "3", "integer")
  eq(report.number(math.maxinteger), "9223372036854775807", "maxinteger")
  eq(report.number(0.1), "0.1", "0.1")
  eq(tonumber(report.number(1 / 3)), 1 / 3, "1/3 reads back")
  eq(tonumber(report.number(2 ^ 60 + 0.0)), 2 ^ 60, "2^60 reads back")
  eq(report.number(0 / 0), nil, "NaN")
  raises(function() report.csv({ columns = { "x" }, rows = { { 1 / 0 } } }) end, "not a finite number", "CSV of inf")
end)

test("JSON: a table parses back to the same columns and values, in column order", function()
  local t = nasty_table()
  local s = report.tojson(t)
  local v = parse_json(s)
  eq(v.title, t.title, "title")
  eq(table.concat(v.columns, "|"), "n|text|x,y", "columns")
  eq(#v.rows, #nasty, "rows")
  for i, str in ipairs(nasty) do
    eq(v.rows[i].n, i, "n of row " .. i)
    eq(v.rows[i].text, str, "text of row " .. i)
    eq(v.rows[i]["x,y"], i * 1.5, "x,y of row " .. i)
  end
  local first = s:match('"rows":%[(%b{})')
  eq(first, '{"n":1,"text":"plain","x,y":1.5}', "a row keeps column order")
  v = parse_json(report.tojson(t, { indent = 2 }))
  eq(v.rows[4].text, "two\nlines", "indented JSON parses too")
end)

test("JSON: escapes, UTF-8 passthrough, arrays and objects, stable key order", function()
  local s = report.json({ b = 'q"\\/\n\r\t\b\f\0\127', a = "é한\u{1F600}\u{2028}", z = { 1, 2, report.null, 4 },
                          e = {}, o = report.object(), n = { [2] = "x", [1] = "y" }, [10] = true })
  eq(s, '{"10":true,"a":"é한\u{1F600}\\u2028","b":"q\\"\\\\/\\n\\r\\t\\b\\f\\u0000\\u007f","e":[],' ..
        '"n":["y","x"],"o":{},"z":[1,2,null,4]}\n', "encoded")
  local v = parse_json(s)
  eq(v.b, 'q"\\/\n\r\t\b\f\0\127', "string back")
  eq(v.a, "é한\u{1F600}\u{2028}", "UTF-8 back")
  eq(v.z[3], NULL, "null in an array")
  eq(report.json({ x = 1, y = { 1, 2 } }), report.json({ y = { 1, 2 }, x = 1 }), "key order is stable")
  eq(report.json(nil), "null\n", "nil")
  eq(report.json(-0.5), "-0.5\n", "float")
  eq(report.json(math.mininteger), "-9223372036854775808\n", "mininteger")
  eq(report.json(report.array()), "[]\n", "empty array marker")
end)

test("JSON: refuses what it cannot encode, naming where", function()
  raises(function() report.json({ a = { 0 / 0 } }) end, "%$%.a%[1%] is .*nan", "NaN")
  raises(function() report.json({ f = print }) end, "%$%.f is a function", "function")
  raises(function() report.json({ s = "bad \255 byte" }) end, "not valid UTF%-8 %(byte 5%)", "invalid UTF-8")
  raises(function() report.json({ s = "\237\160\128" }) end, "not valid UTF%-8", "a surrogate")
  local t = {}; t.self = t
  raises(function() report.json(t) end, "contains itself", "cycle")
  local deep = {}
  for _ = 1, 200 do deep = { deep } end
  raises(function() report.json(deep) end, "nested more than", "depth")
  raises(function() report.json({ [1e9 // 1] = 1, [1] = 2 }) end, "sparse array", "sparse array")
  raises(function() report.json({ [1] = "a", ["1"] = "b", x = 1 }) end, "twice", "key collision")
  raises(function() report.json({ [true] = 1 }) end, "keys must be strings", "boolean key")
  raises(function() report.json({ [1.5] = 1 }) end, "keys must be strings", "float key")
end)

test("Markdown: pipes and markup escaped, numbers right-aligned, one line per row", function()
  local s = report.markdown({ title = "T|1", columns = { "who", "n" },
                              rows = { { "a|b *c* _d_ [e](f) `g` \\", 1 }, { "x\r\ny\nz", 20 },
                                       { "<script>alert(1)</script>", 3 } } })
  eq(s, "## T\\|1\n\n| who | n |\n| --- | ---: |\n" ..
        "| a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\`g\\` \\\\ | 1 |\n" ..
        "| x y z | 20 |\n| &lt;script&gt;alert(1)&lt;/script&gt; | 3 |\n", "markdown")
  local lines = count(report.markdown(nasty_table()), "\n")
  eq(lines, 2 + 2 + #nasty, "line count of the nasty table (title, blank, header, rule, rows)")
end)

test("HTML: a table with every name and value escaped", function()
  local s = report.html({ title = "<script>alert(1)</script>", columns = { "a&b", "n" },
                          rows = { { [["quoted" & 'single' <i>]], 5 } } })
  eq(s, "<table>\n<caption>&lt;script&gt;alert(1)&lt;/script&gt;</caption>\n" ..
        "<thead><tr><th>a&amp;b</th><th>n</th></tr></thead>\n<tbody>\n" ..
        "<tr><td>&quot;quoted&quot; &amp; &#39;single&#39; &lt;i&gt;</td><td class=\"num\">5</td></tr>\n" ..
        "</tbody>\n</table>\n", "html")
  local page = report.html_page(nasty_table())
  eq(count(page, "<script"), 0, "no script element in the page")
  eq(count(page, "&lt;script&gt;alert%(1%)&lt;/script&gt;"), 3, "title shown escaped in <title>, <h1> and <caption>")
  eq(count(page, "<caption>"), 1, "the table's caption")
  eq(page:find("https?://") == nil, true, "nothing fetched from elsewhere")
  eq(report.escape_html("a\0b\1c\255"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}", "controls and bad bytes replaced")
end)

test("counts: facet maps become sorted tables", function()
  local m = { ["1990"] = 3, ["1850"] = 1, ["200"] = 7 }
  local t = report.counts(m, { key = "year" })
  eq(report.csv(t), "year,count\r\n200,7\r\n1850,1\r\n1990,3\r\n", "numeric key order")
  t = report.counts({ Lee = 2, Kim = 5, Park = 5, Choi = 1 }, { key = "author", sort = "count", limit = 3 })
  eq(report.csv(t), "author,count\r\nKim,5\r\nPark,5\r\nLee,2\r\n", "by count, ties by name, limited")
  raises(function() report.counts({ a = "x" }) end, "not a number", "bad count")
  raises(function() report.counts({}, { sort = "size" }) end, "sort must be", "bad sort")
end)

test("render and options: formats by name, script arguments", function()
  local t = { columns = { "a" }, rows = { { 1 } } }
  eq(report.render(t, "csv"), report.csv(t), "csv")
  eq(report.render(t, "md"), report.markdown(t), "md")
  eq(report.render(t, "json"), report.tojson(t), "json")
  eq(report.render(t, "html"):sub(1, 15), "<!DOCTYPE html>", "html page")
  raises(function() report.render(t, "xls") end, 'unknown format "xls"', "unknown format")
  local o, rest = report.options({ "war", "--format", "md", "--limit=5", "--all", "peace", "--", "--x" },
                                 { format = "csv", limit = 10, all = false })
  eq(o.format, "md", "--format md")
  eq(o.limit, 5, "--limit=5 is a number")
  eq(o.all, true, "boolean flag")
  eq(table.concat(rest, " "), "war peace --x", "positional arguments")
  raises(function() report.options({ "--nope", "1" }, { format = "csv" }) end, "unknown option %-%-nope", "unknown")
  raises(function() report.options({ "--limit", "ten" }, { limit = 1 }) end, "takes a number", "bad number")
  raises(function() report.options({ "--format" }, { format = "csv" }) end, "needs a value", "missing value")
end)

test("errors name the function and the place", function()
  raises(function() report.csv({ rows = {} }) end, "report.csv: the table needs columns", "no columns")
  raises(function() report.csv({ columns = { "a" }, rows = { { {} } } }) end,
         'report.csv: row 1, column "a": a cell cannot be a table', "table cell")
  raises(function() report.html("x") end, "report.html: expected a table", "not a table")
  raises(function() report.bar({ columns = { "a", "b" }, rows = { { "x", "y" } } }) end,
         "report.bar: the value of x is not a finite number", "non-numeric value")
  raises(function() report.bar({ a = 1 }, { width = 5 }) end, "width must be", "tiny width")
  raises(function() report.timeline({ abc = 1 }) end, '"abc" is not a year', "bad year")
  raises(function() report.timeline({ ["1"] = 1, ["9999"] = 1 }) end, "more than 5000 years", "huge span")
  raises(function() report.line({ columns = { "x", "y" }, rows = {} }, { y = "z" }) end, 'no column "z"', "bad column")
end)

-- {{{ Charts

-- Every element's attributes, in document order, from a chart made by the
-- library (one element per line or per tag; no nesting tricks needed).
local function elements(svg, name)
  local out = {}
  for attrs in svg:gmatch("<" .. name .. "%s([^>]*)>") do
    local a = {}
    for k, v in attrs:gmatch('([%w%-]+)="([^"]*)"') do a[k] = tonumber(v) or v end
    out[#out + 1] = a
  end
  return out
end

local function check_standalone(svg, what)
  eq(svg:sub(1, 38), '<?xml version="1.0" encoding="UTF-8"?>', what .. ": XML declaration")
  eq(count(svg, "<svg "), 1, what .. ": one svg element")
  eq(svg:sub(-7), "</svg>\n", what .. ": ends with </svg>")
  eq(svg:find("<script", 1, true), nil, what .. ": no script")
  eq(svg:find("href", 1, true), nil, what .. ": no links")
  eq(svg:find("@import", 1, true) or svg:find("url(", 1, true), nil, what .. ": nothing external")
  local urls = {}
  for u in svg:gmatch("https?://[^\"]*") do urls[#urls + 1] = u end
  eq(table.concat(urls, " "), "http://www.w3.org/2000/svg", what .. ": only the SVG namespace")
end

test("bar chart: standalone SVG, bars scaled to their values, labels escaped", function()
  local svg = report.bar({ title = "ignored", columns = { "who", "n" },
                           rows = { { "Lincoln", 3 }, { "<Washington> & \"co\"", 7 }, { "zero", 0 } } },
                         { title = "Top <authors>", ylabel = "records" })
  check_standalone(svg, "bar")
  local bars = elements(svg, "rect")
  table.remove(bars, 1)  -- the background
  eq(#bars, 3, "three bars")
  local h1, h2 = bars[1].height, bars[2].height
  assert(h1 > 0 and h2 > 0, "bars have height")
  assert(math.abs(h2 / h1 - 7 / 3) < 0.01, "heights proportional: " .. h1 .. " vs " .. h2)
  eq(bars[3].height, 0, "zero is a flat bar")
  eq(math.abs(bars[1].y + h1 - (bars[2].y + h2)) < 0.01, true, "bars share a baseline")
  assert(svg:find("Top &lt;authors&gt;", 1, true), "title escaped")
  assert(svg:find("&lt;Washington&gt; &amp; &quot;co&quot;", 1, true), "label escaped")
  assert(svg:find(">8</text>", 1, true), "the axis reaches a round 8 above 7")
  local one = report.bar({ a = 1, b = 0 })
  eq(one:find(">0.2</text>", 1, true), nil, "counts get whole-number ticks")
  assert(report.bar({ a = 0.5 }):find(">0.1</text>", 1, true), "fractions get fractional ticks")
end)

test("bar chart: a facet map, sorted by key", function()
  local svg = report.bar({ b = 2, a = 1, c = 3 })
  local labels = {}
  for l in svg:gmatch('<g class="x%-axis">(.-)</g>') do
    for text in l:gmatch(">([^<]*)</text>") do labels[#labels + 1] = text end
  end
  eq(table.concat(labels, " "), "a b c", "labels in key order")
end)

test("line chart: one polyline per series, a legend, values to scale", function()
  local t = { columns = { "year", "a", "b" }, rows = { { 1990, 0, 10 }, { 1991, 5, 10 }, { 1992, 10, 0 } } }
  local svg = report.line(t, { title = "A & B" })
  check_standalone(svg, "line")
  local lines = elements(svg, "polyline")
  eq(#lines, 2, "two series")
  local ys = {}
  for y in lines[1].points:gmatch(",([%d.]+)") do ys[#ys + 1] = tonumber(y) end
  eq(#ys, 3, "three points")
  assert(math.abs((ys[1] - ys[2]) - (ys[2] - ys[3])) < 0.01, "a rises evenly: " .. lines[1].points)
  assert(ys[1] > ys[3], "higher values are higher up")
  assert(svg:find(">a</text>", 1, true) and svg:find(">b</text>", 1, true), "legend names both")
  local mixed = { columns = { "name", "n", "note", "m" }, rows = { { "x", 1, "text", 2 }, { "y", 3, "more", 4 } } }
  eq(#elements(report.line(mixed), "polyline"), 2, "by default only the columns of numbers are drawn")
end)

test("timeline: one slot per year, gaps for missing years, round-year labels", function()
  local svg = report.timeline({ ["1990"] = 2, ["1993"] = 4, ["1991-06-01"] = 1, ["1991-07-01"] = 1 },
                              { title = "Speeches" })
  check_standalone(svg, "timeline")
  local bars = elements(svg, "rect")
  table.remove(bars, 1)
  eq(#bars, 3, "bars for 1990, 1991 and 1993 (1992 is a gap)")
  eq(bars[2].height, bars[1].height, "1991 sums its dates to 2, like 1990")
  assert(math.abs(bars[3].height / bars[1].height - 2) < 0.01, "1993 is twice 1990")
  local slot = bars[2].x - bars[1].x
  assert(math.abs((bars[3].x - bars[2].x) - 2 * slot) < 0.01, "the gap year keeps its slot")
  assert(svg:find("<title>1993: 4</title>", 1, true), "bar tooltips")
  -- Two centuries: labels only at round years.
  local m = {}
  for y = 1800, 1999 do m[tostring(y)] = y % 7 end
  svg = report.timeline(m)
  local labels = {}
  for l in svg:gmatch('<g class="x%-axis">(.-)</g>') do
    for text in l:gmatch(">(%d+)</text>") do labels[#labels + 1] = tonumber(text) end
  end
  assert(#labels >= 4 and #labels <= 25, #labels .. " labels")
  local step = labels[2] - labels[1]
  for _, y in ipairs(labels) do eq(y % step, 0, "label " .. y .. " is a round year") end
  eq(report.timeline({}):find("<svg", 1, true) ~= nil, true, "an empty timeline is still a chart")
end)

-- }}}

test("the library runs in a sandbox of base, string, table, math and utf8", function()
  local f = assert(io.open(SRC .. "/lua/report.lua", "rb"))
  local src = f:read("a")
  f:close()
  local env = {}
  for _, k in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
                       "tostring", "type", "getmetatable", "setmetatable", "rawget", "rawequal",
                       "rawlen", "rawset", "xpcall" }) do
    env[k] = _G[k]
  end
  env.string, env.table, env.math, env.utf8 = string, table, math, utf8
  setmetatable(env, {
    __index = function(_, k) error("report.lua reads the global " .. tostring(k), 2) end,
    __newindex = function(_, k) error("report.lua sets the global " .. tostring(k), 2) end,
  })
  local chunk = assert(load(src, "=report.lua", "t", env))
  local r = chunk()
  local t = nasty_table()
  r.csv(t); r.tojson(t); r.json({ t }); r.markdown(t); r.html_page(t)
  r.bar(t, { y = "x,y" }); r.line(t, { x = "n", y = "x,y" })
  r.timeline({ ["2001"] = 1, ["2005"] = 3 })
  r.options({ "--a", "1" }, { a = 0 })
end)

-- {{{ The example reports, against a stand-in for the arca module

local RECORDS = {
  { id = "r1", title = "On war", date = "1850-01-01", author = "Kim", board = "News", text = "war and peace union" },
  { id = "r2", title = "Peace", date = "1850-06-01", author = "Lee", board = "News", text = "peace treaty" },
  { id = "r3", title = "Tariffs", date = "1852", author = "Kim", board = "Notice", text = "tariff union war" },
  { id = "r4", title = "War again", date = "1855-03-03", author = "Park", board = "News", text = "war union" },
  { id = "r5", title = "Quiet", date = "1855-04-04", author = "Kim", board = "Forum", text = "harvest" },
}

local function matches(rec, q)
  q = q:gsub("^%s+", ""):gsub("%s+$", "")
  if q == "" then return true end
  local parts = {}
  if q:find("^%(") then
    for p in q:gmatch("%b()") do parts[#parts + 1] = p:sub(2, -2) end
  else
    for w in q:gmatch("%S+") do parts[#parts + 1] = w end
  end
  for _, p in ipairs(parts) do
    if p:find("%s") or p:find("^%(") then
      if not matches(rec, p) then return false end
    else
      local lo, hi = p:match("^year:(%d+)%.%.(%d+)$")
      if lo then
        local y = tonumber(rec.date:sub(1, 4))
        if y < tonumber(lo) or y > tonumber(hi) then return false end
      elseif not (" " .. rec.text .. " "):find(" " .. p:lower() .. " ", 1, true) then
        return false
      end
    end
  end
  return true
end

local FakeArca = {}
function FakeArca.open(dir)
  if dir ~= nil then return nil, "fake: only the default collection" end
  local c = {}
  function c:count(q) local n = 0; for _, r in ipairs(RECORDS) do if matches(r, q) then n = n + 1 end end; return n end
  function c:facets(q, names)
    local out = {}
    for _, name in ipairs(names) do
      local f = {}
      for _, r in ipairs(RECORDS) do
        if matches(r, q) then
          local v = name == "year" and r.date:sub(1, 4) or r[name]
          f[v] = (f[v] or 0) + 1
        end
      end
      out[name] = f
    end
    return out
  end
  function c:search(q)
    local i = 0
    return function()
      repeat i = i + 1 until RECORDS[i] == nil or matches(RECORDS[i], q)
      return RECORDS[i]
    end
  end
  return c
end

-- Runs lua/reports/NAME.lua with ARGS; returns its printed output.
local function run_report(name, ...)
  local path = SRC .. "/lua/reports/" .. name .. ".lua"
  local chunk = assert(loadfile(path))
  local printed = {}
  local saved_print, saved_arg = print, arg
  local saved_arca, saved_report = package.loaded["arca"], package.loaded["arca.report"]
  package.loaded["arca"], package.loaded["arca.report"] = FakeArca, report
  print = function(...)
    local t = table.pack(...)
    for k = 1, t.n do t[k] = tostring(t[k]) end
    printed[#printed + 1] = table.concat(t, "\t") .. "\n"
  end
  arg = table.pack(...)
  arg[0] = path
  local ok, err = pcall(chunk, ...)
  print, arg = saved_print, saved_arg
  package.loaded["arca"], package.loaded["arca.report"] = saved_arca, saved_report
  if not ok then error(name .. ": " .. tostring(err), 0) end
  return table.concat(printed)
end

test("example per-year: records per year as CSV, Markdown and a timeline", function()
  eq(run_report("per-year"), "year,count\r\n1850,2\r\n1852,1\r\n1855,2\r\n", "all records")
  eq(run_report("per-year", "war"), "year,count\r\n1850,1\r\n1852,1\r\n1855,1\r\n", "war")
  local md = run_report("per-year", "union", "--format", "md")
  assert(md:find("| 1850 | 1 |", 1, true), md)
  local svg = run_report("per-year", "--format=svg")
  check_standalone(svg, "per-year svg")
  eq(#elements(svg, "rect") - 1, 3, "three years with records, gaps between")
  local j = parse_json(run_report("per-year", "--format", "json"))
  eq(j.rows[3].year, "1855", "JSON rows")
end)

test("example top-authors: most frequent first, limited, by any facet", function()
  eq(run_report("top-authors"), "author,records\r\nKim,3\r\nLee,1\r\nPark,1\r\n", "authors")
  eq(run_report("top-authors", "--field", "board", "--limit", "1"), "board,records\r\nNews,3\r\n", "boards")
  check_standalone(run_report("top-authors", "--format", "svg"), "top-authors svg")
  raises(function() run_report("top-authors", "--field", "colour") end, "takes author, board", "bad field")
end)

test("example cooccurrence: a, b and both per year", function()
  eq(run_report("cooccurrence", "war", "union"),
     "year,a,b,both,share\r\n1850,1,1,1,1\r\n1852,1,1,1,1\r\n1855,1,1,1,1\r\n", "war and union")
  eq(run_report("cooccurrence", "peace", "war"),
     "year,a,b,both,share\r\n1850,2,1,1,0.5\r\n1852,0,1,0,0\r\n1855,0,1,0,0\r\n", "peace and war")
  eq(run_report("cooccurrence", "peace", "war", "--within", "year:1851..1860"),
     "year,a,b,both,share\r\n1852,0,1,0,0\r\n1855,0,1,0,0\r\n", "within a range")
  local svg = run_report("cooccurrence", "war", "peace", "--format", "svg")
  check_standalone(svg, "cooccurrence svg")
  eq(#elements(svg, "polyline"), 3, "three lines")
  raises(function() run_report("cooccurrence", "war") end, "give two terms", "one term")
end)

test("example timeline: an SVG chart of a query, or a page with its table", function()
  local svg = run_report("timeline", "war", "--title", "War <1850s>")
  check_standalone(svg, "timeline svg")
  assert(svg:find("War &lt;1850s&gt;", 1, true), "escaped title")
  eq(#elements(svg, "rect") - 1, 3, "bars for 1850, 1852 and 1855")
  local page = run_report("timeline", "war", "--format", "html")
  assert(page:find("<!DOCTYPE html>", 1, true) and page:find("<svg", 1, true) and page:find("<table>", 1, true),
         "a page with the chart and the table")
  eq(page:find("<?xml", 1, true), nil, "no XML declaration inside HTML")
  eq(run_report("timeline", "peace", "--format", "csv"), "year,records\r\n1850,2\r\n", "csv")
  raises(function() run_report("timeline") end, "give a query", "no query")
end)

-- }}}

print(string.format("# %d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
