using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>
/// Long options shortened: an abbreviation ucarp 1.5.2 accepts means what it meant there
/// whatever options Ucarp.Net adds (--pre stays --preempt beside --preempt-delay); ours
/// need a prefix unique among all; one two of ucarp's share stays ambiguous, as glibc says.
/// </summary>
public class AbbreviationTests
{
    static (GetoptResult Step, List<string> Stderr) First(params string[] args)
    {
        var stderr = new List<string>();
        var getopt = new GetoptLong("ucarp", OptionTable.ShortOptions, OptionTable.LongOptions, args, posixlyCorrect: false, stderr.Add);
        return (getopt.Next(), stderr);
    }

    [TestCase("--pr", 'P')]
    [TestCase("--pre", 'P')]
    [TestCase("--pree", 'P')]
    [TestCase("--preemp", 'P')]
    [TestCase("--v=7", 'v')]
    [TestCase("--f=local0", 'f')]
    [TestCase("--m=239.1.1.1", 'm')]
    [TestCase("--mc=239.1.1.1", 'm')]
    [TestCase("--no", 'M')]
    [TestCase("--n", '\0')]   // --neutral and --nomcast: ambiguous in ucarp too
    public void An_abbreviation_unique_among_ucarps_options_is_ucarps(string word, char option)
    {
        var (step, stderr) = First(word);
        if (option == '\0')
        {
            Assert.That(step.Kind, Is.EqualTo(GetoptResultKind.Error));
            return;
        }
        Assert.That((step.Kind, step.Option), Is.EqualTo((GetoptResultKind.Option, option)), string.Join("", stderr));
        Assert.That(stderr, Is.Empty);
    }

    [TestCase("--vrrp=3", OptionTable.Vrrp)]
    [TestCase("--vrrp-c=rfc", OptionTable.VrrpChecksum)]
    [TestCase("--pri=5", OptionTable.Priority)]
    [TestCase("--preempt-=5", OptionTable.PreemptDelay)]
    [TestCase("--adve=1", OptionTable.AdvertInt)]
    [TestCase("--no-p", OptionTable.NoPreempt)]
    [TestCase("--follow-k=/k", OptionTable.FollowKey)]
    [TestCase("--metrics-f=/m", OptionTable.MetricsFile)]
    public void Our_options_take_a_prefix_no_ucarp_option_has(string word, char option)
    {
        var (step, stderr) = First(word);
        Assert.That((step.Kind, step.Option), Is.EqualTo((GetoptResultKind.Option, option)), string.Join("", stderr));
    }

    [TestCase("--ad=1", "ucarp: option '--ad=1' is ambiguous; possibilities: '--addr' '--advbase' '--advskew' '--advert-int'\n")]
    [TestCase("--vrr", "ucarp: option '--vrr' is ambiguous; possibilities: '--vrrp' '--vrrp-checksum'\n")]
    [TestCase("--no-", "ucarp: option '--no-' is ambiguous; possibilities: '--no-bowout' '--no-preempt'\n")]
    [TestCase("--metrics", "ucarp: option '--metrics' is ambiguous; possibilities: '--metrics-file' '--metrics-listen'\n")]
    public void Ambiguity_among_ucarps_or_among_ours_is_glibcs(string word, string message)
    {
        var (step, stderr) = First(word);
        Assert.That(step.Kind, Is.EqualTo(GetoptResultKind.Error));
        Assert.That(stderr, Is.EqualTo(new[] { message }));
    }
}
