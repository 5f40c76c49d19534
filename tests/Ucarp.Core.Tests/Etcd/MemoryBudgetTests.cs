using System.Text;
using Ucarp.Core.Etcd;
using Ucarp.Fuzz;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>The bound on the answers being read at once, across the process: bodies, lines and the trees read from them.</summary>
public class MemoryBudgetTests
{
    const int Allowance = MemoryBudget.Allowance;

    [Test]
    public void A_hold_takes_what_passes_its_allowance_and_gives_it_all_back()
    {
        var budget = new MemoryBudget(1 << 20);
        var hold = new MemoryBudget.Hold(budget);
        hold.Take(Allowance);
        Assert.That(budget.Used, Is.Zero, "within the allowance");
        hold.Take(1000);
        Assert.That(budget.Used, Is.EqualTo(1000));
        hold.Give(600);
        Assert.That(budget.Used, Is.EqualTo(400));
        hold.Dispose();
        Assert.That(budget.Used, Is.Zero);
        hold.Take(Allowance + 1);
        Assert.That(budget.Used, Is.EqualTo(1), "a hold starts again once given back");
    }

    [Test]
    public void What_would_pass_the_limit_is_refused_and_holds_nothing_more()
    {
        var budget = new MemoryBudget(64 * 1024);
        using var first = new MemoryBudget.Hold(budget);
        using var second = new MemoryBudget.Hold(budget);
        first.Take(Allowance + 64 * 1024);
        second.Take(Allowance);     // an allowance is never refused
        Assert.That(() => second.Take(1), Throws.InstanceOf<FormatException>().With.Message.Contains("65536"));
        Assert.That(budget.Used, Is.EqualTo(64 * 1024));
        first.Dispose();
        second.Take(1);
        Assert.That(budget.Used, Is.EqualTo(1));
    }

