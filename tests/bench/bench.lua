-- wrk script of `make bench`: the session cookie of the role (BENCH_COOKIE), a fixed User-Agent (the one the harness
-- signed in with, so that Flask-Login's session protection sees the same browser) and, when BENCH_PAGES > 0, a random
-- page from 1 to BENCH_PAGES appended to the path of each request.

local cookie = os.getenv("BENCH_COOKIE") or ""
local pages = tonumber(os.getenv("BENCH_PAGES") or "0") or 0
local separator = string.find(wrk.path, "?", 1, true) and "&" or "?"

wrk.headers["User-Agent"] = os.getenv("BENCH_USER_AGENT") or "portal-bench"
if cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (number or 0))
end

if pages > 0 then
  function request()
    return wrk.format(nil, wrk.path .. separator .. "page=" .. math.random(1, pages))
  end
end
