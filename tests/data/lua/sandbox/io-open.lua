-- The sandbox has no io: this fails on line 2.
local f = io.open("/etc/passwd")
print(f:read("a"))
