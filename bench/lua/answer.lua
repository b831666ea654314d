-- The write path: POSTs the answer form of a few threads as a signed-in member.
--
-- Arguments (after wrk's `--`): CSRF token, session token, run nonce, thread ids separated
-- by commas, origin (the base URL). Each request carries a new idempotency key (the form's
-- `key` field, 16-64 URL-safe characters): with a repeated key the server would return the
-- earlier answer instead of storing a new one. Success is a 303 to the new answer.
dofile(os.getenv("STOA_BENCH_LUA") .. "/common.lua")

local csrf, nonce
local thread_ids = {}
local counter = 0

-- About 400 bytes of Markdown, like a real answer; the wrk thread and the counter make every
-- body different (the server refuses a member's same text twice within minutes).
local text = "Check the **best before** date first, then the storage.\n\n" ..
   "1. Keep it cold and dark.\n2. Pour it gently into a clean glass.\n\n" ..
   "```\nserving temperature: 8-12 C\n```\n\n" ..
   "More in [the style guidelines](https://example.com/styles). Answer %d-%d of this run."

function init(args)
   csrf, nonce = args[1], args[3]
   for id in string.gmatch(args[4], "%d+") do
      thread_ids[#thread_ids + 1] = id
   end
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "stoa_session=" .. args[2]
   wrk.headers["Origin"] = args[5]
end

function request()
   counter = counter + 1
   local thread_id = thread_ids[(counter % #thread_ids) + 1]
   local key = string.format("bench-%s-%d-%010d", nonce, thread_no, counter)
   local body = "csrf=" .. urlencode(csrf) .. "&key=" .. key ..
      "&body=" .. urlencode(string.format(text, thread_no, counter))
   return wrk.format("POST", "/q/" .. thread_id .. "/answer", nil, body)
end
