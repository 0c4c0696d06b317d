-- An endless loop inside pcall, then more work: the instruction limit is
-- raised again at every instruction, so nothing after it runs.
print(pcall(function() while true do end end))
print("after the loop")
while true do end
