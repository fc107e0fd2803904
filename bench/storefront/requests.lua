-- wrk script: POSTs GraphQL bodies read from $BODIES (one JSON document per line), round-robin
-- per thread, and counts responses that are not 200 or carry GraphQL errors. A line may start
-- with one request header and a tab ("X-Cart-Token: abc<TAB>{...}") for requests that need it.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BODIES")) do
    if #line > 0 then
      local headers = { ["Content-Type"] = "application/json" }
      local name, value, body = string.match(line, "^([%w-]+): ([^\t]*)\t(.*)$")
      if name then headers[name] = value else body = line end
      bodies[#bodies + 1] = { headers = headers, body = body }
    end
  end
  counter = 0
  bad = 0
end

function request()
  counter = counter % #bodies + 1
  local r = bodies[counter]
  return wrk.format("POST", "/graphql", r.headers, r.body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    if bad == 0 then io.stderr:write("error response: " .. string.sub(body, 1, 400) .. "\n") end
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local s = summary.errors
  io.write(string.format(
    "RESULT requests=%d bad=%d socket_errors=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f secs=%.2f\n",
    summary.requests, bad_total, s.connect + s.read + s.write + s.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.duration / 1e6))
end
