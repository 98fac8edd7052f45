-- The one request script for every HTTP figure (subject and hello-world baseline alike): POST /invoices
-- bodies spread over the customers in BENCH_CUSTOMERS, each with its own Idempotency-Key. With
-- BENCH_DELAY_MS each connection waits that long after each response (a paced, lighter load).
local token = os.getenv("BENCH_TOKEN") or ""
local prefix = os.getenv("BENCH_KEY_PREFIX") or "bench"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local customers = {}
for id in string.gmatch(os.getenv("BENCH_CUSTOMERS") or "1", "[^,]+") do
  customers[#customers + 1] = id
end
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function request()
  counter = counter + 1
  local customer = customers[(counter % #customers) + 1]
  local body = '{"customer_id":"' .. customer .. '","purchase_date":"2024-05-17","purchase_price_cents":'
    .. (100 + counter % 900) .. '}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. (thread_number or 0) .. "-" .. counter,
  }
  return wrk.format("POST", "/invoices", headers, body)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
