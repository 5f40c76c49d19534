using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// A short AFL++ round on each fuzzing target (tests/fuzz/fuzz.sh; `make fuzz` runs long
/// ones). Anything found is copied into tests/fuzz/regressions, replayed by the core tests.
/// </summary>
[Category("Fuzz")]
[NonParallelizable]
public class FuzzTests
{
    // Short rounds (make check must stay under 25 minutes): a smoke test that every target
    // builds and runs clean; `make fuzz` or UCARP_FUZZ_SECONDS runs long ones.
    [TestCase("reader", "15")]
    [TestCase("cli", "15")]
    [TestCase("http", "8")]
    [TestCase("json", "8")]
    public void A_short_afl_round_finds_nothing(string target, string defaultSeconds)
    {
        if (!Shell.IsRoot)
        {
            Assert.Ignore("installing afl++ needs root");
        }
        string seconds = Environment.GetEnvironmentVariable("UCARP_FUZZ_SECONDS") ?? defaultSeconds;
        string script = Path.Combine(Binaries.Repository, "tests/fuzz/fuzz.sh");
        string output = Shell.RunAllowingFailure(script, [seconds, target], out int code);
        TestContext.Out.WriteLine(output.Trim());
        Assert.That(output, Does.Contain($"fuzz: {target}: "), output);
        Assert.That(code, Is.Zero, output);
    }
}
