-- A finalizer would run with the hooks off: __gc is refused.
setmetatable({}, { __gc = function() while true do end end })
