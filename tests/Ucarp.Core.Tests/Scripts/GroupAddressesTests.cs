using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Follow;
using Ucarp.Core.Tests.Carp;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Scripts;

/// <summary>
/// A group with --extra-addr and --manage-addresses: every address announced, in order;
/// the adverts and the scripts' argv as without extras; addresses added before the
/// upscript and removed after the downscript, in the script queue's order.
/// </summary>
public class GroupAddressesTests
{
    const long S = 1_000_000;
    static readonly byte[] Mac = [2, 0, 0, 0, 0, 1];

    static CarpSettings Settings(bool ipv6 = false, bool extras = true, bool manage = false, bool scripts = true, bool neutral = false) => new()
    {
        Interface = "eth0",
        Vhid = 7,
        Source = ipv6 ? Address("2001:db8::1") : new IpAddress(192, 0, 2, 1),
        Group = ipv6 ? FamilyCheck.DefaultMulticast6 : Configuration.DefaultMulticast,
        VirtualAddress = ipv6 ? Address("2001:db8::100") : new IpAddress(192, 0, 2, 100),
        Password = "secret"u8.ToArray(),
        Mac = Mac,
        UpScript = scripts ? "/up" : null,
        DownScript = scripts ? "/down" : null,
        XParam = "x",
        Neutral = neutral,
        ExtraAddresses = !extras ? [] : ipv6 ? [Address("2001:db8::101"), Address("2001:db8::102")]
                                             : [new IpAddress(192, 0, 2, 102), new IpAddress(192, 0, 2, 101)],
        ManageAddresses = manage,
    };

