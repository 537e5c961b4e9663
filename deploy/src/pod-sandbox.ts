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
 * The working tree (the image's /app here) may itself lie under an emptyDir path: a checkout in
 * /tmp, say, perhaps in a directory only root may enter (mktemp -d). It is held aside before the
 * tmpfs covers it and bound back inside it, under directories anyone may enter, as /app is in the
 * image.
 */
const script = `set -e
app=$PWD
hold=$(mktemp -d /dev/shm/latchkey-sandbox-XXXXXX)
mount --bind "$app" "$hold"
if [ "$LATCHKEY_SANDBOX_READ_ONLY" = true ]; then mount -o remount,ro,bind /; fi
for path in $LATCHKEY_SANDBOX_EMPTY_DIRS; do if [ -d "$path" ]; then mount -t tmpfs -o mode=1777,size=256m tmpfs "$path"; fi; done
if [ ! -d "$app" ] || [ -z "$(ls -A "$app")" ]; then mkdir -p -m 755 "$app"; mount --bind "$hold" "$app"; fi
umount "$hold" && rmdir "$hold"
cd "$app"
if [ "$LATCHKEY_SANDBOX_READ_ONLY" = true ] && touch /.latchkey-write-probe 2>/dev/null; then echo "sandbox: the root filesystem is writable" >&2; exit 97; fi
# The shell's own PWD and OLDPWD go too: the program gets the container's environment only.
unset LATCHKEY_SANDBOX_READ_ONLY LATCHKEY_SANDBOX_EMPTY_DIRS PWD OLDPWD
exec "$@"`

/**
 * The command line that runs `command` the way the kubelet would with these settings, on this
 * machine's own root filesystem: `unshare` for a private mount namespace (read-only root, tmpfs
 * emptyDirs) and `setpriv` for the user and group, no new privileges and no capabilities. Needs
 * root (the tests run as root here), as the kubelet does. Its environment variables go to the
 * sandbox script, which removes them before the program starts.
 */
export function sandboxed(command: string[], pod: SecuritySettings, container: SecuritySettings, emptyDirs: string[]): { command: string[]; env: Record<string, string> } {
  const settings = { ...pod, ...container }
  const privileges = ['setpriv']
  if (settings.runAsUser !== undefined) privileges.push(`--reuid=${settings.runAsUser}`, '--clear-groups')
  if (settings.runAsGroup !== undefined) privileges.push(`--regid=${settings.runAsGroup}`)
  if (settings.allowPrivilegeEscalation === false) privileges.push('--no-new-privs')
  if (settings.capabilities?.drop?.includes('ALL')) privileges.push('--inh-caps=-all', '--bounding-set=-all')
  return {
    command: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sandbox', ...privileges, '--', ...command],
    env: { LATCHKEY_SANDBOX_READ_ONLY: String(settings.readOnlyRootFilesystem === true), LATCHKEY_SANDBOX_EMPTY_DIRS: emptyDirs.join(' ') },
  }
}
