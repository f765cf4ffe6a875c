#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/deploy_subnets.sh - two subnets, two NACLs, one configuration
# (docs/config.md: several entries make several subnets).  A client in
# 192.0.2.0/24 and a server in 198.51.100.0/24 behind the lab's router;
# `apply` puts the client subnet's NACL on the client's interface and the
# server subnet's NACL on the server's, so that both judge every
# connection, as in a VPC.  For each pair of NACLs, connections from chosen
# source ports succeed or time out exactly as `naclemu flow --nacl-on
# client` and `--nacl-on server` predict for that port: a connection
# works when both NACLs allow both of its legs.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds apply flow

lab_init "nclt-sn$$"
lab_subnet clients 192.0.2.1/24
lab_subnet servers 198.51.100.1/24
lab_host client clients 192.0.2.10/24
lab_host server servers 198.51.100.20/24
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp 198.51.100.20:10001

R=$LAB_TMP
# The client subnet: requests out to 10001, responses in to 49152-65535 only.
cat >"$R/client-iana.nacl" <<'N'
inbound
  100 allow tcp 49152-65535 198.51.100.0/24
outbound
  100 allow tcp 10001 198.51.100.0/24
N
# ... and one that lets every ephemeral port in.
cat >"$R/client-open.nacl" <<'N'
inbound
  100 allow tcp 1024-65535 198.51.100.0/24
outbound
  100 allow tcp 10001 198.51.100.0/24
N
# The server subnet: requests in, responses out to 32768-65535, minus 40000-40099.
cat >"$R/server.nacl" <<'N'
inbound
  100 allow tcp 10001 192.0.2.0/24
outbound
  90 deny tcp 40000-40099 192.0.2.0/24
  100 allow tcp 32768-65535 192.0.2.0/24
N
cat >"$R/server-open.nacl" <<'N'
inbound
  100 allow tcp 10001 192.0.2.0/24
outbound
  100 allow tcp 1024-65535 192.0.2.0/24
N

# config CLIENT-RULES SERVER-RULES: the two subnets' NACLs.
config() {
	cat >"$R/host.yaml" <<EOF2
version: 1
nacls:
  - name: client-subnet
    netns: $LAB-client
    interfaces: v-client
    rules: $1
  - name: server-subnet
    netns: $LAB-server
    interfaces: v-server
    rules: $2
EOF2
}

# Source ports around each boundary; each pair of NACLs takes its own
# (k added), so that no connection reuses a 4-tuple still in TIME_WAIT.
ports_of() { echo "$((32768 + $1)),$((40000 + $1)),$((40050 + $1)),$((49151 - $1)),$((49152 + $1)),$((55000 + $1))"; }
# predict CLIENT-RULES SERVER-RULES PORT: ok or timeout, by `naclemu flow`.
predict() {
	local c s
	"$NACLEMU" flow "$R/$1" --client 192.0.2.10 --server 198.51.100.20:10001 \
		--nacl-on client --ephemeral "$3-$3" >/dev/null; c=$?
	"$NACLEMU" flow "$R/$2" --client 192.0.2.10 --server 198.51.100.20:10001 \
		--nacl-on server --ephemeral "$3-$3" >/dev/null; s=$?
	case "$c$s" in
	00) echo ok ;;
	03 | 30 | 33) echo timeout ;;
	*) echo "flow-failed($c$s)" ;;
	esac
}

k=0
for pair in "client-iana.nacl server.nacl" "client-open.nacl server.nacl" \
	"client-iana.nacl server-open.nacl" "client-open.nacl server-open.nacl"; do
	set -- $pair
	ports=$(ports_of $k)
	k=$((k + 1))
	config "$1" "$2"
	expect_exit 0 "$NACLEMU" apply "$R/host.yaml"
	want="" got=""
	for p in ${ports//,/ }; do want+="$(predict "$1" "$2" "$p") "; done
	out=$(lab_conns client tcp --dst 198.51.100.20:10001 --src 192.0.2.10 \
		--timeout "$LAB_TIMEOUT" --ports "$ports")
	got=$(awk '$1 !~ /^#/ {printf "%s ", $4}' <<<"$out")
	echo "$1 + $2: ports $ports: predicted $want, got $got"
	expect_eq "$got" "$want" "$1 + $2, ports $ports"
done
# Both NACLs mattered: some pair dropped what another let through.
expect_in "$(predict client-iana.nacl server-open.nacl 40000)" timeout "client NACL alone"
expect_in "$(predict client-open.nacl server.nacl 40000)" timeout "server NACL alone"
expect_in "$(predict client-open.nacl server-open.nacl 40000)" ok "both open"

printf 'version: 1\nnacls: []\n' >"$R/host.yaml"
expect_exit 0 "$NACLEMU" apply "$R/host.yaml"
finish
