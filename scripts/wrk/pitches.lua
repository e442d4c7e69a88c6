-- wrk script for the sample API. Arguments after "--":
--   prefix ("" for the cached endpoints, "/raw" for plain Npgsql), mode ("hit" or "mixed"),
--   first and last pitch id, last user id.
-- hit:   GET {prefix}/pitches/{id} over 8 ids (every read a cache hit once warm)
-- mixed: 50 % pitch page, 20 % comments, 15 % feed, 10 % like, 5 % title change; ids skewed
--        toward the first (a cube of a uniform number: popular pitches are read most)
local prefix, mode, first, last, users = "", "hit", 1, 8, 1
local counter = 0

function init(args)
  prefix = args[1] or ""
  if prefix == "-" then prefix = "" end
  mode = args[2] or "hit"
  first = tonumber(args[3] or "1")
  last = tonumber(args[4] or "8")
  users = tonumber(args[5] or "1")
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local function skewed()
  local r = math.random()
  return first + math.floor((last - first) * r * r * r)
end

request = function()
  if mode == "hit" then
    counter = counter + 1
    return wrk.format("GET", prefix .. "/pitches/" .. (first + counter % 8))
  end
  local x = math.random(100)
  local id = skewed()
  if x <= 50 then
    return wrk.format("GET", prefix .. "/pitches/" .. id)
  elseif x <= 70 then
    return wrk.format("GET", prefix .. "/pitches/" .. id .. "/comments")
  elseif x <= 85 then
    return wrk.format("GET", prefix .. "/feed")
  elseif x <= 95 then
    return wrk.format("POST", prefix .. "/pitches/" .. id .. "/likes/" .. math.random(1, users))
  else
    return wrk.format("PUT", prefix .. "/pitches/" .. id .. "/title", { ["Content-Type"] = "application/json" },
      '{"title":"Edited ' .. math.random(100000) .. '"}')
  end
end

local errors = 0
response = function(status, headers, body)
  if status >= 400 and status ~= 404 then errors = errors + 1 end
end
