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

    // A smoke round of 15 s a target, that every target builds and runs clean; `make fuzz`
    // or UCARP_FUZZ_SECONDS runs long ones. A run is a hang after 5 s here, not afl-fuzz's
    // 1 s: the harness runs each input in a dotnet child process that SharpFuzz starts
    // again after a timeout, and at the start of the concurrent phase (the machine
    // saturated) a fresh child's start-up took over a second, so every seed timed out and
    // afl-fuzz gave up ("We need at least one valid input seed"). An input takes about a
    // millisecond; 5 s still finds a real hang.
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
        string seconds = Environment.GetEnvironmentVariable("UCARP_FUZZ_SECONDS") ?? "15";
        string output = Run([seconds, target], "no", out int code, "FUZZ_TIMEOUT_MS=5000");
        TestContext.Out.WriteLine(output.Trim());
        Assert.That(output, Does.Contain($"fuzz: {target}: "), output);
        Assert.That(code, Is.Zero, output);
    }

    static string Run(string[] args, string build, out int code, string timeout = "FUZZ_TIMEOUT_MS=1000") =>
        Shell.RunAllowingFailure("env", ["FUZZ_BUILD=" + build, timeout, Script, .. args], out code);
}
