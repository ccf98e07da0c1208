-- lookup.lua: wrk script for bench/lookup's highest-rate run. Each request
-- is the URL's path plus a query string picked at random from a file (one
-- "account=..." or "phone=..." a line), so that the server cannot answer
-- one hot key from a cache. The token goes in with wrk -H.
--
--   wrk -t2 -c32 -d30s -s bench/lookup.lua -H "Authorization: Bearer T" \
--       http://127.0.0.1:8080/api/v1/lookup -- QUERY_FILE

local queries = {}
local counter = 0

-- setup runs once per thread in the main state: number the threads so each
-- seeds its generator differently.
function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
end

function init(args)
	local f = assert(io.open(args[1], "r"))
	for line in f:lines() do
		if line ~= "" then
			queries[#queries + 1] = wrk.path .. "?" .. line
		end
	end
	f:close()
	assert(#queries > 0, "no queries in " .. args[1])
	math.randomseed(id * 7919)
end

function request()
	return wrk.format("GET", queries[math.random(#queries)])
end
