using System.Text;
using Ucarp.Core.Carp;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Cli;

namespace Ucarp.Core.Tests.Carp;

/// <summary>
/// What one CARP group's core holds (its settings, state machine, key, reader, follower),
/// measured over a thousand groups of a --config file: a host may run thousands, so a
/// group's cost is a budget (issue "Cost at the floor"). BouncyCastle's HMAC (three SHA-1
/// schedules, 1.2 KiB) and the rejection counters made for every group (0.6 KiB) once
/// took it to 4.4 KiB.
/// </summary>
public class GroupMemoryTests
{
    const int Groups = 1000;
    const long BudgetBytes = 2560;

    [Test]
    public void A_carp_group_costs_at_most_its_budget()
    {
        var text = new StringBuilder("defaults -p bench -b 1 -k 0 --manage-addresses\n");
        for (int i = 0; i < Groups; i++)
        {
            text.Append($"group v{i} -i v{101 + i / 255} -s 2001:db8:65::f1 -v {1 + i % 255} -a 2001:db8:65::1:{i:x}\n");
        }
        ConfigReadResult read = ConfigReader.Read(text.ToString(), new RecordingCliHost().ReadPassfile);
        Assert.That(read.Groups, Has.Count.EqualTo(Groups));
        var host = new RecordingCarpHost();
        var random = new CountingRandom();
        long perGroup = GroupMemory.PerGroup(Groups, () =>
        {
            var machines = new CarpMachine[Groups];
            for (int i = 0; i < Groups; i++)
            {
                CarpSettings settings = CarpSettings.From(read.Groups[i].Settings, "bench"u8.ToArray(), [2, 0, 0, 0, 0, 1]);
                machines[i] = new CarpMachine(settings, host, random);
                machines[i].Start(0);
            }
            return (machines, 0);
        });
        Assert.That(perGroup, Is.LessThanOrEqualTo(BudgetBytes));
    }
}
