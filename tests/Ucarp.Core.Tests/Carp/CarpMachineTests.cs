using System.Buffers.Binary;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

public class CarpMachineTests
{
    const long S = Timing.Second;
    static readonly IpAddress Us = new(192, 0, 2, 1);
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly byte[] Password = "secret"u8.ToArray();

    internal static CarpSettings Settings(byte advbase = 1, byte advskew = 0, bool preempt = false, bool neutral = false, uint deadRatio = 3, IpAddress? source = null,
                                 bool bowOut = true) => new()
    {
        BowOut = bowOut,
        Interface = "eth0",
        Vhid = 7,
        AdvBase = advbase,
        AdvSkew = advskew,
        DeadRatio = deadRatio,
        Preempt = preempt,
        Neutral = neutral,
        Source = source ?? Us,
        VirtualAddress = Vip,
        VirtualAddressText = "192.0.2.100",
        Password = Password,
        Mac = [2, 0, 0, 0, 0, 1],
        UpScript = "/up",
        DownScript = "/down",
        XParam = "x",
    };

    internal static (CarpMachine Machine, RecordingCarpHost Host) Start(CarpSettings settings, long now = 0)
    {
        var host = new RecordingCarpHost();
        var machine = new CarpMachine(settings, host, new CountingRandom());
        machine.Start(now);
        return (machine, host);
    }

    /// <summary>Runs the machine's timers up to and including <paramref name="until"/>.</summary>
    internal static long RunUntil(CarpMachine m, long until)
    {
        long now = 0;
        while (m.NextDeadline is long due && due <= until)
        {
            now = due;
            m.OnTimer(now);
        }
        return now;
    }

    /// <summary>An advert from a peer, built with the production builder.</summary>
    internal static byte[] PeerAdvert(IpAddress from, byte advbase, byte advskew, ulong counter = 0x1000, byte[]? password = null)
    {
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        var fields = new AdvertFields(from, Configuration.DefaultMulticast, false, 7, advbase, advskew, 1, counter);
        AdvertFrame.Build(fields, new CarpHmac(password ?? Password, 7, Vip), frame);
        return frame;
    }

    internal static (CarpMachine, RecordingCarpHost) Master(CarpSettings settings)
    {
        var (m, host) = Start(settings);
        RunUntil(m, Timing.MasterDown(settings.AdvBase, settings.DeadRatio, settings.AdvSkew));
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        host.Take();
        return (m, host);
    }

    [Test]
    public void Start_goes_to_backup_running_the_downscript_and_arms_master_down()
    {
        var (m, host) = Start(Settings(advskew: 128), now: 5 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Take(), Is.EqualTo(new[] { "[WARNING] Switching to state: BACKUP", "script /down eth0 192.0.2.100 x" }));
        Assert.That(m.NextDeadline, Is.EqualTo(5 * S + 3 * S + S / 2));
    }

    [Test]
    public void Neutral_skips_only_the_start_up_downscript()
    {
        var (m, host) = Start(Settings(neutral: true));
        Assert.That(host.Take(), Is.EqualTo(new[] { "[WARNING] Switching to state: BACKUP" }));
        RunUntil(m, 3 * S);
        m.Demote(3 * S);
        Assert.That(host.Effects, Does.Contain("script /down eth0 192.0.2.100 x"));
    }

    [Test]
    public void A_lone_backup_becomes_master_and_announces_twice()
    {
        var (m, host) = Start(Settings());
        host.Take();
        RunUntil(m, 3 * S - 1);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        RunUntil(m, 6 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take(), Is.EqualTo(new[]
        {
            "[WARNING] Switching to state: MASTER",
            "script /up eth0 192.0.2.100 x",
            "garp",
            "advert skew=0 counter=c0ffee00",  // at 3 s; no peer heard: a fresh counter each time
            "advert skew=0 counter=c0ffef00",  // at 4 s
            "advert skew=0 counter=c0fff000",  // at 5 s
            "garp",                            // right after the second advert that follows
            "advert skew=0 counter=c0fff100",  // at 6 s
        }));
    }

