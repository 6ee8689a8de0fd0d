/**
 * Whether a process of this machine exists (signal 0; EPERM means it exists under another
 * user). Its own module, free of etcd, so the local lock file can use it without loading the
 * etcd client.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
