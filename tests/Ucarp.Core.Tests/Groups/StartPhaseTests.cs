using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Groups;
using Ucarp.Core.Tests.Carp;

namespace Ucarp.Core.Tests.Groups;

/// <summary>
/// A --config group's start phase: within one advert interval, the same for a name on every
/// run, the same for a sync set's members, in step up to 255 groups and beyond that spread
/// over a slot of the interval per 128 groups (64 slots at most);
/// and the machine's first master-down wait is longer by it, and only the first.
/// </summary>
public class StartPhaseTests
{
    static Configuration Carp(byte advbase, byte advskew, string? sync = null) => new() { AdvBase = advbase, AdvSkew = advskew, SyncSet = sync };

    [Test]
    public void A_phase_lies_within_one_advert_interval_and_depends_on_the_name_alone()
    {
        Configuration carp = Carp(1, 100);
        long interval = Timing.Second + 100 * Timing.Second / 256;
        var phases = Enumerable.Range(0, 4080).Select(i => StartPhase.Of("g" + i, carp, StartPhase.SlotsFor(4080))).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(phases, Has.All.InRange(0L, interval - 1));
            Assert.That(StartPhase.Of("g7", carp, 32), Is.EqualTo(phases[7]), "the same name, the same phase");
            // 32 slots, each holding roughly a 32nd of the groups (128 of 4,080).
            Assert.That(phases.Distinct().Count(), Is.EqualTo(32));
            Assert.That(phases.GroupBy(p => p).Select(g => g.Count()), Has.All.InRange(90, 170),
                        string.Join(",", phases.GroupBy(p => p).Select(g => g.Count())));
        });
    }

    [Test]
    public void A_sync_sets_members_share_their_sets_phase_and_vrrp_counts_centiseconds()
    {
        Assert.That(StartPhase.Of("inside", Carp(1, 0, "fw"), 16), Is.EqualTo(StartPhase.Of("outside", Carp(1, 0, "fw"), 16)));
        var vrrp = new Configuration { Vrrp = 3, AdvertIntervalCentis = 10 };
        Assert.That(Enumerable.Range(0, 100).Select(i => StartPhase.Of("v" + i, vrrp, 16)), Has.All.InRange(0L, 100_000 - 1));
    }

    [TestCase(1, 1)]
    [TestCase(255, 1)]
    [TestCase(256, 2)]
    [TestCase(1000, 8)]
    [TestCase(4080, 32)]
    [TestCase(8192, 64)]
    [TestCase(10000, 64)]
    public void Up_to_255_groups_start_in_step_and_more_in_slots_of_128(int groups, int slots)
    {
        Assert.That(StartPhase.SlotsFor(groups), Is.EqualTo(slots));
        var phases = Enumerable.Range(0, groups).Select(i => StartPhase.Of("g" + i, Carp(1, 0), slots)).Distinct().ToList();
        Assert.That(phases, slots == 1 ? Is.EqualTo(new[] { 0L }) : Has.Count.EqualTo(slots));
    }

    [Test]
    public void Only_the_first_master_down_wait_is_longer_by_the_phase()
    {
        CarpSettings settings = CarpMachineTests.Settings(advbase: 1, advskew: 0);
        var host = new RecordingCarpHost();
        var machine = new CarpMachine(settings, host, new CountingRandom()) { StartPhase = 250_000 };
        machine.Start(0);
        Assert.That(machine.NextDeadline, Is.EqualTo(3 * Timing.Second + 250_000));
        var plain = new CarpMachine(settings, new RecordingCarpHost(), new CountingRandom());
        plain.Start(0);
        Assert.That(plain.NextDeadline, Is.EqualTo(3 * Timing.Second), "no phase: ucarp's start");
        machine.OnTimer(3 * Timing.Second + 250_000);
        Assert.That(machine.State, Is.EqualTo(CarpState.Master));
        Assert.That(machine.NextDeadline, Is.EqualTo(4 * Timing.Second + 250_000), "then one advert interval, as ever");
    }
}
