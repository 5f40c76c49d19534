using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

public class WarningLimiterTests
{
    const long S = Timing.Second;

    static CarpMachine Machine(RecordingCarpHost host)
    {
        var settings = new CarpSettings
        {
            Interface = "eth0", Vhid = 7, Source = new(192, 0, 2, 1), VirtualAddress = new(192, 0, 2, 100),
            Password = "secret"u8.ToArray(), Mac = [2, 0, 0, 0, 0, 1],
        };
        var m = new CarpMachine(settings, host, new CountingRandom());
        m.Start(0);
        host.Take();
        return m;
    }

    static byte[] Forged()
    {
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(new(192, 0, 2, 66), Configuration.DefaultMulticast, false, 7, 1, 0, 1, 5),
                          new CarpHmac("wrong"u8, 7, new(192, 0, 2, 100)), frame);
        return frame;
    }

    [Test]
    public void A_flood_logs_the_first_line_then_one_count_per_second()
    {
        var host = new RecordingCarpHost();
        CarpMachine m = Machine(host);
        byte[] forged = Forged();
        for (int i = 0; i < 1000; i++)
        {
            m.OnFrame(forged, S / 2 + i * 100); // 1000 frames within 0.1 s
        }
        Assert.That(host.Effects, Has.Count.EqualTo(1));
        Assert.That(host.Effects[0], Does.StartWith("[WARNING] Bad digest"));
        Assert.That(m.NextDeadline, Is.EqualTo(S / 2 + S), "a wake-up to write the count");
        m.OnTimer(S / 2 + S);
        Assert.That(host.Effects, Has.Count.EqualTo(2));
        Assert.That(host.Effects[1], Is.EqualTo("[WARNING] 999 more \"Bad digest\" lines suppressed in the last second"));
        Assert.That(m.Rejections[Rejection.BadDigest], Is.EqualTo(1000));
    }

    [Test]
    public void A_lone_bad_frame_each_second_is_always_logged_in_full()
    {
        var host = new RecordingCarpHost();
        CarpMachine m = Machine(host);
        for (int i = 0; i < 3; i++)
        {
            m.OnTimer(i * 2 * S);
            m.OnFrame(Forged(), i * 2 * S + 1);
        }
        Assert.That(host.Effects.Count(e => e.StartsWith("[WARNING] Bad digest", StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(host.Effects.Any(e => e.Contains("suppressed", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void Silent_rejections_are_counted_but_never_logged()
    {
        var host = new RecordingCarpHost();
        CarpMachine m = Machine(host);
        byte[] other = Forged();
        other[35] = 8; // another vhid: a debug line, and debug is off
        m.OnFrame(other, S);
        Assert.That(host.Effects, Is.Empty);
        Assert.That(m.Rejections[Rejection.OtherVhid], Is.EqualTo(1));
    }
}
