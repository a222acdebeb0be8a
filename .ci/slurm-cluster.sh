#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the tests of `artifact reproduce --executor slurm`
# (tests/experiment/test_slurm.py). Needs root (Debian's packages, daemons run as root and munge).
#
#   .ci/slurm-cluster.sh up     install slurmctld/slurmd/slurm-client/munge if missing, write a
#                               munge key and slurm.conf into $ARTIFACT_SLURM_DIR, start munged,
#                               slurmctld and slurmd, wait until the node is idle (idempotent:
#                               a cluster already up is left as it is)
#   .ci/slurm-cluster.sh down   stop the three daemons by the pids they wrote
#   .ci/slurm-cluster.sh status exit 0 if both SLURM daemons of $ARTIFACT_SLURM_DIR are running
#   .ci/slurm-cluster.sh env    print the exports a shell needs to use the cluster
#
# Clients find the cluster through SLURM_CONF (the config is in the scratch dir, /etc is left
# alone): `eval "$(.ci/slurm-cluster.sh env)"`. No accounting daemon: `sacct` does not work here,
# `squeue` and `scontrol show job` do (submitit only warns).
set -euo pipefail
DIR=${ARTIFACT_SLURM_DIR:-/tmp/artifact-slurm}
CONF=$DIR/slurm.conf
SOCKET=$DIR/munge/munge.socket.2
export SLURM_CONF=$CONF

log() { echo "slurm-cluster: $*" >&2; }

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  local missing=()
  for tool in slurmctld slurmd sinfo munged; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return
  log "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >&2
}

write_config() {
  mkdir -p "$DIR"/{state,spool,log,munge}
  chown munge: "$DIR/munge" && chmod 755 "$DIR/munge"  # clients need x to reach the socket
  if [[ ! -s $DIR/munge/munge.key ]]; then
    mungekey --create --keyfile="$DIR/munge/munge.key" >&2
    chown munge: "$DIR/munge/munge.key" && chmod 400 "$DIR/munge/munge.key"
  fi
  local host mem
  host=$(hostname -s)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10))  # MB, headroom for the OS
  # KillWait 2 s: a requeued or cancelled task gets SIGTERM, then SIGKILL 2 s later (default 30).
  # cred_expire 10 s: a requeued job may start again 11 s later (default 120), so the requeue
  # tests take seconds, not minutes; the scheduler looks at pending jobs every second (default 60).
  cat >"$CONF" <<EOF
ClusterName=artifact
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET,cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=2
MinJobAge=600
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_idle() {
  local host
  host=$(hostname -s)
  for _ in $(seq 1 120); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    [[ $state == idle* || $state == mixed* || $state == allocated* ]] && return 0
    sleep 0.5
  done
  log "node $host did not come up (state '${state:-unreachable}'); see $DIR/log/"
  return 1
}

up() {
  local start
  start=$(date +%s%N)
  install_packages
  if pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid" && wait_idle; then
    log "already up ($CONF)"
    return
  fi
  write_config
  if ! pid_alive "$DIR/munge/munged.pid"; then
    runuser -u munge -- munged --key-file="$DIR/munge/munge.key" --socket="$SOCKET" \
      --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
      --seed-file="$DIR/munge/munged.seed"
  fi
  pid_alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
  pid_alive "$DIR/slurmd.pid" || slurmd -f "$CONF"
  wait_idle
  log "up in $((($(date +%s%N) - start) / 1000000)) ms: node $(hostname -s), $(nproc) CPUs, SLURM_CONF=$CONF"
}

down() {
  for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$DIR/munge/munged.pid"; do
    if pid_alive "$pidfile"; then
      local pid daemon
      pid=$(cat "$pidfile") daemon=$(basename "$pidfile" .pid)
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      log "stopped $daemon (pid $pid)"
    fi
    rm -f "$pidfile"
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid" ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
