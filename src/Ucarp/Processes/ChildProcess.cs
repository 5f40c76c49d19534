using Ucarp.Interop;

namespace Ucarp.Processes;

/// <summary>
/// A child the daemon started without waiting for it (a state script, a health check):
/// its pid and a pidfd that polls readable when it exits, and one non-blocking waitpid.
/// Where the kernel has no pidfd the loop looks at it every 50 ms instead.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    FileDescriptor? _pidfd;

    public ChildProcess(int pid)
    {
        Pid = pid;
        int fd = Libc.PidFdOpen(pid, 0);
        _pidfd = fd >= 0 ? new FileDescriptor(fd) : null;
    }

    public int Pid { get; }

    /// <summary>Polls readable when the child exits; -1 without a pidfd.</summary>
    public int ExitFd => _pidfd?.Fd ?? -1;

    /// <summary>True when its exit cannot be polled: look often.</summary>
    public bool NeedsPolling => _pidfd is null;

    /// <summary>
    /// Reaps the child if it has exited. True with its wait status (or -1 when waitpid
    /// failed: it is gone all the same); false while it still runs.
    /// </summary>
    public unsafe bool TryReap(out int status)
    {
        int s;
        int rc = Libc.WaitPid(Pid, &s, Libc.WNOHANG);
        if (rc == 0 || (rc < 0 && Libc.LastErrno == Libc.EINTR))
        {
            status = 0;
            return false;
        }
        status = rc > 0 ? s : -1;
        Dispose();
        return true;
    }

    /// <summary>Kills it (with its process group when it leads one) and waits for it: the daemon is leaving.</summary>
    public unsafe void KillAndWait(bool group)
    {
        Libc.Kill(group ? -Pid : Pid, Libc.SIGKILL);
        int s;
        Libc.WaitPid(Pid, &s, 0);
        Dispose();
    }

    /// <summary>The exit code of a wait status (0 when killed).</summary>
    public static int ExitCode(int status) => (status >> 8) & 0xff;

    /// <summary>The signal that killed the child, 0 when it exited.</summary>
    public static int Signal(int status) => status & 0x7f;

    public void Dispose()
    {
        _pidfd?.Dispose();
        _pidfd = null;
    }
}
