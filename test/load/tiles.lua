-- wrk script: GET baked vector tiles at random over the demo city, asking
-- for gzip as a browser does.
--   wrk -t1 -c16 -d10s --latency -s test/load/tiles.lua http://127.0.0.1:8080 [-- VERSION [minzoom maxzoom]]
-- VERSION is the data version in the tile URLs of /tiles/city.json (the
-- "v" parameter); without it the server still answers, with a shorter
-- cache lifetime. Zooms default to 14..16; the box is the demo city's
-- extent (the bounds in /tiles/city.json).
local minLon, minLat, maxLon, maxLat = 118.703, 31.919, 118.865, 32.065
local version, minZ, maxZ = "", 14, 16

function init(args)
  if #args >= 1 then version = "?v=" .. args[1] end
  if #args >= 3 then minZ, maxZ = tonumber(args[2]), tonumber(args[3]) end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

local function tile(lon, lat, z)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end

request = function()
  local z = math.random(minZ, maxZ)
  local x0, y1 = tile(minLon, minLat, z)
  local x1, y0 = tile(maxLon, maxLat, z)
  local x, y = math.random(x0, x1), math.random(y0, y1)
  return wrk.format("GET", string.format("/tiles/city/%d/%d/%d.mvt%s", z, x, y, version),
    { ["Accept-Encoding"] = "gzip" })
end
