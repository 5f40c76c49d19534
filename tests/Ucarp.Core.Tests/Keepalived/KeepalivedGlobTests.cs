using Ucarp.Core.Keepalived;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>fnmatch(3) and GLOB_BRACE as keepalived's include uses them.</summary>
public class KeepalivedGlobTests
{
    [TestCase("*.conf", "a.conf", true)]
    [TestCase("*.conf", "a.conf.bak", false)]
    [TestCase("a?c", "abc", true)]
    [TestCase("a?c", "ac", false)]
    [TestCase("[a-c]x", "bx", true)]
    [TestCase("[!a-c]x", "bx", false)]
    [TestCase("[^a-c]x", "dx", true)]
    [TestCase("[]]x", "]x", true)]
    [TestCase("[ab", "[ab", true)]
    [TestCase("\\*", "*", true)]
    [TestCase("\\*", "a", false)]
    [TestCase("*a*b*c", "xxaxxbxxc", true)]
    [TestCase("*a*b*c", "xxaxxbxx", false)]
    [TestCase("**", "", true)]
    public void Names_match_as_fnmatch_matches_them(string pattern, string name, bool match) =>
        Assert.That(KeepalivedGlob.Match(pattern, name), Is.EqualTo(match));

    [TestCase("a{b,c}d", "abd acd")]
    [TestCase("a{b,c{d,e}}f", "abf acdf acef")]
    [TestCase("{a,b}{c,d}", "ac ad bc bd")]
    [TestCase("a{b", "a{b")]
    [TestCase("a\\{b,c}", "a\\{b,c}")]
    [TestCase("{x}", "x")]
    public void Braces_expand_in_order(string pattern, string expanded) =>
        Assert.That(string.Join(" ", KeepalivedGlob.Braces(pattern)!), Is.EqualTo(expanded));
}
