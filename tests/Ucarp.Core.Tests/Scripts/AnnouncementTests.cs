using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Follow;

namespace Ucarp.Core.Tests.Scripts;

/// <summary>
/// The state machine and the script queue together, as the daemon wires them: a new
/// master announces itself twice (after its upscript, and two adverts later), however
/// long the upscript takes.
/// </summary>
public class AnnouncementTests
{
    static readonly CarpSettings Settings = new()
    {
        Interface = "eth0",
        Vhid = 7,
        AdvBase = 1,
        AdvSkew = 0,
        DeadRatio = 3,
        Source = new IpAddress(192, 0, 2, 1),
        VirtualAddress = new IpAddress(192, 0, 2, 100),
        Password = "secret"u8.ToArray(),
        Mac = [2, 0, 0, 0, 0, 1],
        UpScript = "/up",
        DownScript = "/down",
    };

    const long S = 1_000_000;

    static (CarpMachine, Wiring) NewMaster()
    {
        var wiring = new Wiring();
        var m = wiring.Machine(Settings);
        m.Start(0);
        wiring.Queue.ScriptEnded(); // the start-up downscript
        m.OnTimer(3 * S);         // master-down: MASTER, upscript started, first advert
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        return (m, wiring);
    }

    [Test]
    public void A_quick_upscript_lets_the_two_announcements_go_two_adverts_apart()
    {
        var (m, wiring) = NewMaster();
        wiring.Queue.ScriptEnded();
        m.OnTimer(4 * S);
        m.OnTimer(5 * S);
        Assert.That(wiring.Wire, Is.EqualTo(new[] { "start Down", "start Up", "advert", "garp", "advert", "advert", "garp" }));
    }

    [Test]
    public void A_slow_upscript_delays_both_announcements_and_loses_neither()
    {
        var (m, wiring) = NewMaster();
        // The upscript is still running when the second announcement is due.
        m.OnTimer(4 * S);
        m.OnTimer(5 * S);
        m.OnTimer(6 * S);
        Assert.That(wiring.Wire.Count(w => w == "garp"), Is.Zero, "nothing announced before the address is configured");
        wiring.Queue.ScriptEnded();
        Assert.That(wiring.Wire.Count(w => w == "garp"), Is.EqualTo(2), string.Join(", ", wiring.Wire));
        Assert.That(wiring.Wire[^2..], Is.EqualTo(new[] { "garp", "garp" }));
    }
}
