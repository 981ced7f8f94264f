-- GET one blob with the session cookie.
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.path = "/api/v1/blobs/keyring"
