using Ucarp.Interop;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

// What the loop polls besides groups and sockets: the config reload's result and ucarpctl's socket.
internal sealed partial class EventLoop
{
    /// <summary>Monitoring of every group; set once before <see cref="Run"/>.</summary>
    public void Attach(StatusPublisher? publisher) => _publisher = publisher;

    long? ControlDeadline() => null;

    void AddControlFds(ref int count)
    {
        _reloadPoll = _reload is not null && _reload.Busy ? Add(ref count, _reload.Fd) : -1;
    }

    void ServeControl(long now)
    {
    }

    void DisposeControl()
    {
        _reload?.Dispose();
    }
}
