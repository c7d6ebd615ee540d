# shellcheck shell=bash
# Stopping a throwaway server by the pid in its pid file, for lb-down.sh and
# redis-down.sh. Source it after defining log(); it defines functions and runs
# nothing by itself.

# pid_runs PID PATTERN: PID is a number and a live process whose command line
# matches PATTERN (so a pid recycled by another program is never signalled).
pid_runs() { [[ $1 =~ ^[0-9]+$ ]] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "$2"; }

# stop_pid PID SIGNAL TIMEOUT PATTERN: sends SIGNAL, then waits until PID is
# gone (or no longer matches PATTERN); SIGKILL after TIMEOUT seconds, and again
# every 5 s after that.
stop_pid() {
  local pid=$1 signal=$2 timeout=$3 pattern=$4 deadline
  kill "-$signal" "$pid"
  deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && pid_runs "$pid" "$pattern"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid still alive after SIG$signal; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 5))
    fi
    sleep 0.05
  done
}
