-- wrk script for the sample API. Arguments after "--":
--   prefix ("" for the cached endpoints, "/raw" for plain Npgsql), mode ("hit" or "mixed"),
--   first and last pitch id, last user id.
-- hit:   GET {prefix}/pitches/{id} over 8 ids (every read a cache hit once warm)
-- mixed: the demo workload's weights for the five operations the API serves (pitch_detail 20,
--        public_feed 15, pitch_comments 8, like_pitch 2, update_pitch 2 of 47); pitch ids
--        Zipf-distributed (s = 1, as the demo workload: the k-th most popular pitch is read about
--        1/k as often as the first), likers uniform
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

-- Zipf with s = 1 by its continuous inverse: P(rank <= k) = ln(k) / ln(n)
local function skewed()
  local n = last - first + 1
  return first + math.min(n, math.floor(math.exp(math.random() * math.log(n + 1)))) - 1
end

request = function()
  if mode == "hit" then
    counter = counter + 1
    return wrk.format("GET", prefix .. "/pitches/" .. (first + counter % 8))
  end
  local x = math.random(47)
  local id = skewed()
  if x <= 20 then
    return wrk.format("GET", prefix .. "/pitches/" .. id)
  elseif x <= 28 then
    return wrk.format("GET", prefix .. "/pitches/" .. id .. "/comments")
  elseif x <= 43 then
    return wrk.format("GET", prefix .. "/feed")
  elseif x <= 45 then
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
