#!/bin/sh
# recall keygen: files, modes, kid, never overwriting; key file errors name file and line.
. "$(dirname "$0")/tool_common"

umask 000 # keygen must set the modes itself
expect 0 "$R" keygen -C "alice at example" alice
has out "kid "
lacks err "old spelling"
kid=$(sed -n 's/^kid \([0-9a-f]*\)$/\1/p' out)
eq "${#kid}" 16 "(kid is 16 hex digits)"
eq "$(stat -c %a alice.key)" 600 "(secret key mode)"
eq "$(stat -c %a alice.pub)" 644 "(public key mode)"
has alice.key "recall-ed25519-secret "
has alice.pub "recall-ed25519-public "
has alice.pub " alice at example"
eq "$(wc -l <alice.key)" 1
# The kid printed is the one anchor sets show for that key.
"$R" anchors create --k 1 -o a1.cbor alice.pub >/dev/null
expect 0 "$R" anchors show a1.cbor && has out "kid $kid"

# Never overwritten: neither file changes, whichever exists.
cp alice.key alice.key.orig
cp alice.pub alice.pub.orig
expect 1 "$R" keygen alice && has err "alice.pub: already exists; not overwriting a key"
same alice.key alice.key.orig
same alice.pub alice.pub.orig
rm alice.pub
expect 1 "$R" keygen alice && has err "alice.key: already exists; not overwriting a key"
same alice.key alice.key.orig
checks=$((checks + 1))
[ ! -e alice.pub ] || fail "alice.pub written although alice.key existed"
mv alice.pub.orig alice.pub

# Two key pairs differ.
expect 0 "$R" keygen bob
checks=$((checks + 1))
cmp -s alice.pub bob.pub && fail "two keygen runs made the same key"
expect 1 "$R" keygen nodir/x && has err "nodir/x.key"
expect 2 "$R" keygen -c "$(printf 'a\tb')" tabbed && has err "control character" &&
	has err "-c is an old spelling of -C, --comment"

# Secret key files: mode, format, and public-for-secret mix-ups name the file and line.
printf '{"id":"K1","expiry":2000000000,"action":"notify","severity":"low","text":"t",' >n.json
printf '"remedy":{"url":"https://x"},"target":{"vendor":"v","model":"m","versions":["1"]}}\n' >>n.json
"$R" notice create -o n.notice n.json >/dev/null || fail "notice create"
chmod 644 bob.key
expect 1 "$R" notice sign -k bob.key n.notice && has err "bob.key: secret key is accessible by others (mode 0644)"
chmod 600 bob.key
expect 0 "$R" notice sign -k bob.key n.notice
expect 1 "$R" notice sign -k bob.pub n.notice && has err "bob.pub: line 1: this is a public key"
printf 'recall-ed25519-secret AAAA\n' >short.key
chmod 600 short.key
expect 1 "$R" notice sign -k short.key n.notice && has err "short.key: line 1: the key is not 44 characters of base64"
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n' >ssh.key
chmod 600 ssh.key
expect 1 "$R" notice sign -k ssh.key n.notice && has err "ssh.key: line 1: not a recall secret key"
{ cat alice.key; cat alice.key; } >two.key
chmod 600 two.key
expect 1 "$R" notice sign -k two.key n.notice && has err "two.key: line 1: more than one line"
sed 's/ [A-Za-z0-9+/=]*$/ !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=/' alice.key >bad64.key
chmod 600 bad64.key
expect 1 "$R" notice sign -k bad64.key n.notice && has err "bad64.key: line 1: the key is not valid base64"
# One stray byte inside otherwise valid base64: refused, not decoded into another key.
python3 -c 'import sys; s=open("alice.pub","rb").read(); i=s.index(b" ")+10; sys.stdout.buffer.write(s[:i]+b"\xeb"+s[i+1:])' >stray.pub
expect 1 "$R" anchors create --k 1 -o x.cbor stray.pub && has err "stray.pub: line 1: the key is not valid base64"
expect 1 "$R" notice sign -k missing.key n.notice && has err "missing.key: No such file"
expect 1 "$R" anchors create --k 1 -o x.cbor alice.key && has err "alice.key: line 1: this is a secret key"
expect 1 "$R" anchors create --k 1 -o x.cbor n.json && has err "n.json: line 1: not a recall public key"
# --json: the same facts for scripts; the kid is the one signatures carry.
expect 0 "$R" keygen --json -C "dana, anchor key" dana && cp out kj.json
eq "$(json kj.json 'd["secret_key_file"]') $(json kj.json 'd["public_key_file"]')" "dana.key dana.pub"
eq "$(json kj.json 'd["public_key"]')" "$(cat dana.pub)" "(public key line)"
eq "$(json kj.json 'd["in_token"]')" "False"
"$R" anchors create --k 1 -o dana.cbor dana.pub >/dev/null || fail "anchors create dana"
expect 0 "$R" anchors show dana.cbor && has out "$(json kj.json 'd["kid"]')"
finish
