using Ucarp.Fuzz;

namespace Ucarp.Core.Tests.Fuzz;

/// <summary>
/// Every seed and every crash or hang AFL++ has found (tests/fuzz/regressions, filled by
/// tests/fuzz/fuzz.sh), replayed through the fuzzing targets: each must return quietly.
/// </summary>
public class FuzzRegressionTests
{
    public static IEnumerable<TestCaseData> Inputs()
    {
        string root = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fuzz");
        foreach (string kind in new[] { "corpus", "regressions" })
        {
            foreach (string target in new[] { "reader", "vrrp", "cli", "http", "json" })
            {
                string dir = Path.Combine(root, kind, target);
                if (!Directory.Exists(dir))
                {
                    continue;
                }
                foreach (string file in Directory.GetFiles(dir).Where(f => !f.EndsWith(".gitkeep", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    yield return new TestCaseData(target, file).SetName($"{kind}/{target}/{Path.GetFileName(file)}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Inputs))]
    public void Returns_quietly(string target, string file)
    {
        byte[] input = File.ReadAllBytes(file);
        var run = Task.Run(() =>
        {
            switch (target)
            {
                case "reader": FuzzTargets.Reader(input); break;
                case "vrrp": FuzzTargets.Vrrp(input); break;
                case "cli": FuzzTargets.CommandLine(input); break;
                case "http": FuzzTargets.HttpResponse(input); break;
                default: FuzzTargets.Json(input); break;
            }
        });
        Assert.That(run.Wait(TimeSpan.FromSeconds(10)), Is.True, "a hang");
    }

    [Test]
    public void The_seed_corpus_is_there() => Assert.That(Inputs().Count(), Is.GreaterThanOrEqualTo(30));
}
