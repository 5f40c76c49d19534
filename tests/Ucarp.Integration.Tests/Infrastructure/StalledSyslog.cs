using System.Net.Sockets;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A /dev/log nobody reads: a datagram socket the test binds and fills until the kernel
/// refuses more, so the next syslog(3) to it blocks. Daemons see it at /dev/log through
/// a bind mount in a private mount namespace (<see cref="Wrap"/>); the host's /dev/log is
/// untouched (where it does not exist, an empty mount point stands there while the test runs).
/// </summary>
sealed class StalledSyslog : IDisposable
{
    const string DevLog = "/dev/log";
    readonly Socket _socket;
    readonly bool _createdMountPoint;
    Thread? _reader;
    volatile bool _stop;

    public StalledSyslog(string directory)
    {
        Path = System.IO.Path.Combine(directory, "log.sock");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        if (!File.Exists(DevLog))
        {
            File.WriteAllBytes(DevLog, []);
            _createdMountPoint = true;
        }
    }

    public string Path { get; }

    /// <summary>The command line that runs <paramref name="argv"/> with this socket as its /dev/log.</summary>
    public string[] Wrap(params string[] argv) =>
        ["unshare", "-m", "--propagation", "private", "sh", "-c", $"mount --bind {Path} {DevLog} && exec \"$@\"", "sh", .. argv];

    /// <summary>Sends from fresh sockets until one cannot send even its first datagram: the receive queue is full.</summary>
    public int Fill()
    {
        int sent = 0;
        var senders = new List<Socket>();
        try
        {
            for (int s = 0; s < 256; s++)
            {
                var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
                senders.Add(sender);
                sender.Connect(new UnixDomainSocketEndPoint(Path));
                int mine = 0;
                while (sender.Send("<13>filler"u8, SocketFlags.None, out SocketError error) > 0 && error == SocketError.Success)
                {
                    mine++;
                }
                sent += mine;
                if (mine == 0)
                {
                    return sent;
                }
            }
            throw new InvalidOperationException($"the log socket still takes datagrams after {sent}");
        }
        finally
        {
            // Datagrams already queued stay queued when their sender closes.
            senders.ForEach(s => s.Dispose());
        }
    }

    /// <summary>Starts reading (and discarding) everything: syslog unblocks.</summary>
    public void Release()
    {
        _reader = new Thread(() =>
        {
            byte[] buffer = new byte[8192];
            _socket.ReceiveTimeout = 100;
            while (!_stop)
            {
                try
                {
                    _socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    // Timeout: look at _stop again.
                }
            }
        }) { IsBackground = true };
        _reader.Start();
    }

    public void Dispose()
    {
        _stop = true;
        _reader?.Join(1000);
        _socket.Dispose();
        File.Delete(Path);
        if (_createdMountPoint)
        {
            File.Delete(DevLog);
        }
    }
}
