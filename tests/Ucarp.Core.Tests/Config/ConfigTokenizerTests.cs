using Ucarp.Core.Config;

namespace Ucarp.Core.Tests.Config;

/// <summary>The file's words as a POSIX shell splits them, without expansion, every problem a diagnostic with its line.</summary>
public class ConfigTokenizerTests
{
    /// <summary>"LINE:[word][word] LINE:[word]", then the diagnostics as "LINE: message".</summary>
    static string Words(string text)
    {
        var problems = new ConfigProblems();
        IReadOnlyList<ConfigLine> lines = ConfigTokenizer.Tokenize(text, problems);
        string words = string.Join(" ", lines.Select(l => l.Line + ":" + string.Concat(l.Words.Select(w => "[" + w.Text + "]"))));
        string diagnostics = string.Join(" ", problems.All.Select(d => d.Line + ": " + d.Message));
        return diagnostics.Length == 0 ? words : words + " ! " + diagnostics;
    }

    [TestCase("", "")]
    [TestCase("a b\tc", "1:[a][b][c]")]
    [TestCase("a\n\n  b  \n", "1:[a] 3:[b]")]
    [TestCase("# comment\na # comment \\\nb", "2:[a] 3:[b]")]
    [TestCase("a#b c", "1:[a#b][c]")]
    [TestCase("''#x", "1:[#x]")]
    [TestCase("a \\\n b \\\n c\nd", "1:[a][b][c] 4:[d]")]
    [TestCase("a\\\nb", "1:[ab]")]
    [TestCase("a \\\r\n b\r\n", "1:[a][b]")]
    [TestCase(@"'it''s' '$x \ ""y""'", @"1:[its][$x \ ""y""]")]
    [TestCase(@"""a\\b\""c\$d\`e\xf""", @"1:[a\b""c$d`e\xf]")]
    [TestCase("\"a\\\nb\" c", "1:[ab][c]")]
    [TestCase("'a\nb' c\nd", "1:[a\nb][c] 3:[d]")]
    [TestCase(@"\'a\ b\\ \#c", @"1:['a b\][#c]")]
    [TestCase("'' \"\"", "1:[][]")]
    [TestCase("a \\", "1:[a]")]
    [TestCase("$HOME `id` *", "1:[$HOME][`id`][*]")]
    [TestCase("group '\n'\n# end\n", "1:[group][\n]")]
    public void Words_are_split_as_a_shell_splits_them(string text, string expected) =>
        Assert.That(Words(text), Is.EqualTo(expected));

    [TestCase("a\nb 'c\nd\ne", "1:[a] ! 2: unterminated ' quote")]
    [TestCase("a \"b\\\"\n", "! 1: unterminated \" quote")]
    [TestCase("a\nb\0c\nd", "1:[a] 3:[d] ! 2: line holds a NUL character")]
    [TestCase("a \\\nb\0 \\\nc\nd", "4:[d] ! 2: line holds a NUL character")]
    public void Problems_are_reported_at_their_line_and_drop_their_line(string text, string expected) =>
        Assert.That(Words(text).TrimStart(), Is.EqualTo(expected));

    [Test]
    public void A_line_too_long_is_reported_and_dropped()
    {
        string text = "a\n" + new string('x', ConfigTokenizer.MaxLineChars + 1) + "\nb\n" + new string('y', ConfigTokenizer.MaxLineChars);
        Assert.That(Words(text), Is.EqualTo($"1:[a] 3:[b] 4:[{new string('y', ConfigTokenizer.MaxLineChars)}] ! 2: line longer than 4096 characters"));
    }

    [Test]
    public void Too_many_words_on_a_line_are_reported_and_dropped()
    {
        string many = string.Join(" \\\n", Enumerable.Repeat("w", ConfigTokenizer.MaxWordsPerLine + 1));
        string enough = string.Join(" ", Enumerable.Repeat("w", ConfigTokenizer.MaxWordsPerLine));
        Assert.That(Words(many + "\nlast"), Is.EqualTo($"{ConfigTokenizer.MaxWordsPerLine + 2}:[last] ! 1: more than 512 words"));
        Assert.That(Words(enough).Split('[').Length - 1, Is.EqualTo(ConfigTokenizer.MaxWordsPerLine));
    }

    [Test]
    public void A_file_too_large_is_refused_whole()
    {
        string text = new string('\n', ConfigTokenizer.MaxFileChars + 1);
        Assert.That(Words(text), Is.EqualTo(" ! 0: the file is larger than 1048576 bytes"));
        Assert.That(Words(new string('\n', ConfigTokenizer.MaxFileChars)), Is.Empty);
    }

    [Test]
    public void Problems_are_bounded()
    {
        string text = string.Concat(Enumerable.Repeat("\0\n", 10_000));
        var problems = new ConfigProblems();
        ConfigTokenizer.Tokenize(text, problems);
        Assert.That(problems.All, Has.Count.EqualTo(ConfigProblems.MaxErrors + 1));
        Assert.That(problems.All[^1].Message, Does.StartWith("too many problems"));
    }
}
