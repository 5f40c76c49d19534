using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using static Ucarp.Core.Tests.Carp.CarpMachineTests;

namespace Ucarp.Core.Tests.Carp;

/// <summary>
/// What a CARP election tells its watchers (monitoring, the sync-set rule): every change in
/// what is shown of it, when it happens, so nothing has to compare the groups after each event.
/// </summary>
public class StandingWatcherTests
{
    const long S = Timing.Second;
    static readonly IpAddress Peer = new(192, 0, 2, 2);

    sealed class Counter : IStandingWatcher
    {
        public int Told;
        public void StandingChanged(IElection election) => Told++;
    }

    static (CarpMachine, Counter) Watched(CarpMachine m)
    {
        var counter = new Counter();
        m.Watch(counter);
        return (m, counter);
    }

    [Test]
    public void Role_eligibility_link_and_advskew_changes_are_told_and_nothing_else()
    {
        var (m, told) = Watched(Start(Settings()).Machine);
        RunUntil(m, 4 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(told.Told, Is.GreaterThan(0), "became MASTER");

        told.Told = 0;
        long now = 4 * S;
        while (now < 20 * S)   // adverts only: nothing shown changes
        {
            now = m.NextDeadline!.Value;
            m.OnTimer(now);
        }
        Assert.That(told.Told, Is.Zero);

        m.SetEligible(false, "check failed", now);
        Assert.That(told.Told, Is.GreaterThan(0), "out of the election");
        told.Told = 0;
        m.SetEligible(false, "check failed", now);
        Assert.That(told.Told, Is.Zero, "no change");
        m.SetEligible(true, "check passed", now);
        Assert.That(told.Told, Is.GreaterThan(0), "back in");

        told.Told = 0;
        m.SetCheckWeight(50, "check failing", now);
        Assert.That(told.Told, Is.GreaterThan(0), "advskew in use");
        told.Told = 0;
        m.LinkDown(now);
        Assert.That(told.Told, Is.GreaterThan(0), "link down");
        told.Told = 0;
        m.LinkUp(now);
        Assert.That(told.Told, Is.GreaterThan(0), "link up");
    }

    [Test]
    public void The_master_heard_is_told_when_first_heard_and_when_it_falls_silent()
    {
        var (m, told) = Watched(Start(Settings(advskew: 100)).Machine);
        // Out of the election: no master-down timer, so only the forgetting changes what is shown.
        m.SetEligible(false, "check failed", 0);
        told.Told = 0;
        m.OnFrame(PeerAdvert(Peer, 1, 0), S);
        Assert.That(m.MasterAddress(S), Is.EqualTo(Peer));
        Assert.That(told.Told, Is.EqualTo(1), "a master is heard");

        m.OnFrame(PeerAdvert(Peer, 1, 0, counter: 0x1001), 2 * S);
        Assert.That(told.Told, Is.EqualTo(1), "the same master again: nothing new");

        long forget = m.NextDeadline!.Value;
        Assert.That(m.MasterAddress(forget - 1), Is.EqualTo(Peer));
        Assert.That(m.MasterAddress(forget), Is.Null, "the deadline is when it stops being shown");
        m.OnTimer(forget);
        Assert.That(told.Told, Is.EqualTo(2), "silent: no master shown any more");
        Assert.That(m.NextDeadline, Is.Null, "and nothing more to wake for");
    }

    [Test]
    public void Another_master_heard_is_told()
    {
        var (m, told) = Watched(Start(Settings(advskew: 100)).Machine);
        m.OnFrame(PeerAdvert(Peer, 1, 0), S);
        told.Told = 0;
        m.OnFrame(PeerAdvert(new IpAddress(192, 0, 2, 3), 1, 0, counter: 0x1001), 2 * S);
        Assert.That(m.MasterAddress(2 * S), Is.EqualTo(new IpAddress(192, 0, 2, 3)));
        Assert.That(told.Told, Is.EqualTo(1));
    }
}
