using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Core.Vrrp;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests;

/// <summary>
/// The steady state of a running group allocates nothing per frame (issues 27, 31): a
/// daemon of 255 groups handles 255 adverts a second, and every byte of garbage per
/// advert brings the next gen0 collection (a 1 MiB budget) nearer, and resident memory
/// with it. Each test warms the path up, then counts the bytes this thread allocates over
/// <see cref="Frames"/> frames, through the gate the daemon drives: exactly none.
/// </summary>
public class AllocationTests
{
    const long S = Timing.Second;
    const int Warmup = 500;
    const int Frames = 10_000;
    static readonly IpAddress Master = new(192, 0, 2, 1);
    static readonly IpAddress Backup = new(192, 0, 2, 2);
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly IpAddress VrrpGroup = new(224, 0, 0, 18);
    static readonly byte[] Password = "secret"u8.ToArray();

    /// <summary>A host that sends nothing anywhere and keeps nothing: what is counted is the machine's own.</summary>
    sealed class QuietHost : ICarpHost
    {
        public long Sent;
        public long Lines;
        public long Announced;
        public bool DebugEnabled => false;
        public void Write(LogLevel level, string message) => Lines++;
        public string? SendAdvert(ReadOnlySpan<byte> frame)
        {
            Sent++;
            return null;
        }
        public void SendAnnouncement(ReadOnlySpan<byte> frame) => Announced++;
        public void SendAfterScripts(in Deferred effect) { }
        public bool StartScript(ScriptInvocation script) => false;
    }

    sealed class FixedRandom : ICarpRandom
    {
        public ushort NextIpId() => 1;
        public ulong NextCounter() => 0x1000;
    }

