using Ucarp.Core.Control;
using Ucarp.Interop;

namespace Ucarp.Control;

/// <summary>
/// One ucarpctl connection: reading its request line, then (for reload) waiting for the
/// handler, then writing the reply, possibly over several wake-ups, then closed. A watch
/// connection streams instead: lines are appended as groups change, and it stays open
/// until the peer goes, or falls so far behind that its output would pass a bound.
/// </summary>
internal sealed class ControlConnection(FileDescriptor socket, bool allowed, long deadline)
{
    readonly byte[] _request = new byte[ControlFraming.MaxRequest];
    int _received;
    byte[]? _reply;
    int _sent;
    int _end;

    public int Fd => socket.Fd;
    /// <summary>The peer may be served (root, or the daemon's own user).</summary>
    public bool Allowed { get; } = allowed;
    public bool Closed { get; private set; }
    /// <summary>Waiting for the handler's reload reply: neither reading nor writing.</summary>
    public bool Waiting { get; set; }
    /// <summary>When a stalled peer (or a handler that never answers) is given up on.</summary>
    public long Deadline { get; set; } = deadline;

    /// <summary>watch: the reply never ends; <see cref="Append"/> adds to it.</summary>
    public bool Streaming { get; set; }

    /// <summary>watch --json: one JSON object a line instead of text.</summary>
    public bool WatchJson { get; set; }

    // While waiting (or streaming with nothing to send), no events: ppoll still reports
    // POLLHUP and POLLERR, so a peer that gives up is seen.
    public short Events => Closed ? (short)0 : Pending > 0 ? Libc.POLLOUT : _reply is not null || Waiting ? (short)0 : Libc.POLLIN;

    public bool Replying => _reply is not null;

    /// <summary>Bytes of the reply not yet sent.</summary>
    public int Pending => _end - _sent;

    /// <summary>Reads what has arrived; the request's state so far, and the line once it is complete.</summary>
    public unsafe RequestScan Read(out byte[]? line, out bool ended)
    {
        line = null;
        ended = false;
        while (true)
        {
            RequestScan scan = ControlFraming.ScanRequest(_request.AsSpan(0, _received), ended, out ReadOnlySpan<byte> complete);
            if (scan != RequestScan.Incomplete || ended)
            {
                line = scan == RequestScan.Complete ? complete.ToArray() : null;
                return scan;
            }
            nint n;
            fixed (byte* b = &_request[_received])
            {
                n = Libc.Recv(socket.Fd, b, (nuint)(_request.Length - _received), Libc.MSG_DONTWAIT);
            }
            if (n > 0)
            {
                _received += (int)n;
            }
            else if (n == 0)
            {
                ended = true;
            }
            else if (Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }
            else
            {
                // EAGAIN: the rest comes later; any other error ends the connection (ended, incomplete).
                ended = Libc.LastErrno != Libc.EAGAIN;
                return RequestScan.Incomplete;
            }
        }
    }

    public void SetReply(byte[] reply)
    {
        _reply = reply;
        _sent = 0;
        _end = reply.Length;
    }

    /// <summary>
    /// Adds to a streamed reply; false (nothing added) when what would wait to be sent passes
    /// <paramref name="limit"/> bytes: a watcher that does not read is not buffered for without end.
    /// </summary>
    public bool Append(ReadOnlySpan<byte> bytes, int limit)
    {
        if (Pending + bytes.Length > limit)
        {
            return false;
        }
        _reply ??= [];
        if (_end + bytes.Length > _reply.Length)
        {
            // Move what is left to the front, growing the buffer only when that is not enough.
            byte[] into = Pending + bytes.Length > _reply.Length ? new byte[Math.Max(Pending + bytes.Length, _reply.Length * 2)] : _reply;
            Array.Copy(_reply, _sent, into, 0, Pending);
            _end = Pending;
            _sent = 0;
            _reply = into;
        }
        bytes.CopyTo(_reply.AsSpan(_end));
        _end += bytes.Length;
        return true;
    }

    /// <summary>
    /// Sends what the socket takes now; true when the connection is done: the reply is all out
    /// (never for a stream), or the peer is gone.
    /// </summary>
    public unsafe bool Flush(out bool progressed)
    {
        progressed = false;
        while (_sent < _end)
        {
            nint n;
            fixed (byte* b = &_reply![_sent])
            {
                n = Libc.Send(socket.Fd, b, (nuint)(_end - _sent), Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
            }
            if (n > 0)
            {
                _sent += (int)n;
                progressed = true;
            }
            else if (n < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }
            else
            {
                return n < 0 && Libc.LastErrno != Libc.EAGAIN;
            }
        }
        return !Streaming;
    }

    public void Close()
    {
        Closed = true;
        socket.Dispose();
    }
}
