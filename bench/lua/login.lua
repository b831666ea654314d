-- Logging in: POSTs /login with a correct password.
--
-- Arguments (after wrk's `--`): CSRF token, guest form secret (the stoa_form cookie),
-- username, password, origin (the base URL).
--
-- Log-in attempts are limited to 6 a minute (and 30 an hour) per client address, so every request claims a
-- different client in X-Forwarded-For (198.18.0.0/15, the range set aside for benchmarks:
-- 198.<18 + thread>.<n>.<n>; only a header, no traffic goes there); the server must run with
-- STOA_TRUST_PROXY_HEADERS=true to believe it. This simulates many clients logging in at
-- once. Success is a 303 with a new session cookie; 422 (wrong password) or 429 (limited)
-- count as errors.
dofile(os.getenv("STOA_BENCH_LUA") .. "/common.lua")

local body
local counter = 0

function init(args)
   body = "csrf=" .. urlencode(args[1]) .. "&login=" .. urlencode(args[3]) ..
      "&password=" .. urlencode(args[4]) .. "&next=%2F"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "stoa_form=" .. args[2]
   wrk.headers["Origin"] = args[5]
end

function request()
   counter = counter + 1
   -- wrk.format replaces wrk.headers when given headers, so the address goes into wrk.headers.
   wrk.headers["X-Forwarded-For"] = string.format("198.%d.%d.%d", 18 + thread_no % 2,
      math.floor(counter / 256) % 256, counter % 256)
   return wrk.format("POST", "/login", nil, body)
end