    static CarpSettings Carp(IpAddress source, byte advskew, long? garpRefresh = null) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        AdvSkew = advskew,
        Source = source,
        VirtualAddress = Vip,
        Password = Password,
        Mac = [2, 0, 0, 0, 0, 1],
        ManageAddresses = true,
        GarpRefresh = garpRefresh,
    };

    static VrrpSettings Vrrp(byte version, byte priority) => new()
    {
        Version = version,
        Priority = priority,
        Password = version == 2 ? "pass"u8.ToArray() : [],
    };

    static (double Bytes, int Steps) PerStep(Action<int> step) => AllocationCount.PerStep(Warmup, Frames, step);

    /// <summary>The timers up to <paramref name="now"/>, as the daemon's loop runs them.</summary>
    static void Timers(ElectionGate gate, long now)
    {
        while (gate.NextDeadline <= now)
        {
            gate.OnTimer(gate.NextDeadline!.Value);
        }
    }

    /// <summary>A master's adverts as they arrive: a few distinct counters, each with its own digest.</summary>
    static byte[][] CarpAdverts(IpAddress from, byte advskew)
    {
        var hmac = new CarpHmac(Password, 7, Vip);
        var frames = new byte[8][];
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = new byte[CarpHeader.AdvertFrameSize];
            var fields = new AdvertFields(from, Configuration.DefaultMulticast, false, 7, 1, advskew, (ushort)i, 0x2000 + (ulong)i);
            AdvertFrame.Build(fields, hmac, frames[i]);
        }
        return frames;
    }

    static byte[] VrrpAdvert(byte version, IpAddress from, byte priority)
    {
        var builder = new VrrpAdvertBuilder(version, from, VrrpGroup, 7, [Vip], version == 2 ? "pass"u8.ToArray() : [], false, [2, 0, 0, 0, 0, 9]);
        byte[] frame = new byte[builder.FrameSize];
        builder.Build(priority, 100, 1, frame);
        return frame;
    }

    /// <summary>What the daemon does before a batch of frames or adverts: the election's lines fetched ahead, stage by stage.</summary>
    static void Prefetch(ElectionBase election)
    {
        CacheLines.Prefetch(election, ElectionBase.PrefetchLines);
        election.Prefetch(1);
        election.Prefetch(2);
    }

    static ElectionGate Started(ElectionBase machine)
    {
        var gate = new ElectionGate(machine);
        gate.Start(0);
        return gate;
    }

    [Test]
    public void A_CARP_backup_hearing_its_master_allocates_nothing()
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new CarpMachine(Carp(Backup, advskew: 100), host, new FixedRandom()));
        byte[][] adverts = CarpAdverts(Master, advskew: 0);
        long received = 0;

        (double perFrame, int steps) = PerStep(i =>
        {
            long now = (i + 1) * S;
            Timers(gate, now);
            Prefetch((ElectionBase)gate.Inner);
            ((IFrameInput)gate.Inner).OnFrame(adverts[i % adverts.Length], now);
            received = gate.Counters.AdvertsReceived;
        });

        Assert.That(gate.State, Is.EqualTo(CarpState.Backup));
        Assert.That(received, Is.EqualTo(steps));
        Assert.That(perFrame, Is.Zero, "bytes allocated per advert received");
    }

    [Test]
    public void A_CARP_master_sending_its_adverts_allocates_nothing()
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new CarpMachine(Carp(Master, advskew: 0, garpRefresh: 10 * S), host, new FixedRandom()));
        Timers(gate, 4 * S);
        Assert.That(gate.State, Is.EqualTo(CarpState.Master));
        long sent = host.Sent;

        // One advert a second, and with it --garp-refresh's announcement every ten.
        (double perAdvert, int steps) = PerStep(i =>
        {
            Prefetch((ElectionBase)gate.Inner);
            Timers(gate, (5 + i) * S);
        });

        Assert.That(host.Sent - sent, Is.EqualTo(steps));
        Assert.That(host.Announced, Is.GreaterThan(steps / 10));
        Assert.That(perAdvert, Is.Zero, "bytes allocated per advert sent");
    }

    [Test]
    public void A_CARP_master_hearing_a_less_preferred_master_allocates_nothing()
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new CarpMachine(Carp(Master, advskew: 0), host, new FixedRandom()));
        Timers(gate, 4 * S);
        Assert.That(gate.State, Is.EqualTo(CarpState.Master));
        byte[][] adverts = CarpAdverts(Backup, advskew: 100);

        // Each advert is answered with a gratuitous ARP (and a warning: the host's to format).
        (double perFrame, _) = PerStep(i =>
        {
            long now = 4 * S + i * S / 2;
            Timers(gate, now);
            ((IFrameInput)gate.Inner).OnFrame(adverts[i % adverts.Length], now);
        });

        Assert.That(gate.State, Is.EqualTo(CarpState.Master));
        Assert.That(perFrame, Is.Zero, "bytes allocated per advert received");
    }

    [Test]
    public void A_CARP_group_rejecting_a_flood_allocates_nothing()
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new CarpMachine(Carp(Backup, advskew: 100), host, new FixedRandom()));
        // Another password: a "Bad digest" warning a second (its two digests formatted), the rest counted.
        byte[] wrongKey = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(Master, Configuration.DefaultMulticast, false, 7, 1, 0, 1, 0x2000),
                          new CarpHmac("wrong"u8, 7, Vip), wrongKey);
        IFrameInput input = (IFrameInput)gate.Inner;

        (double perFrame, int steps) = PerStep(i =>
        {
            long now = i * S / 1000;
            Timers(gate, now);
            input.OnFrame(wrongKey, now);
        });

        Assert.That(gate.Inner is CarpMachine { Rejections: var counts } && counts.ContainsKey(Rejection.BadDigest));
        Assert.That(input.RejectedTotal, Is.EqualTo(steps));
        Assert.That(perFrame, Is.LessThan(1), "bytes allocated per frame rejected (one line a second)");
    }

    [TestCase((byte)3)]
    [TestCase((byte)2)]
    public void A_VRRP_backup_hearing_its_master_allocates_nothing(byte version)
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new VrrpMachine(Carp(Backup, 0), Vrrp(version, priority: 100), host, new FixedRandom()));
        byte[] advert = VrrpAdvert(version, Master, priority: 200);

        (double perFrame, int steps) = PerStep(i =>
        {
            long now = (i + 1) * S;
            Timers(gate, now);
            ((IFrameInput)gate.Inner).OnFrame(advert, now);
        });

        Assert.That(gate.State, Is.EqualTo(CarpState.Backup));
        Assert.That(gate.Counters.AdvertsReceived, Is.EqualTo(steps));
        Assert.That(perFrame, Is.Zero, "bytes allocated per advert received");
    }

    [TestCase((byte)3)]
    [TestCase((byte)2)]
    public void A_VRRP_master_sending_its_adverts_allocates_nothing(byte version)
    {
        var host = new QuietHost();
        ElectionGate gate = Started(new VrrpMachine(Carp(Master, 0), Vrrp(version, priority: 200), host, new FixedRandom()));
        Timers(gate, 4 * S);
        Assert.That(gate.State, Is.EqualTo(CarpState.Master));
        long sent = host.Sent;

        (double perAdvert, int steps) = PerStep(i => Timers(gate, (5 + i) * S));

        Assert.That(host.Sent - sent, Is.EqualTo(steps));
        Assert.That(perAdvert, Is.Zero, "bytes allocated per advert sent");
    }
}
