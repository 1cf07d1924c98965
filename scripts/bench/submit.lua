-- POST /api/submit: every request is a new correct solve. Thread t sends
-- solve numbers t, t+T, t+2T, ...; solve k is player k/M, challenge k%M+1.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  cookies = {}
  for line in io.lines(os.getenv("COOKIES")) do cookies[#cookies + 1] = line end
  nthreads = tonumber(os.getenv("THREADS"))
  m = tonumber(os.getenv("CHALLENGES"))
  k = id
end
function request()
  local user = math.floor(k / m)
  local chal = (k % m) + 1
  k = k + nthreads
  return wrk.format("POST", "/api/submit",
    { ["Cookie"] = cookies[(user % #cookies) + 1], ["Content-Type"] = "application/json" },
    '{"id":' .. chal .. ',"flag":"flag{c' .. chal .. '}"}')
end
