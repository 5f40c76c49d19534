using Ucarp.Core.Keepalived;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>
/// keepalived.conf read as keepalived's lib/parser.c reads it: comments, quotes, braces
/// anywhere on a line, "@ID" lines, includes with globs relative to the including file,
/// and every bound a hostile file could push, each an error at its line, never an exception.
/// </summary>
public class KeepalivedParserTests
{
    const string Top = "/etc/keepalived/keepalived.conf";

    static KeepalivedParse Parse(MemoryFiles files, string? configId = "gw1") => KeepalivedParser.Parse(Top, "keepalived.conf", files, configId);

    static KeepalivedParse Parse(string text, string? configId = "gw1") => Parse(new MemoryFiles().Add(Top, text), configId);

    static string Errors(KeepalivedParse p) => string.Join("\n", p.Diagnostics.Select(d => d.Format()));

    /// <summary>The tree as "keyword args {children}" at its lines.</summary>
    static string Tree(IEnumerable<KeepalivedNode> nodes) => string.Join(" ", nodes.Select(n =>
        n.Where.Line + ":" + string.Join("|", n.Args.Prepend(n.Keyword)) + (n.Block is null ? "" : " { " + Tree(n.Children) + " }")));

    [Test]
    public void Braces_open_and_close_blocks_wherever_they_are_on_a_line()
    {
        KeepalivedParse p = Parse("vrrp_instance VI_1 {\n  virtual_ipaddress { 192.0.2.1 }\n  interface eth0 }\nvrrp_script s\n{\n script x\n}\n");
        Assert.That(Errors(p), Is.Empty);
        Assert.That(Tree(p.Nodes), Is.EqualTo("1:vrrp_instance|VI_1 { 2:virtual_ipaddress { 2:192.0.2.1 } 3:interface|eth0 } 4:vrrp_script|s { 6:script|x }"));
    }

    [TestCase("a b # c", "a|b")]
    [TestCase("a b ! c", "a|b")]
    [TestCase("a b#c", "a|b")]
    [TestCase("a \"b # c\"", "a|b # c")]
    [TestCase("a \\#b \\!c", "a|#b|!c")]
    [TestCase("  a\t\"b c\"d  e  ", "a|b c|d|e")]
    [TestCase("script \"x { y }\" { }", "script|x { y }")]
    public void Comments_and_quotes_are_keepalived_s(string line, string words)
    {
        KeepalivedParse p = Parse(line + "\n");
        Assert.That(Errors(p), Is.Empty);
        Assert.That(string.Join("|", p.Nodes[0].Args.Prepend(p.Nodes[0].Keyword)), Is.EqualTo(words));
    }

    [Test]
    public void At_lines_are_read_for_the_config_id_only()
    {
        const string Text = "@gw1 a\n@gw2 b\n@^gw1 c\n@^gw2 d\n@gw1\ne\n";
        Assert.That(Tree(Parse(Text).Nodes), Is.EqualTo("1:a 4:d 6:e"));
        Assert.That(Tree(Parse(Text, configId: null).Nodes), Is.EqualTo("3:c 4:d 6:e"));
        Assert.That(Parse(Text).Conditional, Is.True);
        Assert.That(Parse("a\n").Conditional, Is.False);
    }

    [TestCase("$PRIO=100\n", "keepalived.conf:1: keepalived's parameter definitions ($PRIO=...) are not expanded here: expand them in the file first")]
    [TestCase("~SEQ(i,1,3) a\n", "keepalived.conf:1: keepalived's ~SEQ is not expanded here: write its lines out first")]
    [TestCase("a \"b\n", "keepalived.conf:1: unterminated \" quote")]
    [TestCase("a\nb\0c\n", "keepalived.conf:2: line holds a NUL character")]
    [TestCase("a {\n b {\n}\n", "keepalived.conf:1: the block of [a] is never closed: a '}' is missing")]
    [TestCase("a\n}\n", "keepalived.conf:2: '}' without a block to close")]
    [TestCase("{\n}\n", "keepalived.conf:1: '{' without a keyword before it\nkeepalived.conf:2: '}' without a block to close")]
    public void What_cannot_be_read_is_an_error_at_its_line(string text, string errors)
    {
        KeepalivedParse p = Parse(text);
        Assert.That(p.HasErrors, Is.True);
        Assert.That(Errors(p), Is.EqualTo(errors));
    }

