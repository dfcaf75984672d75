"""The Lua scripts of the Redis store: each runs atomically on the server.

Claims, saves and journal updates must be all-or-nothing across processes and
machines; a script is the one Redis construct that gives that without a lock.
"""

# KEYS: answer, claim, answer, claim... ARGV: owner, now, until, claim px, skip retryable.
# Per key: the answer JSON (cached), 1 (mine) or 0 (claimed elsewhere).
_CLAIM = """
local owner, now, skip = ARGV[1], tonumber(ARGV[2]), ARGV[5] == '1'
local out = {}
for i = 1, #KEYS, 2 do
  local a, reply = redis.call('HMGET', KEYS[i], 'v', 'r', 'x'), false
  if a[1] and a[3] and a[3] ~= '' and tonumber(a[3]) <= now then
    redis.call('DEL', KEYS[i])
  elseif a[1] and not (skip and a[2] == '1') then
    reply = a[1]
  end
  if not reply then
    local c = redis.call('HMGET', KEYS[i + 1], 'owner', 'until')
    reply = (c[1] and c[1] ~= owner and tonumber(c[2]) > now) and 0 or 1
    if reply == 1 then
      redis.call('HSET', KEYS[i + 1], 'owner', owner, 'until', ARGV[3])
      redis.call('PEXPIRE', KEYS[i + 1], ARGV[4])
    end
  end
  out[#out + 1] = reply
end
return out
"""
# KEYS: answer, claim... ARGV: owner or '', px or '' (forever), now, address-set prefix,
# then 4 per answer: payload, retryable, expires_at or '', addresses (JSON list)
_PUT = """
local owner, px, eprefix = ARGV[1], ARGV[2], ARGV[4]
for i = 1, #KEYS, 2 do
  local j, akey = 5 + (i - 1) * 2, KEYS[i]
  local links, keep, old = cjson.decode(ARGV[j + 3]), {}, redis.call('HGET', akey, 'e')
  for _, e in ipairs(links) do keep[e] = true end
  for _, e in ipairs(old and cjson.decode(old) or {}) do
    if not keep[e] then redis.call('SREM', eprefix .. e, akey) end
  end
  redis.call('HSET', akey, 'v', ARGV[j], 'r', ARGV[j + 1], 'x', ARGV[j + 2],
             'e', ARGV[j + 3], 'c', ARGV[3])
  if px == '' then redis.call('PERSIST', akey) else redis.call('PEXPIRE', akey, px) end
  for _, e in ipairs(links) do
    local ekey = eprefix .. e
    local existed = redis.call('EXISTS', ekey)
    redis.call('SADD', ekey, akey)
    local left = redis.call('PTTL', ekey)  -- the set lives as long as its longest answer
    if px == '' then redis.call('PERSIST', ekey)
    elseif existed == 0 or (left >= 0 and left < tonumber(px)) then
      redis.call('PEXPIRE', ekey, px)
    end
  end
  if owner ~= '' and redis.call('HGET', KEYS[i + 1], 'owner') == owner then
    redis.call('DEL', KEYS[i + 1])
  end
end
return 1
"""
# KEYS: claims. ARGV: owner, new until ('' = release), px
_OWNED = """
for _, key in ipairs(KEYS) do
  if redis.call('HGET', key, 'owner') ~= ARGV[1] then
  elseif ARGV[2] == '' then redis.call('DEL', key)
  else redis.call('HSET', key, 'until', ARGV[2]); redis.call('PEXPIRE', key, ARGV[3]) end
end
return 1
"""
# KEYS: job. ARGV: open-set prefix, keys JSON, state, now, job id, done-retention px
_JOB_UPDATE = """
local op = redis.call('HGET', KEYS[1], 'operation')
if not op then return 0 end
redis.call('HSET', KEYS[1], 'keys', ARGV[2], 'state', ARGV[3], 'updated_at', ARGV[4])
if ARGV[3] == 'done' then
  redis.call('ZREM', ARGV[1] .. op, ARGV[5]); return redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
redis.call('PERSIST', KEYS[1])
return redis.call('ZADD', ARGV[1] .. op, redis.call('HGET', KEYS[1], 'created_at'), ARGV[5])
"""
# KEYS: claims. ARGV: new owner, until, px, then the dead owners.
# Per key: 1 when it was held by a dead owner and is now the new owner's, else 0.
_TAKE_OVER = """
local dead = {}
for i = 4, #ARGV do dead[ARGV[i]] = true end
local out = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('HGET', key, 'owner')
  if holder and dead[holder] then
    redis.call('HSET', key, 'owner', ARGV[1], 'until', ARGV[2])
    redis.call('PEXPIRE', key, ARGV[3])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""
