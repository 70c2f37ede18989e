-- wrk script: every request is the next line of a prepared file, so requests rotate over users
-- (session cookies) and targets. Line format (tab-separated):
--   METHOD  PATH  COOKIE  CSRF_TOKEN  BODY
-- A non-empty CSRF_TOKEN is sent as X-CSRF-Token (it equals the csrftoken cookie) with a JSON body.
-- Thread i of n takes lines i, i+n, i+2n, ... so no two requests share a line until the file
-- wraps around (counted as `wraps`; writes need files long enough to never wrap).
-- Usage: wrk -t2 -c32 -d15s -s rotate.lua http://host:port -- /path/to/requests.tsv

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = #args >= 2 and tonumber(args[2]) or 1
  requests = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local method, path, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Cookie"] = cookie, ["Accept"] = "application/json, text/html" }
    if csrf ~= "" then
      headers["X-CSRF-Token"] = csrf
      headers["Content-Type"] = "application/json"
    end
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  file:close()
  index = tid + 1
  wraps = 0
  bad = 0
  redirects = 0
end

function request()
  local r = requests[index]
  index = index + nthreads
  if index > #requests then
    index = tid + 1
    wraps = wraps + 1
  end
  return r
end

function response(status, headers, body)
  if status >= 400 then
    bad = bad + 1
  elseif status >= 300 then
    redirects = redirects + 1
  end
end

function done(summary, latency, requests)
  local total_wraps, total_bad, total_redirects = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_wraps = total_wraps + (thread:get("wraps") or 0)
    total_bad = total_bad + (thread:get("bad") or 0)
    total_redirects = total_redirects + (thread:get("redirects") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"non_2xx": %d, "redirects": %d, "wraps": %d, '
      .. '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "stdev": %.1f, '
      .. '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    total_bad, total_redirects, total_wraps,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9)))
end
