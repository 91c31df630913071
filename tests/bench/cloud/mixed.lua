-- wrk script for BENCH api_requests_per_s: of every 10 requests, 4 list
-- apps, 3 list devices, 2 read a config and 1 writes it (PUT).
local token = os.getenv("KEEL_TOKEN")
local n = 0
request = function()
  n = n + 1
  local h = {["Authorization"] = "Bearer " .. token}
  local k = n % 10
  if k < 4 then
    return wrk.format("GET", "/v1/apps", h)
  elseif k < 7 then
    return wrk.format("GET", "/v1/devices?limit=50", h)
  elseif k < 9 then
    return wrk.format("GET", "/v1/configs/bench.key", h)
  end
  h["Content-Type"] = "application/json"
  return wrk.format("PUT", "/v1/configs/bench.key", h, '{"value":"v' .. n .. '"}')
end
