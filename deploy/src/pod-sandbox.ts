/** The security settings of a pod and its container that the sandbox applies. */
export interface SecuritySettings {
  runAsUser?: number
  runAsGroup?: number
  readOnlyRootFilesystem?: boolean
  allowPrivilegeEscalation?: boolean
  capabilities?: { drop?: string[] }
}

/**
 * Runs in a mount namespace of its own: remounts the root filesystem read-only when asked, puts a
 * fresh tmpfs on every volume mount path that exists (the emptyDirs), checks the root really is
 * read-only, then becomes the pod's user. "$@" is the setpriv command line that follows.
 * The repository (what the image holds, here) may lie under an emptyDir path (a checkout in /tmp)
 * or below a directory the pod's user may not enter (mktemp -d makes one): it is held aside, then
 * bound back (read-only with the root) under fresh directories anyone may enter, as /app is in the
 * image.
 */
const script = `set -e
here=$PWD
keep=$LATCHKEY_SANDBOX_KEEP
ro=$LATCHKEY_SANDBOX_READ_ONLY
enterable() { case "$(stat -c %A "$1")" in ?????????[xt]) return 0 ;; *) return 1 ;; esac; }
# The topmost directory above the repository that others may not enter, if any.
blocked=
dir=$keep
while [ "$dir" != / ]; do dir=$(dirname "$dir"); enterable "$dir" || blocked=$dir; done
hold=$(mktemp -d /dev/shm/latchkey-sandbox-XXXXXX)
mount --bind "$keep" "$hold"
if [ "$ro" = true ]; then mount -o remount,ro,bind /; fi
for path in $LATCHKEY_SANDBOX_EMPTY_DIRS; do if [ -d "$path" ]; then mount -t tmpfs -o mode=1777,size=256m tmpfs "$path"; fi; done
if [ -n "$blocked" ] && [ -d "$blocked" ]; then mount -t tmpfs -o mode=755,size=1m tmpfs "$blocked"; fi
if [ ! -d "$keep" ] || [ -z "$(ls -A "$keep")" ] || ! enterable "$keep"; then
  # A fresh directory anyone may enter, holding the repository's entries.
  mkdir -p "$keep"
  mount -t tmpfs -o mode=755,size=1m tmpfs "$keep"
  for entry in "$hold"/* "$hold"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=\${entry##*/}
    if [ -d "$entry" ]; then mkdir "$keep/$name"; else touch "$keep/$name"; fi
    mount --bind "$entry" "$keep/$name"
    if [ "$ro" = true ]; then mount -o remount,ro,bind "$keep/$name"; fi
  done
  if [ "$ro" = true ]; then mount -o remount,ro "$keep"; fi
fi
umount "$hold" && rmdir "$hold"
cd "$here"
if [ "$LATCHKEY_SANDBOX_READ_ONLY" = true ] && touch /.latchkey-write-probe 2>/dev/null; then echo "sandbox: the root filesystem is writable" >&2; exit 97; fi
# The shell's own PWD and OLDPWD go too: the program gets the container's environment only.
unset LATCHKEY_SANDBOX_READ_ONLY LATCHKEY_SANDBOX_EMPTY_DIRS LATCHKEY_SANDBOX_KEEP PWD OLDPWD
exec "$@"`

/**
 * The command line that runs `command` the way the kubelet would with these settings, on this
 * machine's own root filesystem: `unshare` for a private mount namespace (read-only root, tmpfs
 * emptyDirs) and `setpriv` for the user and group, no new privileges and no capabilities. Needs
 * root (the tests run as root here), as the kubelet does. Its environment variables go to the
 * sandbox script, which removes them before the program starts. `keep` is the directory that
 * must stay visible (the repository, standing in for the image).
 */
export function sandboxed(command: string[], pod: SecuritySettings, container: SecuritySettings, emptyDirs: string[], keep: string): { command: string[]; env: Record<string, string> } {
  const settings = { ...pod, ...container }
  const privileges = ['setpriv']
  if (settings.runAsUser !== undefined) privileges.push(`--reuid=${settings.runAsUser}`, '--clear-groups')
  if (settings.runAsGroup !== undefined) privileges.push(`--regid=${settings.runAsGroup}`)
  if (settings.allowPrivilegeEscalation === false) privileges.push('--no-new-privs')
  if (settings.capabilities?.drop?.includes('ALL')) privileges.push('--inh-caps=-all', '--bounding-set=-all')
  return {
    command: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sandbox', ...privileges, '--', ...command],
    env: { LATCHKEY_SANDBOX_READ_ONLY: String(settings.readOnlyRootFilesystem === true), LATCHKEY_SANDBOX_EMPTY_DIRS: emptyDirs.join(' '), LATCHKEY_SANDBOX_KEEP: keep },
  }
}
