-- Shared by every scenario (loaded with dofile from STOA_BENCH_LUA): a URL-encoder for form
-- bodies, a per-thread number for unique keys, and one machine-readable result line.
--
-- wrk runs one Lua state per thread plus one for setup/done; setup() runs in the main state
-- and hands each thread its number, so values built from it never collide across threads.

local threads_made = 0

function setup(thread)
   threads_made = threads_made + 1
   thread:set("thread_no", threads_made)
end

-- application/x-www-form-urlencoded, as a browser sends it.
function urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      if c == " " then return "+" end
      return string.format("%%%02X", string.byte(c))
   end))
end

-- One line bench/run.sh parses: exact microsecond percentiles instead of wrk's rounded,
-- unit-varying text. errors.status counts responses with status > 399 (wrk's
-- "Non-2xx or 3xx responses"), so 303 redirects after a POST count as successes.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%.0f duration_us=%.0f p50_us=%.0f p95_us=%.0f p99_us=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f status=%.0f\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status))
end
