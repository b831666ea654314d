-- A plain GET of the URL on wrk's command line (headers such as Cookie come from -H).
-- Only here to share the result line of common.lua.
dofile(os.getenv("STOA_BENCH_LUA") .. "/common.lua")
