#!/usr/bin/env bash
# bench/bench_nacl.sh - print the NACL of `make bench`'s traffic and scale
# cases: 39 numbered rules per direction and family (AWS's maximum).  Per
# direction, 37 IPv4 rules that the benchmark's traffic does not match,
# then the two it does (138: the TCP stream from or to 192.0.2.0/24, 139:
# UDP to port 5201 from or to 192.0.2.0/24), then 39 IPv6 rules.
# Documentation addresses only.
set -eu

nacl_dir() { # $1: the ports of rule 138
	for k in $(seq 0 36); do
		echo " $((100 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 198.51.100.$((4 * k))/30"
	done
	echo " 138 allow tcp $1 192.0.2.0/24"
	echo " 139 allow udp 5201 192.0.2.0/24"
	for k in $(seq 0 38); do
		echo " $((200 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 2001:db8:$((k + 1))::/48"
	done
}

echo inbound
nacl_dir 1024-65535
echo outbound
nacl_dir 5201
