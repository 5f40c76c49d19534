using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

/// <summary>What a flood of bad frames costs: no allocation, and the HMAC only when it must.</summary>
public class HostileInputTests
{
    static readonly byte[] Password = "secret"u8.ToArray();
    static readonly IpAddress Vip = new(192, 0, 2, 100);

    static byte[] Advert(byte vhid, string password, byte ttlOverride = 255)
    {
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(new(192, 0, 2, 66), Configuration.DefaultMulticast, false, vhid, 1, 0, 7, 99),
                          new CarpHmac(System.Text.Encoding.ASCII.GetBytes(password), vhid, Vip), frame);
        frame[22] = ttlOverride;
        return frame;
    }

    [Test]
    public void The_hmac_runs_only_for_frames_that_pass_every_cheaper_check()
    {
        var hmac = new CarpHmac(Password, 7, Vip);
        var reader = new AdvertReader(new IpAddress(192, 0, 2, 1), Configuration.DefaultMulticast, 7, hmac);
        reader.Read(Advert(8, "secret"));               // other vhid
        reader.Read(Advert(7, "secret", ttlOverride: 64)); // routed
        reader.Read(Advert(7, "secret").AsSpan(0, 60));    // truncated
        Assert.That(hmac.Computations, Is.EqualTo(0));
        reader.Read(Advert(7, "forged"));
        Assert.That(hmac.Computations, Is.EqualTo(1));
    }

    [TestCase("forged", 7, TestName = "Rejecting forged adverts allocates nothing")]
    [TestCase("secret", 8, TestName = "Ignoring other vhids allocates nothing")]
    public void Rejection_path_allocates_nothing(string password, int vhid)
    {
        var host = new RecordingCarpHost();
        var settings = new CarpSettings
        {
            Interface = "eth0", Vhid = 7, Source = new(192, 0, 2, 1), VirtualAddress = Vip, Password = Password, Mac = [2, 0, 0, 0, 0, 1],
        };
        var machine = new CarpMachine(settings, host, new CountingRandom());
        machine.Start(0);
        machine.OnTimer(machine.NextDeadline!.Value); // master: the state a flood attacks
        byte[] forged = Advert((byte)vhid, password);
        long now = 10_000_000;
        // Warm up: the first one is logged, the rest counted; the fewest of up to three
        // rounds, so that the runtime's once-only work on this thread is not counted.
        (double perFrame, _) = AllocationCount.PerStep(1000, 100_000, i => machine.OnFrame(forged, now + i));
        Assert.That(perFrame, Is.EqualTo(0));
        Assert.That(machine.State, Is.EqualTo(CarpState.Master));
    }
}
