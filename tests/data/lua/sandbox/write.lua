-- The collection is read-only in the sandbox; searching works.
local c = arca.open()
print("count", c:count("union"))
local ok, err = pcall(c.add, c, { title = "x", body = "y" })
print("add", ok, err)
ok, err = pcall(c.import, c, "/tmp")
print("import", ok, err)
ok, err = pcall(arca.open, "/")
print("open", ok, err)
