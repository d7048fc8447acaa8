-- Replays the requests listed in a file, in order, round and round (one per line:
-- METHOD <tab> path <tab> body <tab> "Header: value|Header: value"), counts the
-- status codes it gets, and prints one "BENCH {json}" line at the end.
-- Usage: wrk ... -s bench/lua/requests.lua URL -- requests.tsv

local threads = {}
local reqs = {}
local i = 0
c2, c3, c304, c4, c5 = 0, 0, 0, 0, 0

local function split(s, sep)
  local out = {}
  for piece in (s .. sep):gmatch("(.-)" .. sep) do table.insert(out, piece) end
  return out
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      local f = split(line, "\t")
      local headers = {}
      for _, h in ipairs(split(f[4] or "", "|")) do
        local k, v = h:match("^([^:]+):%s*(.*)$")
        if k then headers[k] = v end
      end
      local body = f[3] ~= "" and f[3] or nil
      table.insert(reqs, wrk.format(f[1], f[2], headers, body))
    end
  end
  -- each thread starts at a different place in the list (the first at the top)
  i = ((wrk.thread:get("id") or 1) - 1) * 7919
end

function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end

function response(status, headers, body)
  if status == 304 then c304 = c304 + 1
  elseif status < 300 then c2 = c2 + 1
  elseif status < 400 then c3 = c3 + 1
  elseif status < 500 then c4 = c4 + 1
  else c5 = c5 + 1 end
end

function done(summary, latency, requests)
  local n = {c2 = 0, c3 = 0, c304 = 0, c4 = 0, c5 = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(n) do n[k] = n[k] + (t:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"c2": %d, "c3": %d, "c304": %d, "c4": %d, "c5": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    n.c2, n.c3, n.c304, n.c4, n.c5))
end
