-- wrk script: GET /api/v1/locate at random points over the demo city.
--   wrk -t1 -c16 -d10s --latency -s test/load/locate.lua http://127.0.0.1:8080 [-- minLon minLat maxLon maxLat]
-- The default box is the demo city's extent (the bounds in /tiles/city.json);
-- points in it that fall outside the district get the 404 answer with the
-- nearest grid, the costlier path.
local minLon, minLat, maxLon, maxLat = 118.703, 31.919, 118.865, 32.065

function init(args)
  if #args == 4 then
    minLon, minLat, maxLon, maxLat = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  local lon = minLon + math.random() * (maxLon - minLon)
  local lat = minLat + math.random() * (maxLat - minLat)
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.7f&lat=%.7f", lon, lat))
end
