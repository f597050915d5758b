-- wrk: a small non-streaming completion (one token) through whichever endpoint is under test.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"tiny","prompt":"once","max_tokens":1}'
