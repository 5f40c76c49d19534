using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Tests.Carp;
using Ucarp.Core.Vrrp;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Vrrp;

/// <summary>RFC 5798's election on a virtual clock: the timers, preemption, priority 0, the owner, weights, SIGUSR2.</summary>
public class VrrpMachineTests
{
    const long S = Timing.Second;
    static readonly IpAddress Us = new(192, 0, 2, 2);
    static readonly IpAddress Lower = new(192, 0, 2, 1);
    static readonly IpAddress Higher = new(192, 0, 2, 3);
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly IpAddress Group = new(224, 0, 0, 18);

    static CarpSettings Carp(IpAddress? source = null) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        Source = source ?? Us,
        VirtualAddress = Vip,
        VirtualAddressText = "192.0.2.100",
        Password = [],
        Mac = [2, 0, 0, 0, 0, 2],
        UpScript = "/up",
        DownScript = "/down",
    };

    static VrrpSettings Vrrp(byte priority = 100, ushort centis = 100, bool preempt = true, long preemptDelay = 0, byte version = 3) => new()
    {
        Version = version,
        Priority = priority,
        IntervalCentis = centis,
        Preempt = preempt,
        PreemptDelay = preemptDelay,
    };

    static (VrrpMachine M, RecordingVrrpHost Host) Start(VrrpSettings vrrp, long now = 0)
    {
        var host = new RecordingVrrpHost();
        var m = new VrrpMachine(Carp(), vrrp, host, new CountingRandom());
        m.Start(now);
        return (m, host);
    }

    /// <summary>Runs the timers from <paramref name="from"/> up to and including <paramref name="until"/>.</summary>
    static void RunUntil(VrrpMachine m, long until)
    {
        while (m.NextDeadline is long due && due <= until)
        {
            m.OnTimer(due);
        }
    }

    /// <summary>An advert from another router, built by the production builder.</summary>
    static byte[] From(IpAddress source, byte priority, ushort centis = 100, byte version = 3)
    {
        var builder = new VrrpAdvertBuilder(version, source, Group, 7, [Vip], [], false, [2, 0, 0, 0, 0, 9]);
        byte[] frame = new byte[builder.FrameSize];
        builder.Build(priority, centis, 1, frame);
        return frame;
    }

    static (VrrpMachine M, RecordingVrrpHost Host) Master(VrrpSettings vrrp)
    {
        var (m, host) = Start(vrrp);
        RunUntil(m, VrrpTiming.MasterDown(vrrp.Version, vrrp.Priority, vrrp.IntervalCentis));
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        host.Take();
        return (m, host);
    }

    [Test]
    public void A_backup_takes_over_after_three_intervals_and_its_skew_time()
    {
        var (m, host) = Start(Vrrp(priority: 100));
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        long down = 3 * S + (256 - 100) * S / 256;     // 3.609375 s
        Assert.That(m.NextDeadline, Is.EqualTo(down));
        RunUntil(m, down - 1);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        RunUntil(m, down);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        List<string> effects = host.Take();
        Assert.That(effects, Does.Contain("advert prio=100"));
        Assert.That(effects.IndexOf("script /up eth0 192.0.2.100"), Is.LessThan(effects.IndexOf("garp")), "the announcement follows the upscript");
        // Then one advert a second.
        RunUntil(m, down + S);
        Assert.That(host.Take(), Is.EqualTo(new[] { "advert prio=100" }));
    }

    [Test]
    public void The_owner_takes_the_role_at_once()
    {
        var (m, host) = Start(Vrrp(priority: 255), now: 7 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take(), Does.Contain("advert prio=255"));
        Assert.That(m.NextDeadline, Is.EqualTo(8 * S));
    }

    [Test]
    public void A_higher_priority_master_keeps_a_backup_backup_and_its_interval_is_learned()
    {
        var (m, _) = Start(Vrrp(priority: 100, centis: 100));
        m.OnFrame(From(Higher, 200, centis: 50), 1 * S);
        // Master_Adver_Interval 0.5 s: 1.5 s + (256-100)/256 x 0.5 s after the advert.
        Assert.That(m.NextDeadline, Is.EqualTo(1 * S + 3 * S / 2 + 156 * (S / 2) / 256));
        Assert.That(m.MasterAddress(1 * S), Is.EqualTo(Higher));
        Assert.That(m.MasterPriority(1 * S), Is.EqualTo((byte)200));
    }

    [Test]
    public void With_preemption_a_lower_priority_master_is_ignored_until_the_backup_takes_over()
    {
        var (m, _) = Start(Vrrp(priority: 150));
        long down = VrrpTiming.MasterDown(3, 150, 100);
        m.OnFrame(From(Lower, 100), 2 * S);
        Assert.That(m.NextDeadline, Is.EqualTo(down), "the lower priority advert did not reset the timer");
        RunUntil(m, down);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void Without_preemption_a_lower_priority_master_keeps_the_role()
    {
        var (m, _) = Start(Vrrp(priority: 150, preempt: false));
        m.OnFrame(From(Lower, 100), 2 * S);
        Assert.That(m.NextDeadline, Is.EqualTo(2 * S + VrrpTiming.MasterDown(3, 150, 100)));
    }

    [Test]
    public void A_preempt_delay_runs_from_the_first_lesser_master_heard_as_keepalived_has_it()
    {
        var (m, _) = Start(Vrrp(priority: 150, preemptDelay: 10 * S));
        // The delay starts with the first lower-priority advert (1 s), not at the start.
        for (long t = 1 * S; t <= 10 * S; t += S)
        {
            m.OnFrame(From(Lower, 100), t);
            RunUntil(m, t);
        }
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "within the delay the lower master is followed");
        m.OnFrame(From(Lower, 100), 11 * S);   // the delay is over: discarded
        Assert.That(m.NextDeadline, Is.EqualTo(10 * S + VrrpTiming.MasterDown(3, 150, 100)));
        RunUntil(m, 10 * S + VrrpTiming.MasterDown(3, 150, 100));
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void A_more_preferred_master_clears_a_running_preempt_delay()
    {
        var (m, _) = Start(Vrrp(priority: 150, preemptDelay: 10 * S));
        m.OnFrame(From(Lower, 100), 1 * S);       // delay until 11 s
        m.OnFrame(From(Higher, 200), 2 * S);      // cleared
        m.OnFrame(From(Lower, 100), 20 * S);      // a new delay, until 30 s: followed
        Assert.That(m.NextDeadline, Is.EqualTo(20 * S + VrrpTiming.MasterDown(3, 150, 100)));
    }

    [Test]
    public void Version_2s_skew_time_is_in_seconds_whatever_the_interval()
    {
        // RFC 3768 and keepalived: (256 - 200)/256 s, not times the 3 s interval.
        var (m, _) = Start(Vrrp(priority: 200, centis: 300, version: 2));
        Assert.That(m.NextDeadline, Is.EqualTo(9 * S + 56 * S / 256));
        Assert.That(VrrpTiming.MasterDown(3, 200, 300), Is.EqualTo(9 * S + 56 * 3 * S / 256), "version 3 scales it");
    }

    [Test]
    public void A_backup_learns_only_from_adverts_it_follows_and_forgets_at_a_restart()
    {
        var (m, _) = Start(Vrrp(priority: 150, centis: 100));
        m.OnFrame(From(Lower, 100, centis: 10), 1 * S);   // discarded: we preempt
        Assert.That(m.NextDeadline, Is.EqualTo(VrrpTiming.MasterDown(3, 150, 100)), "its 0.1 s interval was not learned");
        m.OnFrame(From(Higher, 200, centis: 50), 2 * S);
        Assert.That(m.NextDeadline, Is.EqualTo(2 * S + VrrpTiming.MasterDown(3, 150, 50)));
        m.LinkDown(3 * S);
        m.LinkUp(4 * S);
        long down = 4 * S + VrrpTiming.MasterDown(3, 150, 100);
        RunUntil(m, down - 1);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "our own interval again, not the 0.5 s learned");
        RunUntil(m, down);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void An_advert_with_no_interval_is_rejected()
    {
        var (m, host) = Start(Vrrp(priority: 100));
        m.OnFrame(From(Higher, 200, centis: 0), 1 * S);
        Assert.That(m.Rejections.Keys, Does.Contain(Rejection.IntervalMismatch));
        Assert.That(host.Take(), Does.Contain("[WARNING] Advertisement interval of 0"));
        Assert.That(m.MasterAddress(1 * S), Is.Null, "not taken for a master");
        RunUntil(m, VrrpTiming.MasterDown(3, 100, 100));
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "the usual timer ran on");
    }

    [Test]
    public void A_master_resigning_with_priority_zero_is_replaced_after_skew_time()
    {
        var (m, _) = Start(Vrrp(priority: 100));
        m.OnFrame(From(Higher, 200), 1 * S);
        m.OnFrame(From(Higher, 0), 2 * S);
        Assert.That(m.NextDeadline, Is.EqualTo(2 * S + (256 - 100) * S / 256));
        Assert.That(m.MasterAddress(2 * S), Is.Null, "a master that resigned is not shown");
    }

    [Test]
    public void A_master_steps_down_for_a_higher_priority_and_for_the_same_priority_from_a_greater_address()
    {
        foreach ((IpAddress from, byte priority) in new[] { (Lower, (byte)101), (Higher, (byte)100) })
        {
            var (m, host) = Master(Vrrp(priority: 100));
            m.OnFrame(From(from, priority), 10 * S);
            Assert.That(m.State, Is.EqualTo(CarpState.Backup), $"{from} {priority}");
            Assert.That(host.Take(), Does.Contain("script /down eth0 192.0.2.100"));
        }
    }

    [Test]
    public void A_master_answers_a_less_preferred_one_at_once_and_announces_again()
    {
        foreach ((IpAddress from, byte priority) in new[] { (Higher, (byte)99), (Lower, (byte)100) })
        {
            var (m, host) = Master(Vrrp(priority: 100));
            RunUntil(m, 10 * S);
            host.Take();
            m.OnFrame(From(from, priority), 10 * S);
            Assert.That(m.State, Is.EqualTo(CarpState.Master));
            List<string> effects = host.Take();
            Assert.That(effects.Where(e => !e.StartsWith('[')), Is.EqualTo(new[] { "advert prio=100", "garp" }), $"{from} {priority}");
            Assert.That(m.NextDeadline, Is.EqualTo(11 * S), "the next advert an interval after the answer");
        }
    }

    [Test]
    public void A_demoted_master_resigns_after_its_downscript_and_holds_off_three_seconds()
    {
        var (m, host) = Master(Vrrp(priority: 255));
        host.HoldScripts = true;
        m.Demote(20 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Take().Where(e => !e.StartsWith('[')), Is.EqualTo(new[] { "script /down eth0 192.0.2.100" }),
                    "priority 0 waits for the downscript");
        m.Follower.ScriptEnded();
        Assert.That(host.Take(), Is.EqualTo(new[] { "resign prio=0" }));
        RunUntil(m, 23 * S - 1);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "the owner too holds off for the hold");
        RunUntil(m, 23 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "the owner takes the role back when the hold ends");
    }

    [Test]
    public void A_stopping_master_resigns_and_then_sends_nothing()
    {
        var (m, host) = Master(Vrrp(priority: 100));
        m.Shutdown(20 * S);
        Assert.That(host.Take().Where(e => !e.StartsWith('[')), Is.EqualTo(new[] { "script /down eth0 192.0.2.100", "resign prio=0" }));
        RunUntil(m, 60 * S);
        Assert.That(host.Take().Where(e => !e.StartsWith('[')), Is.Empty);
    }

    [Test]
    public void A_failing_check_lowers_the_priority_and_a_master_says_so_at_once()
    {
        var (m, host) = Master(Vrrp(priority: 100));
        m.SetCheckWeight(30, "check failing", 10 * S);
        Assert.That(m.PriorityInUse, Is.EqualTo((byte)70));
        List<string> effects = host.Take();
        Assert.That(effects, Does.Contain("advert prio=70"));
        Assert.That(effects, Does.Contain("[WARNING] Using priority 100-30: check failing"));
        m.SetCheckWeight(200, "check failing", 11 * S);
        Assert.That(m.PriorityInUse, Is.EqualTo((byte)1), "never below 1: 0 means resigning");
    }

    [Test]
    public void Out_of_the_election_a_master_resigns_and_a_backup_never_takes_over()
    {
        var (m, host) = Master(Vrrp(priority: 100));
        m.SetEligible(false, "check failing", 10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Take(), Does.Contain("resign prio=0"));
        RunUntil(m, 100 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        m.SetEligible(true, "check passing", 100 * S);
        RunUntil(m, 100 * S + VrrpTiming.MasterDown(3, 100, 100));
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void A_new_master_announces_its_addresses_again_five_seconds_later()
    {
        var (m, host) = Master(Vrrp(priority: 100));
        long became = VrrpTiming.MasterDown(3, 100, 100);
        RunUntil(m, became + 5 * S);
        Assert.That(host.Take().Count(e => e == "garp"), Is.EqualTo(1));
        RunUntil(m, became + 30 * S);
        Assert.That(host.Take().Count(e => e == "garp"), Is.EqualTo(0), "once, not periodically");
    }

    [Test]
    public void Rejected_frames_are_counted_by_reason()
    {
        var (m, _) = Start(Vrrp(priority: 100));
        byte[] other = From(Higher, 200, version: 2);
        m.OnFrame(other, 1 * S);
        m.OnFrame(new byte[10], 1 * S);
        Assert.That(m.RejectedTotal, Is.EqualTo(2));
        Assert.That(m.Rejections.Keys, Does.Contain(Rejection.BadVersion));
        Assert.That(m.MasterAddress(1 * S), Is.Null);
    }
}
