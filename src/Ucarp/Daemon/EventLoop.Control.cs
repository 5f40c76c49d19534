using Ucarp.Control;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

// What the loop polls besides groups and sockets: the config reload's result and ucarpctl's socket.
internal sealed partial class EventLoop
{
    ControlServer? _control;
    int _controlPoll;
    int _controlCount;

    /// <summary>Monitoring of every group; set once before <see cref="Run"/>.</summary>
    public void Attach(StatusPublisher publisher)
    {
        _publisher = publisher;
        publisher.SetGroups([.. _groups.Select(Published)], MonotonicClock.NowMicroseconds);
    }

    /// <summary>ucarpctl's socket, served by this loop; set once before <see cref="Run"/>, disposed with the loop.</summary>
    public void Attach(ControlServer control) => _control = control;

    long? ControlDeadline() => _control?.NextDeadline;

    void AddControlFds(ref int count)
    {
        _reloadPoll = _reload is not null && _reload.Busy ? Add(ref count, _reload.Fd) : -1;
        if (_control is null)
        {
            return;
        }
        if (_fds.Length < count + ControlServer.MaxPollFds)
        {
            Array.Resize(ref _fds, count + ControlServer.MaxPollFds + 64);
        }
        _controlPoll = count;
        _controlCount = _control.FillPoll(_fds.AsSpan(count));
        count += _controlCount;
    }

    // Every pass: the server also drops connections past their deadline.
    void ServeControl(long now) => _control?.Process(_fds.AsSpan(_controlPoll, _controlCount), now);

    void DisposeControl()
    {
        _control?.Dispose();
        _reload?.Dispose();
    }
}
