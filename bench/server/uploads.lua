-- POST /api/v1/uploads of the photo BENCH_PHOTO, made unique per request by
-- a JPEG comment segment after the start-of-image marker (so that each is a
-- new photo to store and decode); counts the answers that say the code was
-- read at once.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
marker = '"qr":"read"'
local f = assert(io.open(os.getenv("BENCH_PHOTO"), "rb"))
local photo = f:read("*a")
f:close()
local tokens = lines(os.getenv("BENCH_TOKENS"))
local n = 0
function request()
  n = n + 1
  local tag = string.format("bench-%d-%d-%d", tid, n, math.random(1e9))
  local com = "\255\254" .. string.char(0, #tag + 2) .. tag
  local body = "--B\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
    .. "Content-Type: image/jpeg\r\n\r\n" .. photo:sub(1, 2) .. com .. photo:sub(3)
    .. "\r\n--B--\r\n"
  local tok = tokens[(tid * 13 + n) % #tokens + 1]
  return wrk.format("POST", "/api/v1/uploads",
    { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "multipart/form-data; boundary=B" },
    body)
end
