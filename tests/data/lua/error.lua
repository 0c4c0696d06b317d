-- A script that fails two calls deep: the message names this file and
-- line 5 (called from line 8), and the traceback shows the calls.
local function inner(x)
  local t = nil
  return t.field + x
end
local function outer()
  local v = inner(1)
  return v
end
print("before")
outer()
print("never")
