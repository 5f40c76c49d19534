using System.Text;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram per message to the unix socket named
/// by NOTIFY_SOCKET ("@" for the abstract namespace). Absent variable, nothing sent.
/// Failures are ignored, as sd_notify's callers usually do: the protocol never waits on it.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    readonly FileDescriptor? _socket;
    readonly byte[] _address = [];

    SystemdNotifier(FileDescriptor socket, byte[] address, long watchdogInterval)
    {
        _socket = socket;
        _address = address;
        WatchdogInterval = watchdogInterval;
    }

    SystemdNotifier() { }

    /// <summary>Microseconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or 0 for none.</summary>
    public long WatchdogInterval { get; }

    public bool Enabled => _socket is not null;

    public static SystemdNotifier FromEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || (path[0] != '/' && path[0] != '@') || Encoding.UTF8.GetByteCount(path) >= 108)
        {
            return new SystemdNotifier();
        }
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return new SystemdNotifier();
        }
        // struct sockaddr_un: sa_family_t, then the path; an abstract name starts with a NUL.
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name[0] == (byte)'@')
        {
            name[0] = 0;
        }
        byte[] address = new byte[2 + name.Length + (path[0] == '/' ? 1 : 0)];
        BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)Libc.AF_UNIX);
        name.CopyTo(address, 2);
        return new SystemdNotifier(new FileDescriptor(fd), address, WatchdogFromEnvironment());
    }

    /// <summary>WATCHDOG_USEC / 2 when the watchdog is meant for this process (WATCHDOG_PID unset or ours).</summary>
    static long WatchdogFromEnvironment()
    {
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return 0;
        }
        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long usec) && usec > 0 ? usec / 2 : 0;
    }

    public unsafe void Send(string message)
    {
        if (_socket is null)
        {
            return;
        }
        byte[] data = Encoding.UTF8.GetBytes(message);
        fixed (byte* d = data)
        fixed (byte* a = _address)
        {
            Libc.SendTo(_socket.Fd, d, (nuint)data.Length, Libc.MSG_DONTWAIT, a, (uint)_address.Length);
        }
    }

    public void Dispose() => _socket?.Dispose();
}