    static HttpResponseReader Reader(string body, MemoryBudget budget) =>
        new(new FuzzTargets.ArraySource(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunked(body)), 16384), budget);

    static string Chunked(string body)
    {
        var b = new StringBuilder();
        for (int i = 0; i < body.Length; i += 8192)
        {
            string part = body.Substring(i, Math.Min(8192, body.Length - i));
            b.Append(part.Length.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n").Append(part).Append("\r\n");
        }
        return b.Append("0\r\n\r\n").ToString();
    }

    static string Zeros(int bytes) => "[" + string.Join(",", Enumerable.Repeat("0", bytes / 2)) + "]";

    [Test]
    public void Bodies_read_at_once_share_the_budget_and_small_answers_are_never_refused()
    {
        // Room for one body of 600 KiB as its buffer doubles from 512 KiB to 1 MiB, not for two.
        var budget = new MemoryBudget(1536 * 1024);
        using HttpResponseReader first = Reader(new string(' ', 600 * 1024) + "{}", budget), second = Reader(new string(' ', 600 * 1024) + "{}", budget);
        first.ReadHead();
        second.ReadHead();
        Assert.That(first.ReadBody().Length, Is.EqualTo(600 * 1024 + 2));
        Assert.That(budget.Used, Is.EqualTo(1024 * 1024 - Allowance), "the body's buffer, doubled from 1 KiB");
        Assert.Throws<FormatException>(() => second.ReadBody());
        second.Dispose();   // as the failed request's connection is
        // A renewal's answer meanwhile: within its allowance.
        using HttpResponseReader renewal = Reader("{\"result\":{\"header\":{\"revision\":\"3\"},\"ID\":\"5\",\"TTL\":\"3\"}}", budget);
        renewal.ReadHead();
        Assert.That(Json.Int(Json.Get(Json.Parse(renewal.ReadBody().Span, EtcdReplies.Members, renewal.Memory), "result"), "TTL"), Is.EqualTo(3));
        first.Dispose();
        Assert.That(budget.Used, Is.Zero);
        using HttpResponseReader third = Reader(new string(' ', 600 * 1024) + "{}", budget);
        third.ReadHead();
        Assert.That(third.ReadBody().Length, Is.EqualTo(600 * 1024 + 2));
    }

    [Test]
    public void The_tree_read_from_a_body_is_held_with_it()
    {
        var budget = new MemoryBudget(8 << 20);
        using HttpResponseReader reader = Reader(Zeros(100_000), budget);
        reader.ReadHead();
        ReadOnlyMemory<byte> body = reader.ReadBody();
        long bodyOnly = budget.Used;
        _ = Json.Parse(body.Span, EtcdReplies.Members, reader.Memory);
        Assert.That(budget.Used, Is.GreaterThan(bodyOnly + 50_000 * 48), "a number and its text for each zero, at least");
        reader.Dispose();
        Assert.That(budget.Used, Is.Zero);
        // The same tree with less room: refused, though one document may keep more.
        using HttpResponseReader tight = Reader(Zeros(100_000), new MemoryBudget(1 << 20));
        tight.ReadHead();
        body = tight.ReadBody();
        MemoryBudget.Hold? memory = tight.Memory;
        Assert.Throws<FormatException>(() => Json.Parse(body.Span, EtcdReplies.Members, memory));
    }

    [Test]
    public void Each_line_of_a_watch_gives_back_the_last()
    {
        var budget = new MemoryBudget(768 * 1024);
        string line = new(' ', 300 * 1024);
        using HttpResponseReader reader = Reader(line + "{}\n" + line + "[]\n", budget);
        reader.ReadHead();
        for (int i = 0; i < 2; i++)
        {
            Assert.That(reader.TryReadLine(out ReadOnlyMemory<byte> read), Is.True);
            Assert.That(read.Length, Is.EqualTo(line.Length + 2));
            Assert.That(budget.Used, Is.EqualTo(512 * 1024 - Allowance), "one line's buffer");
        }
        reader.Release();
        Assert.That(budget.Used, Is.Zero, "given back as soon as the message is read");
        Assert.That(reader.TryReadLine(out _), Is.False);
    }

    [Test]
    public void A_collection_is_asked_for_once_a_round_of_answers_has_been_given_back()
    {
        int collections = 0;
        var budget = new MemoryBudget(64 << 20, () => collections++);
        using var hold = new MemoryBudget.Hold(budget);
        hold.Take(Allowance + MemoryBudget.CollectAfter - 1);
        hold.Dispose();
        Assert.That(collections, Is.Zero, "less than a round given back");
        hold.Take(Allowance);
        hold.Dispose();
        Assert.That(collections, Is.Zero, "what stays within an allowance is never counted");
        hold.Take(Allowance + 1);
        hold.Dispose();
        Assert.That((collections, budget.Collections), Is.EqualTo((1, 1)), "the round's last byte");
        hold.Take(Allowance + MemoryBudget.CollectAfter - 1);
        hold.Dispose();
        Assert.That(collections, Is.EqualTo(1), "counted again from nothing");
    }

    /// <summary>
    /// The daemon's sweep of a thousand keys (the holder's and the backup's every 2 TTL at
    /// 1,000 groups) gives back about 1.1 MB, most of it a tree that outlived a gen0
    /// collection while it was built: a collection every sweep, not every second or eighth,
    /// keeps that garbage from piling up in the old generation (the bench's holder grew
    /// from 15.5 to 19-22 MiB resident in two minutes collected every eighth sweep, sat at
    /// 14.4-15.5 MiB collected every second, and 11.3-11.7 MiB collected every sweep).
    /// </summary>
    [Test]
    public void The_garbage_of_each_sweep_of_a_thousand_keys_is_collected()
    {
        int collections = 0;
        var budget = new MemoryBudget(20 << 20, () => collections++);
        string body = SweepOf(1000);
        for (int i = 0; i < 2; i++)
        {
            using HttpResponseReader reader = LengthReader(body, budget);
            reader.ReadHead();
            ReadOnlyMemory<byte> text = reader.ReadBody();
            EtcdReply swept = EtcdReplies.Sweep(new EtcdRequest(1, EtcdOp.Sweep), Json.Parse(text.Span, EtcdReplies.Members, reader.Memory));
            Assert.That(swept.Kvs, Has.Count.EqualTo(1000));
        }
        Assert.That(collections, Is.EqualTo(2));
    }

    /// <summary>etcd's answer to a read of the prefix: a thousand keys, each with a holder record on one lease.</summary>
    static string SweepOf(int keys)
    {
        var text = new StringBuilder("{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"2010\",\"raft_term\":\"2\"},\"kvs\":[");
        string value = Convert.ToBase64String(Encoding.UTF8.GetBytes(new HolderRecord("2001:db8::4", 0, "host4", "eth0", 1).ToJson()));
        for (int i = 0; i < keys; i++)
        {
            string key = Convert.ToBase64String(Encoding.UTF8.GetBytes($"/ucarp/2001:db8::a:{i + 1:x}"));
            text.Append(i == 0 ? "" : ",").Append($"{{\"key\":\"{key}\",\"create_revision\":\"{i + 5}\",\"mod_revision\":\"{i + 5}\",")
                .Append($"\"version\":\"1\",\"value\":\"{value}\",\"lease\":\"6869845466457788421\"}}");
        }
        return text.Append($"],\"count\":\"{keys}\"}}").ToString();
    }

    static HttpResponseReader LengthReader(string body, MemoryBudget budget) =>
        new(new FuzzTargets.ArraySource(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"), 4096), budget);

    [Test]
    public void A_body_of_known_length_is_read_into_one_buffer_of_that_length()
    {
        // A doubling from 1 KiB would reach 1 MiB holding 512 KiB beside it, and leave
        // every smaller buffer behind for the collector.
        var budget = new MemoryBudget(1 << 20);
        string body = new string(' ', 600 * 1024) + "{}";
        using HttpResponseReader reader = LengthReader(body, budget);
        reader.ReadHead();
        Assert.That(reader.ReadBody().Length, Is.EqualTo(body.Length));
        Assert.That(budget.Used, Is.EqualTo(body.Length - Allowance));
        Assert.That(reader.Memory!.Held, Is.EqualTo(body.Length));
    }

    [Test]
    public void The_largest_chunked_body_is_read_within_the_daemons_budget()
    {
        // Its buffer doubles to 8 MiB, holding 4 + 8 MiB while it copies: within 20 MiB.
        var budget = new MemoryBudget(MemoryBudget.Answers.Limit);
        using HttpResponseReader reader = Reader(new string(' ', HttpResponseReader.MaxBody - 2) + "{}", budget);
        reader.ReadHead();
        Assert.That(reader.ReadBody().Length, Is.EqualTo(HttpResponseReader.MaxBody));
    }

    [Test]
    public void A_content_length_reserves_at_most_a_mebibyte_before_the_bytes_arrive()
    {
        var budget = new MemoryBudget(64 << 20);
        byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {HttpResponseReader.MaxBody}\r\n\r\n{{}}");
        using var reader = new HttpResponseReader(new FuzzTargets.ArraySource(response, 4096), budget);
        reader.ReadHead();
        Assert.Throws<FormatException>(() => reader.ReadBody(), "cut short");
        Assert.That(budget.Used, Is.EqualTo((1 << 20) - Allowance), "a mebibyte for two bytes announced as 8 MiB, not 8 MiB");
    }
}