    static IpAddress Address(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    static CarpMachine Master(CarpSettings settings, ICarpHost host)
    {
        var m = new CarpMachine(settings, host, new CountingRandom());
        m.Start(0);
        m.OnTimer(3 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        return m;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_new_master_announces_every_address_in_order_each_time(bool ipv6)
    {
        CarpSettings settings = Settings(ipv6);
        var host = new RecordingCarpHost();
        CarpMachine m = Master(settings, host);
        m.OnTimer(4 * S);
        m.OnTimer(5 * S);    // the second announcement, two adverts later
        int size = ipv6 ? NeighbourAdvert.FrameSize : GratuitousArp.FrameSize;
        var expected = new List<byte[]>();
        foreach (IpAddress address in (IpAddress[])[settings.VirtualAddress, .. settings.ExtraAddresses])
        {
            byte[] frame = new byte[size];
            if (ipv6)
            {
                NeighbourAdvert.Build(Mac, address, frame);
            }
            else
            {
                GratuitousArp.Build(Mac, address, frame);
            }
            expected.Add(frame);
        }
        Assert.That(host.Announcements, Is.EqualTo((List<byte[]>)[.. expected, .. expected]));
    }

    [Test]
    public void Adverts_and_script_arguments_are_those_of_the_group_without_extras()
    {
        var plain = new RecordingCarpHost();
        var extra = new RecordingCarpHost();
        CarpMachine a = Master(Settings(extras: false), plain);
        CarpMachine b = Master(Settings(extras: true), extra);
        for (long t = 4; t < 10; t++)
        {
            a.OnTimer(t * S);
            b.OnTimer(t * S);
        }
        Assert.That(extra.Adverts, Has.Count.GreaterThan(5));
        Assert.That(extra.Adverts, Is.EqualTo(plain.Adverts), "the HMAC covers -a only: adverts byte for byte");
        Assert.That(extra.Effects.Where(e => e.StartsWith("script", StringComparison.Ordinal)),
                    Is.EqualTo(plain.Effects.Where(e => e.StartsWith("script", StringComparison.Ordinal))));
    }

    [Test]
    public void Scripts_get_the_extras_in_the_environment_only_when_there_are_some()
    {
        var effects = Effects(Settings(extras: true));
        Assert.That(effects.Up!.Arguments, Is.EqualTo(new[] { "/up", "eth0", "192.0.2.100", "x" }));
        Assert.That(effects.Up.Environment, Is.EqualTo(new[] { "UCARP_EXTRA_ADDRESSES=192.0.2.102 192.0.2.101" }));
        Assert.That(effects.Down!.Environment, Is.EqualTo(effects.Up.Environment));
        Assert.That(effects.Up.Addresses, Is.Empty, "not managed without --manage-addresses");
        var plain = Effects(Settings(extras: false));
        Assert.That(plain.Up!.Environment, Is.Empty);
        Assert.That(Effects(Settings(scripts: false)).Up, Is.Null);
    }

    static RoleEffects Effects(CarpSettings settings)
    {
        var host = new RecordingCarpHost();
        return new RoleEffects(settings, new RoleFollower(host), host);
    }

    /// <summary>What the queue did, adverts left out.</summary>
    static List<string> Steps(Wiring wiring) => [.. wiring.Wire.Where(w => w != "advert")];

    [Test]
    public void Addresses_are_added_before_the_upscript_and_announced_after_it_removed_after_the_downscript()
    {
        var wiring = new Wiring { NameAddresses = true };
        var m = wiring.Machine(Settings(manage: true));
        m.Start(0);                   // the start-up downscript runs...
        Assert.That(Steps(wiring), Is.EqualTo(new[] { "start Down" }));
        wiring.Queue.ScriptEnded();     // ...and then the stale addresses go
        m.OnTimer(3 * S);
        Assert.That(Steps(wiring)[1..], Is.EqualTo(new[] { "remove 192.0.2.100 192.0.2.102 192.0.2.101", "add 192.0.2.100 192.0.2.102 192.0.2.101", "start Up" }));
        wiring.Queue.ScriptEnded();
        Assert.That(Steps(wiring)[4..], Is.EqualTo(new[] { "garp 192.0.2.100", "garp 192.0.2.102", "garp 192.0.2.101" }));
        wiring.Wire.Clear();
        m.Shutdown(4 * S);            // -z: the downscript, then the addresses, then the bow-out
        Assert.That(Steps(wiring), Is.EqualTo(new[] { "start Down" }));
        wiring.Queue.ScriptEnded();
        Assert.That(Steps(wiring), Is.EqualTo(new[] { "start Down", "remove 192.0.2.100 192.0.2.102 192.0.2.101", "bowout" }));
    }

    [TestCase(false, "remove 192.0.2.100 192.0.2.102 192.0.2.101", TestName = "Without_scripts_a_start_removes_stale_addresses")]
    [TestCase(true, null, TestName = "Without_scripts_a_neutral_start_leaves_the_addresses")]
    public void Without_scripts_the_steps_are_the_addresses_alone(bool neutral, string? atStart)
    {
        var wiring = new Wiring { NameAddresses = true };
        var m = wiring.Machine(Settings(manage: true, scripts: false, neutral: neutral));
        m.Start(0);
        Assert.That(Steps(wiring), Is.EqualTo(atStart is null ? Array.Empty<string>() : new[] { atStart }));
        wiring.Wire.Clear();
        m.OnTimer(3 * S);
        Assert.That(Steps(wiring), Is.EqualTo(new[] { "add 192.0.2.100 192.0.2.102 192.0.2.101", "garp 192.0.2.100", "garp 192.0.2.102", "garp 192.0.2.101" }));
        Assert.That(wiring.Queue.Idle, Is.True);
    }

    [Test]
    public void A_down_that_undoes_a_waiting_up_changes_no_address()
    {
        var wiring = new Wiring { NameAddresses = true };
        var down = new ScriptInvocation(ScriptKind.Down, "/down", ["/down"]) { Addresses = [new IpAddress(192, 0, 2, 100)] };
        var up = down with { Kind = ScriptKind.Up, Path = "/up" };
        wiring.Queue.RunScript(down);
        wiring.Queue.RunScript(up);     // waits behind the running downscript
        wiring.Queue.RunScript(down);   // undoes it: neither runs
        wiring.Queue.ScriptEnded();
        Assert.That(Steps(wiring), Is.EqualTo(new[] { "start Down", "remove 192.0.2.100" }));
        Assert.That(wiring.Queue.Idle, Is.True);
    }

    /// <summary>
    /// The daemon changes addresses on a worker thread (a netlink request may wait on the
    /// kernel's lock): the upscript starts once they are added, the announcement and the
    /// bow-out go once they are removed, and nothing is sent for an address not there yet.
    /// </summary>
    [Test]
    public void Addresses_changed_elsewhere_are_waited_for_in_the_steps_order()
    {
        var wiring = new Wiring { NameAddresses = true, AddressesElsewhere = true };
        var m = wiring.Machine(Settings(manage: true));
        m.Start(0);
        wiring.Queue.ScriptEnded();     // the start-up downscript...
        Assert.That((Steps(wiring), wiring.Queue.ChangingAddresses), Is.EqualTo((new[] { "start Down", "remove 192.0.2.100 192.0.2.102 192.0.2.101" }, true)));
        m.OnTimer(3 * S);               // MASTER while the stale addresses are still being removed
        Assert.That(Steps(wiring), Has.Count.EqualTo(2), "the up step waits for the removal before it");
        wiring.Queue.AddressesChanged();
        Assert.That(Steps(wiring)[2..], Is.EqualTo(new[] { "add 192.0.2.100 192.0.2.102 192.0.2.101" }));
        wiring.Queue.ScriptEnded();     // not a script of this step: nothing moves
        Assert.That(Steps(wiring), Has.Count.EqualTo(3), "no upscript, no announcement before the addresses are there");
        wiring.Queue.AddressesChanged();
        Assert.That(Steps(wiring)[3..], Is.EqualTo(new[] { "start Up" }));
        wiring.Queue.ScriptEnded();
        Assert.That(Steps(wiring)[4..], Is.EqualTo(new[] { "garp 192.0.2.100", "garp 192.0.2.102", "garp 192.0.2.101" }));
        wiring.Wire.Clear();
        m.Shutdown(4 * S);
        wiring.Queue.ScriptEnded();
        Assert.That((Steps(wiring), wiring.Queue.Done), Is.EqualTo((new[] { "start Down", "remove 192.0.2.100 192.0.2.102 192.0.2.101" }, false)), "the bow-out waits for the removal");
        wiring.Queue.AddressesChanged();
        Assert.That((Steps(wiring)[2..], wiring.Queue.Done), Is.EqualTo((new[] { "bowout" }, true)));
    }

    [Test]
    public void Without_scripts_addresses_changed_elsewhere_are_announced_once_added()
    {
        var wiring = new Wiring { NameAddresses = true, AddressesElsewhere = true };
        var m = wiring.Machine(Settings(manage: true, scripts: false, neutral: true));
        m.Start(0);
        m.OnTimer(3 * S);
        Assert.That((Steps(wiring), wiring.Queue.Idle), Is.EqualTo((new[] { "add 192.0.2.100 192.0.2.102 192.0.2.101" }, false)));
        wiring.Queue.AddressesChanged();
        Assert.That(Steps(wiring)[1..], Is.EqualTo(new[] { "garp 192.0.2.100", "garp 192.0.2.102", "garp 192.0.2.101" }));
        Assert.That(wiring.Queue.Idle, Is.True);
    }
}
