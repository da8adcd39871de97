#!/bin/sh
# The kernel launcher of `npm run grade` (tools/exercises/grade.mjs writes a
# kernelspec that runs it). It runs as PID 1 of fresh mount, PID and IPC
# namespaces created by `unshare` (and a user namespace when the grader is
# not root), inside the network namespace of the submission's runner (only a
# loopback, shared with nothing else), and starts the tslab kernel that
# executes one submission:
#
#   - in a minimal root of its own: /usr, /etc and the other system folders,
#     the node executable, the course's node_modules/ and lib/ and the
#     kernel's launcher (tools/kernel/tslab-kernel.cjs), all read-only;
#     empty /tmp, /dev/shm and a few /dev nodes; a /proc that shows only
#     this sandbox. Nothing else of the machine exists there: not
#     the instructor's notebooks, not the other submissions, not the repo's
#     .git, not the grades;
#   - in its scratch folder, an empty size-limited tmpfs into which the
#     submission (the student's file only) is copied: what the kernel writes
#     there vanishes with it;
#   - as a user id of its own ($GRADER_UID, one per submission) without
#     capabilities and with no_new_privs (when the grader is root; in a user
#     namespace it keeps the caller's uid but drops every capability);
#   - under resource limits: RLIMIT_DATA (memory that can be written), CPU
#     seconds, no core files, and the number of processes, which counts per
#     user id (root: the submission's own) or per user namespace (Linux 5.14
#     and later), so one submission's processes never use up another's.
#
# Configuration comes from GRADER_* environment variables (see grade.mjs);
# the kernel itself gets a clean environment. Usage:
#   sandbox.sh CONNECTION_FILE      start the kernel
#   sandbox.sh --probe CANARY       check that the sandbox works (prints sandbox-ok)
set -eu
# System tools by their own folders, never by the caller's PATH.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

fail() { echo "sandbox.sh: $*" >&2; exit 97; }
[ "$$" = 1 ] || fail "must run as PID 1 of a new PID namespace (unshare --pid --fork)"
R=${GRADER_NEWROOT:?}
WORK=${GRADER_WORK:?}
REPO=${GRADER_REPO:?}
NODE=${GRADER_NODE:?}
MODE=${GRADER_MODE:-root}
SCRATCH_MB=${GRADER_SCRATCH_MB:-256}
KUID=${GRADER_UID:-65534}
case "$KUID" in ''|*[!0-9]*) fail "GRADER_UID must be a number" ;; esac
SETPRIV=$(command -v setpriv) || fail "setpriv not found"
PRLIMIT=$(command -v prlimit) || fail "prlimit not found"
CHROOT=$(command -v chroot) || fail "chroot not found"

# Mounts made here stay here.
mount --make-rprivate /
mount -t tmpfs -o size=16m,mode=755 grader-root "$R"

ro_bind() { # ro_bind HOST_PATH: the same path, read-only, inside the new root
  if [ -d "$1" ]; then mkdir -p "$R$1"; else mkdir -p "$(dirname "$R$1")"; : > "$R$1"; fi
  mount --rbind "$1" "$R$1"
  mount -o remount,bind,ro "$R$1" 2>/dev/null || mount -o remount,ro,bind "$R$1"
}
for d in /usr /etc /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$R$d"
  elif [ -d "$d" ]; then ro_bind "$d"; fi
done
mkdir -p "$R/dev" "$R/proc" "$R/tmp"
mount -t tmpfs -o size=1m,mode=755 grader-dev "$R/dev"
for n in null zero full random urandom tty; do : > "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
ln -s /proc/self/fd "$R/dev/fd"
mkdir "$R/dev/shm" && mount -t tmpfs -o size=64m,mode=1777 grader-shm "$R/dev/shm"
mount -t proc proc "$R/proc"
mount -t tmpfs -o size=64m,mode=1777 grader-tmp "$R/tmp"

