-- wrk script: GET /api/v1/locate at random points over the demo city.
--   wrk -t2 -c32 -d10s -s test/load/locate.lua http://127.0.0.1:8080
-- The box is the demo city's extent (its TileJSON bounds); about a fifth of
-- the points fall outside the district (404 with the nearest grid).
local minLon, minLat, maxLon, maxLat = 118.688, 31.942, 118.870, 32.039

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  local lon = minLon + math.random() * (maxLon - minLon)
  local lat = minLat + math.random() * (maxLat - minLat)
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.7f&lat=%.7f", lon, lat))
end
