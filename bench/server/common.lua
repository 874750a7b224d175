-- Shared by the wrk scripts of bench/server.sh: per-thread status counts,
-- printed once at the end, and lines of a file.
threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end
counts = {}
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if marker and body and body:find(marker, 1, true) then
    marked = (marked or 0) + 1
  end
end
function done(summary, latency, requests)
  local tot, m = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do tot[k] = (tot[k] or 0) + v end
    m = m + (t:get("marked") or 0)
  end
  local keys = {}
  for k in pairs(tot) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do io.write(string.format("status %d: %d\n", k, tot[k])) end
  if marker then io.write(string.format("marked (%s): %d\n", marker, m)) end
  io.write(string.format("p50 %.1f ms  p99 %.1f ms  max %.1f ms  req/s %.1f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6)))
end
