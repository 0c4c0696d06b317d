-- Recursion without end.
local function down(n) return 1 + down(n + 1) end
print(down(1))
