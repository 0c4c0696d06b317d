-- Writing from a script: add a record with an attachment, import a
-- directory, and find both.
-- Usage: arca run write.lua ATTACHMENT DIR
local c = arca.open()
local before = c:count("")
local id = c:add{ title = "Harbour survey", date = "1901-05-02",
                  author = "Port Office", board = "notes", tags = { "survey" },
                  fields = { surveyor = "J. Smith", pages = 12 },
                  body = "The zanzibarium harbour was surveyed.",
                  attachments = { arg[1] } }
local sum = c:import(arg[2])
print("id " .. id)
print("found " .. c:count("zanzibarium"))
print("records " .. (c:count("") - before))
print("imported " .. sum.records .. " failed " .. sum.failed)
local r = c:record(id)
print("surveyor " .. r.extra.surveyor .. " tag " .. r.tags[1])
print("parts " .. #r.parts)
