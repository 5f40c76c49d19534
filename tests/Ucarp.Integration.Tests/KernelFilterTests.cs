using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The interface socket's kernel filter (AdvertFilter) on a real LAN: another vhid's
/// adverts never reach the daemon, its own vhid's bad ones still do (and are logged), and
/// a reload that adds a group lets that group's vhid in. Each replay interleaves the two
/// kinds of frame, so once the daemon has counted all of its own vhid's, the others have
/// arrived before them: a count still at 0 is the filter's doing, not a wait too short.
/// </summary>
public class KernelFilterTests : NamespaceTest
{
    const int Loops = 100;

    /// <summary>A counter of the metrics file for one vhid and reason, or -1 before it says.</summary>
    static long Rejected(string metrics, int vhid, string reason)
    {
        if (!File.Exists(metrics))
        {
            return -1;
        }
        foreach (string line in File.ReadAllLines(metrics))
        {
            if (line.StartsWith("ucarp_rejected_total{", StringComparison.Ordinal) && line.Contains($"vhid=\"{vhid}\"", StringComparison.Ordinal)
                && line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
            {
                return long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    /// <summary>Host 2 replays, in turn, an advert of each vhid, <see cref="Loops"/> times over (1,000 frames a second).</summary>
    static void Replay(TestLan lan, params byte[] vhids)
    {
        byte[][] frames = [.. vhids.Select(v => ForgedFlood.Forged(TestLan.Address(2), v))];
        using var flood = new ForgedFlood(lan, 2, maxFrames: Loops, maxSeconds: 10, perSecond: 1000, frames);
        flood.Finish();
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_plain_group_hears_its_own_vhids_bad_adverts_and_not_another_vhid(bool debug)
    {
        using var lan = new TestLan(2);
        string metrics = Path.Combine(lan.Directory, "ucarp.prom");
        using UcarpProcess a = lan.Start(1, Binary("clone"), ["-k", "0", "--metrics-file", metrics, .. debug ? new[] { "-D" } : []]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Replay(lan, 43, 42);
        Assert.That(Wait.Until(() => Rejected(metrics, 42, "bad_digest") == Loops, Long), Is.True,
                    $"bad_digest {Rejected(metrics, 42, "bad_digest")}\n" + Describe(lan, a));
        Assert.That(a.Saw("Bad digest - md2=["), Is.True, "ucarp's warning, as before the filter");
        // --debug logs every frame (and "Ignoring vhid"), so with it the filter is ucarp's rule alone.
        Assert.That(Rejected(metrics, 42, "other_vhid"), Is.EqualTo(debug ? Loops : 0));
        Assert.That(a.Saw("Ignoring vhid: [43]"), Is.EqualTo(debug));
    }

    [Test]
    public void A_config_daemon_hears_a_vhid_once_a_reload_adds_its_group()
    {
        using var lan = new TestLan(2);
        string config = Path.Combine(lan.Directory, "ucarp.conf"), metrics = Path.Combine(lan.Directory, "ucarp.prom");
        string head = $"defaults -i eth0 -s {TestLan.Address(1)} -p test -k 0 -u {lan.UpScript} -d {lan.DownScript}\n" +
                      "group a -v 42 -a 192.0.2.100\n";
        File.WriteAllText(config, head);
        using UcarpProcess d = lan.StartRaw(1, Binaries.Clone, "--config=" + config, "--metrics-file=" + metrics);
        Assert.That(Wait.Until(() => Rejected(metrics, 42, "bad_digest") == 0, Long), Is.True, Describe(lan, d));

        Replay(lan, 44, 42);
        Assert.That(Wait.Until(() => Rejected(metrics, 42, "bad_digest") == Loops, Long), Is.True, Describe(lan, d));
        // Before the filter, vhid 44's frames were read and counted here (SIGUSR1's line).
        d.Signal("USR1");
        Assert.That(Wait.Until(() => d.Saw("eth0 (IPv4): "), Short), Is.True, Describe(lan, d));
        Assert.That(d.Saw("eth0 (IPv4): 0 advert(s) received for a vhid no group here has"), Is.True, d.Output);

        File.WriteAllText(config, head + "group b -v 44 -a 192.0.2.101\n");
        d.Signal("HUP");
        Assert.That(Wait.Until(() => Rejected(metrics, 44, "bad_digest") == 0, Long), Is.True, Describe(lan, d));
        Replay(lan, 44, 42);
        Assert.That(Wait.Until(() => Rejected(metrics, 44, "bad_digest") == Loops && Rejected(metrics, 42, "bad_digest") == 2 * Loops, Long),
                    Is.True, $"44: {Rejected(metrics, 44, "bad_digest")}, 42: {Rejected(metrics, 42, "bad_digest")}\n" + Describe(lan, d));
    }
}
