using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// A short AFL++ round on each fuzzing target (tests/fuzz/fuzz.sh; `make fuzz` runs long
/// ones). Anything found is copied into tests/fuzz/regressions, replayed by the core tests.
/// The harness is built once for the four rounds, which run one after the other (each
/// keeps a core busy) while the namespace tests run beside them.
/// </summary>
// Long fixtures start first in the concurrent phase, so that they do not end it alone.
[Order(1)]
[Category("Fuzz")]
public class FuzzTests
{
    static string Script => Path.Combine(Binaries.Repository, "tests/fuzz/fuzz.sh");

    [OneTimeSetUp]
    public void BuildTheHarness()
    {
        if (Shell.IsRoot)
        {
            string output = Run(["0"], "only", out int code);
            Assert.That(code, Is.Zero, "building the fuzzing harness failed:\n" + output);
        }
    }

    // A smoke round of 20 s a target, that every target builds and runs clean; `make fuzz`
    // or UCARP_FUZZ_SECONDS runs long ones.
    [TestCase("reader")]
    [TestCase("cli")]
    [TestCase("http")]
    [TestCase("json")]
    public void A_short_afl_round_finds_nothing(string target)
    {
        if (!Shell.IsRoot)
        {
            Assert.Ignore("installing afl++ needs root");
        }
        string seconds = Environment.GetEnvironmentVariable("UCARP_FUZZ_SECONDS") ?? "20";
        string output = Run([seconds, target], "no", out int code);
        TestContext.Out.WriteLine(output.Trim());
        Assert.That(output, Does.Contain($"fuzz: {target}: "), output);
        Assert.That(code, Is.Zero, output);
    }

    static string Run(string[] args, string build, out int code) =>
        Shell.RunAllowingFailure("env", ["FUZZ_BUILD=" + build, Script, .. args], out code);
}
