-- Wireshark dissector for the recall protocol (docs/PROTOCOL.md), UDP port 7412: check-ins,
-- proof requests, every answer type, and the signed notices, rotation statements and log proofs
-- inside answers. It decodes deterministic CBOR itself, bounded in depth and item count; any
-- fault (truncation, wrong type, non-deterministic encoding, unknown critical key) becomes
-- expert info on the packet, never a Lua error. Install: docs/WIRESHARK.md.

local recall = Proto("recall", "recall protocol")
local PORT = 7412
local MAX_DEPTH = 16    -- deeper than any valid message (PROTOCOL.md 3.1 allows 8)
local MAX_ITEMS = 4096  -- per packet: a 1200-byte datagram holds fewer items

local msg_types = {
	[1] = "check-in", [2] = "clear", [3] = "recalled", [4] = "retry-later",
	[5] = "unsupported", [6] = "rotate", [7] = "proof request", [8] = "proof",
	[9] = "private check-in", [10] = "bucket", [11] = "notice request",
}
local reasons = { [0] = "boot", [1] = "attach", [2] = "periodic", [3] = "retry", [4] = "recheck" }
local states = { [0] = "normal", [1] = "quarantined", [2] = "overridden" }
local actions = { [0] = "quarantine", [1] = "notify-only" }
local severities = { [0] = "none", [1] = "low", [2] = "medium", [3] = "high", [4] = "critical" }
local schemes = { [0] = "generic", [1] = "dpkg", [2] = "rpm" }
local ctypes = { [65100] = "notice", [65101] = "rotation statement" }

local F = {}
local function f(name, ctor, abbr, desc, ...)
	F[name] = ctor("recall." .. abbr, desc, ...)
