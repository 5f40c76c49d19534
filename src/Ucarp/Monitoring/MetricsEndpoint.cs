using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Ucarp.Core.Monitoring;
using Ucarp.Interop;

namespace Ucarp.Monitoring;

/// <summary>
/// --metrics-listen: the metrics document over HTTP, for Prometheus to scrape. It runs on a
/// thread of its own with its own poll, so a slow, stalled or hostile client never touches
/// the protocol's thread; the publisher hands it each new document (one reference swap).
/// Only GET and HEAD of /metrics are answered; a request is at most 8 KiB of head, a
/// client gets 5 s in all, and at most 32 are served at once (more are closed at accept).
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    const int MaxClients = 32;
    const int MaxHead = 8 << 10;
    const long ClientTime = 5_000;   // ms from accept to the last byte written
    const int SO_REUSEADDR = 2;
    const int SHUT_WR = 1;

    readonly FileDescriptor _listener;
    readonly FileDescriptor _wake;
    readonly List<Client> _clients = [];
    volatile byte[]? _document;
    volatile bool _stop;
    Thread? _thread;
    long _acceptPausedUntil;

    sealed class Client(FileDescriptor socket, long deadline)
    {
        public readonly FileDescriptor Socket = socket;
        public readonly long Deadline = deadline;
        public readonly byte[] Head = new byte[MaxHead];
        public int Received;
        public byte[]? Reply;
        public int Sent;
        public bool Draining;
        public bool Done;
    }

    MetricsEndpoint(FileDescriptor listener, FileDescriptor wake)
    {
        _listener = listener;
        _wake = wake;
    }

    /// <summary>Bound and listening (not yet serving: <see cref="Start"/>), or false and why.</summary>
    public static unsafe bool TryOpen(ListenAddress at, [NotNullWhen(true)] out MetricsEndpoint? endpoint, out SysError error)
    {
        endpoint = null;
        int family = at.Address.IsV6 ? Libc.AF_INET6 : Libc.AF_INET;
        var socket = new FileDescriptor(Libc.Socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0));
        if (socket.IsInvalid)
        {
            error = SysError.Last("socket");
            socket.Dispose();
            return false;
        }
        int one = 1;
        Libc.SetSockOpt(socket.Fd, Libc.SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int));
        // struct sockaddr_in (16 bytes) or sockaddr_in6 (28): family, port in network order, address.
        Span<byte> address = stackalloc byte[at.Address.IsV6 ? 28 : 16];
        address.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(address, (ushort)family);
        BinaryPrimitives.WriteUInt16BigEndian(address[2..], (ushort)at.Port);
        at.Address.CopyTo(address[(at.Address.IsV6 ? 8 : 4)..]);
        int wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        fixed (byte* a = address)
        {
            if (Libc.Bind(socket.Fd, a, (uint)address.Length) != 0 || Libc.Listen(socket.Fd, 64) != 0 || wake < 0)
            {
                error = SysError.Last(wake < 0 ? "eventfd" : null);
                socket.Dispose();
                if (wake >= 0)
                {
                    Libc.Close(wake);
                }
                return false;
            }
        }
        error = SysError.None;
        endpoint = new MetricsEndpoint(socket, new FileDescriptor(wake));
        return true;
    }

    /// <summary>The document served from now on (the publisher's writer thread calls this); null: 503 from now on (the daemon is stopping).</summary>
    public void Publish(string? metrics) => _document = metrics is null ? null : Encoding.UTF8.GetBytes(metrics);

    public void Start()
    {
        _thread = new Thread(Serve) { IsBackground = true, Name = "metrics http" };
        _thread.Start();
    }

    void Serve()
    {
        while (!_stop)
        {
            try
            {
                Loop();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never the daemon's end: the endpoint rests a second and serves on.
                Thread.Sleep(1000);
            }
        }
        foreach (Client c in _clients)
        {
            Close(c);
        }
    }

    unsafe void Loop()
    {
        PollFd* fds = stackalloc PollFd[MaxClients + 2];
        while (!_stop)
        {
            long now = Environment.TickCount64;
            _clients.RemoveAll(c => c.Done && Close(c));
            long wait = long.MaxValue;
            fds[0] = new PollFd { Fd = _wake.Fd, Events = Libc.POLLIN };
            // Out of descriptors, the listener would stay readable and spin this thread: it rests.
            fds[1] = new PollFd { Fd = now < _acceptPausedUntil ? -1 : _listener.Fd, Events = Libc.POLLIN };
            if (now < _acceptPausedUntil)
            {
                wait = Math.Min(wait, _acceptPausedUntil - now);
            }
            for (int i = 0; i < _clients.Count; i++)
            {
                Client c = _clients[i];
                fds[i + 2] = new PollFd { Fd = c.Socket.Fd, Events = c.Reply is null || c.Draining ? Libc.POLLIN : Libc.POLLOUT };
                wait = Math.Min(wait, c.Deadline - now);
            }
            var timeout = new TimeSpec { Seconds = Math.Max(0, wait) / 1000, Nanoseconds = Math.Max(0, wait) % 1000 * 1_000_000 };
            int ready = Libc.PPoll(fds, (ulong)(_clients.Count + 2), wait == long.MaxValue ? null : &timeout, null);
            if (ready < 0)
            {
                if (Libc.LastErrno != Libc.EINTR)
                {
                    Thread.Sleep(100);   // not a spin, whatever ppoll's trouble
                }
                continue;
            }
            now = Environment.TickCount64;
            for (int i = 0; i < _clients.Count; i++)
            {
                Client c = _clients[i];
                if (fds[i + 2].REvents != 0)
                {
                    Step(c);
                }
                if (now >= c.Deadline)
                {
                    c.Done = true;   // too slow: 5 s for the whole exchange
                }
            }
            if ((fds[1].REvents & Libc.POLLIN) != 0)
            {
                Accept(now);
            }
        }
    }

    static bool Close(Client c)
    {
        c.Socket.Dispose();
        return true;
    }

    unsafe void Accept(long now)
    {
        for (int i = 0; i < MaxClients; i++)
        {
            int fd = Libc.Accept4(_listener.Fd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                if (Libc.LastErrno is Libc.EMFILE or Libc.ENFILE)
                {
                    _acceptPausedUntil = now + 1000;
                }
                return;
            }
            var socket = new FileDescriptor(fd);
            if (_clients.Count >= MaxClients)
            {
                socket.Dispose();   // full: the client retries at its next scrape
                continue;
            }
            _clients.Add(new Client(socket, now + ClientTime));
        }
    }

    unsafe void Step(Client c)
    {
        if (c.Draining)
        {
            // What the client still sends after its answer is read and dropped until it
            // closes: closing with it unread would reset the connection, and the client
            // could lose the answer (a 431 for a head too large, say).
            byte* sink = stackalloc byte[4096];
            nint n = Libc.Recv(c.Socket.Fd, sink, 4096, Libc.MSG_DONTWAIT);
            c.Done = n == 0 || n < 0 && Libc.LastErrno is not (Libc.EAGAIN or Libc.EINTR);
            return;
        }
        if (c.Reply is null)
        {
            nint n;
            fixed (byte* b = &c.Head[c.Received])
            {
                n = c.Received < MaxHead ? Libc.Recv(c.Socket.Fd, b, (nuint)(MaxHead - c.Received), Libc.MSG_DONTWAIT) : 0;
            }
            if (n > 0)
            {
                c.Received += (int)n;
            }
            else if (n == 0 && c.Received < MaxHead || n < 0 && Libc.LastErrno is not (Libc.EAGAIN or Libc.EINTR))
            {
                c.Done = true;   // gone before its request was whole
                return;
            }
            c.Reply = MetricsHttp.Answer(c.Head.AsSpan(0, c.Received), c.Received >= MaxHead, _document);
            if (c.Reply is null)
            {
                return;   // the head is not whole yet
            }
        }
        while (c.Sent < c.Reply.Length)
        {
            nint n;
            fixed (byte* b = &c.Reply[c.Sent])
            {
                n = Libc.Send(c.Socket.Fd, b, (nuint)(c.Reply.Length - c.Sent), Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
            }
            if (n <= 0)
            {
                c.Done = n < 0 && Libc.LastErrno is not (Libc.EAGAIN or Libc.EINTR);
                return;
            }
            c.Sent += (int)n;
        }
        Libc.Shutdown(c.Socket.Fd, SHUT_WR);
        c.Draining = true;
    }

    public unsafe void Dispose()
    {
        _stop = true;
        ulong one = 1;
        Libc.Write(_wake.Fd, (byte*)&one, sizeof(ulong));
        _thread?.Join(1000);
        _listener.Dispose();
        _wake.Dispose();
    }
}
