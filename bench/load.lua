-- wrk script for bench/load.py: every connection asks for the council overviews in turn,
-- signed in as a member, and any answer but 200 counts as an error (a 302 to the sign-in
-- page would otherwise pass as fast and fine).
--
--   wrk -t2 -c16 -d30s -s bench/load.lua http://127.0.0.1:PORT -- "sessionid=..." paths.txt 2
--
-- paths.txt: one path a line; 2: the threads (-t), to spread their starting points.
-- done() prints one line, "wrk-result {json}", for load.py to read.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  cookie = args[1]
  paths = {}
  for line in io.lines(args[2]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  -- Threads start at different councils so they do not ask for the same page together.
  position = math.floor((id - 1) * #paths / tonumber(args[3]))
  non_200 = 0
end

function request()
  position = position + 1
  local path = paths[(position % #paths) + 1]
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  end
end

function done(summary, latency, requests)
  local non_200_total = 0
  for _, thread in ipairs(threads) do
    non_200_total = non_200_total + thread:get("non_200")
  end
  local e = summary.errors
  io.write(string.format(
    'wrk-result {"duration_us": %d, "requests": %d, "bytes": %d, "non_200": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.duration, summary.requests, summary.bytes, non_200_total,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max
  ))
end
