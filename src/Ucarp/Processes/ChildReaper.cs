using Ucarp.Core;
using Ucarp.Daemon;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Processes;

/// <summary>
/// The one reaper of the daemon's children: every group's state script (its end goes to
/// the group's follower, which may start the next) and health check (its verdict goes to
/// the health policy and through it to the group's gate), polled by pidfd; and the check
/// schedule itself, starting each run when due and killing one past its timeout.
/// </summary>
internal sealed class ChildReaper(GroupSet groups) : ILoopSource, ITouchesItsGroups
{
    public void AddTo(PollSet set, long now)
    {
        // Only the groups that have a child: the clock keeps that list as their code runs.
        groups.Clock.Refresh(now);
        foreach (GroupRuntime g in groups.Clock.WithChildren)
        {
            // Readable descriptors only wake the loop; each child is reaped after.
            g.ScriptPoll = g.Scripts.ExitFd >= 0 ? set.Add(g.Scripts.ExitFd) : -1;
            g.HealthPoll = g.Health?.ExitFd is int fd and >= 0 ? set.Add(fd) : -1;
        }
    }

    // The polls of children without a pidfd and the checks' schedule are the group clock's.
    public long? NextDeadline(long now) => null;

    public void Dispatch(PollSet set, long now)
    {
        List<GroupRuntime> children = groups.Clock.WithChildren;
        for (int i = 0; i < children.Count; i++)
        {
            GroupRuntime g = children[i];
            bool script = set.Readable(g.ScriptPoll), check = set.Readable(g.HealthPoll);
            if (script)
            {
                g.ReapScript();
            }
            if (check && !g.Stopping && g.Health is HealthCheckRunner health)
            {
                RunHealthCheck(g, health, now, exited: true);
            }
            if (script || check)
            {
                g.Touch();
            }
        }
        foreach (GroupRuntime g in groups.Clock.TakeDue(now))   // List<T>'s enumerator is a struct: no allocation
        {
            if (g.Scripts.NeedsPolling)
            {
                g.ReapScript();
            }
            if (!g.Stopping && g.Health is HealthCheckRunner health)
            {
                RunHealthCheck(g, health, now, exited: false);
            }
        }
    }

    /// <summary>Reaps a finished check, starts or kills one when due, and tells the election what a result changed.</summary>
    static void RunHealthCheck(GroupRuntime g, HealthCheckRunner health, long now, bool exited)
    {
        if (exited || health.NeedsPolling)
        {
            Apply(g, health, health.TryReap(now), now);
        }
        if (health.NextDeadline <= now)
        {
            Apply(g, health, health.OnTimer(now), now);
        }
    }

    static void Apply(GroupRuntime g, HealthCheckRunner health, Core.Health.HealthVerdict? verdict, long now)
    {
        if (verdict is Core.Health.HealthVerdict v)
        {
            health.Policy.Apply(v, g.Gate, now);
        }
    }

}
