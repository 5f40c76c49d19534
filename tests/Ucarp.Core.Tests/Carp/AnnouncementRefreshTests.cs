using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

/// <summary>--garp-refresh: a master repeats its announcement every period; nobody else does.</summary>
public class AnnouncementRefreshTests
{
    const long S = Timing.Second;
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly byte[] Password = "secret"u8.ToArray();

    static CarpSettings Settings(long? refresh, bool ipv6 = false) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        Source = ipv6 ? new IpAddress([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]) : new IpAddress(192, 0, 2, 2),
        Group = ipv6 ? FamilyCheck.DefaultMulticast6 : Configuration.DefaultMulticast,
        VirtualAddress = ipv6 ? new IpAddress([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]) : Vip,
        Password = Password,
        Mac = [2, 0, 0, 0, 0, 2],
        GarpRefresh = refresh,
    };

    /// <summary>The announcement times from start to <paramref name="until"/>, running every timer.</summary>
    static List<long> Announcements(CarpMachine m, RecordingCarpHost host, long until, List<long> at)
    {
        while (m.NextDeadline is long due && due <= until)
        {
            int before = host.Announcements.Count;
            m.OnTimer(due);
            for (int i = before; i < host.Announcements.Count; i++)
            {
                at.Add(due);
            }
        }
        return at;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_master_announces_every_period_after_its_two_takeover_announcements(bool ipv6)
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(10 * S, ipv6), host, new CountingRandom());
        m.Start(0);
        List<long> at = Announcements(m, host, 45 * S, []);
        // Master at 3 s: one announcement then, one after the second advert (5 s), then every 10 s.
        Assert.That(at, Is.EqualTo(new[] { 3 * S, 5 * S, 13 * S, 23 * S, 33 * S, 43 * S }));
        Assert.That(host.Effects.Count(e => e == (ipv6 ? "na" : "garp")), Is.EqualTo(6));
    }

    [Test]
    public void Off_by_default_a_master_announces_only_when_taking_over()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(null), host, new CountingRandom());
        m.Start(0);
        Assert.That(Announcements(m, host, 100 * S, []), Is.EqualTo(new[] { 3 * S, 5 * S }));
    }

    [Test]
    public void A_backup_and_a_master_that_stepped_down_do_not_refresh()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(1 * S), host, new CountingRandom());
        m.Start(0);
        Announcements(m, host, 4 * S + S / 2, []);   // master at 3 s, refreshed at 4 s
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        // A preferred master (lower address, same interval) appears: we step down.
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(new IpAddress(192, 0, 2, 1), Configuration.DefaultMulticast, false, 7, 1, 0, 1, 0x1000),
                          new CarpHmac(Password, 7, Vip), frame);
        m.OnFrame(frame, 4 * S + S / 2);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        int before = host.Announcements.Count;
        for (long t = 5 * S; t < 7 * S; t += S / 2)
        {
            m.OnFrame(frame, t);  // the new master keeps advertising
            while (m.NextDeadline is long due && due <= t)
            {
                m.OnTimer(due);
            }
        }
        Assert.That(host.Announcements.Count, Is.EqualTo(before), "no refresh after stepping down");
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
    }
}
