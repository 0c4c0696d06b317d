-- tests/eval/texts.lua: writes one JSON line per record listed in IDS.tsv
-- (lines "PATH<TAB>ID", from `arca import --log`): {"id", "source", "path",
-- "title_html", "text"}, where title_html is the raw text of the original
-- HTML file's <title> element (entities left as they are) and text the
-- extracted text of the record's body.
--
--   arca -C DIR run tests/eval/texts.lua IDS.tsv OUT.jsonl
local arca = require "arca"

local ids_path, out_path = arg[1], arg[2]
assert(ids_path and out_path, "usage: texts.lua IDS.tsv OUT.jsonl")

-- A JSON string literal: UTF-8 passes through, quotes, backslashes and
-- control characters are escaped.
local function jstr(s)
  s = tostring(s or "")
  return '"' .. s:gsub('[%c"\\]', function(ch)
    if ch == '"' then return '\\"' end
    if ch == "\\" then return "\\\\" end
    if ch == "\n" then return "\\n" end
    if ch == "\t" then return "\\t" end
    return string.format("\\u%04x", ch:byte())
  end) .. '"'
end

-- The text of the first <title> element of an HTML file, nil without one.
local function html_title(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local html = f:read("a")
  f:close()
  local lower = html:lower()           -- ASCII only: byte offsets are kept
  local open_s, open_e = lower:find("<title[^>]*>")
  if not open_s then return nil end
  local close_s = lower:find("</title>", open_e + 1, true)
  if not close_s then return nil end
  return html:sub(open_e + 1, close_s - 1)
end

local c = assert(arca.open())
local out = assert(io.open(out_path, "w"))
local n = 0
for line in io.lines(ids_path) do
  local path, id = line:match("^(.-)\t([^\t]+)$")
  if path then
    local r = assert(c:record(id, {text = true}), "no record " .. id)
    local text = r and r.parts and r.parts[1] and r.parts[1].text or ""
    out:write("{", '"id":', jstr(id), ',"source":', jstr(r and r.source or path),
              ',"path":', jstr(path), ',"title_html":', jstr(html_title(path)),
              ',"text":', jstr(text), "}\n")
    n = n + 1
  end
end
out:close()
c:close()
io.stderr:write(string.format("texts.lua: %d records\n", n))