# node outside /usr (nvm, a tarball in /opt): its installation folder.
case "$NODE" in /usr/*|/bin/*|/sbin/*|/lib*) ;; *) ro_bind "$(dirname "$(dirname "$NODE")")" ;; esac
for p in node_modules lib package.json tools/kernel/tslab-kernel.cjs; do
  if [ -e "$REPO/$p" ]; then ro_bind "$REPO/$p"; fi
done

# Belt and braces: whatever of the instructor's folders would still show is
# covered (not a folder that holds the scratch folder or the course itself).
printf '%s\n' "${GRADER_HIDE:-}" | while IFS= read -r p; do
  [ -n "$p" ] && [ "$p" != / ] || continue
  case "$WORK/" in "$p"/*) continue ;; esac
  case "$REPO/" in "$p"/*) continue ;; esac
  if [ -d "$R$p" ]; then mount -t tmpfs -o size=4k,mode=555,ro grader-hidden "$R$p"
  elif [ -e "$R$p" ]; then mount --bind /dev/null "$R$p"; fi
done

if [ "$MODE" = root ]; then OWNER="uid=$KUID,gid=$KUID"; else OWNER="uid=0,gid=0"; fi
mkdir -p "$R$WORK"
mount -t tmpfs -o "size=${SCRATCH_MB}m,mode=700,$OWNER" grader-work "$R$WORK"
if [ -n "${GRADER_WORK_SRC:-}" ]; then cp -R "$GRADER_WORK_SRC/." "$R$WORK/"; fi
ln -s "$REPO/node_modules" "$R$WORK/node_modules"

if [ "${1:-}" = --probe ]; then
  CANARY=$2
  PORT=${3:-0}
  set -- "$NODE" -e '
    const fs = require("fs"), assert = require("assert"), net = require("net"), os = require("os");
    const [canary, repo, mode, uid, port, nproc] = process.argv.slice(1);
    assert.throws(() => fs.readFileSync(canary), "the canary file is readable");
    assert.throws(() => fs.readdirSync(repo + "/notebooks"), "notebooks/ is visible");
    assert.throws(() => fs.writeFileSync(repo + "/lib/package.json", "x"), "lib/ is writable");
    if (mode === "root") assert.strictEqual(process.getuid(), Number(uid), "not the submission'"'"'s own uid");
    assert.strictEqual(process.pid, 1, "not in a PID namespace of its own");
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    assert.match(limits, new RegExp("Max processes +" + nproc + " "), "no process limit");
    const names = Object.keys(os.networkInterfaces());
    assert.deepStrictEqual(names.filter((n) => n !== "lo"), [], "network interfaces other than the loopback: " + names);
    fs.writeFileSync("probe.txt", "ok");
    require.resolve("@rnn-course/lib", { paths: [process.cwd()] });
    const s = net.connect(Number(port), "127.0.0.1");
    s.on("connect", () => { console.error("sandbox.sh: the grader'"'"'s 127.0.0.1:" + port + " is reachable"); process.exit(1); });
    s.on("error", () => console.log("sandbox-ok"));' "$CANARY" "$REPO" "$MODE" "$KUID" "$PORT" "${GRADER_NPROC:-512}"
else
  cp "$1" "$R$WORK/.kernel-connection.json"
  chmod 600 "$R$WORK/.kernel-connection.json"
  # shellcheck disable=SC2086
  set -- "$NODE" ${GRADER_NODE_FLAGS:-} "$REPO/tools/kernel/tslab-kernel.cjs" kernel --config-path "$WORK/.kernel-connection.json"
fi
if [ "$MODE" = root ]; then chown -R -h "$KUID:$KUID" "$R$WORK"; fi

if [ "$MODE" = root ]; then
  DROP="--reuid=$KUID --regid=$KUID --clear-groups"
else
  DROP=""
fi
LIMITS="--core=0 --nproc=${GRADER_NPROC:-512}"
if [ -n "${GRADER_DATA_BYTES:-}" ]; then LIMITS="$LIMITS --data=$GRADER_DATA_BYTES"; fi
if [ -n "${GRADER_CPU_SECONDS:-}" ]; then LIMITS="$LIMITS --cpu=$GRADER_CPU_SECONDS"; fi
KEEP=""
if [ -n "${RNN_COURSE_BACKEND:-}" ]; then KEEP="RNN_COURSE_BACKEND=$RNN_COURSE_BACKEND"; fi

# shellcheck disable=SC2086
# --pdeathsig after the uid change (which clears it): when unshare dies, so does
# this PID 1, and with it every process of the namespace.
exec "$PRLIMIT" $LIMITS -- "$CHROOT" "$R" "$SETPRIV" $DROP --inh-caps=-all --bounding-set=-all --no-new-privs --pdeathsig KILL -- \
  /bin/sh -c 'cd "$1" && shift && exec "$@"' sandbox "$WORK" \
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK" TMPDIR=/tmp LANG=C.UTF-8 $KEEP "$@"
