-- A table that grows past the limit inside pcall: pcall sees the error,
-- but the script ends at its next instruction.
local ok, err = pcall(function()
  local t = {}
  for i = 1, 1 << 40 do t[i] = i end
end)
print("swallowed", ok, err)
