-- Durable creates of distinct blobs (If-None-Match: *), 512-byte bodies,
-- spread over the accounts in COOKIES (comma-separated), as many users
-- saving at once would be.
local counter = 0
local thread_id = 0
local threads = {}
local cookies = {}
for cookie in string.gmatch(os.getenv("COOKIES") or os.getenv("COOKIE") or "", "[^,]+") do
  table.insert(cookies, cookie)
end
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tid
end
local body = string.rep("x", 512)
function request()
  counter = counter + 1
  local headers = {
    ["Cookie"] = cookies[(counter % #cookies) + 1],
    ["Content-Type"] = "application/octet-stream",
    ["If-None-Match"] = "*",
  }
  return wrk.format("PUT", "/api/v1/blobs/b" .. thread_id .. "-" .. counter, headers, body)
end
