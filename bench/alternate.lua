-- wrk: one-token completions; each connection alternates between the models in MODELS (comma-separated env).
local models = {}
for m in string.gmatch(os.getenv("MODELS") or "a", "[^,]+") do table.insert(models, m) end
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
local n = 0
function request()
  n = n + 1
  local model = models[((n + (offset or 0)) % #models) + 1]
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    '{"model":"' .. model .. '","prompt":"once","max_tokens":1}')
end