    [Test]
    public void Blocks_nest_at_most_32_deep()
    {
        Assert.That(Errors(Parse(string.Concat(Enumerable.Repeat("a {\n", 32)) + string.Concat(Enumerable.Repeat("}\n", 32)))), Is.Empty);
        Assert.That(Errors(Parse(string.Concat(Enumerable.Repeat("a {\n", 40)))), Does.StartWith("keepalived.conf:33: blocks nested more than 32 deep"));
    }

    [Test]
    public void An_include_is_relative_to_the_including_file_and_its_glob_is_sorted()
    {
        var files = new MemoryFiles()
            .Add(Top, "a\ninclude conf.d/*.conf\nb\n")
            .Add("/etc/keepalived/conf.d/20-y.conf", "y\ninclude ../more/{q,p}.conf\n")
            .Add("/etc/keepalived/conf.d/10-x.conf", "x {\n")
            .Add("/etc/keepalived/conf.d/.hidden.conf", "hidden\n")
            .Add("/etc/keepalived/conf.d/notes.txt", "txt\n")
            .Add("/etc/keepalived/more/p.conf", "p\n}\n")
            .Add("/etc/keepalived/more/q.conf", "q\n");
        KeepalivedParse p = Parse(files);
        Assert.That(Errors(p), Is.Empty);
        // Each brace alternative in turn (q before p); a block may close in another file, as keepalived's stream allows.
        Assert.That(Tree(p.Nodes), Is.EqualTo("1:a 1:x { 1:y 1:q 1:p } 3:b"));
        Assert.That(p.Files, Is.EqualTo(new[] { "keepalived.conf", "conf.d/10-x.conf", "conf.d/20-y.conf", "conf.d/../more/q.conf", "conf.d/../more/p.conf" }));
        Assert.That(p.Nodes[1].Where.ToString(), Is.EqualTo("conf.d/10-x.conf:1"));
    }

    [Test]
    public void An_absolute_include_and_the_include_forms_are_read()
    {
        var files = new MemoryFiles().Add(Top, "includer /opt/a.conf\ninclude\t/opt/[ab]?.conf\nincluded x\n")
                                     .Add("/opt/a.conf", "a\n").Add("/opt/b1.conf", "b1\n").Add("/opt/a2.conf", "a2\n");
        KeepalivedParse p = Parse(files);
        Assert.That(Tree(p.Nodes), Is.EqualTo("1:a 1:a2 1:b1 3:included|x"));
    }

    [Test]
    public void An_include_that_matches_nothing_is_not_converted_and_reading_goes_on()
    {
        KeepalivedParse p = Parse(new MemoryFiles().Add(Top, "include missing.conf\ninclude none/*.conf\na\n"));
        Assert.That(p.HasErrors, Is.False);
        Assert.That(Errors(p), Is.EqualTo("keepalived.conf:1: not converted: include missing.conf: no file matches\n"
                                          + "keepalived.conf:2: not converted: include none/*.conf: no file matches"));
        Assert.That(Tree(p.Nodes), Is.EqualTo("3:a"));
    }

