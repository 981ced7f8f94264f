-- Sign-ins with the right password, as many users signing in at once
-- would: each request signs in the next of the accounts in KH_USERS
-- (comma-separated), from its own address (the bench server trusts
-- loopback as a proxy, so X-Forwarded-For names the client). Every one
-- costs an Argon2id hash (19 MiB, 2 passes) behind the server's hashing
-- gate; past the cap the server answers 503 with Retry-After.
local users = {}
for user in string.gmatch(os.getenv("KH_USERS") or "", "[^,]+") do
  table.insert(users, user)
end
local password = os.getenv("KH_PASSWORD")
local counter = 0
function request()
  counter = counter + 1
  local body = '{"username":"' .. users[(counter % #users) + 1] .. '","password":"' .. password .. '"}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = "10." .. (counter % 250) .. "." .. (math.floor(counter / 250) % 250) .. "." .. math.random(1, 250),
  }
  return wrk.format("POST", "/api/v1/session", headers, body)
end
