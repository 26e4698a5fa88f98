-- Sends pre-signed, distinct notifications in order; reports JSON from done().
local reqs = {}
local path = "/alipay/notify/authorization"

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local cid, rt, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", path, {
      ["Content-Type"] = "application/json; charset=UTF-8",
      ["Client-Id"] = cid,
      ["Request-Time"] = rt,
      ["Signature"] = sig,
    }, body)
  end
  file:close()
  -- optional second argument: start at this line (0-based), so runs can use different notifications
  i = tonumber(args[2] or "0") % #reqs
end

i = 0
function request()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
