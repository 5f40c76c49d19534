using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>The little JSON reader and writer, on etcd gateway answers and on bad input.</summary>
public class JsonTests
{
    [Test]
    public void Reads_a_gateway_range_answer()
    {
        const string text = """
            {"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"42","raft_term":"2"},
             "kvs":[{"key":"L3VjYXJwLzE5Mi4wLjIuMTAw","create_revision":"40","mod_revision":"41","version":"1",
                     "value":"eyJob2xkZXIiOiIxOTIuMC4yLjQifQ==","lease":"7587870128443392005"}],"count":"1"}
            """;
        object? d = Json.Parse(text);
        Assert.That(Json.Int(Json.Get(d, "header"), "revision"), Is.EqualTo(42));
        var kvs = (List<object?>)Json.Get(d, "kvs")!;
        Assert.That(Json.Int(kvs[0], "lease"), Is.EqualTo(7587870128443392005));
        Assert.That(Json.String(kvs[0], "value"), Is.EqualTo("eyJob2xkZXIiOiIxOTIuMC4yLjQifQ=="));
        Assert.That(Json.Int(d, "absent"), Is.Zero);
    }

    [Test]
    public void Reads_numbers_booleans_null_and_escapes()
    {
        object? d = Json.Parse("""{"a":12,"b":true,"c":false,"d":null,"e":"x\"\\\/\n\u00e9","f":[1,[],{}],"g":-3.5e2}""");
        Assert.That(Json.Int(d, "a"), Is.EqualTo(12));
        Assert.That(Json.True(d, "b"), Is.True);
        Assert.That(Json.True(d, "c"), Is.False);
        Assert.That(Json.Get(d, "d"), Is.Null);
        Assert.That(Json.String(d, "e"), Is.EqualTo("x\"\\/\n\u00e9"));
        Assert.That(((List<object?>)Json.Get(d, "f")!).Count, Is.EqualTo(3));
        Assert.That(((Json.Number)Json.Get(d, "g")!).Text, Is.EqualTo("-3.5e2"));
    }

    [TestCase("")]
    [TestCase("{")]
    [TestCase("{\"a\":}")]
    [TestCase("{\"a\":1,}")]
    [TestCase("[1 2]")]
    [TestCase("\"abc")]
    [TestCase("tru")]
    [TestCase("{} x")]
    [TestCase("\"\\q\"")]
    [TestCase("\"\\u12\"")]
    public void Refuses_what_is_not_json(string text) => Assert.Throws<FormatException>(() => Json.Parse(text));

    [Test]
    public void Refuses_deep_nesting_rather_than_overflowing_the_stack() =>
        Assert.Throws<FormatException>(() => Json.Parse(new string('[', 10_000)));

    [Test]
    public void Keeps_only_the_members_asked_for_and_checks_the_others()
    {
        object? d = Json.Parse("""{"a":1,"b":{"a":2},"\u0063":[{"a":3,"z":"\n"}],"cc":4}""", ["a", "c"]);
        Assert.That(Json.Int(d, "a"), Is.EqualTo(1));
        Assert.That(Json.Get(d, "b"), Is.Null, "not asked for: skipped, its members with it");
        Assert.That(Json.Int(((List<object?>)Json.Get(d, "c")!)[0], "a"), Is.EqualTo(3), "an escaped name is its text");
        Assert.That(Json.Get(((List<object?>)Json.Get(d, "c")!)[0], "z"), Is.Null);
        Assert.That(Json.Get(d, "cc"), Is.Null);
        // Names are matched in a small buffer on the stack: a longer one cannot be asked for.
        Assert.Throws<ArgumentException>(() => Json.Parse("{}", [new string('a', 65)]));
    }

    [TestCase("{\"x\":[1 2]}")]
    [TestCase("{\"x\":\"\\q\"}")]
    [TestCase("{\"x\":{\"y\":}}")]
    [TestCase("{\"\\u12\":1}")]
    public void A_skipped_member_must_be_json_too(string text) => Assert.Throws<FormatException>(() => Json.Parse(text, ["a"]));

    [Test]
    public void Refuses_deep_nesting_in_a_skipped_member_too() =>
        Assert.Throws<FormatException>(() => Json.Parse("{\"x\":" + new string('[', 10_000), ["a"]));

    [Test]
    public void Reads_utf8_as_the_decoder_does_bad_bytes_included()
    {
        byte[] text = [.. "[\"é\\n"u8, 0xE2, 0x82, .. "\\u0041\"]"u8];
        Assert.That(((List<object?>)Json.Parse(text)!)[0], Is.EqualTo("é\n\uFFFDA"));
    }

    [Test]
    public void Quotes_what_needs_it()
    {
        Assert.That(Json.Quote("a\"b\\c\n\u0001"), Is.EqualTo("\"a\\\"b\\\\c\\u000a\\u0001\""));
        Assert.That(Json.String(Json.Parse("{\"k\":" + Json.Quote("é \" \\ \t") + "}"), "k"), Is.EqualTo("é \" \\ \t"));
    }

    [Test]
    public void The_holder_record_round_trips_and_reads_plainly()
    {
        var record = new HolderRecord("192.0.2.4", 100, "web\"1", "eth0", 42);
        string json = record.ToJson();
        Assert.That(json, Is.EqualTo("{\"holder\":\"192.0.2.4\",\"advskew\":100,\"host\":\"web\\\"1\",\"interface\":\"eth0\",\"vhid\":42}"));
        Assert.That(HolderRecord.Parse(json), Is.EqualTo(record));
        Assert.That(HolderRecord.Parse("not json"), Is.Null);
        Assert.That(HolderRecord.Parse("{\"holder\":\"x\"}"), Is.Null, "no advskew");
        Assert.That(HolderRecord.Parse(""), Is.Null);
    }
}
