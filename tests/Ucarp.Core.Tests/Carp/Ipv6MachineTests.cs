using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

/// <summary>The state machine with an IPv6 virtual address: the same protocol, IPv6 frames, NAs for ARPs.</summary>
public class Ipv6MachineTests
{
    const long S = Timing.Second;

    static IpAddress A(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    static readonly IpAddress Vip = A("2001:db8::100");
    static readonly byte[] Password = "secret"u8.ToArray();

    static CarpSettings Settings(string source = "2001:db8::2", byte advskew = 0, bool preempt = false) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        AdvSkew = advskew,
        Preempt = preempt,
        Source = A(source),
        Group = FamilyCheck.DefaultMulticast6,
        VirtualAddress = Vip,
        VirtualAddressText = "2001:DB8::100",
        Password = Password,
        Mac = [2, 0, 0, 0, 0, 1],
        UpScript = "/up",
        DownScript = "/down",
    };

    static (CarpMachine, RecordingCarpHost) Master(CarpSettings settings)
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(settings, host, new CountingRandom());
        m.Start(0);
        while (m.NextDeadline is long due && due <= 4 * S)
        {
            m.OnTimer(due);
        }
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        return (m, host);
    }

    static byte[] PeerAdvert(string from, byte advskew)
    {
        byte[] frame = new byte[CarpHeader.Advert6FrameSize];
        AdvertFrame.Build(new AdvertFields(A(from), FamilyCheck.DefaultMulticast6, false, 7, 1, advskew, 0, 0x1000),
                          new CarpHmac(Password, 7, Vip), frame);
        return frame;
    }

    [Test]
    public void A_lone_node_becomes_master_with_ipv6_adverts_and_a_neighbour_advertisement()
    {
        var (_, host) = Master(Settings());
        Assert.That(host.Take(), Is.EqualTo(new[]
        {
            "[WARNING] Switching to state: BACKUP", "script /down eth0 2001:DB8::100",
            "[WARNING] Switching to state: MASTER", "script /up eth0 2001:DB8::100",
            "na",
            "advert skew=0 counter=c0ffee00",   // at 3 s
            "advert skew=0 counter=c0ffef00",   // at 4 s
        }));
        byte[] advert = host.Adverts[0];
        Assert.That(advert.Length, Is.EqualTo(90));
        var reader = new AdvertReader(A("2001:db8::3"), FamilyCheck.DefaultMulticast6, 7, new CarpHmac(Password, 7, Vip));
        Assert.That(reader.Read(advert).Advert.Source, Is.EqualTo(A("2001:db8::2")));

        byte[] expected = new byte[NeighbourAdvert.FrameSize];
        NeighbourAdvert.Build([2, 0, 0, 0, 0, 1], Vip, expected);
        Assert.That(host.Announcements.Single(), Is.EqualTo(expected));
    }

    [Test]
    public void A_more_frequent_ipv6_master_sends_us_back_to_backup()
    {
        var (m, host) = Master(Settings(advskew: 50));
        host.Take();
        m.OnFrame(PeerAdvert("2001:db8::9", 10), 5 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup));
        Assert.That(m.MasterAddress(5 * S), Is.EqualTo(A("2001:db8::9")));
    }

    [TestCase("2001:db8::1", CarpState.Backup)]        // lower bytes: preferred
    [TestCase("2001:db8::3", CarpState.Master)]        // higher bytes: told off with an NA
    [TestCase("2001:db8:0:0:1::", CarpState.Master)]   // the first differing byte decides, not the last
    public void Equal_intervals_break_the_tie_on_the_address_bytes_in_order(string them, CarpState expected)
    {
        var (m, host) = Master(Settings(source: "2001:db8::2", advskew: 5));
        host.Take();
        m.OnFrame(PeerAdvert(them, 5), 5 * S);
        Assert.That(m.State, Is.EqualTo(expected));
        if (expected == CarpState.Master)
        {
            Assert.That(host.Take(), Does.Contain("na"));
        }
    }

    [Test]
    public void A_backup_with_preemption_takes_over_from_a_slower_ipv6_master()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(advskew: 0, preempt: true), host, new CountingRandom());
        m.Start(0);
        m.OnFrame(PeerAdvert("2001:db8::9", 100), 1 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
    }
}
