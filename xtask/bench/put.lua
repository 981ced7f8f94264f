-- Durable creates of distinct blobs (If-None-Match: *), 512-byte bodies.
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tid
end
wrk.method = "PUT"
wrk.body = string.rep("x", 512)
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["If-None-Match"] = "*"
function request()
  counter = counter + 1
  return wrk.format(nil, "/api/v1/blobs/b" .. thread_id .. "-" .. counter)
end
