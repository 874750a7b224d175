-- GET /api/v1/stations/{id} for random ids of BENCH_STATIONS (one a line).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = lines(os.getenv("BENCH_STATIONS"))
local path = os.getenv("BENCH_PATH") or "/api/v1/stations/"
function init(args)
  math.randomseed(tid * 7919)
end
function request()
  return wrk.format("GET", path .. ids[math.random(#ids)])
end
