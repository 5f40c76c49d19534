using System.Text;
using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// What reading an answer costs (issue 28): a hostile member's 4 MiB must cost a small multiple
/// of itself, not the 30 bytes a byte that a tree of everything took (`[0,0,...]`: 134 MB
/// for 4 MiB, 508 MB in the daemon); a legitimate answer of a few thousand keys still reads.
/// </summary>
public class JsonBoundsTests
{
    const int Size = 4 << 20;

    /// <summary>A text of about 4 MiB: <paramref name="start"/>, <paramref name="item"/> repeated with commas, <paramref name="end"/>.</summary>
    static byte[] Repeated(string start, string item, string end)
    {
        var b = new StringBuilder(Size + 64).Append(start).Append(item);
        while (b.Length + item.Length + 1 + end.Length <= Size)
        {
            b.Append(',').Append(item);
        }
        return Encoding.UTF8.GetBytes(b.Append(end).ToString());
    }

    static byte[] Wide()
    {
        var b = new StringBuilder("{");
        for (int i = 0; b.Length < Size - 32; i++)
        {
            b.Append(i == 0 ? "" : ",").Append("\"k").Append(i).Append("\":0");
        }
        return Encoding.UTF8.GetBytes(b.Append('}').ToString());
    }

    public static IEnumerable<TestCaseData> Hostile()
    {
        yield return new TestCaseData(Repeated("[", "0", "]")).SetName("Zeros");
        yield return new TestCaseData(Repeated("{\"header\":{\"revision\":\"1\"},\"kvs\":[", "{}", "]}")).SetName("Empty objects in kvs");
        yield return new TestCaseData(Repeated("{\"kvs\":[", "{\"key\":\"YQ==\"}", "]}")).SetName("Small keys in kvs");
        yield return new TestCaseData(Repeated("[", "\"\\n\"", "]")).SetName("Short escaped strings");
        yield return new TestCaseData(Repeated("{", "\"kvs\":[]", "}")).SetName("One kept name repeated");
        yield return new TestCaseData(Wide()).SetName("A wide object of unknown names");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"message\":\"" + string.Concat(Enumerable.Repeat("\\n", (Size - 16) / 2)) + "\"}")).SetName("One long string of escapes");
    }

    /// <summary>Bytes allocated by parsing (refused or not) as the client does; <paramref name="charged"/>: what the tree took from a budget.</summary>
    static long Allocated(byte[] text, out long charged)
    {
        var budget = new MemoryBudget(long.MaxValue);
        using var hold = new MemoryBudget.Hold(budget);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            _ = Json.Parse(text, EtcdReplies.Members, hold);
        }
        catch (FormatException)
        {
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        charged = budget.Used + MemoryBudget.Allowance;
        return allocated;
    }

    [TestCaseSource(nameof(Hostile))]
    public void A_hostile_answer_costs_a_small_multiple_of_its_size(byte[] text)
    {
        long allocated = Allocated(text, out long charged);
        TestContext.Out.WriteLine($"{text.Length} bytes: {allocated} allocated ({(double)allocated / (2 * text.Length):F2}x its UTF-16 size), {charged} charged");
        // Before: 9 to 17 times its UTF-16 size, but for the long string (1x).
        Assert.That(allocated, Is.LessThan(4L * 2 * text.Length));
        // The tree is bounded whatever the size of the text, and what is charged is what is allocated.
        Assert.That(allocated, Is.LessThan(Json.MaxKept + Json.MaxKept / 2));
        Assert.That(allocated, Is.LessThan(charged + charged / 2 + 64 * 1024));
    }

    /// <summary>Off the wire, as the client reads it (before: 151 MB for a 4 MiB `[0,0,...]`, 17 MB of them the body as text).</summary>
    [Test]
    public void An_answer_read_off_the_wire_costs_a_small_multiple_of_its_size()
    {
        byte[] body = Repeated("[", "0", "]");
        var response = new MemoryStream();
        response.Write(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (int at = 0; at < body.Length; at += 8192)
        {
            int n = Math.Min(8192, body.Length - at);
            response.Write(Encoding.ASCII.GetBytes(n.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "\r\n"));
            response.Write(body, at, n);
            response.Write("\r\n"u8);
        }
        response.Write("0\r\n\r\n"u8);
        byte[] wire = response.ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var reader = new HttpResponseReader(new Ucarp.Fuzz.FuzzTargets.ArraySource(wire, 16384), new MemoryBudget(long.MaxValue));
        reader.ReadHead();
        ReadOnlyMemory<byte> read = reader.ReadBody();
        Assert.Throws<FormatException>(() => Json.Parse(read.Span, EtcdReplies.Members, reader.Memory));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{body.Length} bytes off the wire: {allocated} allocated ({(double)allocated / body.Length:F2}x)");
        Assert.That(allocated, Is.LessThan(4L * 2 * body.Length));
    }

    [Test]
    public void What_would_keep_too_much_is_refused() =>
        Assert.That(() => Json.Parse(Repeated("[", "0", "]")), Throws.InstanceOf<FormatException>().With.Message.Contains(Json.MaxKept.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A sweep of <paramref name="keys"/> keys as etcd 3.4 answers it, each holding a holder record on one lease.</summary>
    static (byte[] Text, List<EtcdKeyValue> Kvs) Sweep(int keys)
    {
        var b = new StringBuilder("{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\",\"revision\":\"90042\",\"raft_term\":\"2\"},\"kvs\":[");
        var kvs = new List<EtcdKeyValue>();
        for (int i = 0; i < keys; i++)
        {
            string key = $"/ucarp/10.{i / 65536}.{i / 256 % 256}.{i % 256}";
            string value = new HolderRecord($"192.0.2.{i % 200}", 0, "web" + i, "eth0", i % 255 + 1).ToJson();
            kvs.Add(new EtcdKeyValue(key, value, 7587870128443392005, 1000 + i, 500 + i));
            b.Append(i == 0 ? "" : ",").Append("{\"key\":\"").Append(Base64(key)).Append("\",\"create_revision\":\"").Append(500 + i)
             .Append("\",\"mod_revision\":\"").Append(1000 + i).Append("\",\"version\":\"3\",\"value\":\"").Append(Base64(value))
             .Append("\",\"lease\":\"7587870128443392005\"}");
        }
        return (Encoding.UTF8.GetBytes(b.Append("],\"count\":\"").Append(keys).Append("\"}").ToString()), kvs);
    }

    static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A few thousand keys (before: 9.3 MB allocated for the 724 KiB answer): the same reply, for less.</summary>
    [Test]
    public void A_sweep_of_a_few_thousand_keys_reads_as_before()
    {
        (byte[] text, List<EtcdKeyValue> kvs) = Sweep(3000);
        long allocated = Allocated(text, out long charged);
        TestContext.Out.WriteLine($"3000 keys, {text.Length} bytes: {allocated} allocated, {charged} charged");
        EtcdReply r = EtcdReplies.Sweep(new EtcdRequest(8, EtcdOp.Sweep, Key: "/ucarp/", Prefix: true), Json.Parse(text, EtcdReplies.Members));
        Assert.That((r.Ok, r.Revision), Is.EqualTo((true, 90042L)));
        Assert.That(r.Kvs, Is.EqualTo(kvs));
        Assert.That(HolderRecord.Parse(r.Kvs![2999].Value), Is.EqualTo(new HolderRecord("192.0.2.199", 0, "web2999", "eth0", 195)));
        Assert.That(allocated, Is.LessThan(2L * 2 * text.Length));
    }

    /// <summary><see cref="Json.MaxKept"/> is ten times the answers for a thousand addresses: a sweep of 10,000 keys, a watch message with as many events.</summary>
    [Test]
    public void Ten_thousand_keys_fit_the_bound()
    {
        (byte[] text, List<EtcdKeyValue> kvs) = Sweep(10_000);
        Allocated(text, out long charged);
        TestContext.Out.WriteLine($"sweep of 10,000 keys, {text.Length} bytes: {charged} charged");
        Assert.That(EtcdReplies.Sweep(new EtcdRequest(8, EtcdOp.Sweep, Key: "/ucarp/", Prefix: true), Json.Parse(text, EtcdReplies.Members)).Kvs, Has.Count.EqualTo(10_000));

        var b = new StringBuilder("{\"result\":{\"header\":{\"revision\":\"90042\"},\"events\":[");
        foreach (EtcdKeyValue kv in kvs)
        {
            b.Append(b[^1] == '[' ? "" : ",").Append("{\"kv\":{\"key\":\"").Append(Base64(kv.Key)).Append("\",\"create_revision\":\"5\",\"mod_revision\":\"")
             .Append(kv.ModRevision).Append("\",\"version\":\"1\",\"value\":\"").Append(Base64(kv.Value)).Append("\",\"lease\":\"").Append(kv.Lease).Append("\"}}");
        }
        byte[] message = Encoding.UTF8.GetBytes(b.Append("]}}").ToString());
        Allocated(message, out charged);
        TestContext.Out.WriteLine($"watch message of 10,000 events, {message.Length} bytes: {charged} charged");
        var events = new List<EtcdReply>();
        Assert.That(EtcdReplies.WatchMessage(new EtcdRequest(9, EtcdOp.Watch), Json.Parse(message, EtcdReplies.Members), events, out _), Is.True);
        Assert.That(events.Select(e => (e.Key, e.Value, e.ValueLease, e.Revision)), Is.EqualTo(kvs.Select(kv => (kv.Key, kv.Value, kv.Lease, kv.ModRevision))));
    }
}
