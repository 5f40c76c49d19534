using Ucarp.Core.Logging;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Daemon;

/// <summary>
/// The signals, relayed through a descriptor, to every group: SIGUSR1 a status line each
/// (and with --config the adverts no group took), SIGUSR2 a demotion, SIGHUP a reload,
/// SIGTERM and SIGINT the end.
/// </summary>
internal sealed class SignalFanOut(GroupSet groups, SignalRelay signals, GroupReload reload) : ILoopSource
{
    int _poll = -1;

    public void AddTo(PollSet set, long now) => _poll = set.Add(signals.Fd);

    public long? NextDeadline(long now) => null;

    public void Dispatch(PollSet set, long now)
    {
        if (!set.Readable(_poll))
        {
            return;
        }
        signals.Drain();
        if (signals.TakeUsr1())
        {
            foreach (GroupRuntime g in groups.Running)
            {
                g.Gate.ReportStatus();
            }
            if (groups.Many)
            {
                foreach (InterfaceSocket socket in groups.Interfaces.Sockets)
                {
                    groups.Log.Write(LogLevel.Info, Messages.UnknownAdverts(socket.Owner.Name, socket.IsV6 ? "IPv6" : "IPv4", socket.Unknown));
                }
            }
        }
        if (signals.TakeUsr2() && !groups.Stopping)
        {
            foreach (GroupRuntime g in groups.Running)
            {
                g.Gate.Demote(now);
            }
        }
        if (signals.TakeHangup() && !groups.Stopping)
        {
            reload.Start(null, now);
        }
        if (signals.TakeExit())
        {
            groups.StopAll(now);
        }
    }
}
