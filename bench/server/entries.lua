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
-- BENCH_START: where in the sequence to begin (a later run's entries are
-- then from other tokens than an earlier run's).
local n = tonumber(os.getenv("BENCH_START") or "0")
function request()
  local per = math.floor((#bodies - reserve) / nthreads)
  local i = (tid - 1) * per + (n % per) + 1
  local tok = tokens[((tid - 1) * 7 + n + math.floor(n / per)) % #tokens + 1]
  n = n + 1
  return wrk.format("POST", "/api/v1/entries",
    { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" },
    bodies[i])
end
-- BENCH_DELAY_MS: each connection waits this long between requests (an
-- offered rate of connections × 1000 / delay per second).
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms then
  function delay() return delay_ms end
end
