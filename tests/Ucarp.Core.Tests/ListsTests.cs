namespace Ucarp.Core.Tests;

/// <summary>
/// Lists, what the shipped code uses instead of System.Linq: each answer is LINQ's, and the
/// assembly does not reference System.Linq at all (a LINQ call, or a spread the compiler
/// turns into Enumerable.ToArray, would).
/// </summary>
public class ListsTests
{
    [Test]
    public void Ucarp_Core_references_no_System_Linq()
    {
        Assert.That(typeof(Lists).Assembly.GetReferencedAssemblies().Select(a => a.Name), Has.None.EqualTo("System.Linq"));
    }

    [Test]
    public void SortedBy_is_OrderBy_equal_keys_keeping_their_order()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            // Few keys, many items: ties everywhere.
            List<(int Key, int Id)> items = [.. Enumerable.Range(0, random.Next(0, 60)).Select(i => (random.Next(0, 5), i))];
            Assert.That(Lists.SortedBy(items, i => i.Key), Is.EqualTo(items.OrderBy(i => i.Key).ToList()));
            Assert.That(Lists.SortedBy(items, i => i.Key, Comparer<int>.Create((a, b) => b.CompareTo(a))),
                        Is.EqualTo(items.OrderByDescending(i => i.Key).ToList()));
        }
    }

    [Test]
    public void SortedBy_computes_each_key_once()
    {
        int calls = 0;
        Lists.SortedBy([3, 1, 2, 1], i => { calls++; return i; });
        Assert.That(calls, Is.EqualTo(4));
    }

    [Test]
    public void The_list_answers_are_LINQs()
    {
        int[] items = [4, 7, 1, 8, 8, 2];
        Func<int, bool> even = i => i % 2 == 0;
        Assert.Multiple(() =>
        {
            Assert.That(Lists.Any(items, even), Is.EqualTo(items.Any(even)));
            Assert.That(Lists.Any([], even), Is.False);
            Assert.That(Lists.Count(items, even), Is.EqualTo(items.Count(even)));
            Assert.That(Lists.FindAll(items, even), Is.EqualTo(items.Where(even).ToList()));
            Assert.That(Lists.ConvertAll(items, i => i * 10), Is.EqualTo(items.Select(i => i * 10).ToArray()));
            Assert.That(Lists.Slice(items, 2, 3), Is.EqualTo(items.Skip(2).Take(3).ToArray()));
            Assert.That(Lists.ToArray(items), Is.EqualTo(items).And.Not.SameAs(items));
        });
    }

    [TestCase("", true)]
    [TestCase("0123", true)]
    [TestCase("01a3", false)]
    public void All_is_every_character(string text, bool digits)
    {
        Assert.That(Lists.All(text, char.IsAsciiDigit), Is.EqualTo(digits).And.EqualTo(text.All(char.IsAsciiDigit)));
    }

    [Test]
    public void Map_replaces_each_character()
    {
        Assert.That(Lists.Map("a\tb\u0001", c => char.IsControl(c) ? '?' : c), Is.EqualTo("a?b?"));
        Assert.That(Lists.Map("", c => c), Is.EqualTo(""));
    }
}
