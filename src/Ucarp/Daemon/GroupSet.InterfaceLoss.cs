using Ucarp.Core.Groups;
using Ucarp.Core.Logging;

namespace Ucarp.Daemon;

// An interface gone or taken down: what becomes of the groups on it.
internal sealed partial class GroupSet
{
    /// <summary>
    /// The interface is gone (or taken down). A plain command line ends as ucarp's does: each
    /// group gets ucarp's ERROR line and, under -z when not BACKUP, its downscript, and the
    /// daemon exits 0. With --config each of its groups lets go of its addresses (the
    /// downscript when not BACKUP, -z or not: nothing is left behind on a link that may come
    /// back while the peer holds them) and is held back until the interface returns; the
    /// other groups carry on.
    /// </summary>
    public void LoseInterface(InterfaceEntry entry, short revents, long now)
    {
        if (Dying)
        {
            return;   // its --vmac children removed as the daemon dies: nothing was lost
        }
        Clock.TouchAll();
        List<GroupRuntime> lost = _groups.FindAll(g => g.Interface == entry && !g.Stopping);
        if (!_many)
        {
            foreach (GroupRuntime g in lost)
            {
                // Nothing can be sent on a vanished device: a waiting bow-out is dropped.
                g.Follower.CancelBowOut();
                g.Gate.InterfaceLost(revents, g.Config.ShutdownAtExit, now);
                g.MarkStopped(now);
            }
            Stopping |= lost.Count > 0;
            return;
        }
        // A reload's group about to start there would start on the lost entry (its index and
        // MAC may be another device's by then): it waits too.
        List<GroupRuntime> waiting = _waiting.FindAll(w => w.Interface == entry);
        if (lost.Count == 0 && waiting.Count == 0)
        {
            return;   // its groups were told already (they are finishing)
        }
        string reason = InterfaceProblem(entry.Name) ?? Messages.HeldInterfaceDown(entry.Name);
        entry.Lost = true;
        foreach (GroupRuntime g in lost)
        {
            g.Follower.CancelBowOut();
            g.Gate.InterfaceLost(null, shutdownAtExit: true, now);
            g.MarkStopped(now);
            _groups.Remove(g);
            _leaving.Add(g);
            Clock.TouchAll();
            Hold(g.Options, g.EtcdPassword, reason, g.Gate.ReasonOf(GateReason.Control), now);
        }
        foreach (GroupRuntime w in waiting)
        {
            _waiting.Remove(w);
            if (!_held.Exists(h => h.Name == w.Name))
            {
                Hold(w.Options, w.EtcdPassword, reason, w.Gate.ReasonOf(GateReason.Control), now);
            }
            w.Dispose();
        }
        ForgetUnusedInterfaces();
        GroupsChanged(now);
    }
}
