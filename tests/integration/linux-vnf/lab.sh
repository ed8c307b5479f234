# A Debian VNF lab in network namespaces (sourced by linux-vnf.sh).
#
#   vbl-mN  (management)  198.18.0.1/24 --- 198.18.0.2/24  vbl-vN (the VNF:
#   vbl-cN  (client)      198.18.1.2/24 --- 198.18.1.1/24   sshd, nftables,
#   vbl-sN  (server)      198.18.2.2/24 --- 198.18.2.1/24   forwarding)
#
# N is a per-run suffix.  sshd runs inside the VNF namespace with its own
# config and host key, listening on 198.18.0.2:22; the login is a uid-0
# service account made for the run (so nft works and no real account's
# password is touched), removed by lab_down.
#
# lab_up sets: NS_MGMT NS_VNF NS_CLI NS_SRV VNF_IP LAB_USER LAB_PASS
# LAB_DIR SSHD_PID; lab_down undoes everything it made, whatever state
# it is in.

LAB_SFX=$(( $$ % 100000 ))
NS_MGMT=vbl-m$LAB_SFX
NS_VNF=vbl-v$LAB_SFX
NS_CLI=vbl-c$LAB_SFX
NS_SRV=vbl-s$LAB_SFX
VNF_IP=198.18.0.2
LAB_USER=vbla$LAB_SFX
LAB_PASS="Init-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
LAB_DIR=
SSHD_PID=
LAB_USER_MADE=
LAB_RUNDIR_MADE=
LAB_PIDS=

lab_ns_add() {
	ip netns add "$1" && ip -n "$1" link set lo up
}

# lab_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
lab_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
	    ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up &&
	    ip -n "$4" addr add "$6" dev "$5" && ip -n "$4" link set "$5" up
}

lab_sshd_start() {
	ip netns exec "$NS_VNF" /usr/sbin/sshd -D -e -f "$LAB_DIR/sshd_config" \
	    2>>"$LAB_DIR/sshd.log" &
	SSHD_PID=$!
	wait_for 10 lab_sshd_up
}

lab_sshd_up() {
	ip netns exec "$NS_MGMT" bash -c "echo >/dev/tcp/$VNF_IP/22" \
	    2>/dev/null
}

lab_sshd_stop() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	fi
}

lab_up() {
	LAB_DIR=$(mktemp -d /tmp/vbl.XXXXXX) || return 1
	chmod 0755 "$LAB_DIR"
	lab_ns_add "$NS_MGMT" && lab_ns_add "$NS_VNF" &&
	    lab_ns_add "$NS_CLI" && lab_ns_add "$NS_SRV" || return 1
	lab_link "$NS_MGMT" vblm0 198.18.0.1/24 "$NS_VNF" vblm1 \
	    "$VNF_IP/24" || return 1
	lab_link "$NS_CLI" vblc0 198.18.1.2/24 "$NS_VNF" vblc1 \
	    198.18.1.1/24 || return 1
	lab_link "$NS_SRV" vbls0 198.18.2.2/24 "$NS_VNF" vbls1 \
	    198.18.2.1/24 || return 1
	ip -n "$NS_CLI" route add default via 198.18.1.1 || return 1
	ip -n "$NS_SRV" route add default via 198.18.2.1 || return 1

	# The login: a uid-0 account of this run only.
	useradd -o -u 0 -g 0 -M -d "$LAB_DIR" -s /bin/sh "$LAB_USER" 2>/dev/null ||
	    return 1
	LAB_USER_MADE=1
	echo "$LAB_USER:$LAB_PASS" | chpasswd || return 1
	if [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd && LAB_RUNDIR_MADE=1
	fi
	ssh-keygen -q -t ed25519 -N '' -f "$LAB_DIR/host_ed25519" || return 1
	cat >"$LAB_DIR/sshd_config" <<EOC
ListenAddress $VNF_IP:22
HostKey $LAB_DIR/host_ed25519
PidFile $LAB_DIR/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin yes
AllowUsers $LAB_USER
MaxAuthTries 10
MaxStartups 100:30:200
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOC
	/usr/sbin/sshd -t -f "$LAB_DIR/sshd_config" || return 1
	lab_sshd_start || return 1
	return 0
}

# lab_bg COMMAND...: start a helper in the background, killed by lab_down.
lab_bg() {
	"$@" >>"$LAB_DIR/bg.log" 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
}

lab_down() {
	for p in $LAB_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=
	lab_sshd_stop
	for ns in "$NS_MGMT" "$NS_VNF" "$NS_CLI" "$NS_SRV"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$LAB_USER_MADE" ]; then
		# uid 0 is always "in use": -f, and only this run's account.
		userdel -f "$LAB_USER" 2>/dev/null ||
		    sed -i "/^$LAB_USER:/d" /etc/passwd /etc/shadow
		LAB_USER_MADE=
	fi
	[ -n "$LAB_RUNDIR_MADE" ] && rmdir /run/sshd 2>/dev/null
	LAB_RUNDIR_MADE=
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_DIR=
}
