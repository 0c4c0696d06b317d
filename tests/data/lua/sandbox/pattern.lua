-- One library call that backtracks for minutes: the watchdog ends it.
local s = string.rep("a", 5000)
print(string.find(s, ".-.-.-.-.-b"))
