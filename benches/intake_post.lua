-- wrk script for benches/intake: valid submissions to POST /add-request/ (the server-to-server API),
-- each from its own visitor address (X-Forwarded-For; the server trusts 127.0.0.1 as its proxy), half
-- of them with the email and phone of an existing contact (read from $PEOPLE), so matching has work.
local token = os.getenv("TOKEN")
local people = {}
local f = io.open(os.getenv("PEOPLE") or "", "r")
if f then
  for line in f:lines() do
    local email, phone = line:match("^([^\t]*)\t(.*)$")
    if email then people[#people + 1] = { email, phone } end
  end
  f:close()
end
local n = 0
local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
request = function()
  n = n + 1
  local email, phone = "visitor" .. math.random(1, 1e9) .. "@mail.example", "+1 555 " .. math.random(1000000, 9999999)
  if #people > 0 and n % 2 == 0 then
    local p = people[math.random(1, #people)]
    email, phone = p[1], p[2]
  end
  local body = "leadsource_token=" .. token .. "&name=" .. enc("Mr. Visitor Number" .. n) .. "&email=" .. enc(email)
    .. "&phone=" .. enc(phone) .. "&company=" .. enc("Company " .. math.random(1, 50000))
    .. "&subject=" .. enc("Quote request " .. n) .. "&message=" .. enc("Please send a quote for item " .. n)
    .. "&country=Germany&city=Berlin"
  local ip = math.random(1, 223) .. "." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("POST", "/add-request/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = ip,
  }, body)
end
