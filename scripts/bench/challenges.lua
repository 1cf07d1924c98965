-- GET /api/challenges, each request as the next of many logged-in players.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  cookies = {}
  for line in io.lines(os.getenv("COOKIES")) do cookies[#cookies + 1] = line end
  i = id
end
function request()
  i = i + 1
  return wrk.format("GET", "/api/challenges", { ["Cookie"] = cookies[(i % #cookies) + 1] })
end
