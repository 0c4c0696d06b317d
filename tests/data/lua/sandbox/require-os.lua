-- require knows only arca and arca.report.
local os = require "os"
os.exit(0)