    [Test]
    public void A_directory_or_an_executable_is_skipped_as_keepalived_skips_it()
    {
        var files = new MemoryFiles().Add(Top, "include d\ninclude run.sh\n").Add("/etc/keepalived/d/x", "x\n")
                                     .Add("/etc/keepalived/run.sh", "y\n").NotRegular("/etc/keepalived/run.sh");
        Assert.That(Errors(Parse(files)), Is.EqualTo("keepalived.conf:1: not converted: include d: not a regular file, or executable (keepalived skips it too)\n"
                                                     + "keepalived.conf:2: not converted: include run.sh: not a regular file, or executable (keepalived skips it too)"));
    }

    [Test]
    public void An_include_cycle_is_an_error_even_through_a_symlink()
    {
        Assert.That(Errors(Parse(new MemoryFiles().Add(Top, "a\ninclude keepalived.conf\n"))),
                    Is.EqualTo("keepalived.conf:2: include: keepalived.conf is already being read (an include cycle)"));
        var files = new MemoryFiles().Add(Top, "include sub/x.conf\n").Add("/etc/keepalived/sub/x.conf", "include link.conf\n")
                                     .Link("/etc/keepalived/sub/link.conf", "../keepalived.conf");
        Assert.That(Errors(Parse(files)), Is.EqualTo("sub/x.conf:1: include: sub/link.conf is already being read (an include cycle)"));
        // The same file twice, one after the other, is no cycle.
        Assert.That(Errors(Parse(new MemoryFiles().Add(Top, "include a.conf\ninclude a.conf\n").Add("/etc/keepalived/a.conf", "a\n"))), Is.Empty);
    }

    [Test]
    public void Includes_nest_at_most_8_deep()
    {
        var files = new MemoryFiles().Add(Top, "include 1.conf\n");
        for (int i = 1; i <= 9; i++)
        {
            files.Add($"/etc/keepalived/{i}.conf", $"n{i}\ninclude {i + 1}.conf\n");
        }
        files.Add("/etc/keepalived/10.conf", "n10\n");
        KeepalivedParse p = Parse(files);
        Assert.That(Errors(p), Is.EqualTo("8.conf:2: includes nested more than 8 deep"));
        Assert.That(Tree(p.Nodes), Does.EndWith("1:n8"));
    }

    [Test]
    public void At_most_64_files_are_read()
    {
        var files = new MemoryFiles().Add(Top, "include d/*\n");
        for (int i = 0; i < 70; i++)
        {
            files.Add($"/etc/keepalived/d/{i:D2}", "x\n");
        }
        KeepalivedParse p = Parse(files);
        Assert.That(Errors(p), Is.EqualTo("keepalived.conf:1: more than 64 files: not read further"));
        Assert.That(p.Nodes, Has.Count.EqualTo(63));
    }

    [Test]
    public void A_file_over_1_MiB_and_a_missing_top_file_are_errors()
    {
        Assert.That(Errors(Parse(new MemoryFiles().Add(Top, new byte[KeepalivedParser.MaxFileBytes + 1]))),
                    Is.EqualTo("keepalived.conf: the file is larger than 1048576 bytes"));
        Assert.That(Errors(Parse(new MemoryFiles())), Is.EqualTo("keepalived.conf: No such file or directory"));
        Assert.That(Errors(Parse(new MemoryFiles().Add(Top, "include big\n").Add("/etc/keepalived/big", new byte[KeepalivedParser.MaxFileBytes + 1]))),
                    Is.EqualTo("big: the file is larger than 1048576 bytes"));
    }

    [Test]
    public void A_glob_with_too_many_alternatives_is_an_error()
    {
        Assert.That(Errors(Parse("include {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}\n")),
                    Is.EqualTo("keepalived.conf:1: include {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}: more than 64 names"));
    }

    [Test]
    public void A_utf8_byte_order_mark_and_crlf_line_ends_are_read()
    {
        KeepalivedParse p = Parse(new MemoryFiles().Add(Top, [0xEF, 0xBB, 0xBF, .. "a {\r\n b\r\n}\r\n"u8]));
        Assert.That(Tree(p.Nodes), Is.EqualTo("1:a { 2:b }"));
    }
}
