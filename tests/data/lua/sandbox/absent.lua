-- What the sandbox leaves out, and what it keeps.
print("absent", dofile, loadfile, string.dump, debug, package, io, os,
      coroutine)
local a, r = require "arca", require "arca.report"
print("present", type(a.open), type(r), type(string.format), type(math.floor),
      type(table.concat), type(utf8.char), type(load))
-- A binary chunk (the header of Lua 5.4 bytecode) is refused, text is not.
local f, err = load("\27Lua\84\0\25\147\13\10\26\10\4\8\8xV\0\0")
print("bytecode", f, err)
local g = load("return os, io, 1 + 1")
print("text", g())
-- The environment of a loaded chunk is the sandbox's too.
print("env", load("return require")() == require)
