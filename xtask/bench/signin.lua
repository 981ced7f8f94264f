-- Sign-ins with the right password, as everyone signing in at once would.
-- Every one costs an Argon2id hash (19 MiB, 2 passes) behind the server's
-- hashing gate; at the cap the server answers 503 with Retry-After.
wrk.method = "POST"
wrk.path = "/api/v1/session"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"' .. os.getenv("KH_USER") .. '","password":"' .. os.getenv("KH_PASSWORD") .. '"}'
