-- Write the extracted text of the newest hit of a query to stdout.
local c = arca.open()
for h in c:search(arg[1], { limit = 1, sort = "date" }) do
  io.write(h:text())
end
