using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

/// <summary>
/// Sub-second intervals (-b 0 -k K): adverts every K/256 s as ucarp sends them, and a
/// master-down interval of deadratio x K/256 s (OpenBSD's rule) instead of ucarp's one
/// interval. advbase 1 and up keep ucarp's arithmetic.
/// </summary>
public class FastTimingTests
{
    const long S = Timing.Second;
    static readonly IpAddress Us = new(192, 0, 2, 2);
    static readonly IpAddress Peer = new(192, 0, 2, 1);
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly byte[] Password = "secret"u8.ToArray();

    // Written out from the protocol's numbers, not computed by the code under test.
    [TestCase(0, 26, 1u, 101_562L)]      // ucarp's single interval, if asked for with -r 1
    [TestCase(0, 26, 3u, 304_687L)]      // 3 x 26/256 s = 304.6875 ms
    [TestCase(0, 8, 3u, 93_750L)]
    [TestCase(0, 3, 3u, 35_156L)]
    [TestCase(0, 255, 3u, 2_988_281L)]
    [TestCase(0, 26, 5u, 507_812L)]
    [TestCase(1, 0, 3u, 3_000_000L)]     // advbase >= 1: ucarp's, the skew not multiplied
    [TestCase(1, 100, 3u, 3_390_625L)]
    [TestCase(2, 255, 3u, 6_996_093L)]
    public void Master_down_interval(int advbase, int advskew, uint deadRatio, long expected) =>
        Assert.That(Timing.MasterDown((byte)advbase, deadRatio, (byte)advskew), Is.EqualTo(expected));

    [TestCase(0, 26, 101_562L)]
    [TestCase(0, 8, 31_250L)]
    [TestCase(0, 1, 3_906L)]
    [TestCase(1, 0, 1_000_000L)]
    public void Advert_interval_is_ucarps(int advbase, int advskew, long expected) =>
        Assert.That(Timing.Interval((uint)advbase, (byte)advskew), Is.EqualTo(expected));

    [Test]
    public void A_huge_deadratio_at_advbase_zero_does_not_overflow() =>
        Assert.That(Timing.MasterDown(0, uint.MaxValue, 255), Is.EqualTo((long)uint.MaxValue * 255 * S / 256));

    static CarpSettings Settings(byte advskew) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        AdvBase = 0,
        AdvSkew = advskew,
        Source = Us,
        VirtualAddress = Vip,
        Password = Password,
        Mac = [2, 0, 0, 0, 0, 2],
    };

    static byte[] Advert(byte advbase, byte advskew)
    {
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        var fields = new AdvertFields(Peer, Configuration.DefaultMulticast, false, 7, advbase, advskew, 1, 0x1000);
        AdvertFrame.Build(fields, new CarpHmac(Password, 7, Vip), frame);
        return frame;
    }

    [Test]
    public void A_backup_at_26_waits_three_intervals_after_the_last_advert()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(26), host, new CountingRandom());
        m.Start(0);
        byte[] advert = Advert(0, 20); // a master every 20/256 s = 78.1 ms
        long now = 0;
        for (int i = 0; i < 20; i++)
        {
            now += 78_125;
            m.OnFrame(advert, now);
            Assert.That(m.State, Is.EqualTo(CarpState.Backup));
            // Under ucarp this deadline would be now + 101.5 ms: a 24 ms late advert takes over.
            Assert.That(m.NextDeadline, Is.EqualTo(now + 304_687));
        }
        m.OnTimer(now + 304_686);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        m.OnTimer(now + 304_687);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }

    // Our -k 10: 39 ms adverts, 117 ms master-down. ucarp takes any master slower than one
    // of our intervals for one about to time out; here only one slower than three.
    [TestCase(26, CarpState.Backup)]    // 101.6 ms < 117.2 ms: it will not time out
    [TestCase(30, CarpState.Backup)]    // 117.1875 ms: not slower than our 117.1875 ms
    [TestCase(31, CarpState.Master)]    // 121.1 ms: bound to time out
    public void A_master_slower_than_our_master_down_interval_is_taken_as_down(int masterSkew, CarpState expected)
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(10), host, new CountingRandom());
        m.Start(0);
        m.OnFrame(Advert(0, (byte)masterSkew), 1_000);
        Assert.That(m.State, Is.EqualTo(expected));
    }

    [Test]
    public void A_bow_out_still_hands_over_at_once()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(26), host, new CountingRandom());
        m.Start(0);
        m.OnFrame(Advert(0, 20), 1_000);
        m.OnFrame(Advert(CarpHeader.BowOutAdvBase, CarpHeader.BowOutAdvSkew), 2_000);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }
}
