-- POST /api/v1/entries: bodies from BENCH_ENTRIES (one JSON a line), each
-- thread its own slice, tokens from BENCH_TOKENS taken in turn. Once the
-- bodies run out a thread starts over with the next token: second
-- entries that agree.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local bodies = lines(os.getenv("BENCH_ENTRIES"))
local tokens = lines(os.getenv("BENCH_TOKENS"))
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
-- The last 100 bodies are kept for agree.py.
local reserve = 100
local n = 0
function request()
  local per = math.floor((#bodies - reserve) / nthreads)
  local i = (tid - 1) * per + (n % per) + 1
  local tok = tokens[((tid - 1) * 7 + n + math.floor(n / per)) % #tokens + 1]
  n = n + 1
  return wrk.format("POST", "/api/v1/entries",
    { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" },
    bodies[i])
end
