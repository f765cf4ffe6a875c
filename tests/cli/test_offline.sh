#!/usr/bin/env bash
# The offline commands on the examples: outputs and exit statuses
# (docs/semantics.md section 3: 0 allowed/success, 1 invalid, 3 denied).  Runs the
# ASan/UBSan build of the tool.
cd "$(dirname "$0")/../.."
. tests/lib.sh
N=$NACLEMU_SAN
[ -x "$N" ] || skip "$N is not built (make test-build)"

# --help, --version, unknown command, per-command help with an example.
expect_exit 0 "$N" --version;             expect_in "$out" "naclemu 0."
expect_exit 0 "$N" --help;                expect_in "$out" "Commands:"
expect_exit 1 "$N";                       expect_in "$err" "Usage: naclemu"
expect_exit 1 "$N" frobnicate;            expect_eq "$err" "naclemu: unknown command 'frobnicate' (see 'naclemu --help')"
expect_exit 1 "$N" --frob;                expect_in "$err" "naclemu: unknown option '--frob'"
for cmd in check explain flow; do
	expect_exit 0 "$N" $cmd --help
	expect_in "$out" "Usage: naclemu $cmd" "$cmd --help"
	expect_in "$out" "Example" "$cmd --help"
done

# check: every example is valid; the normalised table; warnings.
for f in examples/*.nacl examples/*.json examples/*.yaml examples/*.tfstate; do
	args=()
	case $f in
	*.tfstate | *.tfstate.json | *.tfplan.json) args=(--acl aws_network_acl.web) ;;
	*.cfn.*) args=(--acl WebNetworkAcl) ;;
	*.json) args=(--acl acl-0a1b2c3d4e5f60001) ;;
	esac
	expect_exit 0 "$N" check "$f" "${args[@]}"
	expect_in "$out" "$f: valid" "check $f"
	# explain and flow read every format too (the web tier allows 80 in).
	case $f in
	examples/web-lb.*)
		expect_exit 0 "$N" explain "$f" "${args[@]}" --direction ingress --protocol tcp \
			--src 203.0.113.7:40000 --dst 198.51.100.10:80
		expect_in "$out" "allowed by rule 100" "explain $f"
		"$N" flow "$f" "${args[@]}" --client 203.0.113.7 --server 198.51.100.10:80 >/dev/null 2>&1
		rc=$?
		case $rc in 0 | 3) ;; *) fail "flow $f: exit $rc (it must read the file)" ;; esac
		;;
	esac
done
expect_exit 0 "$N" check examples/docker-ephemeral.nacl
expect_in "$out" "  100    allow  tcp      49152-65535  192.0.2.0/24"
expect_in "$out" "  outbound  192.0.2.0/24         58% closed    open          75% closed"
expect_exit 0 "$N" check examples/web-server.nacl
expect_in "$out" "  outbound  0.0.0.0/0            open          open          open"
expect_exit 0 "$N" check examples/describe-network-acls.json --subnet-id subnet-0cccc3333dddd4444
expect_in "$out" "valid (acl-0a1b2c3d4e5f60002)"
expect_exit 1 "$N" check examples/describe-network-acls.json
expect_in "$err" "--acl"
expect_exit 1 "$N" check examples/describe-network-acls.json --acl acl-nope
expect_in "$err" "acl-nope"
expect_exit 1 "$N" check examples/quiz.nacl --acl acl-1
expect_eq "$err" "naclemu: examples/quiz.nacl: --acl applies to a file that holds ACLs: AWS JSON, Terraform or CloudFormation"
expect_exit 1 "$N" check examples
expect_eq "$err" "naclemu: examples: is a directory: expected a rule file"
expect_exit 0 "$N" check <(cat examples/web-server.nacl)
expect_in "$out" "valid" "a rule file from a pipe"
expect_exit 1 "$N" check /nonexistent.nacl
expect_eq "$err" "naclemu: /nonexistent.nacl: cannot open: No such file or directory"
expect_exit 1 "$N" check
expect_in "$err" "expected one RULES file"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'inbound\n  100 allow tcp 443-80 0.0.0.0/0\n' >"$tmp/bad.nacl"
expect_exit 1 "$N" check "$tmp/bad.nacl"
expect_eq "$err" "naclemu: $tmp/bad.nacl:2:17: port range 443-80 is reversed"
: >"$tmp/empty.nacl"
expect_exit 1 "$N" check "$tmp/empty.nacl"
expect_in "$err" "empty"
printf 'inbound\n 100 deny all - 0.0.0.0/0\n 200 allow tcp 80 192.0.2.0/24\n 300 allow tcp 80 192.0.2.77/24\n' >"$tmp/shadow.nacl"
expect_exit 0 "$N" check "$tmp/shadow.nacl"
expect_in "$out" "$tmp/shadow.nacl:3:2: inbound rule 200 is never reached: rule 100 before it matches all it matches"
expect_in "$out" "host bits"
expect_in "$out" "no outbound section"

# explain without --icmp: the answer when every type and code is judged
# alike; otherwise which types decide differently, and exit 1.
expect_exit 3 "$N" explain examples/web-server.nacl --direction ingress --protocol icmp --src 192.0.2.1 --dst 192.0.2.2
expect_in "$out" "(any type and code)"
expect_in "$out" "denied by rule * (default, 32767)"
printf 'inbound\n 100 allow icmp 8 0.0.0.0/0\n 110 deny icmp 3/4 0.0.0.0/0\n 120 allow 58 all 0.0.0.0/0\noutbound\n' >"$tmp/icmp.nacl"
expect_exit 1 "$N" explain "$tmp/icmp.nacl" --direction ingress --protocol icmp --src 192.0.2.1 --dst 192.0.2.2
expect_in "$out" "  3/4           denied by rule 110"
expect_in "$out" "  8/0-8/255     allowed by rule 100"
expect_eq "$err" "naclemu: explain: the verdict depends on the ICMP type and code (above): give --icmp TYPE/CODE (see 'naclemu explain --help')"
expect_exit 0 "$N" explain "$tmp/icmp.nacl" --direction ingress --protocol icmpv6 --src 192.0.2.1 --dst 192.0.2.2
expect_in "$out" "allowed by rule 120"

# check --json is one valid document with the same content.
expect_exit 0 "$N" check --json examples/docker-ephemeral.nacl
expect_eq "$(jq -r '.outbound[0].ports' <<<"$out")" "49152-65535" "check --json ports"
expect_eq "$(jq -r '[.ephemeral[] | select(.direction=="outbound" and .client=="linux")][0].closed[0].to' <<<"$out")" "49151" "check --json closed"
expect_exit 0 "$N" check --json "$tmp/shadow.nacl"
expect_eq "$(jq -c '.shadowed[0]' <<<"$out")" '{"direction":"inbound","rule":200,"by":[100]}' "check --json shadowed"

# explain: the quiz, as the article answers it: all three fail.
Q=examples/quiz.nacl
expect_exit 3 "$N" explain $Q --direction ingress --protocol tcp --src 198.51.100.148:40312 --dst 192.0.2.10:22
expect_in "$out" "verdict: denied by rule 200 of the inbound rules" "SSH request"
expect_exit 0 "$N" explain $Q --direction ingress --protocol tcp --src 198.51.100.148:40312 --dst 192.0.2.10:80
expect_in "$out" "allowed by rule 300" "HTTP request"
expect_exit 3 "$N" explain $Q --direction egress --protocol tcp --src 192.0.2.10:80 --dst 198.51.100.148:40312
expect_in "$out" "denied by rule * (default, 32767) of the outbound rules" "HTTP response"
expect_exit 0 "$N" explain $Q --direction ingress --protocol tcp --src 198.51.100.148:40312 --dst 192.0.2.10:443
expect_in "$out" "allowed by rule 100" "HTTPS request"
expect_exit 3 "$N" explain $Q --direction egress --protocol tcp --src 192.0.2.10:443 --dst 198.51.100.148:40312
expect_in "$out" "note:    rule 200 (200 allow tcp 443 0.0.0.0/0) matches all but the destination port 40312" "HTTPS response"
# IPv6 with ports, ICMP, exempt, fragments.
expect_exit 0 "$N" explain examples/web-server.nacl --direction ingress --protocol tcp --src '[2001:db8::7]:50000' --dst '[2001:db8:1::10]:443'
expect_in "$out" "allowed by rule 130"
expect_exit 3 "$N" explain examples/web-server.nacl --direction ingress --protocol icmpv6 --icmp 128/0 --src 2001:db8::7 --dst 2001:db8:1::10
expect_in "$out" "rule * (default, 32768)"
expect_exit 0 "$N" explain examples/web-server.nacl --direction ingress --protocol icmpv6 --icmp 135/0 --src fe80::1 --dst fe80::2
expect_in "$out" "not filtered (IPv6 neighbour discovery)"
expect_exit 3 "$N" explain examples/web-server.nacl --direction ingress --protocol tcp --later-fragment --src 192.0.2.7 --dst 198.51.100.10
expect_in "$out" "later fragment"
# explain: bad arguments are exit 1 with one line naming the option.
expect_exit 1 "$N" explain $Q --direction sideways --protocol tcp --src 192.0.2.1:1 --dst 192.0.2.2:2
expect_eq "$err" "naclemu: explain: --direction 'sideways': expected ingress or egress (see 'naclemu explain --help')"
expect_exit 1 "$N" explain $Q --direction ingress --protocol tcp --src 192.0.2.1 --dst 192.0.2.2:2
expect_in "$err" "tcp needs ports"
expect_exit 1 "$N" explain $Q --direction ingress --protocol tcp --src 192.0.2.1:1 --dst 2001:db8::1
expect_in "$err" "must both be IPv4 or both IPv6"
expect_exit 1 "$N" explain $Q --direction ingress --protocol tcp --src 192.0.2.1:70000 --dst 192.0.2.2:2
expect_in "$err" "--src '192.0.2.1:70000'"
expect_exit 1 "$N" explain $Q --direction ingress --protocol 256 --src 192.0.2.1 --dst 192.0.2.2
expect_in "$err" "--protocol '256'"
expect_exit 1 "$N" explain $Q --direction ingress --protocol icmp --icmp 8/300 --src 192.0.2.1 --dst 192.0.2.2
expect_in "$err" "--icmp '8/300'"

# flow: the docker case, 58% of Linux connections fail; the fix works.
D=examples/docker-ephemeral.nacl
expect_exit 3 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:10001
expect_in "$out" "response: outbound, to ports 32768-60999: ports 32768-49151 denied by rule * (default, 32767), ports 49152-60999 allowed by rule 100"
expect_in "$out" "verdict:  response allowed for ports 49152-60999 only: a linux client fails 58% of connections"
expect_exit 0 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:10001 --ephemeral 49152-65535
expect_in "$out" "every connection from a client with ephemeral ports 49152-65535 gets through"
expect_exit 0 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:10001 --client-os windows
expect_exit 3 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:22
expect_in "$out" "the request is denied: a linux client fails 100% of connections"
expect_exit 3 "$N" flow examples/web-server-no-ephemeral.nacl --client 203.0.113.7 --server 198.51.100.10:80
expect_in "$out" "the response is denied on every ephemeral port"
expect_exit 0 "$N" flow examples/web-server.nacl --client 2001:db8::7 --server '[2001:db8:1::10]:443' --client-os macos
# Both tiers of the load balancer, with the NACL on either side.
expect_exit 0 "$N" flow examples/lb-public.nacl --client 192.0.2.50 --server 203.0.113.10:80 --client-os windows
expect_exit 0 "$N" flow examples/lb-public.nacl --nacl-on client --client-os elb --client 203.0.113.10 --server 198.51.100.10:80
expect_exit 0 "$N" flow examples/lb-private.nacl --client-os elb --client 203.0.113.10 --server 198.51.100.10:80
expect_exit 3 "$N" flow examples/lb-private.nacl --client-os elb --client 192.0.2.50 --server 198.51.100.10:80
expect_exit 1 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20
expect_in "$err" "--server '198.51.100.20': expected ADDR:PORT"
expect_exit 1 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:1 --ephemeral 5-1
expect_in "$err" "--ephemeral '5-1'"
expect_exit 1 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:1 --client-os beos
expect_in "$err" "--client-os 'beos'"
expect_exit 1 "$N" flow $D --client 192.0.2.10 --server 198.51.100.20:1 --nacl-on router
expect_in "$err" "--nacl-on 'router'"

finish
