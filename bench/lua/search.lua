-- Searching: GET /search?q=… with a different query each request, read from a file of
-- URL-encoded queries (one per line), so the engine cannot answer from a warm cache alone.
--
-- Arguments (after wrk's `--`): the queries file.
--
-- Searches are limited per client address (60 a minute), so, as for log-ins, every request
-- claims a different client in X-Forwarded-For (198.18.0.0/15, the range set aside for
-- benchmarks; only a header); the server must run with STOA_TRUST_PROXY_HEADERS=true.
dofile(os.getenv("STOA_BENCH_LUA") .. "/common.lua")

local queries = {}
local counter = 0

function init(args)
   for line in io.lines(args[1]) do
      if line ~= "" then queries[#queries + 1] = line end
   end
   if #queries == 0 then error("no queries in " .. args[1]) end
end

function request()
   counter = counter + 1
   wrk.headers["X-Forwarded-For"] = string.format("198.%d.%d.%d", 18 + thread_no % 2,
      math.floor(counter / 256) % 256, counter % 256)
   local q = queries[(counter * 7 + thread_no) % #queries + 1]
   return wrk.format("GET", "/search?q=" .. q)
end
