-- A string too big for the memory limit.
local s = string.rep("x", 1 << 30)
print(#s)