    [Test]
    public void Adverts_go_out_every_advbase_plus_skew()
    {
        var (m, host) = Master(Settings(advbase: 2, advskew: 64));
        long first = m.NextDeadline!.Value;
        m.OnTimer(first);
        Assert.That(m.NextDeadline, Is.EqualTo(first + 2 * S + S / 4));
    }

    [Test]
    public void Advbase_zero_with_a_skew_is_allowed()
    {
        var (m, _) = Start(Settings(advbase: 0, advskew: 128));
        // Master-down: 3 x 128/256 s (OpenBSD's rule; ucarp waits a single 128/256 s).
        Assert.That(m.NextDeadline, Is.EqualTo(3 * S / 2));
        m.OnTimer(3 * S / 2);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(m.NextDeadline, Is.EqualTo(3 * S / 2 + S / 2)); // adverts every 128/256 s
    }

    [Test]
    public void Advbase_255_with_advskew_255_advertises_once()
    {
        var settings = Settings(advbase: 255, advskew: 255, deadRatio: 1);
        var (m, host) = Start(settings);
        RunUntil(m, 1000 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Adverts, Has.Count.EqualTo(1));
        Assert.That(m.NextDeadline, Is.Null);
    }

    [Test]
    public void Master_down_uses_the_skew_once_not_times_the_ratio()
    {
        var (m, _) = Start(Settings(advbase: 2, advskew: 200, deadRatio: 5));
        Assert.That(m.NextDeadline, Is.EqualTo(10 * S + 200 * S / 256));
    }

    [Test]
    public void Deadratio_times_advbase_wraps_at_32_bits_as_in_ucarp()
    {
        // 2 x 2^31 = 2^32 wraps to 0: ucarp times out at once (plus the skew).
        var (m, _) = Start(Settings(advbase: 2, advskew: 0, deadRatio: 1u << 31));
        Assert.That(m.NextDeadline, Is.EqualTo(0));
    }