end
local UTC = base.UTC
f("type", ProtoField.uint8, "type", "Message type", base.DEC, msg_types)
f("version", ProtoField.uint64, "version", "Protocol version")
f("nonce", ProtoField.bytes, "nonce", "Nonce")
f("reason", ProtoField.uint8, "reason", "Reason", base.DEC, reasons)
f("state", ProtoField.uint8, "state", "Device state", base.DEC, states)
f("vendor", ProtoField.string, "vendor", "Vendor")
f("model", ProtoField.string, "model", "Model")
f("hwrev", ProtoField.string, "hwrev", "Hardware revision")
f("fwver", ProtoField.string, "fwver", "Firmware version")
f("build_date", ProtoField.absolute_time, "build_date", "Build date", UTC)
f("digest", ProtoField.bytes, "digest", "Firmware image SHA-256")
f("epoch", ProtoField.uint64, "epoch", "Anchor epoch")
f("pad", ProtoField.uint32, "pad_len", "Pad length")
f("leaf", ProtoField.bytes, "leaf_hash", "Leaf hash")
f("ext", ProtoField.int64, "ext", "Extension key")
f("prefix", ProtoField.uint16, "private.prefix", "Model hash prefix (12 bits)", base.HEX)
f("page", ProtoField.uint8, "private.page", "Bucket page")
f("tag", ProtoField.bytes, "private.tag", "Model tag")
f("index", ProtoField.uint32, "private.index", "Notice index")
f("entries", ProtoField.uint32, "bucket.entries", "Bucket entries")
f("etag", ProtoField.bytes, "bucket.tag", "Listed model tag")
f("ecount", ProtoField.uint16, "bucket.count", "Notices of the listed model")
f("pages", ProtoField.uint8, "bucket.pages", "Bucket pages")
f("atype", ProtoField.uint8, "answer.type", "Answer type", base.DEC, msg_types)
f("serial", ProtoField.uint64, "answer.serial", "Feed serial")
f("delay", ProtoField.uint32, "answer.delay", "Retry delay (s)")
f("maxver", ProtoField.uint64, "answer.max_version", "Highest version spoken")
f("ctype", ProtoField.uint32, "cose.content_type", "Content type", base.DEC, ctypes)
f("kid", ProtoField.bytes, "cose.kid", "Signer key id")
f("nsig", ProtoField.uint32, "cose.signatures", "Signatures")
f("nid", ProtoField.string, "notice.id", "Notice id")
f("issued", ProtoField.absolute_time, "notice.issued", "Issued", UTC)
f("nbf", ProtoField.absolute_time, "notice.not_before", "Not before", UTC)
f("expiry", ProtoField.absolute_time, "notice.expiry", "Expiry", UTC)
f("nvendor", ProtoField.string, "notice.vendor", "Target vendor")
f("nmodel", ProtoField.string, "notice.model", "Target model")
f("nhwrev", ProtoField.string, "notice.hwrev", "Target hardware revision")
f("nfwver", ProtoField.string, "notice.fwver", "Target firmware version")
f("scheme", ProtoField.uint8, "notice.scheme", "Version scheme", base.DEC, schemes)
f("lower", ProtoField.string, "notice.lower", "Lower bound")
f("upper", ProtoField.string, "notice.upper", "Upper bound")
f("bfrom", ProtoField.absolute_time, "notice.built_from", "Built from", UTC)
f("bbefore", ProtoField.absolute_time, "notice.built_before", "Built before", UTC)
f("ndigest", ProtoField.bytes, "notice.digest", "Target image SHA-256")
f("action", ProtoField.uint8, "notice.action", "Action", base.DEC, actions)
f("severity", ProtoField.uint8, "notice.severity", "Severity", base.DEC, severities)
f("ref", ProtoField.string, "notice.reference", "Reference")
f("owner", ProtoField.string, "notice.owner_text", "Text for the owner")
f("url", ProtoField.string, "notice.remedy_url", "Remedy URL")
f("endpoint", ProtoField.string, "notice.endpoint", "Reachable endpoint")
f("from_epoch", ProtoField.uint64, "rotation.from_epoch", "From epoch")
f("next_epoch", ProtoField.uint64, "rotation.next_epoch", "Next epoch")
f("k", ProtoField.uint32, "rotation.k", "Threshold k")
f("key", ProtoField.bytes, "rotation.key", "Anchor public key")
f("revoked", ProtoField.bytes, "rotation.revoked", "Revoked key id")
f("log_origin", ProtoField.string, "rotation.log_origin", "Log origin")
f("tsize", ProtoField.uint64, "proof.size", "Tree size")
f("tindex", ProtoField.uint64, "proof.index", "Leaf index")
f("path", ProtoField.uint32, "proof.path_len", "Inclusion path hashes")
f("cosig_kid", ProtoField.bytes, "proof.witness", "Witness key id")
f("cosig_time", ProtoField.absolute_time, "proof.cosig_time", "Cosignature time", UTC)
local pf = {}
for _, v in pairs(F) do pf[#pf + 1] = v end
recall.fields = pf

local E = {
	malformed = ProtoExpert.new("recall.malformed", "Malformed recall message",
		expert.group.MALFORMED, expert.severity.ERROR),
	noncanon = ProtoExpert.new("recall.noncanonical", "Not deterministic CBOR",
		expert.group.PROTOCOL, expert.severity.WARN),
	critical = ProtoExpert.new("recall.unknown_key", "Unknown critical key",
		expert.group.PROTOCOL, expert.severity.WARN),
	size = ProtoExpert.new("recall.size", "Wrong datagram size",
		expert.group.PROTOCOL, expert.severity.WARN),
}
recall.experts = { E.malformed, E.noncanon, E.critical, E.size }

-- CBOR ---------------------------------------------------------------------------------------
-- A node: major, val (number; -1-n for negative), u64 (UInt64 for major 0), off, len (whole
-- item), coff/clen (string content), items (array), keys/vals (map), child (tag).
local function cbor(tvb, off, limit, depth, st)
	if depth > MAX_DEPTH then return nil, "nested deeper than " .. MAX_DEPTH, off end
	st.n = st.n + 1
	if st.n > MAX_ITEMS then return nil, "more than " .. MAX_ITEMS .. " items", off end
	if off >= limit then return nil, "truncated", off end
	local ib = tvb(off, 1):uint()
	local major, ai = math.floor(ib / 32), ib % 32
	local n, u64, hlen
	if ai < 24 then
		n, hlen = ai, 1
	elseif ai <= 27 then
		local w = ({ [24] = 1, [25] = 2, [26] = 4, [27] = 8 })[ai]
		if off + 1 + w > limit then return nil, "truncated", off end
		if w == 8 then
			u64 = tvb(off + 1, 8):uint64()
			n = u64:tonumber()
		else
			n = tvb(off + 1, w):uint()
		end
		hlen = 1 + w
		local min = ({ [24] = 24, [25] = 256, [26] = 65536, [27] = 4294967296 })[ai]
		if major ~= 7 and n < min and not st.nc then st.nc = off end
	elseif ai == 31 then
		return nil, "indefinite length (not deterministic CBOR)", off
	else
		return nil, "reserved additional information " .. ai, off
	end
	local node = { major = major, val = n, off = off, len = hlen }
	if major == 0 then
		node.u64 = u64 or UInt64(n)
	elseif major == 1 then
		node.val = -1 - n
	elseif major == 2 or major == 3 then
		if n > limit - off - hlen then return nil, "string runs past the end", off end
		node.coff, node.clen, node.len = off + hlen, n, hlen + n
	elseif major == 4 or major == 5 then
		local count = major == 5 and 2 * n or n
		if count > limit - off - hlen then return nil, "more items than bytes", off end
		local p = off + hlen
		local items, prev = {}, nil
		node.keys, node.vals = {}, {}
		for i = 1, count do
			local it, err, eo = cbor(tvb, p, limit, depth + 1, st)
			if not it then return nil, err, eo end
			if major == 5 and i % 2 == 1 then
				-- Deterministic order: encoded keys bytewise ascending, no repeats.
				if prev and not st.nc then
					local a, b = tvb(prev.off, prev.len):bytes(), tvb(it.off, it.len):bytes()
					local c = 0
					for j = 0, math.min(a:len(), b:len()) - 1 do
						if a:get_index(j) ~= b:get_index(j) then
							c = a:get_index(j) < b:get_index(j) and -1 or 1
							break
						end
					end
					if c == 0 then c = a:len() < b:len() and -1 or (a:len() > b:len() and 1 or 0) end
					if c >= 0 then st.nc = it.off end
				end
				prev = it
				node.keys[#node.keys + 1] = it
			elseif major == 5 then
				node.vals[#node.vals + 1] = it
			else
				items[#items + 1] = it
			end
			p = p + it.len
		end
		node.items, node.len = items, p - off
	elseif major == 6 then
		local it, err, eo = cbor(tvb, off + hlen, limit, depth + 1, st)
		if not it then return nil, err, eo end
		node.child, node.len = it, hlen + it.len
	end
	return node
end

-- A fault found while interpreting decoded items: carried up with error() as a table and
-- turned into expert info by the caller (pcall), so a bad packet never ends in a Lua error.
local function bad(node, msg)
	error({ off = node and node.off or 0, msg = msg }, 0)
end

local function want(node, major, what)
	if not node or node.major ~= major then bad(node, what .. ": wrong CBOR type") end
	return node
end

-- Parse a whole CBOR item spanning [off, off+len) of tvb; reports trailing bytes.
local function parse(tvb, off, len, what)
	local st = { n = 0 }
	local node, err, eo = cbor(tvb, off, off + len, 0, st)
	if not node then bad({ off = eo }, what .. ": " .. err) end
	if node.len ~= len then bad({ off = off + node.len }, what .. ": bytes after the item") end
	return node, st.nc
end

local function range(tvb, n) return tvb(n.off, n.len) end
local function crange(tvb, n) return tvb(n.coff, n.clen) end
local function text(tvb, n, what) want(n, 3, what) return crange(tvb, n):string(ENC_UTF_8) end
local function uint(n, what) return want(n, 0, what).val end

-- Walk a map with integer keys: fn(key, value) for each known key; negative keys are
-- extensions (shown), unknown non-negative keys get expert info.
-- Keys listed in need but absent get expert info too.
local function walk(tree, tvb, m, what, known, fn, need)
	want(m, 5, what)
	local seen = {}
	for _, k in ipairs(m.keys) do seen[k.val] = true end
	for _, k in ipairs(need or {}) do
		if not seen[k] then
			tree:add_proto_expert_info(E.malformed, what .. ": key " .. k .. " missing")
		end
	end
	for i, k in ipairs(m.keys) do
		if k.major == 1 then
			tree:add(F.ext, range(tvb, k), Int64(k.val))
		elseif k.major ~= 0 then
			bad(k, what .. ": map key is not an integer")
		elseif known[k.val] then
			fn(k.val, m.vals[i])
		else
			tree:add_proto_expert_info(E.critical, what .. ": unknown critical key " .. k.val)
		end
	end
end

local function set(list) local s = {} for _, v in ipairs(list) do s[v] = true end return s end
local function time(tree, field, tvb, n, what)
	tree:add(field, range(tvb, n), NSTime(uint(n, what), 0))
end
local function u64(tree, field, tvb, n, what)
	tree:add(field, range(tvb, n), want(n, 0, what).u64)
end
local function each(n, what, fn)
	want(n, 4, what)
	for _, it in ipairs(n.items) do fn(it) end
end

-- Signed statements (COSE_Sign) ----------------------------------------------------------------
local function target(tree, tvb, t)
	local s = tree:add(recall, range(tvb, t), "Target")
	walk(s, tvb, t, "notice.target", set { 1, 2, 3, 4, 5, 6, 7 }, function(k, v)
		if k == 1 then s:add(F.nvendor, crange(tvb, v), text(tvb, v, "target.vendor"))
		elseif k == 2 then s:add(F.nmodel, crange(tvb, v), text(tvb, v, "target.model"))
		elseif k == 3 then each(v, "target.hwrev", function(h) s:add(F.nhwrev, crange(tvb, h), text(tvb, h, "target.hwrev")) end)
		elseif k == 4 then each(v, "target.fwver", function(h) s:add(F.nfwver, crange(tvb, h), text(tvb, h, "target.fwver")) end)
		elseif k == 5 then
			each(v, "target.ranges", function(r)
				local rs = s:add(recall, range(tvb, r), "Version range")
				walk(rs, tvb, r, "target.ranges", set { 1, 2, 3 }, function(rk, rv)
					if rk == 1 then rs:add(F.scheme, range(tvb, rv), uint(rv, "range.scheme"))
					else
						want(rv, 4, "range.bound")
						local b = rv.items[1]
						rs:add(rk == 2 and F.lower or F.upper, range(tvb, rv),
							text(tvb, b, "range.bound") ..
							((rv.items[2] and rv.items[2].val == 21) and " (inclusive)" or ""))
					end
				end, nil)
			end)
		elseif k == 6 then
			walk(s, tvb, v, "target.build", set { 1, 2 }, function(bk, bv)
				time(s, bk == 1 and F.bfrom or F.bbefore, tvb, bv, "target.build")
			end)
		else each(v, "target.digest", function(d) s:add(F.ndigest, crange(tvb, want(d, 2, "target.digest"))) end)
		end
	end, { 1, 2 })
end

local function endpoint(tvb, e)
	want(e, 4, "remedy.endpoint")
	local a, l = want(e.items[1], 2, "endpoint.address"), uint(e.items[2], "endpoint.prefix")
	local b = crange(tvb, a)
	if a.clen == 4 then return tostring(b:ipv4()) .. "/" .. l end
	if a.clen == 16 then return tostring(b:ipv6()) .. "/" .. l end
	bad(a, "endpoint: address of " .. a.clen .. " bytes")
end

local function notice(tree, tvb, p, pinfo)
	local id = "?"
	walk(tree, tvb, p, "notice", set { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, function(k, v)
		if k == 1 then id = text(tvb, v, "notice.id") tree:add(F.nid, crange(tvb, v), id)
		elseif k == 2 then time(tree, F.issued, tvb, v, "notice.issued")
		elseif k == 3 then time(tree, F.nbf, tvb, v, "notice.not_before")
		elseif k == 4 then time(tree, F.expiry, tvb, v, "notice.expiry")
		elseif k == 5 then target(tree, tvb, v)
		elseif k == 6 then tree:add(F.action, range(tvb, v), uint(v, "notice.action"))
		elseif k == 7 then tree:add(F.severity, range(tvb, v), uint(v, "notice.severity"))
		elseif k == 8 then each(v, "notice.references", function(r) tree:add(F.ref, crange(tvb, r), text(tvb, r, "notice.reference")) end)
		elseif k == 9 then tree:add(F.owner, crange(tvb, v), text(tvb, v, "notice.owner_text"))
		else
			walk(tree, tvb, v, "notice.remedy", set { 1, 2 }, function(rk, rv)
				if rk == 1 then tree:add(F.url, crange(tvb, rv), text(tvb, rv, "remedy.url"))
				else each(rv, "remedy.endpoints", function(e) tree:add(F.endpoint, range(tvb, e), endpoint(tvb, e)) end) end
			end)
		end
	end, { 1, 2, 3, 4, 5, 6, 7, 9, 10 })
	return id
end

local function anchor_set(tree, tvb, a)
	local s = tree:add(recall, range(tvb, a), "Next anchor set")
	walk(s, tvb, a, "anchors", set { 1, 2, 3, 4 }, function(k, v)
		if k == 1 then u64(s, F.next_epoch, tvb, v, "anchors.epoch")
		elseif k == 2 then s:add(F.k, range(tvb, v), uint(v, "anchors.k"))
		elseif k == 3 then each(v, "anchors.keys", function(key) s:add(F.key, crange(tvb, want(key, 2, "anchors.key"))) end)
		else
			walk(s, tvb, v, "anchors.log", set { 1, 2, 3, 4, 5 }, function(lk, lv)
				if lk == 1 then s:add(F.log_origin, crange(tvb, lv), text(tvb, lv, "log.origin")) end
			end)
		end
	end, { 1, 2, 3 })
end

local function rotation(tree, tvb, p)
	walk(tree, tvb, p, "rotation", set { 1, 2, 3 }, function(k, v)
		if k == 1 then u64(tree, F.from_epoch, tvb, v, "rotation.from_epoch")
		elseif k == 2 then anchor_set(tree, tvb, v)
		else each(v, "rotation.revoked", function(r) tree:add(F.revoked, crange(tvb, want(r, 2, "rotation.revoked"))) end)
		end
	end, { 1, 2 })
	return "rotation"
end

-- A COSE_Sign in bytes [off, off+len): headers, payload by content type, signer kids.
local function cose(tree, tvb, off, len, pinfo, expect)
	local s = tree:add(recall, tvb(off, len), expect == 65100 and "Signed notice" or "Signed rotation statement")
	local m, nc = parse(tvb, off, len, "cose")
	if nc then s:add_proto_expert_info(E.noncanon, "statement: not deterministic CBOR") end
	if m.major ~= 6 or m.val ~= 98 then bad(m, "cose: not a COSE_Sign (tag 98)") end
	local a = want(m.child, 4, "cose")
	if #a.items ~= 4 then bad(a, "cose: array of " .. #a.items .. " items, not 4") end
	local prot = want(a.items[1], 2, "cose.protected")
	local ph = parse(tvb, prot.coff, prot.clen, "cose.protected")
	local ct
	walk(s, tvb, ph, "cose.protected", set { 3 }, function(_, v)
		ct = uint(v, "cose.content_type")
		s:add(F.ctype, range(tvb, v), ct)
	end)
	if ct ~= expect then
		s:add_proto_expert_info(E.malformed, "content type " .. tostring(ct) .. ", expected " .. expect)
	end
	local pl = want(a.items[3], 2, "cose.payload")
	local body = parse(tvb, pl.coff, pl.clen, "payload")
	local name = expect == 65100 and notice(s, tvb, body, pinfo) or rotation(s, tvb, body)
	local sigs = want(a.items[4], 4, "cose.signatures")
	s:add(F.nsig, range(tvb, sigs), #sigs.items)
	for _, sg in ipairs(sigs.items) do
		want(sg, 4, "cose.signature")
		local u = want(sg.items[2], 5, "cose.signature.unprotected")
		for i, k in ipairs(u.keys) do
			if k.val == 4 then s:add(F.kid, crange(tvb, want(u.vals[i], 2, "cose.kid"))) end
		end
	end
	return name
end

local function log_proof(tree, tvb, off, len)
	local s = tree:add(recall, tvb(off, len), "Log proof")
	local p, nc = parse(tvb, off, len, "proof")
	if nc then s:add_proto_expert_info(E.noncanon, "proof: not deterministic CBOR") end
	walk(s, tvb, p, "proof", set { 1, 2, 3, 4, 5 }, function(k, v)
		if k == 1 then u64(s, F.tsize, tvb, v, "proof.size")
		elseif k == 2 then u64(s, F.tindex, tvb, v, "proof.index")
		elseif k == 3 then s:add(F.path, range(tvb, v), #want(v, 4, "proof.path").items)
		elseif k == 5 then
			each(v, "proof.cosigs", function(c)
				want(c, 4, "proof.cosig")
				s:add(F.cosig_kid, crange(tvb, want(c.items[1], 2, "cosig.kid")))
				if c.items[2] then time(s, F.cosig_time, tvb, c.items[2], "cosig.time") end
			end)
		end
	end, { 1, 2, 3, 4, 5 })
end

-- Private mode (PROTOCOL.md 18) --------------------------------------------------------------------
-- A private check-in's [prefix, page]: no identity, only 12 bits of a hash of it.
local function prefix_page(tree, tvb, v)
	want(v, 4, "private")
	if #v.items ~= 2 then bad(v, "private: array of " .. #v.items .. " items, not 2") end
	local p, pg = uint(v.items[1], "private.prefix"), uint(v.items[2], "private.page")
	tree:add(F.prefix, range(tvb, v.items[1]), p)
	tree:add(F.page, range(tvb, v.items[2]), pg)
	if p > 4095 or pg > 15 then tree:add_proto_expert_info(E.malformed, "private: prefix or page out of range") end
	return string.format(" prefix 0x%03x page %d", p, pg)
end

-- A bucket's entries: 10 bytes each, tag (8) and count (u16).
local function bucket_entries(tree, tvb, v)
	want(v, 2, "bucket.entries")
	if v.clen % 10 ~= 0 then bad(v, "bucket: entries of " .. v.clen .. " bytes, not a multiple of 10") end
	local s = tree:add(recall, crange(tvb, v), "Bucket entries")
	s:add(F.entries, crange(tvb, v), v.clen / 10)
	for o = v.coff, v.coff + v.clen - 10, 10 do
		s:add(F.etag, tvb(o, 8))
		s:add(F.ecount, tvb(o + 8, 2))
	end
	return ", " .. (v.clen / 10) .. " entries"
end

-- Messages -------------------------------------------------------------------------------------
local function identity(tree, tvb, m)
	local s = tree:add(recall, range(tvb, m), "Identity")
	local v = {}
	walk(s, tvb, m, "identity", set { 1, 2, 3, 4, 5, 6 }, function(k, x)
		if k == 5 then time(s, F.build_date, tvb, x, "identity.build_date")
		elseif k == 6 then s:add(F.digest, crange(tvb, want(x, 2, "identity.digest")))
		else
			local fld = ({ F.vendor, F.model, F.hwrev, F.fwver })[k]
			v[k] = text(tvb, x, "identity")
			s:add(fld, crange(tvb, x), v[k])
		end
	end, { 1, 2, 3, 4 })
	return (v[1] or "?") .. "/" .. (v[2] or "?") .. " " .. (v[4] or "?")
end

local function message(tvb, pinfo, tree)
	local m, nc = parse(tvb, 0, tvb:len(), "message")
	if nc then tree:add_proto_expert_info(E.noncanon, "not deterministic CBOR") end
	want(m, 5, "message")
	local k0 = m.keys[1]
	if not k0 or k0.val ~= 0 or k0.major ~= 0 then bad(m, "message: key 0 (type) is not first") end
	local t = uint(m.vals[1], "type")
	local request = t == 1 or t == 7 or t == 9 or t == 11
	tree:add(request and F.type or F.atype, range(tvb, m.vals[1]), t)
	local info = msg_types[t] or ("type " .. t)
	if request and tvb:len() ~= 1200 then
		tree:add_proto_expert_info(E.size, info .. " of " .. tvb:len() .. " bytes, not 1200")
	end
	local known = set({ 0, 1, 2 })
	local keys = ({ [1] = { 3, 4, 5, 6, 7 }, [7] = { 3, 6, 7 }, [2] = { 3 }, [3] = { 4 },
		[4] = { 5 }, [5] = { 6 }, [6] = { 7 }, [8] = { 8 }, [9] = { 3, 4, 5, 6, 7 },
		[10] = { 3, 9, 10 }, [11] = { 3, 4, 6, 7 } })[t]
	if not keys then bad(m.vals[1], "message: unknown type " .. t) end
	local need = { 1, 2 }
	for _, k in ipairs(keys) do
		known[k] = true
		need[#need + 1] = k
	end
	walk(tree, tvb, m, "message", known, function(k, v)
		if k == 1 then u64(tree, F.version, tvb, v, "version")
		elseif k == 2 then
			tree:add(F.nonce, crange(tvb, want(v, 2, "nonce")))
			if v.clen ~= 16 then tree:add_proto_expert_info(E.malformed, "nonce of " .. v.clen .. " bytes, not 16") end
		elseif request and k == 3 then
			if t == 7 then tree:add(F.leaf, crange(tvb, want(v, 2, "leaf_hash")))
			elseif t == 11 then
				tree:add(F.tag, crange(tvb, want(v, 2, "tag")))
				info = info .. " tag " .. tostring(crange(tvb, v):bytes())
			else tree:add(F.reason, range(tvb, v), uint(v, "reason")) end
		elseif request and k == 4 then
			if t == 11 then
				local i = uint(v, "index")
				tree:add(F.index, range(tvb, v), i)
				info = info .. " index " .. i
			else tree:add(F.state, range(tvb, v), uint(v, "state")) end
		elseif request and k == 5 and t == 9 then info = info .. prefix_page(tree, tvb, v)
		elseif request and k == 5 then info = info .. " " .. identity(tree, tvb, v)
		elseif request and k == 6 then u64(tree, F.epoch, tvb, v, "epoch")
		elseif request and k == 7 then tree:add(F.pad, range(tvb, v), want(v, 2, "pad").clen)
		elseif k == 3 then u64(tree, F.serial, tvb, v, "serial") info = info .. " serial " .. v.val
		elseif k == 4 then info = info .. " " .. cose(tree, tvb, want(v, 2, "notice").coff, v.clen, pinfo, 65100)
		elseif k == 5 then tree:add(F.delay, range(tvb, v), uint(v, "delay"))
		elseif k == 6 then u64(tree, F.maxver, tvb, v, "max_version")
		elseif k == 7 then cose(tree, tvb, want(v, 2, "rotation").coff, v.clen, pinfo, 65101)
		elseif k == 8 then log_proof(tree, tvb, want(v, 2, "proof").coff, v.clen)
		elseif k == 9 then info = info .. bucket_entries(tree, tvb, v)
		elseif k == 10 then
			tree:add(F.pages, range(tvb, v), uint(v, "pages"))
			info = info .. ", " .. v.val .. " pages"
		end
	end, need)
	return info
end

function recall.dissector(tvb, pinfo, tree)
	pinfo.cols.protocol = "RECALL"
	local sub = tree:add(recall, tvb(), "recall protocol")
	local ok, res = pcall(message, tvb, pinfo, sub)
	if ok then
		pinfo.cols.info = res
	else
		local off = type(res) == "table" and res.off or 0
		local msg = type(res) == "table" and res.msg or ("cannot decode: " .. tostring(res))
		if off >= tvb:len() then off = math.max(tvb:len() - 1, 0) end
		sub:add_proto_expert_info(E.malformed, msg .. " at byte " .. off)
		if tvb:len() > 0 then
			sub:add(tvb(off, 1), "Malformed: " .. msg)
		else
			sub:add("Malformed: " .. msg)
		end
		pinfo.cols.info = "malformed: " .. msg
	end
	return tvb:len()
end

DissectorTable.get("udp.port"):add(PORT, recall)
