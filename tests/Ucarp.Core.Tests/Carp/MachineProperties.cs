using FsCheck;
using FsCheck.Fluent;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Carp;

/// <summary>Whatever arrives on the wire, only a frame with a valid HMAC moves the state machine.</summary>
public class MachineProperties
{
    static readonly byte[] Password = "secret"u8.ToArray();
    static readonly IpAddress Vip = new(192, 0, 2, 100);

    static CarpSettings Settings => new()
    {
        Interface = "eth0", Vhid = 7, AdvSkew = 100, Preempt = true,
        Source = new(192, 0, 2, 1), VirtualAddress = Vip, Password = Password, Mac = [2, 0, 0, 0, 0, 1],
    };

    /// <summary>
    /// A valid advert from a slower peer: a preempting backup takes over, a master
    /// reasserts itself with a gratuitous ARP. Either way the machine acts.
    /// </summary>
    static readonly byte[] Template = Build(advskew: 150);

    static byte[] Build(byte advskew)
    {
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(new(192, 0, 2, 2), Configuration.DefaultMulticast, false, 7, 1, advskew, 9, 77),
                          new CarpHmac(Password, 7, Vip), frame);
        return frame;
    }

    static readonly Gen<byte[]> Frames = Gen.OneOf(
        Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(),
        from at in Gen.Choose(0, CarpHeader.AdvertFrameSize - 1)
        from value in Gen.Choose(0, 255)
        select Edited(at, (byte)value));

    static byte[] Edited(int at, byte value)
    {
        byte[] f = (byte[])Template.Clone();
        f[at] = value;
        return f;
    }

    static bool Valid(byte[] f) =>
        new AdvertReader(Settings.Source, Settings.Group, 7, new CarpHmac(Password, 7, Vip)).Read(f).IsValid;

    [TestCase(false)]
    [TestCase(true)]
    public void Only_valid_adverts_change_state(bool asMaster)
    {
        Prop.ForAll(Arb.From(Frames), frame =>
        {
            var host = new RecordingCarpHost();
            var m = new CarpMachine(Settings, host, new CountingRandom());
            m.Start(0);
            if (asMaster)
            {
                m.OnTimer(m.NextDeadline!.Value);
            }
            return !Acts(m, host, frame) || Valid(frame);
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    /// <summary>Whether a frame made the machine change state, re-arm a timer or emit anything but a rejection warning.</summary>
    static bool Acts(CarpMachine m, RecordingCarpHost host, byte[] frame)
    {
        CarpState before = m.State;
        long? deadline = m.ProtocolDeadline;
        host.Take();
        m.OnFrame(frame, 1_000_000);
        return m.State != before || m.ProtocolDeadline != deadline
            || host.Effects.Any(e => !e.StartsWith("[WARNING] Bad", StringComparison.Ordinal));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void The_template_makes_the_machine_act(bool asMaster)
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings, host, new CountingRandom());
        m.Start(0);
        if (asMaster)
        {
            m.OnTimer(m.NextDeadline!.Value);
        }
        Assert.That(Acts(m, host, Template), Is.True);
    }
}