    [Test]
    public void A_backup_hearing_the_master_rearms_its_timer()
    {
        var (m, host) = Start(Settings(advskew: 10));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 0), 2 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(m.NextDeadline, Is.EqualTo(2 * S + 3 * S + 10 * S / 256));
    }

    [Test]
    public void A_preempting_backup_takes_over_from_a_slower_master()
    {
        var (m, host) = Start(Settings(advskew: 0, preempt: true));
        host.Take();
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 100), S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take(), Is.EqualTo(new[]
        {
            "[WARNING] Switching to state: MASTER", "script /up eth0 192.0.2.100 x", "garp",
            "advert skew=0 counter=1001",
            "[WARNING] Putting MASTER down - preemption",
        }));
    }

    [Test]
    public void Without_preemption_a_backup_stays_behind_a_slower_master()
    {
        var (m, _) = Start(Settings(advskew: 0));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 100), S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
    }

    [Test]
    public void A_master_too_slow_to_survive_is_treated_as_timed_out()
    {
        // Our dead interval is 1 x 3 s; the master advertises every 4 s.
        var (m, host) = Start(Settings());
        host.Take();
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 4, 0), S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Effects.Last(), Is.EqualTo("[WARNING] Putting MASTER DOWN (going to time out)"));
    }

    [Test]
    public void A_master_steps_down_for_a_more_frequent_master()
    {
        var (m, host) = Master(Settings(advskew: 50));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 200), 1, 10, counter: 0x50), 10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Take(), Is.EqualTo(new[]
        {
            "advert skew=50 counter=51",   // one more advert, counting on from the peer
            "[WARNING] Switching to state: BACKUP", "script /down eth0 192.0.2.100 x",
            "[WARNING] Preferred master advertised: going back to BACKUP state",
        }));
        Assert.That(m.NextDeadline, Is.EqualTo(10 * S + 3 * S + 50 * S / 256));
    }

    [Test]
    public void A_master_reasserts_itself_against_a_less_frequent_master()
    {
        var (m, host) = Master(Settings(advskew: 10));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 20), 10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take(), Is.EqualTo(new[]
        {
            "garp",
            "[WARNING] Non-preferred master advertising: reasserting control of VIP with another gratuitous arp",
        }));
        // ...and one more gratuitous ARP right after the second advert from now.
        long now = m.NextDeadline!.Value;
        m.OnTimer(now);
        m.OnTimer(m.NextDeadline!.Value);
        Assert.That(host.Take().Where(e => e == "garp").Count(), Is.EqualTo(1));
    }

    [TestCase(1, CarpState.Backup)]   // an equal master at a lower address is preferred
    [TestCase(3, CarpState.Master)]   // at a higher address it is told off with a gratuitous ARP
    public void Equal_intervals_break_the_tie_on_the_address(int theirLastOctet, CarpState expected)
    {
        var (m, _) = Master(Settings(source: new(192, 0, 2, 2), advskew: 5));
        m.OnFrame(PeerAdvert(new(192, 0, 2, (byte)theirLastOctet), 1, 5), 10 * S);
        Assert.That(m.State, Is.EqualTo(expected));
    }

    [Test]
    public void The_tie_break_compares_addresses_as_ucarp_on_x86_does()
    {
        // 10.99.1.1 is "lower" than 10.99.0.2 as a little-endian integer of the network bytes.
        var (m, _) = Master(Settings(source: new(10, 99, 0, 2)));
        m.OnFrame(PeerAdvert(new(10, 99, 1, 1), 1, 0), 10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));

        var (m2, _) = Master(Settings(source: new(10, 99, 1, 1)));
        m2.OnFrame(PeerAdvert(new(10, 99, 0, 2), 1, 0), 10 * S);
        Assert.That(m2.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void A_wrong_password_changes_nothing_and_is_warned()
    {
        var (m, host) = Master(Settings());
        m.OnFrame(PeerAdvert(new(192, 0, 2, 0), 1, 0, password: "other"u8.ToArray()), 10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take().Single(), Does.StartWith("[WARNING] Bad digest - md2=["));
        Assert.That(m.Rejections[Rejection.BadDigest], Is.EqualTo(1));
    }

    [Test]
    public void The_counter_is_drawn_afresh_for_every_advert_until_a_peer_is_heard_then_counts_on_from_its()
    {
        var (m, host) = Master(Settings(advskew: 200));
        for (int i = 0; i < 3; i++)
        {
            m.OnTimer(m.NextDeadline!.Value);
        }
        ulong[] counters = host.Adverts.Select(a => BinaryPrimitives.ReadUInt64BigEndian(a.AsSpan(42))).ToArray();
        Assert.That(counters.Zip(counters.Skip(1), (a, b) => b - a), Is.All.EqualTo(CountingRandom.Step), "a new draw each time");

        // A less preferred master is heard: from now on, its counter plus one, then on by one.
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 250, counter: 0x5000), 100 * S);
        host.Adverts.Clear();
        m.OnTimer(m.NextDeadline!.Value);
        m.OnTimer(m.NextDeadline!.Value);
        Assert.That(host.Adverts.Select(a => BinaryPrimitives.ReadUInt64BigEndian(a.AsSpan(42))), Is.EqualTo(new ulong[] { 0x5001, 0x5002 }));
    }

    [Test]
    public void The_counter_wraps_to_zero_after_a_peers_last_value()
    {
        var (m, host) = Start(Settings(advskew: 0));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 100, counter: 0xffffffffffffffff), S);
        RunUntil(m, 5 * S);
        // The master's counter was adopted; the wrap goes to 0, as ucarp does.
        Assert.That(host.Effects.Where(e => e.StartsWith("advert", StringComparison.Ordinal)).First(), Is.EqualTo("advert skew=0 counter=0"));
    }

    [Test]
    public void Three_send_errors_advertise_as_a_poor_candidate_until_three_successes()
    {
        var (m, host) = Master(Settings(advskew: 10));
        long now = 10 * S;
        foreach (string? result in new[] { "Network is down", "Network is down", "Network is down" })
        {
            host.SendResults.Enqueue(result);
        }
        for (int i = 0; i < 3; i++)
        {
            now = m.NextDeadline!.Value;
            m.OnTimer(now);
        }
        Assert.That(m.PreemptionSuppressed, Is.True);
        var effects = host.Take();
        Assert.That(effects, Does.Contain("[ERROR] write() error #0/3"));
        Assert.That(effects.Count(e => e == "[WARNING] write() has failed: Network is down"), Is.EqualTo(3));
        // The third failure sends one more advert at once, already with advskew 240; the
        // failed send's own timer, computed before, still decides the next one (as in carp.c).
        Assert.That(effects.Last(e => e.StartsWith("advert", StringComparison.Ordinal)), Does.StartWith("advert skew=240"));
        Assert.That(m.NextDeadline, Is.EqualTo(now + S + 10 * S / 256));
        now = m.NextDeadline!.Value;
        m.OnTimer(now);
        Assert.That(host.Effects.Last(), Does.StartWith("advert skew=240"));
        Assert.That(m.NextDeadline, Is.EqualTo(now + S + 240 * S / 256), "the ones after are timed with 240");

        for (int i = 0; i < 2; i++)
        {
            m.OnTimer(m.NextDeadline!.Value);
        }
        Assert.That(m.PreemptionSuppressed, Is.False);
        m.OnTimer(m.NextDeadline!.Value);
        Assert.That(host.Effects.Last(), Does.StartWith("advert skew=10"));
    }

    // F: the send fails, S: it succeeds (then every one after the pattern). After the third F
    // in a row one more advert goes at once and takes the next letter.
    [TestCase("FFFSSSSSS")]
    [TestCase("FFFFSSFSSSS")]
    [TestCase("FFFSFFFSSSSFFF")]
    [TestCase("SFSFFSFFFSSSFFFFSSSS")]
    [TestCase("seed 1")]
    [TestCase("seed 2")]
    [TestCase("seed 3")]
    public void Adverts_queued_with_the_pass_and_judged_after_it_act_as_adverts_sent_one_by_one(string pattern)
    {
        // The daemon's timers queue a pass's adverts and send them together (AdvertBatch):
        // any run of send failures must then give the frames, lines, timers and
        // suppression that sending each at once gives (carp_send_ad).
        const string Down = "Network is down";
        string?[] results;
        if (pattern.StartsWith("seed ", StringComparison.Ordinal))
        {
            var random = new Random(int.Parse(pattern[5..], System.Globalization.CultureInfo.InvariantCulture));
            results = [.. Enumerable.Range(0, 40).Select(_ => random.Next(5) < 3 ? Down : null)];
        }
        else
        {
            results = [.. pattern.Select(c => c == 'F' ? Down : null)];
        }
        (List<string> Effects, List<byte[]> Adverts, List<long?> Deadlines, int Suppressed) Run(bool queue)
        {
            var (m, host) = Master(Settings(advskew: 10));
            host.Take();
            host.Adverts.Clear();
            host.Queue = queue;
            foreach (string? result in results)
            {
                host.SendResults.Enqueue(result);
            }
            var deadlines = new List<long?>();
            int suppressed = 0;
            for (int i = 0; i < 30; i++)
            {
                long now = m.NextDeadline!.Value;
                m.OnTimer(now);
                host.Flush(now);
                deadlines.Add(m.NextDeadline);
                suppressed += m.PreemptionSuppressed ? 1 : 0;
            }
            return (host.Take(), host.Adverts, deadlines, suppressed);
        }
        var one = Run(queue: false);
        var queued = Run(queue: true);
        Assert.Multiple(() =>
        {
            // On the wire, and in the log: a line may come after a frame sent with its
            // pass where it came before, but each in the same order.
            static bool Wire(string e) => e.StartsWith("advert", StringComparison.Ordinal) || e is "garp" or "na";
            Assert.That(queued.Effects.Where(Wire), Is.EqualTo(one.Effects.Where(Wire)));
            Assert.That(queued.Effects.Where(e => !Wire(e)), Is.EqualTo(one.Effects.Where(e => !Wire(e))));
            Assert.That(queued.Adverts, Is.EqualTo(one.Adverts));
            Assert.That(queued.Deadlines, Is.EqualTo(one.Deadlines));
            Assert.That(queued.Suppressed, Is.EqualTo(one.Suppressed));
        });
        Assert.That(one.Effects, Has.Some.Contains("write() error #"), "the seed's failures reach the suppression");
    }

    [Test]
    public void Sigusr2_demotes_a_master_holds_three_seconds_then_listens_as_usual()
    {
        var (m, host) = Master(Settings());
        long now = 10 * S;
        int advertsBefore = host.Adverts.Count;
        m.Demote(now);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Take().Take(3), Is.EqualTo(new[] { "[WARNING] Switching to state: BACKUP", "script /down eth0 192.0.2.100 x",
                                                            "[INFO] " + Messages.BowingOut }));
        Assert.That(m.NextDeadline, Is.EqualTo(now + 3 * S));
        m.OnTimer(now + 3 * S);
        Assert.That(host.Adverts.Count, Is.EqualTo(advertsBefore), "no adverts during or right after the hold");
        Assert.That(m.NextDeadline, Is.EqualTo(now + 6 * S));
        m.OnTimer(now + 6 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "a lone node comes back");
    }

    /// <summary>
    /// ucarp sleeps through the hold but the frames wait in its socket: a master that bowed
    /// out meanwhile (a sync mate stepping down on the other host, say) is taken over from
    /// when the hold ends, not a whole master-down later.
    /// </summary>
    [Test]
    public void A_bow_out_heard_during_the_hold_is_acted_on_when_it_ends()
    {
        var (m, host) = Master(Settings());
        long now = 10 * S;
        m.Demote(now);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 0, counter: 0x2000), now + S);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), CarpHeader.BowOutAdvBase, CarpHeader.BowOutAdvSkew, counter: 0x2001), now + 2 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "asleep during the hold");
        m.OnTimer(now + 3 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "the master bowed out: taken over as the hold ends");
    }

    [Test]
    public void A_master_heard_after_a_bow_out_in_the_hold_is_waited_for_as_usual()
    {
        var (m, host) = Master(Settings());
        long now = 10 * S;
        m.Demote(now);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), CarpHeader.BowOutAdvBase, CarpHeader.BowOutAdvSkew, counter: 0x2000), now + S);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 3), 1, 0, counter: 0x2001), now + 2 * S);   // another master took over
        m.OnTimer(now + 3 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(m.NextDeadline, Is.EqualTo(now + 6 * S), "the usual master-down timer after the hold");
    }

    [Test]
    public void Sigusr2_on_a_backup_does_nothing()
    {
        var (m, host) = Start(Settings());
        host.Take();
        long? before = m.NextDeadline;
        m.Demote(S);
        Assert.That(host.Effects, Is.Empty);
        Assert.That(m.NextDeadline, Is.EqualTo(before));
    }

    [Test]
    public void Sigusr1_reports_the_state()
    {
        var (m, host) = Start(Settings());
        host.Take();
        m.ReportStatus();
        RunUntil(m, 3 * S);
        host.Take();
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] MASTER on eth0 id 7" }));
    }

    [Test]
    public void Link_down_drops_to_backup_and_ignores_frames_until_it_returns()
    {
        var (m, host) = Master(Settings());
        m.LinkDown(10 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(m.NextDeadline, Is.Null);
        Assert.That(host.Take(), Is.EqualTo(new[] { "[WARNING] Switching to state: BACKUP", "script /down eth0 192.0.2.100 x" }));
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 100), 11 * S);
        Assert.That(host.Effects, Is.Empty);
        m.LinkUp(20 * S);
        Assert.That(m.NextDeadline, Is.EqualTo(23 * S));
        m.OnTimer(23 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void Shutdown_runs_the_downscript_only_when_not_backup()
    {
        var (backup, host) = Start(Settings());
        host.Take();
        backup.Shutdown(10 * S);
        Assert.That(host.Effects, Is.Empty);

        var (master, host2) = Master(Settings(bowOut: false));
        master.Shutdown(10 * S);
        Assert.That(host2.Take(), Is.EqualTo(new[] { "script /down eth0 192.0.2.100 x" }));
    }

    [TestCase("shutdown")]
    [TestCase("demote")]
    [TestCase("out of the election")]
    public void A_master_leaving_on_purpose_bows_out_after_its_downscript(string how)
    {
        var (m, host) = Master(Settings(advskew: 10));
        long now = 10 * S;
        ulong last = BinaryPrimitives.ReadUInt64BigEndian(host.Adverts[^1].AsSpan(42));
        host.HoldScripts = true;
        Leave(m, how, now);
        Assert.That(host.BowOuts, Is.Empty, "not before the downscript has ended");
        Assert.That(m.Follower.NextDeadline, Is.EqualTo(now + 3 * S + 10 * S / 256), "by the master-down interval at the latest");
        m.Follower.ScriptEnded();
        // Alone, no peer heard: the bow-out's counter is a fresh draw, as any advert's would be.
        ulong next = last + CountingRandom.Step;
        List<string> effects = host.Take();
        int script = effects.IndexOf("script /down eth0 192.0.2.100 x");
        int bowOut = effects.FindIndex(e => e.StartsWith("bowout", StringComparison.Ordinal));
        Assert.That(script, Is.GreaterThanOrEqualTo(0), string.Join("\n", effects));
        Assert.That(bowOut, Is.GreaterThan(script), "asked for after the downscript, which the host runs first");
        // advbase 255/advskew 255, the counter one on.
        Assert.That(effects[bowOut], Is.EqualTo($"bowout base=255 skew=255 counter={next:x}"));
    }

    static void Leave(CarpMachine m, string how, long now)
    {
        switch (how)
        {
            case "shutdown": m.Shutdown(now); break;
            case "demote": m.Demote(now); break;
            default: m.SetEligible(false, "check failed", now); break;
        }
    }

    [TestCase("shutdown")]
    [TestCase("demote")]
    [TestCase("out of the election")]
    public void With_no_bowout_a_master_leaves_silently_as_ucarp(string how)
    {
        var (m, host) = Master(Settings(bowOut: false));
        Leave(m, how, 10 * S);
        Assert.That(host.BowOuts, Is.Empty);
        Assert.That(host.Take(), Has.None.Contains("Bowing out"));
    }

    [Test]
    public void A_backup_takes_the_bow_out_for_a_master_about_to_time_out()
    {
        var (master, masterHost) = Master(Settings());
        master.Shutdown(10 * S);
        byte[] bowOut = masterHost.BowOuts.Single();

        // The backup is a plain ucarp-rule machine with a larger skew, listening.
        var (backup, host) = Start(Settings(advskew: 100, source: new IpAddress(192, 0, 2, 2)));
        backup.OnFrame(PeerAdvert(Us, 1, 0), 5 * S);
        host.Take();
        backup.OnFrame(bowOut, 10 * S);
        Assert.That(backup.State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Take(), Does.Contain("[WARNING] Putting MASTER DOWN (going to time out)"));
    }

    [Test]
    public void Out_of_the_election_a_node_never_becomes_master_and_says_so()
    {
        var (m, host) = Start(Settings());
        m.SetEligible(false, "check failed", 0);
        Assert.That(m.ProtocolDeadline, Is.Null, "no master-down timer");
        RunUntil(m, 100 * S);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 200, 200), 101 * S);
        RunUntil(m, 1000 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        host.Take();
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] " + Messages.StatusOutOfElection("eth0", 7) }));
    }

    [Test]
    public void Back_in_the_election_it_listens_as_at_start_up()
    {
        var (m, host) = Start(Settings(advskew: 20));
        m.SetEligible(false, "check failed", 0);
        m.SetEligible(true, "check passed", 50 * S);
        Assert.That(m.ProtocolDeadline, Is.EqualTo(50 * S + 3 * S + 20 * S / 256));
        m.OnTimer(m.ProtocolDeadline!.Value);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        m.ReportStatus();
        Assert.That(host.Take().Last(), Is.EqualTo("[INFO] MASTER on eth0 id 7"));
    }

    [Test]
    public void Without_scripts_nothing_is_run()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings() with { UpScript = null, DownScript = "" }, host, new CountingRandom());
        m.Start(0);
        RunUntil(m, 3 * S);
        Assert.That(host.Effects.Where(e => e.StartsWith("script", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void Adverts_are_ucarps_frames()
    {
        var (m, host) = Master(Settings(advskew: 3));
        m.OnTimer(m.NextDeadline!.Value);
        byte[] sent = host.Adverts.Last();
        var reader = new AdvertReader(new IpAddress(192, 0, 2, 50), Configuration.DefaultMulticast, 7, new CarpHmac(Password, 7, Vip));
        ReadResult r = reader.Read(sent);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
        Assert.That(r.Advert, Is.EqualTo(new ReceivedAdvert(Us, 1, 3, BinaryPrimitives.ReadUInt64BigEndian(sent.AsSpan(42)))));
    }

    [Test]
    public void Counters_count_what_happened()
    {
        var (m, host) = Start(Settings(advskew: 50));
        Assert.That(m.Counters.Transitions, Is.EqualTo(1), "INIT to BACKUP");
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 0), S);
        m.OnFrame(PeerAdvert(new(192, 0, 2, 2), 1, 0, password: "wrong"u8.ToArray()), S);
        Assert.That(m.Counters.AdvertsReceived, Is.EqualTo(1));
        Assert.That(m.RejectedTotal, Is.EqualTo(1));
        RunUntil(m, 10 * S);
        Assert.That(m.Counters.Transitions, Is.EqualTo(2), "then MASTER");
        host.SendResults.Enqueue("Network is down");
        long sentBefore = m.Counters.AdvertsSent;
        m.OnTimer(m.NextDeadline!.Value);
        Assert.That(m.Counters.AdvertSendErrors, Is.EqualTo(1));
        m.OnTimer(m.NextDeadline!.Value);
        Assert.That(m.Counters.AdvertsSent, Is.EqualTo(sentBefore + 1));
    }

    [Test]
    public void The_master_address_is_ours_as_master_and_the_last_advertiser_while_it_stays_fresh()
    {
        var (m, _) = Start(Settings(advskew: 50));
        Assert.That(m.MasterAddress(0), Is.Null, "nobody heard yet");
        var peer = new IpAddress(192, 0, 2, 2);
        m.OnFrame(PeerAdvert(peer, 1, 0), S);
        Assert.That(m.MasterAddress(S), Is.EqualTo(peer));
        // Unheard for longer than the master-down interval, it is no longer known.
        long masterDown = 3 * S + 50 * S / 256;
        Assert.That(m.MasterAddress(S + masterDown), Is.EqualTo(peer));
        Assert.That(m.MasterAddress(S + masterDown + 1), Is.Null);
        RunUntil(m, 100 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(m.MasterAddress(100 * S), Is.EqualTo(Us));
    }
}
